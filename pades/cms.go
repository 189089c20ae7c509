package pades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The CMS SignedData of a PAdES signature (RFC 5652 §5, detached), written in DER here.
// Everything in it but the message digest, the signature value and the time-stamp
// token is the same for every PDF a signer signs: the certificates, the signer's
// identifier, the algorithms, the other signed attributes. They are encoded once per
// signer (cmsTemplate); a PDF then costs one SHA-256 of the signed attributes, one
// private-key operation and the copying of a few kilobytes. smallstep/pkcs7, used
// before, re-verified the chain (an ECDSA verification), re-encoded the certificates
// and the attributes through encoding/asn1 for every PDF: half of what signing a PDF
// cost.
//
// DER throughout, the certificate set included. CMS alone asks DER only of the signed
// attributes (RFC 5652 §2, §5.4), but the PDF signature value is the whole object:
// ISO 32000-1 §12.8.3.3 (PKCS#7 signatures, adbe.pkcs7.detached) and ISO 32000-2's
// CAdES signatures (ETSI.CAdES.detached, with ETSI EN 319 142-1) want /Contents to be
// a DER-encoded PKCS#7/CMS object. So every SET OF is in DER order (X.690 §11.6):
// the certificates sorted by their encodings, once per signer, not left in
// smallstep/pkcs7's order (signer, then chain), which strict readers reject (Windows'
// wintrust rejected OpenSSL's unsorted set: openssl/openssl#13142); the signed
// attributes sorted; digestAlgorithms, signerInfos, the unsigned attributes and every
// attribute's values hold one element. TestCMSSameAsPKCS7 checks the bytes are
// smallstep/pkcs7's once its certificate set is put in that order, and checkCMSDER
// (der_test.go) walks the whole structure.

var (
	oidData                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47} // RFC 5035
	oidRSAWithSHA256        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// essCertIDv2 with the default hash algorithm (SHA-256) left out, as DER requires.
type essCertIDv2 struct {
	CertHash []byte
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

// cmsTemplate is the part of a signer's CMS signatures that does not depend on the PDF.
type cmsTemplate struct {
	cert  *x509.Certificate // what it was made for (Signer.cms checks)
	chain []*x509.Certificate
	// attrs is the DER SET OF the signed attributes (PAdES baseline, ETSI EN 319 142-1
	// §5.2: content-type, message-digest and ESS signing-certificate-v2, no CMS
	// signing-time: the claimed time is the dictionary's /M), with the message digest's
	// 32 bytes at mdAt left zero.
	attrs []byte
	mdAt  int
	// sid is the SignerInfo's version, issuerAndSerialNumber and digestAlgorithm.
	sid []byte
	// sigAlg is the SignerInfo's signatureAlgorithm, after the key's type.
	sigAlg []byte
	// head is the SignedData's version, digestAlgorithms, encapContentInfo (no
	// content: detached) and certificates.
	head []byte
}

// newCMSTemplate checks that chain follows from cert (each certificate signed by the
// next) and encodes what every signature of cert shares.
func newCMSTemplate(cert *x509.Certificate, chain []*x509.Certificate, pub crypto.PublicKey) (*cmsTemplate, error) {
	// As smallstep/pkcs7 did at each signature: a chain that does not follow would
	// make a signature no reader can trust.
	for i, parent := range chain {
		child := cert
		if i > 0 {
			child = chain[i-1]
		}
		if err := child.CheckSignatureFrom(parent); err != nil {
			return nil, fmt.Errorf("PAdES : chaîne de certificats : « %s » n'est pas émis par « %s » : %w",
				child.Subject.CommonName, parent.Subject.CommonName, err)
		}
	}
	issuer := cert.RawIssuer
	if len(chain) > 0 {
		issuer = chain[0].RawSubject // the same name, as the issuer writes it (smallstep/pkcs7's choice)
	}
	t := &cmsTemplate{cert: cert, chain: chain}
	var sigAlg asn1.ObjectIdentifier
	switch pub.(type) {
	case *ecdsa.PublicKey:
		sigAlg = oidECDSAWithSHA256
	case *rsa.PublicKey:
		sigAlg = oidRSAWithSHA256
	default:
		return nil, fmt.Errorf("PAdES : clé de signature %T non prise en charge (RSA ou ECDSA attendue)", pub)
	}
	t.sigAlg = algorithm(sigAlg)

	var b cryptobyte.Builder
	b.AddASN1Int64(1) // version: issuerAndSerialNumber
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(issuer)
		b.AddASN1BigInt(cert.SerialNumber)
	})
	b.AddBytes(algorithm(oidSHA256))
	var err error
	if t.sid, err = b.Bytes(); err != nil {
		return nil, fmt.Errorf("PAdES : encodage CMS : %w", err)
	}

	var d cryptobyte.Builder
	d.AddASN1Int64(1)
	d.AddASN1(casn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(algorithm(oidSHA256)) })
	d.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
	// certificates [0] IMPLICIT SET OF, in DER order: the readers find the signer by
	// issuer and serial number (RFC 5652 §5.3), not by its place.
	certs := [][]byte{cert.Raw}
	for _, c := range chain {
		certs = append(certs, c.Raw)
	}
	sortSetOf(certs)
	d.AddASN1(casn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
		for _, c := range certs {
			b.AddBytes(c)
		}
	})
	if t.head, err = d.Bytes(); err != nil {
		return nil, fmt.Errorf("PAdES : encodage CMS : %w", err)
	}

	// The signed attributes, in DER order: a SET OF is sorted by encoding (X.690
	// §11.6). The order does not depend on the message digest: the attributes'
	// lengths (the message digest's is fixed) and types come before any value.
	h := sha256.Sum256(cert.Raw)
	ess, err := asn1.Marshal(signingCertificateV2{Certs: []essCertIDv2{{CertHash: h[:]}}})
	if err != nil {
		return nil, err
	}
	data, _ := asn1.Marshal(oidData)
	md := attribute(oidMessageDigest, append([]byte{asn1.TagOctetString, sha256.Size}, make([]byte, sha256.Size)...))
	enc := [][]byte{attribute(oidContentType, data), md, attribute(oidSigningCertificateV2, ess)}
	sortSetOf(enc)
	var a cryptobyte.Builder
	a.AddASN1(casn1.SET, func(b *cryptobyte.Builder) {
		for _, e := range enc {
			b.AddBytes(e)
		}
	})
	if t.attrs, err = a.Bytes(); err != nil {
		return nil, fmt.Errorf("PAdES : encodage CMS : %w", err)
	}
	t.mdAt = bytes.Index(t.attrs, md) + len(md) - sha256.Size
	return t, nil
}

// sortSetOf puts the encodings of a SET OF's elements in DER order: ascending, compared
// as octet strings, the shorter padded with zeros (X.690 §11.6). bytes.Compare is that
// order for whole DER elements: neither of two different ones is a prefix of the
// other (same tag and length octets mean the same size), so the first octet that
// differs decides, before any padding.
func sortSetOf(elems [][]byte) {
	slices.SortFunc(elems, bytes.Compare)
}

// attribute is the DER of a CMS Attribute with one value (RFC 5652 §5.3).
func attribute(typ asn1.ObjectIdentifier, value []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(typ)
		b.AddASN1(casn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(value) })
	})
	return b.BytesOrPanic()
}

// algorithm is an AlgorithmIdentifier without parameters (RFC 5754 §2 and §3.3 for
// SHA-256 and ECDSA; smallstep/pkcs7 leaves them out for RSA too).
func algorithm(oid asn1.ObjectIdentifier) []byte {
	var b cryptobyte.Builder
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
	return b.BytesOrPanic()
}

// sign returns the DER ContentInfo of a detached SignedData whose message digest is
// digest, signed by key; stamp, when set, time-stamps the signature value (RFC 3161
// token as the signature-time-stamp unsigned attribute).
func (t *cmsTemplate) sign(digest []byte, key crypto.Signer, stamp func(sig []byte) ([]byte, error)) ([]byte, error) {
	attrs := bytes.Clone(t.attrs)
	copy(attrs[t.mdAt:t.mdAt+sha256.Size], digest)
	// The signature covers the SET OF (RFC 5652 §5.4); the SignerInfo carries the same
	// bytes tagged [0] IMPLICIT.
	sum := sha256.Sum256(attrs)
	sig, err := key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("PAdES : signature CMS : %w", err)
	}
	var token []byte
	if stamp != nil {
		if token, err = stamp(sig); err != nil {
			return nil, err
		}
	}
	attrs[0] = byte(casn1.Tag(0).Constructed().ContextSpecific())

	b := cryptobyte.NewBuilder(make([]byte, 0, len(t.head)+len(attrs)+len(token)+512))
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(casn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddBytes(t.head)
				b.AddASN1(casn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddBytes(t.sid)
						b.AddBytes(attrs)
						b.AddBytes(t.sigAlg)
						b.AddASN1OctetString(sig)
						if token != nil {
							b.AddASN1(casn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
									b.AddASN1ObjectIdentifier(oidTimeStampToken)
									b.AddASN1(casn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(token) })
								})
							})
						}
					})
				})
			})
		})
	})
	return b.Bytes()
}
