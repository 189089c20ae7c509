package pades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
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
	return sd.Finish()
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
// time-stamp token; and the template made once per signer gives what a template made
// for one signature gives.
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
