package attest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds the token decoder what a stranger may put in a QR code or a URL:
// it never panics, refuses with ErrMalformed (or a verdict) rather than anything
// else, accepts nothing over MaxToken, and a token it reads has its mandatory claims.
// Seeds: a real token, and under testdata/fuzz/FuzzParse CBOR bombs (deep nesting,
// huge declared lengths) and base45 text.
func FuzzParse(f *testing.F) {
	key, err := KeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	tok, err := Sign(key, Claims{Reference: "4ZCD-26RG-W84", Name: "Élodie N'DIAYE", Label: "Licence", Issued: "2026-11-23", Issuer: "Université"})
	if err != nil {
		f.Fatal(err)
	}
	pubs := PublicKeys{{ID: key.ID, Key: key.Public()}}
	f.Add(tok)
	f.Add(URL("https://verification.univ.fr", tok))
	f.Add(tok[:len(tok)/2])
	f.Add("")
	f.Add("HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0B")                                 // base45, EU style
	f.Add(base64.RawURLEncoding.EncodeToString(append([]byte{0xd2}, bytes.Repeat([]byte{0x81}, 3000)...))) // [[[[…
	f.Add(base64.RawURLEncoding.EncodeToString([]byte{0xd2, 0x84, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	f.Fuzz(func(t *testing.T, s string) {
		c, _, _, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error not ErrMalformed: %v", err)
			}
		} else {
			if len(strings.TrimSpace(s)) > MaxToken {
				t.Fatalf("accepted %d characters", len(s))
			}
			if c.Reference == "" || c.Name == "" || c.Label == "" || c.Issued == "" {
				t.Fatalf("accepted without mandatory claims: %+v", c)
			}
		}
		_, _, err = Verify(TokenFrom(s), pubs)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Verify error of no known kind: %v", err)
		}
	})
}

// FuzzTokenRoundTrip: whatever text a claim holds (accents, quotes, control
// characters, long labels), the signed token reads back the same and verifies, and
// the QR code's URL gives the token back. A claim that is not UTF-8 is refused when
// signing (the seed testdata/fuzz/FuzzTokenRoundTrip/74230c82728d442d found it).
func FuzzTokenRoundTrip(f *testing.F) {
	key, err := KeyFromSeed(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		f.Fatal(err)
	}
	pubs := PublicKeys{{ID: key.ID, Key: key.Public()}}
	f.Add("Łukasz WIŚNIEWSKA", "Licence Sciences, technologies, santé mention Mathématiques")
	f.Add("N'DIAYE \"x\" <b>", "a/a/?#%")
	f.Fuzz(func(t *testing.T, name, label string) {
		if name == "" || label == "" {
			return
		}
		in := Claims{Reference: "4ZCD-26RG-W84", Name: name, Label: label, Issued: "2026-11-23", Issuer: "U"}
		tok, err := Sign(key, in)
		if !utf8.ValidString(name) || !utf8.ValidString(label) {
			if err == nil {
				t.Fatal("signed a claim that is not UTF-8: the token could never be read")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) > MaxToken {
			return // too long for a QR code: Parse refuses it, by design
		}
		out, _, err := Verify(TokenFrom(URL("https://v.univ.fr/", tok)), pubs)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if out != in {
			t.Fatalf("round trip: %+v != %+v", out, in)
		}
	})
}
