package cli

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/attest"
	"hypercerts/config"
	"hypercerts/domain"
	"hypercerts/internal/testenv"
	"hypercerts/render"
	"hypercerts/store"
)

// verify's verdicts and exit codes (docs/verify.md): 0 authentique, 4 révoquée,
// 5 clé inconnue, 6 illisible; keys and revocations from the base.
func TestVerifyExitCodes(t *testing.T) {
	t.Parallel()
	testVerify(t, false)
}

// What a verifier may be handed, and what it may lack: a PDF that is not ours, an
// encrypted copy, garbage after a PDF header, a deflate bomb carrying a real token, a
// file without .pdf; keys rotated since signing; no base to ask about revocation
// (exit 7, "révocation non vérifiée", never a bare "authentique", even for a revoked
// one).
func TestVerifyHostileFilesRotationAndUncheckedRevocation(t *testing.T) {
	t.Parallel()
	testVerify(t, true)
}

func testVerify(t *testing.T, hostile bool) {
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
	if err := st.Revoke(domain.Revocation{Reference: domain.CampaignReference("C", "3"), At: time.Now(), By: "gestionnaire", Reason: "erreur de saisie"}, nil); err != nil {
		t.Fatal(err)
	}
	if !hostile {
		st.Close()
		notPDF := filepath.Join(dir, "x.pdf")
		os.WriteFile(notPDF, []byte("bonjour"), 0o600)
		for _, c := range []struct {
			file string
			code int
			want string
		}{
			{good, 0, "Attestation AUTHENTIQUE\n"},
			{revoked, 4, "erreur de saisie"},
			{foreign, 5, "CLÉ INCONNUE"},
			{notPDF, 6, "ILLISIBLE"},
		} {
			out, errOut, code := runMain(t, "verify", "--demo", "--demo-dir", dir, c.file)
			if code != c.code || !strings.Contains(out, c.want) {
				t.Errorf("verify %s: code %d (want %d)\n%s%s", filepath.Base(c.file), code, c.code, out, errOut)
			}
		}
		return
	}
	// A rotation after signing: the old public key still verifies.
	if _, err := st.RotateAttestationKey(time.Now()); err != nil {
		t.Fatal(err)
	}
	pubs, _ := st.AttestationPublicKeys()
	st.Close()
	jwks, _ := pubs.JWKS()
	keys := filepath.Join(t.TempDir(), "cles.json")
	os.WriteFile(keys, jwks, 0o600)
	goodPDF, _ := os.ReadFile(good)
	tok, err := render.TokenOf(goodPDF)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noExt := write("attestation", goodPDF) // a download without extension
	garbage := write("garbage.pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0xff, 0x00, '(', '<'}, 5000)...))
	// A deflate bomb: 9 MB of page text in a few KB, with a real token in the metadata.
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	zw.Write([]byte("BT "))
	zeros := make([]byte, 1<<20)
	for i := 0; i < 9; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	bomb := write("bomb.pdf", fmt.Appendf(nil, "%%PDF-1.7\n1 0 obj << /Keywords (hypercerts-jeton:%s) >> endobj\n2 0 obj << /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n",
		tok, z.Len(), z.Bytes()))
	qpdf := testenv.Tool(t, "qpdf", "qpdf")
	notOurs := filepath.Join(dir, "autre.pdf")
	if out, err := exec.Command(qpdf, "--empty", notOurs).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --empty: %v\n%s", err, out)
	}
	encrypted := filepath.Join(dir, "chiffre.pdf")
	if out, err := exec.Command(qpdf, "--encrypt", "lecture", "proprietaire", "256", "--", good, encrypted).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --encrypt: %v\n%s", err, out)
	}
	empty := t.TempDir() // no base there: revocation cannot be checked
	base := config.Demo(dir).Store.Path
	before, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--demo", "--demo-dir", dir, good}, 0, "Attestation AUTHENTIQUE\n"}, // signed by the retired key
		{[]string{"--demo", "--demo-dir", dir, noExt}, 0, "Attestation AUTHENTIQUE\n"},
		{[]string{"--demo", "--demo-dir", dir, tok}, 0, "Attestation AUTHENTIQUE\n"},
		{[]string{"--demo", "--demo-dir", dir, "https://verification.univ.fr/a/" + tok + "?x=1"}, 0, "Attestation AUTHENTIQUE\n"},
		{[]string{"--demo", "--demo-dir", dir, notOurs}, 6, "aucun jeton hypercerts"},
		{[]string{"--demo", "--demo-dir", dir, encrypted}, 6, "ILLISIBLE"},
		{[]string{"--demo", "--demo-dir", dir, garbage}, 6, "ILLISIBLE"},
		{[]string{"--demo", "--demo-dir", dir, bomb}, 3, "démesuré"},
		{[]string{"--demo", "--demo-dir", dir, "HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3"}, 6, "ILLISIBLE"},
		{[]string{"--demo", "--demo-dir", empty, "--keys", keys, good}, 7, "AUTHENTIQUE, RÉVOCATION NON VÉRIFIÉE"},
		{[]string{"--demo", "--demo-dir", empty, "--keys", keys, revoked}, 7, "RÉVOCATION NON VÉRIFIÉE"},
		{[]string{"--demo", "--demo-dir", empty, "--keys", keys, foreign}, 5, "CLÉ INCONNUE"},
		{[]string{"--demo", "--demo-dir", dir, "--keys", keys, revoked}, 4, "erreur de saisie"},
	} {
		out, errOut, code := runMain(t, append([]string{"verify"}, c.args...)...)
		name := filepath.Base(c.args[len(c.args)-1])
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("verify %s: code %d (want %d, %q)\n%s%s", name, code, c.code, c.want, out, errOut)
		}
		if c.code != 0 && c.code != 7 && strings.Contains(out, "AUTHENTIQUE") {
			t.Errorf("verify %s says authentique:\n%s", name, out)
		}
	}
	if after, _ := os.ReadFile(base); !bytes.Equal(before, after) { // verify opens the base read-only
		t.Error("verify wrote to the base")
	}
}
