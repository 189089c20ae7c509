package sim

import (
	"reflect"
	"strings"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/offreformation"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/connectors/apogee/ws/referentiel"
)

// Strictness: Axis 1 deserialises a request into the operation's Java parameters and
// beans. An element that is not one of them is refused (BeanDeserializer: "Invalid
// element in <class> - <name>", message badElem00 of Axis' resource.properties), so a
// probe or a client sending another operation's parameters fails in production. The
// embedded Apogée refuses it the same way, with the element's name, instead of quietly
// ignoring it. The elements allowed are those of the generated request types, which come
// from AMUE's WSDLs (connectors/apogee/ws).

// requestTypes are the request wrappers of the operations served. _v3 of
// recupererInfosAdmEtu takes the same single _codEtu as _v4.
var requestTypes = map[string]reflect.Type{
	"recupererSE_v3":                               reflect.TypeFor[offreformation.RecupererSE_v3](),
	"recupererListeEtudiants":                      reflect.TypeFor[etudiant.RecupererListeEtudiants](),
	"recupererIdentifiantsEtudiant":                reflect.TypeFor[etudiant.RecupererIdentifiantsEtudiant](),
	"recupererInfosAdmEtu_v4":                      reflect.TypeFor[etudiant.RecupererInfosAdmEtu_v4](),
	"recupererInfosAdmEtu_v3":                      reflect.TypeFor[etudiant.RecupererInfosAdmEtu_v4](),
	"recupererContratPedagogiqueResultatVdiVet_v2": reflect.TypeFor[pedagogique.RecupererContratPedagogiqueResultatVdiVet_v2](),
	"recupererSignataire":                          reflect.TypeFor[referentiel.RecupererSignataire](),
}

// elemSpec is one element a type accepts.
type elemSpec struct {
	name     string
	required bool         // minOccurs=1 (no omitempty)
	repeated bool         // maxOccurs>1
	children reflect.Type // struct type of a complex element, nil for a simple one
}

func specsOf(t reflect.Type) []elemSpec {
	var out []elemSpec
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Name == "XMLName" || !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("xml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" || strings.Contains(opts, "attr") || strings.Contains(opts, "innerxml") {
			continue
		}
		s := elemSpec{name: name, required: !strings.Contains(opts, "omitempty")}
		ft := f.Type
		for {
			switch {
			case ft.Kind() == reflect.Pointer:
				ft = ft.Elem()
				continue
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.Uint8:
				s.repeated = true
				ft = ft.Elem()
				continue
			case ft.Kind() == reflect.Struct && strings.HasPrefix(ft.Name(), "Nillable["):
				v, _ := ft.FieldByName("Value")
				ft = v.Type
				continue
			}
			break
		}
		if ft.Kind() == reflect.Struct {
			s.children = ft
		}
		out = append(out, s)
	}
	return out
}

// invalidElement is Axis' answer to an element the operation does not know.
func invalidElement(parent, name string) *soapFault {
	return &soapFault{code: "soapenv:Server.userException",
		msg: "org.xml.sax.SAXException: Invalid element in " + parent + " - " + name, axis: true}
}

// checkRequest refuses a request whose elements are not the operation's: unknown or
// repeated elements anywhere, missing parameters at the top (Axis would pass null, which
// Apogée refuses as a parameter error).
func checkRequest(op *node) *soapFault {
	t, ok := requestTypes[op.name]
	if !ok {
		return nil
	}
	if sf := checkChildren(op, t, op.name); sf != nil {
		return sf
	}
	for _, s := range specsOf(t) {
		if s.required && op.child(s.name) == nil {
			return badInput(strings.TrimPrefix(s.name, "_"))
		}
	}
	return nil
}

func checkChildren(n *node, t reflect.Type, parent string) *soapFault {
	specs := specsOf(t)
	seen := map[string]bool{}
	for _, k := range n.kids {
		var spec *elemSpec
		for i := range specs {
			if specs[i].name == k.name {
				spec = &specs[i]
				break
			}
		}
		if spec == nil || (seen[k.name] && !spec.repeated) {
			return invalidElement(parent, k.name)
		}
		seen[k.name] = true
		if spec.children != nil && !k.nil {
			if sf := checkChildren(k, spec.children, spec.children.Name()); sf != nil {
				return sf
			}
		}
	}
	return nil
}
