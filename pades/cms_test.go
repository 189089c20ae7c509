package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"hypercerts/internal/testenv"
)

// cmsPKCS7 is how Sign built its CMS structure with smallstep/pkcs7 until the
// structure was written here (cms.go): the reference TestCMSSameAsPKCS7 compares with.
// smallstep/pkcs7 always adds a signing-time attribute and hashes the content it is
// given; so it is given no content and a signer that signs nothing, then the message
// digest is set, signing-time removed and the attributes signed.
func cmsPKCS7(s Signer, digest []byte, stamp func([]byte) ([]byte, error)) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(nil)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	h := sha256.Sum256(s.Cert.Raw)
	attr := pkcs7.Attribute{Type: oidSigningCertificateV2, Value: signingCertificateV2{Certs: []essCertIDv2{{CertHash: h[:]}}}}
	if err := sd.AddSignerChain(s.Cert, later{s.Key.Public()}, s.Chain, pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{attr}}); err != nil {
		return nil, err
	}
	si := &sd.GetSignedData().SignerInfos[0]
	md, err := asn1.Marshal(digest)
	if err != nil {
		return nil, err
	}
	attrs := si.AuthenticatedAttributes[:0]
	for _, a := range si.AuthenticatedAttributes {
		switch {
		case a.Type.Equal(pkcs7.OIDAttributeSigningTime):
			continue
		case a.Type.Equal(pkcs7.OIDAttributeMessageDigest):
			a.Value.Bytes = md
		}
		attrs = append(attrs, a)
	}
	enc := make([][]byte, len(attrs))
	for i := range attrs {
		if enc[i], err = asn1.Marshal(attrs[i]); err != nil {
			return nil, err
		}
	}
	idx := []int{0, 1, 2}
	slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(enc[a], enc[b]) })
	sorted := make([]byte, 0)
	ordered := slices.Clone(attrs)
	for i, j := range idx {
		ordered[i] = attrs[j]
		sorted = append(sorted, enc[j]...)
	}
	signed, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: sorted})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(signed)
	sig, err := s.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	copy(attrs, ordered)
	si.AuthenticatedAttributes, si.EncryptedDigest = attrs, sig
	if stamp != nil {
		token, err := stamp(sig)
		if err != nil {
			return nil, err
		}
		if err := si.SetUnauthenticatedAttributes([]pkcs7.Attribute{{Type: oidTimeStampToken, Value: asn1.RawValue{FullBytes: token}}}); err != nil {
			return nil, err
		}
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, err
	}
	return pkcs7CertsInDEROrder(der)
}

// pkcs7CertsInDEROrder puts the certificate set smallstep/pkcs7 wrote (signer, then
// chain: not DER, whose SET OF is sorted, X.690 §11.6) in DER order, in place: the
// same certificates, the same length, nothing else changed.
func pkcs7CertsInDEROrder(der []byte) ([]byte, error) {
	certs, content, err := certificateSet(der)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(certs, setOfCompare)
	at := bytes.Index(der, content)
	copy(der[at:], bytes.Join(certs, nil))
	return der, nil
}

// certificateSet reads the certificates of a ContentInfo's SignedData (RFC 5652 §5.1)
// in their order, and the set's content octets.
func certificateSet(der []byte) (certs [][]byte, content []byte, err error) {
	in := cryptobyte.String(der)
	var ci, explicit, sd, set cryptobyte.String
	if !in.ReadASN1(&ci, casn1.SEQUENCE) || !ci.SkipASN1(casn1.OBJECT_IDENTIFIER) ||
		!ci.ReadASN1(&explicit, casn1.Tag(0).Constructed().ContextSpecific()) ||
		!explicit.ReadASN1(&sd, casn1.SEQUENCE) ||
		!sd.SkipASN1(casn1.INTEGER) || !sd.SkipASN1(casn1.SET) || !sd.SkipASN1(casn1.SEQUENCE) ||
		!sd.ReadASN1(&set, casn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, nil, errors.New("not a SignedData with certificates")
	}
	content = bytes.Clone(set)
	for !set.Empty() {
		var c cryptobyte.String
		if !set.ReadASN1Element(&c, casn1.SEQUENCE) {
			return nil, nil, errors.New("unreadable certificate set")
		}
		certs = append(certs, bytes.Clone(c))
	}
	return certs, content, nil
}

// later stands for the key while smallstep/pkcs7 builds the SignerInfo.
type later struct{ pub crypto.PublicKey }

func (l later) Public() crypto.PublicKey { return l.pub }

func (later) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, nil }

// sameSig signs deterministically (a hash of the digest stands for an ECDSA value), so
// that two encoders of the same structure can be compared byte for byte.
type sameSig struct{ crypto.Signer }

func (s sameSig) Sign(_ io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	h := sha256.Sum256(append([]byte("sig"), digest...))
	return append(h[:], 0x30, 0x45), nil
}

// testChain is a CA and a certificate it issues for key.
func testChain(t *testing.T, key crypto.Signer) (*x509.Certificate, *x509.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "AC de test", Country: []string{"FR"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	tpl := &x509.Certificate{SerialNumber: new(big.Int).Lsh(big.NewInt(1), 130), Subject: pkix.Name{CommonName: "Université de Test — scolarité"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, ca
}

// The CMS structure written by cms.go is, byte for byte, the one smallstep/pkcs7
// wrote (cmsPKCS7), for ECDSA and RSA keys, with and without a chain, with and without a
// time-stamp token, once smallstep/pkcs7's certificate set (signer, then chain) is put
// in DER order (pkcs7CertsInDEROrder): the one difference, on purpose (cms.go). With a
// single certificate the order cannot differ and the bytes are smallstep/pkcs7's as it
// wrote them. The template made once per signer gives what a template made for one
// signature gives, and the whole structure is DER (checkCMSDER).
func TestCMSSameAsPKCS7(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: []byte{2, 1, 7}}) // stands for a token
	for name, key := range map[string]crypto.Signer{"ECDSA": sameSig{ec}, "RSA": rs} {
		issued, ca := testChain(t, key)
		for _, chain := range [][]*x509.Certificate{nil, {ca}} {
			cert := issued
			if chain == nil {
				cert = selfSigned(t, key)
			}
			for _, stamp := range []func([]byte) ([]byte, error){nil, func([]byte) ([]byte, error) { return token, nil }} {
				s := Signer{Cert: cert, Chain: chain, Key: key}
				for i := range 3 {
					digest := sha256.Sum256([]byte{byte(i)})
					want, err := cmsPKCS7(s, digest[:], stamp)
					if err != nil {
						t.Fatal(err)
					}
					tpl, err := newCMSTemplate(cert, chain, key.Public())
					if err != nil {
						t.Fatal(err)
					}
					got, err := tpl.sign(digest[:], key, stamp)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%s, chain %d, stamp %v: CMS differs from smallstep/pkcs7's\n got %x\nwant %x", name, len(chain), stamp != nil, got, want)
					}
					if err := checkCMSDER(got); err != nil {
						t.Fatalf("%s, chain %d, stamp %v: not DER: %v", name, len(chain), stamp != nil, err)
					}
					// The kept template signs the next PDFs alike.
					s.tpl = tpl
				}
			}
		}
	}
}

func selfSigned(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Université de Test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	signer := key
	if s, ok := key.(sameSig); ok {
		signer = s.Signer // the certificate needs a real signature
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// A chain whose certificates do not follow is refused when the signer is loaded, as
// smallstep/pkcs7 refused it at each signature.
func TestCMSChainMustFollow(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, _ := testChain(t, key)
	_, otherCA := testChain(t, key)
	if _, err := newSigner(cert, []*x509.Certificate{otherCA}, key); err == nil {
		t.Fatal("a chain from another CA was accepted")
	}
}

// descendingChain is a signing certificate (NSS and OpenSSL's S/MIME usages), its
// intermediate CA and the root, each encoding shorter than the one before (the
// names' lengths): smallstep/pkcs7's order, signer then chain, is then the reverse
// of DER's, where a SET OF is sorted by its elements' encodings (X.690 §11.6), here
// by their length octets.
func descendingChain(t testing.TB) (*ecdsa.PrivateKey, *x509.Certificate, []*x509.Certificate) {
	t.Helper()
	issue := func(tpl, parent *x509.Certificate, pub crypto.PublicKey, by crypto.Signer) *x509.Certificate {
		t.Helper()
		tpl.NotBefore, tpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		if parent == nil {
			parent = tpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, by)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := func(serial int64, name pkix.Name) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: name, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	}
	root := issue(ca(1, pkix.Name{CommonName: "R"}), nil, rootKey.Public(), rootKey)
	inter := issue(ca(2, pkix.Name{CommonName: "AC intermédiaire des universités", Organization: []string{"Ministère de l'Enseignement supérieur"}}),
		root, interKey.Public(), rootKey)
	cert := issue(&x509.Certificate{SerialNumber: big.NewInt(3),
		Subject: pkix.Name{CommonName: "Université de Test — direction des études et de la scolarité", Country: []string{"FR"},
			Organization: []string{"Université de Test"}, OrganizationalUnit: []string{"Service des diplômes et attestations de réussite"}},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}, inter, key.Public(), interKey)
	return key, cert, []*x509.Certificate{inter, root}
}

// DescendingChain is descendingChain for the tests of package pades_test.
var DescendingChain = descendingChain

// ISO 32000-1 §12.8.3.3 and ISO 32000-2 (CAdES) want /Contents DER-encoded: the
// certificate set of a signer with a chain is in DER order (X.690 §11.6), not the
// order signer, intermediate, root that smallstep/pkcs7 wrote and that is here
// descending; the whole CMS is DER; and OpenSSL still verifies it, building the chain
// from the set whatever the order.
func TestCMSCertificateSetInDEROrder(t *testing.T) {
	key, cert, chain := descendingChain(t)
	given := [][]byte{cert.Raw, chain[0].Raw, chain[1].Raw}
	if slices.IsSortedFunc(given, setOfCompare) {
		t.Fatal("the test's chain is already in DER order: it would prove nothing")
	}
	s, err := newSigner(cert, chain, key)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("les octets d'un PDF couverts par /ByteRange")
	digest := sha256.Sum256(data)
	der, err := s.cms(context.Background(), digest[:])
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := certificateSet(der)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(given)
	slices.SortFunc(want, setOfCompare)
	if !slices.EqualFunc(got, want, bytes.Equal) {
		names := func(set [][]byte) (n []string) {
			for _, c := range set {
				p, _ := x509.ParseCertificate(c)
				n = append(n, p.Subject.CommonName)
			}
			return n
		}
		t.Errorf("certificate set %q, want DER order %q", names(got), names(want))
	}
	if err := checkCMSDER(der); err != nil {
		t.Errorf("CMS not DER: %v", err)
	}

	testenv.Need(t, "openssl")
	dir := t.TempDir()
	sig, content, rootFile := filepath.Join(dir, "sig.der"), filepath.Join(dir, "data"), filepath.Join(dir, "root.pem")
	for f, b := range map[string][]byte{sig: der, content: data,
		rootFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[1].Raw})} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-in", sig, "-content", content, "-binary",
		"-CAfile", rootFile, "-out", os.DevNull).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification successful") {
		t.Errorf("openssl cms -verify: %v\n%s", err, out)
	}
}
