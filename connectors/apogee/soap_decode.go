package apogee

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Decoding a response: charsets, a size bound, and the two forms encoding/xml would
// silently misread (xsi:nil and rpc/encoded references).

// defaultMaxResponse bounds a response body when WSConfig.MaxResponseBytes is zero: far
// above any real answer (a whole VET's students is some hundreds of kilobytes).
const defaultMaxResponse = 8 << 20

var errBodyTooLarge = errors.New("réponse trop grande")

// limitedReader reads at most left bytes, then fails with errBodyTooLarge (io.LimitReader
// would end with a silent EOF and a truncated document). err keeps a read error of the
// underlying body (network), to tell it from malformed XML.
type limitedReader struct {
	r    io.Reader
	left int64
	err  error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a body of exactly the limit from a larger one.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errBodyTooLarge
		}
		if err != nil && err != io.EOF {
			l.err = err
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

// charsetEncoding maps the charsets an Axis 1 server or AMUE's files (ISO-8859-15) may
// declare. nil, nil is UTF-8 (nothing to convert).
func charsetEncoding(label string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil, nil
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
		return charmap.ISO8859_1, nil
	case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin9", "latin-9", "l9":
		return charmap.ISO8859_15, nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252, nil
	case "utf-16":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), nil
	}
	return nil, fmt.Errorf("jeu de caractères %q non pris en charge (attendus : UTF-8, ISO-8859-1, ISO-8859-15, windows-1252)", label)
}

// newResponseDecoder reads body as XML. The charset comes from the XML declaration, or
// else from the Content-Type header (a document without declaration is UTF-8 for the XML
// parser, but Axis may send Latin-1 announced only in the header). Elements carrying
// xsi:nil="true" are dropped, so a nil number stays a nil pointer instead of becoming 0;
// rpc/encoded references (href, multiRef) are refused.
func newResponseDecoder(body io.Reader, contentType string) (*xml.Decoder, error) {
	var headerCharset string
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		headerCharset = params["charset"]
	}
	enc, err := charsetEncoding(headerCharset)
	if err != nil {
		return nil, err
	}
	raw := xml.NewDecoder(body)
	if enc != nil {
		// Convert the whole stream once; the XML declaration, if any, names the same
		// charset and must not convert again.
		raw = xml.NewDecoder(enc.NewDecoder().Reader(body))
		raw.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
			if _, err := charsetEncoding(label); err != nil {
				return nil, err
			}
			return in, nil
		}
	} else {
		raw.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
			e, err := charsetEncoding(label)
			if err != nil || e == nil {
				return in, err
			}
			return e.NewDecoder().Reader(in), nil
		}
	}
	return xml.NewTokenDecoder(&nilFilter{d: raw}), nil
}

var errEncoded = errors.New("références multiRef/href")

// nilFilter passes tokens through, minus the elements marked xsi:nil="true" (the
// decoder then leaves their field nil), and fails on SOAP-encoding references, which
// encoding/xml would read as empty elements.
type nilFilter struct {
	d *xml.Decoder
}

func (f *nilFilter) Token() (xml.Token, error) {
	for {
		tok, err := f.d.Token()
		if err != nil {
			return tok, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			return tok, nil
		}
		if se.Name.Local == "multiRef" {
			return nil, fmt.Errorf("%w : élément <multiRef>", errEncoded)
		}
		isNil := false
		for _, a := range se.Attr {
			switch {
			case a.Name.Space == "" && a.Name.Local == "href" && strings.HasPrefix(a.Value, "#"):
				return nil, fmt.Errorf("%w : <%s href=%q>", errEncoded, se.Name.Local, a.Value)
			case a.Name.Space == nsXSI && a.Name.Local == "nil" && (a.Value == "true" || a.Value == "1"):
				isNil = true
			}
		}
		if !isNil {
			return se, nil
		}
		if err := f.d.Skip(); err != nil {
			return nil, err
		}
	}
}

const nsXSI = "http://www.w3.org/2001/XMLSchema-instance"
