package attest_test

import (
	"errors"
	"testing"
	"time"

	"hypercerts/attest"
)

func TestTokenRoundTripAndKeyList(t *testing.T) {
	k, err := attest.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	c := attest.Claims{Reference: "4ZCD-26RG-W84", Name: "Anaïs DUPONT", Label: "Licence Mathématiques", Issued: "2026-11-23", Issuer: "Université de Démo"}
	tok, err := attest.Sign(k, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) > 400 {
		t.Errorf("token of %d characters: the QR code grows", len(tok))
	}
	jwks, err := attest.PublicKeys{{ID: k.ID, Key: k.Public(), Created: time.Now()}}.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	pubs, err := attest.ParseJWKS(jwks) // what an offline verifier downloads
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{tok, "https://verif.univ.fr/a/" + tok, "verif.univ.fr/a/" + tok + "?utm=x", " " + tok + "\n"} {
		got, kid, err := attest.Verify(attest.TokenFrom(in), pubs)
		if err != nil || got != c || kid != k.ID {
			t.Errorf("Verify(%.40q…) = %+v, %s, %v", in, got, kid, err)
		}
	}
	for _, bad := range []string{"", "!!!", "AAAA", tok[:len(tok)-10]} {
		if _, _, err := attest.Verify(bad, pubs); !errors.Is(err, attest.ErrMalformed) {
			t.Errorf("Verify(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}
