// Package textfold is the one place where text loses its accents: for searching
// ("eleonore" finds "Éléonore"), comparing names spelled by two systems (HubEE's
// requester and Apogée), and the ASCII-only places (e-mail local parts of the demo
// data, OpenSSH's prompt filter). Ordering is not its job: names are sorted with
// golang.org/x/text/collate (ui/common, connectors/printbatch).
package textfold

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// letters are the ligatures and the letters Unicode does not decompose into a base
// letter and a mark (œ, æ, ß, ł, ø, đ, ı): spelled out first, as French typing does.
var letters = strings.NewReplacer(
	"œ", "oe", "Œ", "OE", "æ", "ae", "Æ", "AE", "ß", "ss", "ẞ", "SS",
	"ł", "l", "Ł", "L", "ø", "o", "Ø", "O", "đ", "d", "Đ", "D", "ı", "i",
)

// A transform.Transformer keeps state: one chain per call in flight.
var chains = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// Unaccent removes the diacritics of s (é → e, Ç → C) and spells out ligatures
// (œ → oe, Æ → AE), keeping case and everything else.
func Unaccent(s string) string {
	if isASCII(s) {
		return s
	}
	s = letters.Replace(s)
	t := chains.Get().(transform.Transformer)
	defer chains.Put(t)
	out, _, err := transform.String(t, s)
	if err != nil { // invalid UTF-8 is passed through by norm; keep s rather than lose it
		return s
	}
	return out
}

// Fold is s lower-cased and without accents: the key for searching and comparing.
func Fold(s string) string { return strings.ToLower(Unaccent(s)) }

// ASCII transliterates s to printable ASCII for the places that take nothing else
// (HTTP header values, RFC 9110 §5.5; OpenSSH's prompt filter, which mangles other
// bytes): Unaccent, then typographic quotes, apostrophes and dashes to their ASCII
// counterparts, any white space to a space, any other character to '?'.
func ASCII(s string) string {
	s = Unaccent(s)
	if isPrintableASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r == '«' || r == '»' || r == '“' || r == '”':
			b.WriteByte('"')
		case r == '’' || r == '‘':
			b.WriteByte('\'')
		case r == '–' || r == '—':
			b.WriteByte('-')
		case unicode.IsSpace(r): // tab, new line, no-break spaces
			b.WriteByte(' ')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
