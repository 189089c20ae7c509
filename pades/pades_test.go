package pades_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/pades"
	"hypercerts/render"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (.ci/run installs poppler-utils, qpdf, libnss3-tools)", name)
		}
		t.Skipf("%s not installed", name)
	}
}

func attestation(t *testing.T) []byte {
	t.Helper()
	key, _ := attest.NewKey()
	r, err := render.New(render.Options{University: "Université de Démo", City: "Lyon", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = r.Render(&buf, domain.Attestation{Reference: domain.CampaignReference("C1", "21900042"),
		Student:      domain.Student{Code: "21900042", LastName: "Dupont", FirstName1: "Anaïs", BirthDate: time.Date(2001, 3, 1, 0, 0, 0, 0, time.UTC)},
		DiplomaLabel: "Licence Mathématiques", YearLabel: "2024-2025", Mention: domain.Mention{Label: "Bien"}, ECTS: "180",
		IssuedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nssDB makes an NSS database trusting the demo CA (certutil, libnss3-tools).
func nssDB(t *testing.T, caFile string) string {
	t.Helper()
	needTool(t, "certutil")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + dir, "--empty-password"},
		{"-A", "-d", "sql:" + dir, "-n", "hypercerts-demo-ca", "-t", "CT,C,C", "-i", caFile},
	} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func pdfsig(t *testing.T, nss string, pdf []byte) (string, error) {
	t.Helper()
	needTool(t, "pdfsig")
	path := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfsig", "-nssdir", "sql:"+nss, path).CombinedOutput()
	return string(out), err
}

func TestSignedPDFValidForPdfsigAndQpdf(t *testing.T) {
	dir := t.TempDir()
	s, err := pades.EnsureDemo(dir, "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.Reason, s.Location = "Attestation de réussite", "Lyon"
	orig := attestation(t)
	signed, err := pades.Sign(orig, s, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, orig) {
		t.Fatal("the incremental update changed the original bytes")
	}
	out, err := pdfsig(t, nssDB(t, filepath.Join(dir, pades.DemoCAFile)), signed)
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	for _, want := range []string{"Signature is Valid.", "Certificate is Trusted.", "Total document signed",
		"ETSI.CAdES.detached", "Université de Démo — scolarité (démonstration)"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfsig lacks %q:\n%s", want, out)
		}
	}
	needTool(t, "qpdf")
	path := filepath.Join(t.TempDir(), "s.pdf")
	os.WriteFile(path, signed, 0o600)
	if q, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil || !strings.Contains(string(q), "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check: %v\n%s", err, q)
	}
	desc, err := pades.Verify(signed)
	if err != nil || !strings.Contains(desc, "PAdES valide") {
		t.Fatalf("Verify = %q, %v", desc, err)
	}
	// Still readable: the token and the text.
	if _, err := render.TokenOf(signed); err != nil {
		t.Fatal(err)
	}
}

// One byte changed in the signed part: pdfsig and Verify say the signature is invalid.
func TestOneByteChangeBreaksSignature(t *testing.T) {
	dir := t.TempDir()
	s, err := pades.EnsureDemo(dir, "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	signed, err := pades.Sign(attestation(t), s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Change one byte of the document's text metadata (the Title, a plain string).
	i := bytes.Index(signed, []byte("/Producer ("))
	if i < 0 {
		t.Fatal("no /Producer")
	}
	tampered := bytes.Clone(signed)
	tampered[i+len("/Producer (")] ^= 0x01
	out, _ := pdfsig(t, nssDB(t, filepath.Join(dir, pades.DemoCAFile)), tampered)
	if strings.Contains(out, "Signature is Valid.") || !strings.Contains(out, "Digest Mismatch") {
		t.Errorf("pdfsig after a one-byte change:\n%s", out)
	}
	if _, err := pades.Verify(tampered); !errors.Is(err, pades.ErrModified) {
		t.Errorf("Verify(tampered) = %v, want ErrModified", err)
	}
	// Bytes appended after the signature: not the whole document any more.
	if _, err := pades.Verify(append(bytes.Clone(signed), "%% ajout\n"...)); !errors.Is(err, pades.ErrModified) {
		t.Errorf("Verify(appended) = %v, want ErrModified", err)
	}
	if d, err := pades.Verify(attestation(t)); d != "" || err != nil {
		t.Errorf("Verify(unsigned) = %q, %v", d, err)
	}
}

func TestEnsureDemoKeepsItsCertificate(t *testing.T) {
	dir := t.TempDir()
	a, err := pades.EnsureDemo(dir, "U", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := pades.EnsureDemo(dir, "U", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !a.Cert.Equal(b.Cert) {
		t.Error("second start made a new certificate")
	}
	fi, err := os.Stat(filepath.Join(dir, pades.DemoKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
}
