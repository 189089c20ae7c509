package pades_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"hypercerts/domain"
	"hypercerts/pades"
)

// localTSA is a time-stamping authority on loopback: OpenSSL's own (`openssl ts
// -reply`, RFC 3161) behind HTTP as RFC 3161 §3.4 carries it, with a TSA certificate
// (critical timeStamping usage) issued by a CA of its own. It returns the URL and the
// CA's PEM file.
func localTSA(t *testing.T) (url, caFile string) {
	t.Helper()
	needTool(t, "openssl")
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "AC d'horodatage de test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	tsaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}}) // id-kp-timeStamping
	tsaTpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Horodatage de test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}}
	tsaDER, err := x509.CreateCertificate(rand.Reader, tsaTpl, ca, &tsaKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(tsaKey)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile = write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	write("tsa.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tsaDER}))
	write("tsa.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	write("serial", []byte("01\n"))
	cnf := write("ts.cnf", []byte(`[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = `+dir+`
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`))
	var mu sync.Mutex // one serial file
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "RFC 3161 query expected", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		q, _ := io.ReadAll(r.Body)
		qf := write("q.tsq", q)
		rf := filepath.Join(dir, "r.tsr")
		if out, err := exec.Command("openssl", "ts", "-reply", "-config", cnf, "-queryfile", qf, "-out", rf).CombinedOutput(); err != nil {
			t.Errorf("openssl ts -reply: %v\n%s", err, out)
			http.Error(w, "TSA failure", http.StatusInternalServerError)
			return
		}
		resp, _ := os.ReadFile(rf)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, caFile
}

// PAdES B-T: with a TSA configured, the signature carries an RFC 3161
// signature-time-stamp token over its value, which OpenSSL verifies against the
// TSA's CA, and the PDF stays validly and totally signed for pdfsig.
func TestR17_SignatureTimeStampFromLocalTSA(t *testing.T) {
	url, caFile := localTSA(t)
	dir := t.TempDir()
	s, err := pades.EnsureDemo(dir, "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.TSA = &pades.TSA{URL: url}
	signed, err := pades.Sign(attestation(t), s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	der, _ := cmsOf(t, signed)
	p7, err := pkcs7.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	si := p7.Signers[0]
	if len(si.UnauthenticatedAttributes) != 1 || si.UnauthenticatedAttributes[0].Type.String() != "1.2.840.113549.1.9.16.2.14" {
		t.Fatalf("unsigned attributes %v, want one signature-time-stamp", si.UnauthenticatedAttributes)
	}
	token := si.UnauthenticatedAttributes[0].Value.Bytes // the SET's one element
	tmp := t.TempDir()
	tokFile, sigFile := filepath.Join(tmp, "token.der"), filepath.Join(tmp, "sig.bin")
	os.WriteFile(tokFile, token, 0o600)
	os.WriteFile(sigFile, si.EncryptedDigest, 0o600)
	out, err := exec.Command("openssl", "ts", "-verify", "-token_in", "-in", tokFile, "-data", sigFile, "-CAfile", caFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
	// The token stamps this signature, not another.
	os.WriteFile(sigFile, append(bytes.Clone(si.EncryptedDigest), 0), 0o600)
	if out, err := exec.Command("openssl", "ts", "-verify", "-token_in", "-in", tokFile, "-data", sigFile, "-CAfile", caFile).CombinedOutput(); err == nil {
		t.Fatalf("openssl ts -verify accepted another signature value:\n%s", out)
	}
	// hypercerts verify says when and by whom it was time-stamped.
	if d, err := pades.Verify(signed); err != nil || !strings.Contains(d, "PAdES valide") || !strings.Contains(d, "horodatée le ") ||
		!strings.Contains(d, "par « Horodatage de test »") {
		t.Errorf("Verify = %q, %v", d, err)
	}
	// A time-stamp changed after the fact (the token's own signature value): refused.
	i := bytes.Index(signed, []byte(hex.EncodeToString(token)))
	if i < 0 {
		t.Fatal("token not found in /Contents")
	}
	forged := bytes.Clone(signed)
	j := i + 2*(len(token)-10)
	forged[j] = flipHex(signed[j])
	if d, err := pades.Verify(forged); !errors.Is(err, pades.ErrModified) || !strings.Contains(err.Error(), "horodatage") {
		t.Errorf("Verify(forged time-stamp) = %q, %v", d, err)
	}
	pout, _ := pdfsig(t, nssDB(t, filepath.Join(dir, pades.DemoCAFile)), signed)
	for _, w := range []string{"Signature is Valid.", "Certificate is Trusted.", "Total document signed"} {
		if !strings.Contains(pout, w) {
			t.Errorf("pdfsig lacks %q:\n%s", w, pout)
		}
	}
}

// flipHex changes one hex digit into another.
func flipHex(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

// A TSA that refuses or cannot be reached: no PDF is signed without its time-stamp.
func TestSignatureTimeStampUnavailable(t *testing.T) {
	s, err := pades.EnsureDemo(t.TempDir(), "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "indisponible", http.StatusServiceUnavailable)
	}))
	defer refusing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, url := range []string{refusing.URL, closed.URL} {
		s.TSA = &pades.TSA{URL: url}
		if _, err := pades.Sign(attestation(t), s, time.Now()); err == nil || !strings.Contains(err.Error(), "horodatage") {
			t.Errorf("TSA %s: err = %v, want an horodatage error", url, err)
		} else if !domain.IsTransient(err) {
			t.Errorf("TSA %s: err = %v, want a transient error (the student is retried, not failed for good)", url, err)
		}
	}
}

// A TSA that stalls, before its answer or in the middle of it: cancelling the
// signature's context ends the request at once (not at the client's 15 s timeout) with
// the context's error, transient (the student is signed again later, not failed).
func TestSignatureTimeStampEndsWithContext(t *testing.T) {
	s, err := pades.EnsureDemo(t.TempDir(), "Université de Démo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		partial bool
	}{{"before the answer", false}, {"in the middle of the answer", true}} {
		t.Run(c.name, func(t *testing.T) {
			arrived, release := make(chan struct{}, 1), make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.partial {
					w.Header().Set("Content-Type", "application/timestamp-reply")
					w.Header().Set("Content-Length", "4096")
					w.Write([]byte{0x30, 0x82, 0x0f, 0xfc})
					w.(http.Flusher).Flush()
				}
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer srv.Close()
			defer close(release) // before Close, which waits for the handler
			s.TSA = &pades.TSA{URL: srv.URL}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				<-arrived
				if c.partial { // let the client read the header: it is then reading the body
					time.Sleep(100 * time.Millisecond)
				}
				cancel()
			}()
			start := time.Now()
			_, err := pades.SignContext(ctx, attestation(t), s, time.Now())
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("SignContext returned after %v", d.Round(time.Millisecond))
			}
			if !errors.Is(err, context.Canceled) || !domain.IsTransient(err) || !strings.Contains(err.Error(), "horodatage interrompu") {
				t.Errorf("err = %v, want a transient horodatage error wrapping context.Canceled", err)
			}
		})
	}
}
