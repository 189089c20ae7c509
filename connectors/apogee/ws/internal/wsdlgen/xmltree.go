package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"regexp"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Namespaces of the specifications the WSDLs are written in.
const (
	nsWSDL = "http://schemas.xmlsoap.org/wsdl/"
	nsSOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsXSD  = "http://www.w3.org/2001/XMLSchema"
)

// doc is one WSDL or XSD file, converted to UTF-8, comments removed, with its element tree.
type doc struct {
	path string
	src  string
	root *node
}

// node is one element of a doc; start and end are byte offsets of its source text.
type node struct {
	name       xml.Name
	attrs      []xml.Attr
	start, end int
	ns         map[string]string // prefix -> namespace in scope ("" is the default one)
	kids       []*node
}

var (
	xmlDecl  = regexp.MustCompile(`^\s*<\?xml[^>]*\?>\s*`)
	encAttr  = regexp.MustCompile(`encoding=["']([^"']+)["']`)
	comments = regexp.MustCompile(`(?s)<!--.*?-->`)
)

// loadDoc reads path, converts it from its declared encoding (ISO-8859-15 for the AMUE
// files) to UTF-8, drops the XML declaration and the comments, and parses it.
func loadDoc(path string) (*doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if m := xmlDecl.Find(raw); m != nil {
		enc := "UTF-8"
		if e := encAttr.FindSubmatch(m); e != nil {
			enc = strings.ToUpper(string(e[1]))
		}
		switch enc {
		case "UTF-8":
		case "ISO-8859-15":
			raw, err = charmap.ISO8859_15.NewDecoder().Bytes(raw)
		case "ISO-8859-1", "LATIN1":
			raw, err = charmap.ISO8859_1.NewDecoder().Bytes(raw)
		default:
			return nil, fmt.Errorf("%s: encodage %s non pris en charge", path, enc)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: conversion en UTF-8: %w", path, err)
		}
		raw = xmlDecl.ReplaceAll(raw, nil)
	}
	src := comments.ReplaceAllString(string(raw), "")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	root, err := parseTree(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &doc{path: path, src: src, root: root}, nil
}

func parseTree(src string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(src))
	var stack []*node
	var root *node
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err != nil {
			if root != nil && len(stack) == 0 {
				return root, nil
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attrs: t.Attr, start: off, ns: map[string]string{}}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				for k, v := range p.ns {
					n.ns[k] = v
				}
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.ns[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.ns[""] = a.Value
				}
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.end = int(d.InputOffset())
			stack = stack[:len(stack)-1]
		}
	}
}

func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (n *node) is(space, local string) bool { return n.name.Space == space && n.name.Local == local }

// children returns the direct children named {space}local.
func (n *node) children(space, local string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.is(space, local) {
			out = append(out, k)
		}
	}
	return out
}

func (n *node) child(space, local string) *node {
	if c := n.children(space, local); len(c) > 0 {
		return c[0]
	}
	return nil
}

// walk calls f on n and all its descendants, in document order.
func (n *node) walk(f func(*node)) {
	f(n)
	for _, k := range n.kids {
		k.walk(f)
	}
}

// qname resolves a QName attribute value ("tns3:Foo") in n's scope.
func (n *node) qname(v string) xml.Name {
	if p, l, ok := strings.Cut(v, ":"); ok {
		return xml.Name{Space: n.ns[p], Local: l}
	}
	return xml.Name{Space: n.ns[""], Local: v}
}

// text is the element's source text.
func (d *doc) text(n *node) string { return d.src[n.start:n.end] }

// startTag is the source text of the element's start tag.
func (d *doc) startTag(n *node) string {
	s := d.src[n.start:n.end]
	var quote byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			tag := s[:i+1]
			if strings.HasSuffix(tag, "/>") { // self-closing: reopen it
				tag = strings.TrimSpace(strings.TrimSuffix(tag, "/>")) + ">"
			}
			return tag
		}
	}
	return s
}

// endTag is the source text of the element's end tag ("" for a self-closing one).
func (d *doc) endTag(n *node) string {
	s := d.src[n.start:n.end]
	if strings.HasSuffix(s, "/>") && !strings.Contains(s, "</") {
		return ""
	}
	i := strings.LastIndex(s, "</")
	return s[i:]
}

// prefixFor finds a prefix bound to ns in n's scope.
func prefixFor(n *node, ns string) (string, bool) {
	var best string
	found := false
	for p, u := range n.ns {
		if u == ns && p != "" && (!found || p < best) {
			best, found = p, true
		}
	}
	return best, found
}
