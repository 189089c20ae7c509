package render

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"

	"hypercerts/attest"
)

// What `hypercerts verify` reads back from a PDF this package wrote. It knows how fpdf
// writes text (UTF-16BE strings shown with Tj, in FlateDecode page streams) and reads
// nothing else: a PDF rewritten by another program may not be readable, which verify
// reports as such rather than guessing.

var (
	streamRe   = regexp.MustCompile(`(?s)<<([^>]*(?:>[^>][^>]*)*)>>\s*stream\r?\n`)
	keywordsRe = regexp.MustCompile(`/Keywords \(` + regexp.QuoteMeta(keywordPrefix) + `([A-Za-z0-9_-]+)\)`)
)

// maxPageStream bounds one decompressed page stream (an attestation's is ~10 KB).
const maxPageStream = 8 << 20

// ErrNoToken says a PDF carries no hypercerts token.
var ErrNoToken = errors.New("aucun jeton hypercerts dans ce PDF (pas une attestation hypercerts, ou antérieure aux QR codes)")

// TokenOf returns the token a PDF carries in its metadata (the same as its QR code).
// With incremental updates, the last one written wins.
func TokenOf(pdf []byte) (string, error) {
	m := keywordsRe.FindAllSubmatch(pdf, -1)
	if len(m) == 0 {
		return "", ErrNoToken
	}
	return string(m[len(m)-1][1]), nil
}

// PageText is the text shown on the PDF's pages, each string separated by a space.
func PageText(pdf []byte) (string, error) {
	var out strings.Builder
	for _, loc := range streamRe.FindAllSubmatchIndex(pdf, -1) {
		dict := pdf[loc[2]:loc[3]]
		if !bytes.Contains(dict, []byte("/FlateDecode")) || bytes.Contains(dict, []byte("/Length1")) ||
			bytes.Contains(dict, []byte("/Subtype /Image")) {
			continue
		}
		end := bytes.Index(pdf[loc[1]:], []byte("endstream"))
		if end < 0 {
			return "", errors.New("PDF tronqué (flux sans fin)")
		}
		zr, err := zlib.NewReader(bytes.NewReader(pdf[loc[1] : loc[1]+end]))
		if err != nil {
			continue
		}
		// Bounded: a PDF a stranger hands to `verify` may hold a deflate bomb.
		content, err := io.ReadAll(io.LimitReader(zr, maxPageStream+1))
		if len(content) > maxPageStream {
			return "", errors.New("flux de page démesuré (plus de 8 Mio décompressés) : pas une attestation hypercerts")
		}
		if err != nil || !bytes.Contains(content, []byte("BT")) {
			continue
		}
		showStrings(content, &out)
	}
	return strings.Join(strings.Fields(out.String()), " "), nil
}

// showStrings appends the literal strings shown with Tj in a content stream.
func showStrings(c []byte, out *strings.Builder) {
	for i := 0; i < len(c); i++ {
		if c[i] != '(' {
			continue
		}
		var s []byte
		j := i + 1
		for ; j < len(c) && c[j] != ')'; j++ {
			if c[j] == '\\' && j+1 < len(c) {
				j++
				switch c[j] {
				case 'r':
					s = append(s, '\r')
				case 'n':
					s = append(s, '\n')
				default:
					s = append(s, c[j])
				}
				continue
			}
			s = append(s, c[j])
		}
		rest := bytes.TrimLeft(c[min(j+1, len(c)):], " ")
		if bytes.HasPrefix(rest, []byte("Tj")) && len(s)%2 == 0 {
			u := make([]uint16, len(s)/2)
			for k := range u {
				u[k] = uint16(s[2*k])<<8 | uint16(s[2*k+1])
			}
			out.WriteString(string(utf16.Decode(u)))
			out.WriteByte(' ')
		}
		i = j
	}
}

// Statements are the phrases a page with claims c prints, named for messages: what
// `verify` looks for in the PDF's text.
func Statements(c attest.Claims) [][2]string {
	s := [][2]string{
		{"nom", c.Name},
		{"diplôme", c.Label},
		{"référence", "Référence " + c.Reference},
		{"université", c.Issuer},
	}
	if d, ok := isoDate(c.BirthDate); ok {
		s = append(s, [2]string{"date de naissance", "le " + d})
	}
	if c.Year != "" {
		s = append(s, [2]string{"année", "année universitaire " + c.Year})
	}
	if c.Mention != "" {
		s = append(s, [2]string{"mention", "Mention : " + c.Mention})
	}
	if c.ECTS != "" {
		s = append(s, [2]string{"crédits", "Crédits européens : " + ects(c.ECTS) + " ECTS"})
	}
	if d, ok := isoDate(c.Issued); ok {
		s = append(s, [2]string{"date de délivrance", ", le " + d})
	}
	if c.Student != "" {
		s = append(s, [2]string{"numéro étudiant", "N° étudiant : " + c.Student})
	}
	return s
}
