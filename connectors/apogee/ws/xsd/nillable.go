// Package xsd holds the one XML Schema construct encoding/xml cannot express and the
// generated Apogée clients need: a nillable element that must always be written.
package xsd

import "encoding/xml"

// NamespaceXSI is the XML Schema instance namespace (xsi:nil).
const NamespaceXSI = "http://www.w3.org/2001/XMLSchema-instance"

// Nillable is an element declared nillable="true" without minOccurs="0": the schema
// requires it, so it is always written, as <x xsi:nil="true"/> when Value is nil
// (encoding/xml would silently drop a nil pointer and make the request invalid).
type Nillable[T any] struct {
	Value *T
}

// Of is a present value.
func Of[T any](v T) Nillable[T] { return Nillable[T]{Value: &v} }

// Get returns the value and whether it is present.
func (n Nillable[T]) Get() (T, bool) {
	if n.Value == nil {
		var zero T
		return zero, false
	}
	return *n.Value, true
}

// MarshalXML writes the element, or an empty element carrying xsi:nil="true". The xsi
// prefix is declared on the element itself so the fragment stands alone.
func (n Nillable[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if n.Value != nil {
		return e.EncodeElement(*n.Value, start)
	}
	start.Attr = append(start.Attr,
		xml.Attr{Name: xml.Name{Local: "xmlns:xsi"}, Value: NamespaceXSI},
		xml.Attr{Name: xml.Name{Local: "xsi:nil"}, Value: "true"})
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML reads the element; xsi:nil="true" gives a nil Value.
func (n *Nillable[T]) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		if a.Name.Local == "nil" && (a.Name.Space == NamespaceXSI || a.Name.Space == "xsi") &&
			(a.Value == "true" || a.Value == "1") {
			n.Value = nil
			return d.Skip()
		}
	}
	v := new(T)
	if err := d.DecodeElement(v, &start); err != nil {
		return err
	}
	n.Value = v
	return nil
}
