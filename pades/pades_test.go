package pades_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/internal/testenv"
	"hypercerts/pades"
	"hypercerts/render"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	testenv.Need(t, name)
}

func attestation(t testing.TB) []byte {
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

// A signer loaded with a chain (signer, intermediate, root in its PEM file) whose
// order is not DER's: the PDF's CMS is DER (ISO 32000-1 §12.8.3.3), certificate set
// sorted, and pdfsig (NSS) finds the signer in it and builds the chain to the root.
func TestSignedWithChainIsDERAndValidForPdfsig(t *testing.T) {
	key, cert, chain := pades.DescendingChain(t)
	dir := t.TempDir()
	var certPEM []byte
	for _, c := range append([]*x509.Certificate{cert}, chain...) {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, rootFile := filepath.Join(dir, "chain.pem"), filepath.Join(dir, "root.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rootFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[1].Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := pades.LoadPEM(certFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := pades.Sign(attestation(t), s, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	der, _ := cmsOf(t, signed)
	if err := pades.CheckCMSDER(der); err != nil {
		t.Errorf("CMS not DER: %v", err)
	}
	if d, err := pades.Verify(signed); err != nil || !strings.Contains(d, cert.Subject.CommonName) {
		t.Errorf("Verify = %q, %v", d, err)
	}
	out, err := pdfsig(t, nssDB(t, rootFile), signed)
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	for _, w := range []string{"Signature is Valid.", "Certificate is Trusted.", "Total document signed"} {
		if !strings.Contains(out, w) {
			t.Errorf("pdfsig lacks %q:\n%s", w, out)
		}
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

// PAdES baseline (ETSI EN 319 142-1 §5.2.1): the signed attributes are content-type,
// message-digest and ESS signing-certificate-v2, and no CMS signing-time (the claimed
// time is the dictionary's /M, which pdfsig shows). Checked for the demo's ECDSA key
// and an RSA key as universities' certificates often have.
func TestR17_PAdESBaselineSignedAttributes(t *testing.T) {
	dir := t.TempDir()
	demo, err := pades.EnsureDemo(dir, "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rsaS := rsaSigner(t)
	rsaCA := filepath.Join(dir, "rsa.pem")
	if err := os.WriteFile(rsaCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rsaS.Cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		s  pades.Signer
		ca string
	}{"ECDSA": {demo, filepath.Join(dir, pades.DemoCAFile)}, "RSA": {rsaS, rsaCA}} {
		s := c.s
		t.Run(name, func(t *testing.T) {
			at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			signed, err := pades.Sign(attestation(t), s, at)
			if err != nil {
				t.Fatal(err)
			}
			der, content := cmsOf(t, signed)
			if err := pades.CheckCMSDER(der); err != nil {
				t.Errorf("CMS not DER: %v", err)
			}
			p7, err := pkcs7.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range p7.Signers[0].AuthenticatedAttributes {
				got = append(got, a.Type.String())
			}
			want := []string{"1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.16.2.47"} // DER order
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("signed attributes %v, want content-type, message-digest, signing-certificate-v2 %v", got, want)
			}
			p7.Content = content
			if err := p7.Verify(); err != nil {
				t.Errorf("CMS does not verify over the byte range: %v", err)
			}
			if d, err := pades.Verify(signed); err != nil || !strings.Contains(d, "PAdES valide") {
				t.Errorf("Verify = %q, %v", d, err)
			}
			out, _ := pdfsig(t, nssDB(t, c.ca), signed)
			for _, w := range []string{"Signature is Valid.", "Total document signed", "Signing Time: Nov 23 2026 10:00:00"} {
				if !strings.Contains(out, w) {
					t.Errorf("pdfsig lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// cmsOf returns the CMS signature of a signed PDF and the bytes it covers.
func cmsOf(t *testing.T, pdf []byte) (der, content []byte) {
	t.Helper()
	m := regexp.MustCompile(`/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no /ByteRange")
	}
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[i+1]))
	}
	raw, err := hex.DecodeString(string(pdf[br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	var rv asn1.RawValue
	rest, err := asn1.Unmarshal(raw, &rv)
	if err != nil {
		t.Fatal(err)
	}
	return raw[:len(raw)-len(rest)], append(bytes.Clone(pdf[:br[1]]), pdf[br[2]:br[2]+br[3]]...)
}

// rsaSigner is a self-signed RSA-2048 signing certificate (NSS does not take it as its
// own issuer: pdfsig says the signature valid, the issuer unknown).
func rsaSigner(t *testing.T) pades.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Université de Test — scolarité"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pades.Signer{Cert: cert, Key: key}
}

// BenchmarkSign signs an attestation with the demo's signer (ECDSA P-256 issued by the
// demo CA), as a campaign signs each PDF.
func BenchmarkSign(b *testing.B) {
	s, err := pades.EnsureDemo(b.TempDir(), "Université de Démo", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	pdf := attestation(b)
	b.ReportAllocs()
	cpu0 := processCPU(b)
	for b.Loop() {
		if _, err := pades.Sign(pdf, s, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu_µs/op")
}

// processCPU is the CPU time the process has used (user + system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
