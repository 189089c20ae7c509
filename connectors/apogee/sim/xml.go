package sim

import (
	"bufio"
	"database/sql"
	"encoding/xml"
	"io"
	"strings"
	"sync"
)

// node is a parse of a request by local names. The namespace is kept (space) but only
// the Envelope's is checked: Axis 1 answers an envelope in an unknown namespace with a
// VersionMismatch fault, and finds a wrapped document/literal operation by its local
// name when its QName does not match ("Try ignoring the namespace" in Axis 1.4's
// ServiceDesc.getOperationsByQName), so a wrong operation namespace is accepted there
// as here (docs/apogee-sim.md).
type node struct {
	name  string
	space string
	text  string
	nil   bool
	kids  []*node
}

func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// val is the trimmed text of a child; "" when absent or nil.
func (n *node) val(name string) string {
	c := n.child(name)
	if c == nil || c.nil {
		return ""
	}
	return strings.TrimSpace(c.text)
}

// requestReaders are the buffered readers requests are parsed through: xml.NewDecoder
// allocates a 4 KB one per request unless given an io.ByteReader (a launch makes
// three calls per student).
var requestReaders = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

func parseXML(r io.Reader) (*node, error) {
	br := requestReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() { br.Reset(nil); requestReaders.Put(br) }() // the tree holds copies
	dec := xml.NewDecoder(br)
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, space: t.Name.Space}
			for _, at := range t.Attr {
				if at.Name.Local == "nil" && (at.Value == "true" || at.Value == "1") {
					n.nil = true
				}
			}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top := stack[len(stack)-1]
			top.text += string(t)
		}
	}
	return root, nil
}

// w writes a response body: unqualified children, xsi:nil for absent values.
type w struct{ b strings.Builder }

func (x *w) open(name string)  { x.b.WriteString("<" + name + ">") }
func (x *w) close(name string) { x.b.WriteString("</" + name + ">") }
func (x *w) nil(names ...string) {
	for _, n := range names {
		x.b.WriteString("<" + n + ` xsi:nil="true"/>`)
	}
}

// str writes a value, "" as an empty element.
func (x *w) str(name, v string) {
	x.b.WriteString("<" + name + ">")
	_ = xml.EscapeText(&x.b, []byte(v))
	x.b.WriteString("</" + name + ">")
}

// opt writes a nullable value.
func (x *w) opt(name string, v sql.NullString) {
	if !v.Valid {
		x.nil(name)
		return
	}
	x.str(name, v.String)
}

// optS writes "" as nil.
func (x *w) optS(name, v string) {
	if v == "" {
		x.nil(name)
		return
	}
	x.str(name, v)
}
