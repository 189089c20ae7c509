package verify_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/render"
	"hypercerts/verify"
)

func setup(t *testing.T) (*attest.PrivateKey, *render.Renderer, domain.Attestation) {
	key, err := attest.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.Options{University: "Université de Démo", City: "Lyon", Key: key, VerifyURL: "https://verif.example"})
	if err != nil {
		t.Fatal(err)
	}
	a := domain.Attestation{Reference: domain.CampaignReference("C1", "21900042"),
		Student:      domain.Student{Code: "21900042", LastName: "Dupont", FirstName1: "Anaïs", BirthDate: time.Date(2001, 3, 1, 0, 0, 0, 0, time.UTC)},
		DiplomaLabel: "Licence Mathématiques", YearLabel: "2024-2025", Mention: domain.Mention{Label: "Bien"}, ECTS: "180",
		IssuedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	return key, r, a
}

func pdfOf(t *testing.T, r *render.Renderer, a domain.Attestation) []byte {
	var buf bytes.Buffer
	if err := r.Render(&buf, a); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerdicts(t *testing.T) {
	key, r, a := setup(t)
	pubs := attest.PublicKeys{{ID: key.ID, Key: key.Public()}}
	pdf := pdfOf(t, r, a)
	tok, _ := render.TokenOf(pdf)
	var revoked *domain.Revocation
	chk := verify.Checker{Keys: pubs, Revoked: func(string) (*domain.Revocation, error) { return revoked, nil }}

	if res := chk.PDF(pdf); res.Verdict != verify.Authentic || len(res.Problems) != 0 || !res.RevocationChecked {
		t.Fatalf("genuine PDF: %+v", res)
	}
	if res := chk.Token(attest.URL("https://verif.example", tok)); res.Verdict != verify.Authentic || res.Claims.Name != "Anaïs DUPONT" {
		t.Fatalf("URL: %+v", res)
	}

	// The PDF of another student, carrying this token: the text differs.
	b := a
	b.Student.LastName, b.Mention.Label = "Martin", "Très bien"
	other := pdfOf(t, r, b)
	otherTok, _ := render.TokenOf(other)
	swapped := bytes.ReplaceAll(other, []byte(otherTok), []byte(tok))
	res := chk.PDF(swapped)
	if res.Verdict != verify.Modified || res.Verdict.ExitCode() != verify.ExitModified {
		t.Fatalf("swapped token: %+v", res)
	}
	var out strings.Builder
	res.WriteText(&out)
	for _, want := range []string{"Attestation MODIFIÉE", "nom : le jeton dit « Anaïs DUPONT »", "mention : le jeton dit « Mention : Bien »"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// A token whose content was changed: its signature no longer matches.
	// A token whose claims were changed, signature kept: it no longer matches.
	if res := chk.Token(forge(t, tok)); res.Verdict != verify.Modified || !strings.Contains(res.Problems[0], "modifié") {
		t.Errorf("tampered token: %+v", res)
	}

	// Another university's key.
	other2, _ := attest.NewKey()
	if res := (verify.Checker{Keys: attest.PublicKeys{{ID: other2.ID, Key: other2.Public()}}}).Token(tok); res.Verdict != verify.UnknownKey || res.Verdict.ExitCode() != verify.ExitUnknownKey {
		t.Errorf("unknown key: %+v", res)
	}

	// Revoked.
	revoked = &domain.Revocation{Reference: a.Reference, At: time.Now(), By: "gest", Reason: "note corrigée"}
	if res := chk.PDF(pdf); res.Verdict != verify.Revoked || res.Revocation == nil || res.Verdict.ExitCode() != verify.ExitRevoked {
		t.Errorf("revoked: %+v", res)
	}
	if res := chk.PDF([]byte("not a pdf")); res.Verdict != verify.Invalid {
		t.Errorf("not a PDF: %+v", res)
	}
}

// forge changes the mention in a token and keeps its signature.
func forge(t *testing.T, tok string) string {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		t.Fatal(err)
	}
	var c attest.Claims
	if err := cbor.Unmarshal(msg.Payload, &c); err != nil {
		t.Fatal(err)
	}
	c.Mention = "Très bien"
	if msg.Payload, err = cbor.Marshal(c); err != nil {
		t.Fatal(err)
	}
	out, err := msg.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(out)
}
