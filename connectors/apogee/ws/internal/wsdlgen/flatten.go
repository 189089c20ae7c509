package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// operation is one kept operation of the binding.
type operation struct {
	Name       string
	SOAPAction string
	Request    string // request wrapper element (local name, in the service namespace)
	Response   string // response wrapper element
}

// elemProps is what the schema says of one element inside a complex type.
type elemProps struct {
	Nillable  bool
	MinOccurs string
	MaxOccurs string
}

// flat is one self-contained WSDL and what the post-processing needs to know of it.
type flat struct {
	WSDL        string
	Namespace   string // target namespace of the abstract WSDL = body wrapper namespace
	ServiceName string // e.g. EtudiantMetier (the port name)
	Path        string // path of the service address, from "/services/"
	Sources     []string
	Ops         []operation
	// Fields maps a type name (complexType name, or element name for the anonymous
	// type of a wrapper element) to its child elements.
	Fields map[string]map[string]elemProps
}

var schemaLocationAttr = regexp.MustCompile(`\s+schemaLocation\s*=\s*("[^"]*"|'[^']*')`)

// flatten builds one WSDL from the Impl WSDL (binding and service), the abstract WSDL it
// imports (types, messages, port type) and the whole closure of XSD files, keeping only
// the operations named. gowsdl v0.5.0 follows neither wsdl:import nor deep xsd:import.
func flatten(implPath string, ops []string, root string) (*flat, error) {
	impl, err := loadDoc(implPath)
	if err != nil {
		return nil, err
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil {
			return filepath.ToSlash(r)
		}
		return filepath.ToSlash(p)
	}
	imp := impl.root.child(nsWSDL, "import")
	if imp == nil {
		return nil, fmt.Errorf("%s: pas de wsdl:import", implPath)
	}
	absPath := filepath.Join(filepath.Dir(implPath), imp.attr("location"))
	abs, err := loadDoc(absPath)
	if err != nil {
		return nil, err
	}
	tns := abs.root.attr("targetNamespace")
	tnsPrefix, ok := prefixFor(abs.root, tns)
	if !ok {
		return nil, fmt.Errorf("%s: aucun préfixe pour %s", absPath, tns)
	}
	out := &flat{Namespace: tns, Fields: map[string]map[string]elemProps{},
		Sources: []string{rel(implPath), rel(absPath)}}

	want := map[string]bool{}
	for _, o := range ops {
		want[o] = true
	}

	// Port type: the kept operations and the messages they use.
	pt := abs.root.child(nsWSDL, "portType")
	if pt == nil {
		return nil, fmt.Errorf("%s: pas de wsdl:portType", absPath)
	}
	var ptOps []*node
	msgNeeded := map[string]bool{}
	opMsgs := map[string][2]string{}
	for _, o := range pt.children(nsWSDL, "operation") {
		if !want[o.attr("name")] {
			continue
		}
		ptOps = append(ptOps, o)
		var io [2]string
		for _, c := range o.kids {
			if m := c.attr("message"); m != "" {
				q := c.qname(m)
				msgNeeded[q.Local] = true
				switch c.name.Local {
				case "input":
					io[0] = q.Local
				case "output":
					io[1] = q.Local
				}
			}
		}
		opMsgs[o.attr("name")] = io
	}
	if len(ptOps) != len(ops) {
		return nil, fmt.Errorf("%s: opérations introuvables parmi %v", absPath, ops)
	}
	var msgs []*node
	msgElem := map[string]string{}
	elemNeeded := map[string]bool{}
	for _, m := range abs.root.children(nsWSDL, "message") {
		if !msgNeeded[m.attr("name")] {
			continue
		}
		msgs = append(msgs, m)
		for _, p := range m.children(nsWSDL, "part") {
			q := p.qname(p.attr("element"))
			if q.Space != tns {
				return nil, fmt.Errorf("%s: part %s hors de l'espace %s", absPath, q.Local, tns)
			}
			elemNeeded[q.Local] = true
			msgElem[m.attr("name")] = q.Local
		}
	}

	// Main schema: kept elements, and the namespaces their types come from.
	types := abs.root.child(nsWSDL, "types")
	var mainSchema *node
	if types != nil {
		mainSchema = types.child(nsXSD, "schema")
	}
	if mainSchema == nil {
		return nil, fmt.Errorf("%s: pas de schéma dans wsdl:types", absPath)
	}
	loc := map[string]string{}
	for _, i := range mainSchema.children(nsXSD, "import") {
		if l := i.attr("schemaLocation"); l != "" {
			loc[i.attr("namespace")] = filepath.Join(filepath.Dir(absPath), l)
		}
	}
	var elems []*node
	nsNeeded := map[string]bool{}
	for _, e := range mainSchema.children(nsXSD, "element") {
		if !elemNeeded[e.attr("name")] {
			continue
		}
		elems = append(elems, e)
		e.walk(func(x *node) {
			for _, a := range []string{"type", "ref", "base"} {
				if v := x.attr(a); v != "" {
					if q := x.qname(v); q.Space != nsXSD && q.Space != tns {
						nsNeeded[q.Space] = true
					}
				}
			}
		})
		collectFields(e.attr("name"), e, out.Fields)
	}
	if len(elems) != len(elemNeeded) {
		return nil, fmt.Errorf("%s: éléments manquants dans le schéma", absPath)
	}
	nsList := sortedKeys(nsNeeded)

	// XSD closure, depth first in a stable order, each file once.
	var xsds []*doc
	seen := map[string]bool{}
	var visit func(string) error
	visit = func(p string) error {
		p = filepath.Clean(p)
		if seen[p] {
			return nil
		}
		seen[p] = true
		d, err := loadDoc(p)
		if err != nil {
			return err
		}
		xsds = append(xsds, d)
		out.Sources = append(out.Sources, rel(p))
		for _, k := range d.root.kids {
			if (k.is(nsXSD, "import") || k.is(nsXSD, "include")) && k.attr("schemaLocation") != "" {
				if err := visit(filepath.Join(filepath.Dir(p), k.attr("schemaLocation"))); err != nil {
					return err
				}
			}
		}
		for _, ct := range d.root.children(nsXSD, "complexType") {
			collectFields(ct.attr("name"), ct, out.Fields)
		}
		return nil
	}
	for _, ns := range nsList {
		l, ok := loc[ns]
		if !ok {
			return nil, fmt.Errorf("%s: pas de schemaLocation pour %s", absPath, ns)
		}
		if err := visit(l); err != nil {
			return nil, err
		}
	}

	// Binding and service from the Impl WSDL.
	binding := impl.root.child(nsWSDL, "binding")
	service := impl.root.child(nsWSDL, "service")
	if binding == nil || service == nil {
		return nil, fmt.Errorf("%s: binding ou service absent", implPath)
	}
	soapBinding := binding.child(nsSOAP, "binding")
	if soapBinding == nil || soapBinding.attr("style") != "document" {
		return nil, fmt.Errorf("%s: binding SOAP document attendu", implPath)
	}
	var bOps []*node
	for _, o := range binding.children(nsWSDL, "operation") {
		if !want[o.attr("name")] {
			continue
		}
		bOps = append(bOps, o)
		so := o.child(nsSOAP, "operation")
		if so == nil {
			return nil, fmt.Errorf("%s: %s sans soap:operation", implPath, o.attr("name"))
		}
		io := opMsgs[o.attr("name")]
		out.Ops = append(out.Ops, operation{Name: o.attr("name"), SOAPAction: so.attr("soapAction"),
			Request: msgElem[io[0]], Response: msgElem[io[1]]})
	}
	if len(bOps) != len(ops) {
		return nil, fmt.Errorf("%s: opérations absentes du binding", implPath)
	}
	sort.Slice(out.Ops, func(i, j int) bool { return out.Ops[i].Name < out.Ops[j].Name })
	port := service.child(nsWSDL, "port")
	if port == nil {
		return nil, fmt.Errorf("%s: service sans port", implPath)
	}
	out.ServiceName = port.attr("name")
	if a := port.child(nsSOAP, "address"); a != nil {
		if u, err := url.Parse(a.attr("location")); err == nil {
			if i := strings.Index(u.Path, "/services/"); i >= 0 {
				out.Path = u.Path[i:]
			}
		}
	}
	if out.Path == "" {
		out.Path = "/services/" + out.ServiceName
	}

	// Namespace declarations the Impl parts need on the new root.
	rootTag := abs.startTag(abs.root)
	extra := ""
	for _, n := range []*node{binding, service} {
		n.walk(func(x *node) {
			p, _, ok := strings.Cut(tagName(impl, x), ":")
			if !ok {
				return
			}
			if u, ok := abs.root.ns[p]; ok {
				if u != x.name.Space {
					err = fmt.Errorf("préfixe %s : %s dans %s, %s dans %s", p, x.name.Space, implPath, u, absPath)
				}
				return
			}
			if !strings.Contains(extra, " xmlns:"+p+"=") {
				extra += fmt.Sprintf(" xmlns:%s=%q", p, x.name.Space)
			}
		})
	}
	if err != nil {
		return nil, err
	}
	rootTag = strings.TrimSuffix(rootTag, ">") + extra + ">"

	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	b.WriteString(rootTag + "\n")
	b.WriteString(abs.startTag(types) + "\n")
	b.WriteString(abs.startTag(mainSchema) + "\n")
	xsPrefix := ""
	if p, _, ok := strings.Cut(tagName(abs, mainSchema), ":"); ok {
		xsPrefix = p + ":"
	}
	for _, ns := range nsList {
		fmt.Fprintf(&b, "<%simport namespace=%q/>\n", xsPrefix, ns)
	}
	for _, e := range elems {
		b.WriteString(abs.text(e) + "\n")
	}
	b.WriteString(abs.endTag(mainSchema) + "\n")
	for _, d := range xsds {
		b.WriteString(schemaLocationAttr.ReplaceAllString(d.text(d.root), "") + "\n")
	}
	b.WriteString(abs.endTag(types) + "\n")
	for _, m := range msgs {
		b.WriteString(abs.text(m) + "\n")
	}
	b.WriteString(abs.startTag(pt) + "\n")
	for _, o := range ptOps {
		b.WriteString(abs.text(o) + "\n")
	}
	b.WriteString(abs.endTag(pt) + "\n")
	b.WriteString(requalify(impl.startTag(binding), "type", tnsPrefix) + "\n")
	b.WriteString(impl.text(soapBinding) + "\n")
	for _, o := range bOps {
		b.WriteString(impl.text(o) + "\n")
	}
	b.WriteString(impl.endTag(binding) + "\n")
	b.WriteString(requalify(impl.text(service), "binding", tnsPrefix) + "\n")
	b.WriteString(abs.endTag(abs.root) + "\n")
	out.WSDL = b.String()
	if _, err := parseTree(out.WSDL); err != nil {
		return nil, fmt.Errorf("WSDL aplati mal formé pour %s: %w", implPath, err)
	}
	return out, nil
}

// tagName is the element's name as written, with its prefix.
func tagName(d *doc, n *node) string {
	s := d.src[n.start+1:]
	if i := strings.IndexAny(s, " \t\r\n/>"); i >= 0 {
		return s[:i]
	}
	return s
}

// requalify rewrites the prefix of every attr="prefix:Name" in s to prefix p: the Impl
// WSDL names its binding in its own "-impl" namespace, the merged one in the abstract's.
func requalify(s, attr, p string) string {
	re := regexp.MustCompile(`(\s` + attr + `=")[A-Za-z_][\w.-]*:`)
	return re.ReplaceAllString(s, "${1}"+p+":")
}

// collectFields records the child elements of a complex type (or of an element's
// anonymous type) under name.
func collectFields(name string, n *node, into map[string]map[string]elemProps) {
	if name == "" {
		return
	}
	fields := map[string]elemProps{}
	var rec func(*node)
	rec = func(x *node) {
		for _, k := range x.kids {
			switch {
			case k.is(nsXSD, "element"):
				p := elemProps{Nillable: k.attr("nillable") == "true", MinOccurs: k.attr("minOccurs"), MaxOccurs: k.attr("maxOccurs")}
				fields[k.attr("name")] = p
			case k.is(nsXSD, "complexType"), k.is(nsXSD, "sequence"), k.is(nsXSD, "all"), k.is(nsXSD, "choice"),
				k.is(nsXSD, "complexContent"), k.is(nsXSD, "extension"):
				rec(k)
			}
		}
	}
	rec(n)
	if _, dup := into[name]; !dup {
		into[name] = fields
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
