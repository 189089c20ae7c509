package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/render"
	"hypercerts/store"
)

// verify's verdicts and exit codes (docs/verify.md): 0 authentique, 4 révoquée,
// 5 clé inconnue, 6 illisible; keys and revocations from the base.
func TestVerifyExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "hypercerts.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	key, _, _, err := st.AttestationKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pdfFor := func(k *attest.PrivateKey, ref string) string {
		r, err := render.New(render.Options{University: "Université de Démonstration", City: "Besançon", Key: k})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.Render(&buf, domain.Attestation{Reference: ref, Student: domain.Student{Code: "1", LastName: "Dupont", FirstName1: "Anaïs"},
			DiplomaLabel: "Licence Mathématiques", YearLabel: "2024-2025", IssuedAt: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, strings.ReplaceAll(ref, "-", "")+".pdf")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := pdfFor(key, domain.CampaignReference("C", "1"))
	other, _ := attest.NewKey()
	foreign := pdfFor(other, domain.CampaignReference("C", "2"))
	revoked := pdfFor(key, domain.CampaignReference("C", "3"))
	if err := st.PutRevocation(domain.Revocation{Reference: domain.CampaignReference("C", "3"), At: time.Now(), By: "gestionnaire", Reason: "erreur de saisie"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	notPDF := filepath.Join(dir, "x.pdf")
	os.WriteFile(notPDF, []byte("bonjour"), 0o600)

	for _, c := range []struct {
		file string
		code int
		want string
	}{
		{good, 0, "Attestation AUTHENTIQUE"},
		{revoked, 4, "erreur de saisie"},
		{foreign, 5, "CLÉ INCONNUE"},
		{notPDF, 6, "ILLISIBLE"},
	} {
		out, errOut, code := runMain(t, "verify", "--demo", "--demo-dir", dir, c.file)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("verify %s: code %d (want %d)\n%s%s", filepath.Base(c.file), code, c.code, out, errOut)
		}
	}
}
