package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// xsdImport is the package of xsd.Nillable.
const xsdImport = "hypercerts/connectors/apogee/ws/xsd"

// soapXSD maps gowsdl runtime's XSD date types to ours (so no gowsdl/soap import).
var soapXSD = strings.NewReplacer("soap.XSDDateTime", "xsd.DateTime", "soap.XSDDate", "xsd.Date", "soap.XSDTime", "xsd.Time")

type goField struct {
	name, typ, tag string
}

type goType struct {
	name   string
	expr   string     // for non-struct types
	fields []*goField // for struct types
	isStr  bool
}

// postprocess turns gowsdl's output into the package we commit:
//   - keeps the types only: the gowsdl/soap client runtime is dropped (transport is
//     connectors/apogee/soap.go), and with it the SOAPAction "”" it sends;
//   - drops duplicate type declarations (identical copies from several XSD namespaces),
//     failing on real clashes;
//   - exports the request fields named "_codEtu"… (encoding/xml ignores unexported
//     fields: requests went out empty), keeping their XML tags;
//   - wrapper elements keep a namespace-free XMLName (the namespace is a setting: the
//     transport writes a prefixed wrapper and unprefixed children, elementFormDefault
//     being "unqualified"); other types lose the XMLName gowsdl gave them, which would
//     override the field name (e.g. WebBaseException named "fault");
//   - request elements the schema requires are always written: no omitempty, and
//     xsd.Nillable (xsi:nil="true") for the nillable ones;
//   - replaces gowsdl's soap.XSDDateTime (and Date, Time) by xsd.DateTime…;
//   - adds Service, Namespace, DefaultPath, each request's OperationName and SOAPAction
//     (from the binding), the imports actually used and the generated-code header.
func postprocess(src []byte, pkg string, f *flat) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "gowsdl.go", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("gowsdl output does not parse: %w", err)
	}
	exprStr := func(e ast.Expr) string {
		var b bytes.Buffer
		_ = printer.Fprint(&b, fset, e)
		return b.String()
	}

	var order []string
	types := map[string]*goType{}
	printed := map[string]string{}
	for _, d := range file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue // functions, "var _ time.Time": the client runtime we do not use
		}
		for _, sp := range gd.Specs {
			ts := sp.(*ast.TypeSpec)
			if _, isIface := ts.Type.(*ast.InterfaceType); isIface {
				continue
			}
			text := exprStr(ts.Type)
			if strings.Contains(text, "soap.Client") {
				continue // the gowsdl client runtime
			}
			text = soapXSD.Replace(text)
			name := ts.Name.Name
			if prev, dup := printed[name]; dup {
				if prev != text {
					return nil, fmt.Errorf("type %s declared twice with different contents", name)
				}
				continue
			}
			printed[name] = text
			order = append(order, name)
			t := &goType{name: name}
			st, isStruct := ts.Type.(*ast.StructType)
			if !isStruct {
				t.expr = text
				types[name] = t
				continue
			}
			t.isStr = true
			for _, fl := range st.Fields.List {
				tag := ""
				if fl.Tag != nil {
					tag, _ = strconv.Unquote(fl.Tag.Value)
				}
				for _, id := range fl.Names {
					t.fields = append(t.fields, &goField{name: id.Name, typ: soapXSD.Replace(exprStr(fl.Type)), tag: tag})
				}
			}
			types[name] = t
		}
	}

	wrappers := map[string]bool{}
	reqTypes := map[string]bool{}
	var queue []string
	for _, op := range f.Ops {
		wrappers[op.Request], wrappers[op.Response] = true, true
		n := upperFirst(op.Request)
		if _, ok := types[n]; !ok {
			return nil, fmt.Errorf("no Go type %s for the request of %s", n, op.Name)
		}
		reqTypes[n] = true
		queue = append(queue, n)
	}
	for len(queue) > 0 {
		t := types[queue[0]]
		queue = queue[1:]
		for _, fl := range t.fields {
			base := strings.TrimLeft(fl.typ, "*[]")
			if bt, ok := types[base]; ok && bt.isStr && !reqTypes[base] {
				reqTypes[base] = true
				queue = append(queue, base)
			}
		}
	}
	schemaOf := map[string]string{}
	for k := range f.Fields {
		schemaOf[upperFirst(k)] = k
	}

	usesXSD := false
	for _, name := range order {
		t := types[name]
		if !t.isStr {
			continue
		}
		kept := t.fields[:0]
		used := map[string]bool{}
		for _, fl := range t.fields {
			st := reflect.StructTag(fl.tag)
			xmlTag := st.Get("xml")
			if fl.name == "XMLName" {
				_, local, hasNS := strings.Cut(xmlTag, " ")
				if !hasNS {
					local = xmlTag
				}
				if !wrappers[local] {
					continue
				}
				fl.tag = fmt.Sprintf("xml:%q", local)
				kept = append(kept, fl)
				used[fl.name] = true
				continue
			}
			fl.name = exportName(fl.name)
			if used[fl.name] {
				return nil, fmt.Errorf("type %s: two fields named %s once exported", name, fl.name)
			}
			used[fl.name] = true
			if reqTypes[name] {
				xmlName, _, _ := strings.Cut(xmlTag, ",")
				props, ok := f.Fields[schemaOf[name]][xmlName]
				if ok && props.MinOccurs != "0" && (props.MaxOccurs == "" || props.MaxOccurs == "1") {
					newXML := strings.ReplaceAll(xmlTag, ",omitempty", "")
					fl.tag = strings.Replace(fl.tag, fmt.Sprintf("xml:%q", xmlTag), fmt.Sprintf("xml:%q", newXML), 1)
					if props.Nillable && strings.HasPrefix(fl.typ, "*") {
						fl.typ = "xsd.Nillable[" + fl.typ[1:] + "]"
						usesXSD = true
					}
				}
			}
			kept = append(kept, fl)
		}
		t.fields = kept
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by wsdlgen (gowsdl v0.5.0 and post-processing) from the Apogée 6.40.30 WSDLs. DO NOT EDIT.\n\n")
	opNames := make([]string, len(f.Ops))
	for i, op := range f.Ops {
		opNames[i] = op.Name
	}
	fmt.Fprintf(&b, "// Package %s holds the types of the Apogée web service %s, operations %s,\n", pkg, f.ServiceName, strings.Join(opNames, ", "))
	fmt.Fprintf(&b, "// generated by connectors/apogee/ws/internal/wsdlgen from (relative to the repository root):\n//\n")
	for _, s := range f.Sources {
		fmt.Fprintf(&b, "//\t%s\n", s)
	}
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	body := new(bytes.Buffer)
	fmt.Fprintf(body, "// Service is the service name, DefaultPath its path under the Apogée web application\n")
	fmt.Fprintf(body, "// (\"…/apo-commun-servicesMetiers\") and Namespace the namespace of its body wrapper\n")
	fmt.Fprintf(body, "// elements in Apogée 6.40.30. Path and namespace vary between releases: they are settings.\n")
	fmt.Fprintf(body, "const (\n\tService = %q\n\tDefaultPath = %q\n\tNamespace = %q\n)\n\n", f.ServiceName, f.Path, f.Namespace)
	for _, name := range order {
		t := types[name]
		if !t.isStr {
			fmt.Fprintf(body, "type %s %s\n\n", name, t.expr)
			continue
		}
		fmt.Fprintf(body, "type %s struct {\n", name)
		for _, fl := range t.fields {
			fmt.Fprintf(body, "\t%s %s `%s`\n", fl.name, fl.typ, fl.tag)
		}
		fmt.Fprintf(body, "}\n\n")
	}
	for _, op := range f.Ops {
		n := upperFirst(op.Request)
		fmt.Fprintf(body, "// OperationName is the operation %s calls.\n", n)
		fmt.Fprintf(body, "func (*%s) OperationName() string { return %q }\n\n", n, op.Name)
		fmt.Fprintf(body, "// SOAPAction is the binding's soapAction for %s. The transport sends it quoted:\n// an empty one goes out as \"\" (gowsdl sent two apostrophes instead).\n", op.Name)
		fmt.Fprintf(body, "func (*%s) SOAPAction() string { return %q }\n\n", n, op.SOAPAction)
	}
	var imports []string
	if bytes.Contains(body.Bytes(), []byte("xml.Name")) {
		imports = append(imports, `"encoding/xml"`)
	}
	if bytes.Contains(body.Bytes(), []byte("time.")) {
		imports = append(imports, `"time"`)
	}
	sort.Strings(imports)
	if usesXSD || bytes.Contains(body.Bytes(), []byte("xsd.")) {
		if len(imports) > 0 {
			imports = append(imports, "")
		}
		imports = append(imports, strconv.Quote(xsdImport))
	}
	if len(imports) > 0 {
		fmt.Fprintf(&b, "import (\n\t%s\n)\n\n", strings.Join(imports, "\n\t"))
	}
	b.Write(body.Bytes())
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generated code does not format: %w\n%s", err, b.String())
	}
	return out, nil
}

// exportName turns "_codEtu" into "CodEtu".
func exportName(s string) string {
	t := strings.TrimLeft(s, "_")
	if t == "" {
		return s
	}
	return upperFirst(t)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
