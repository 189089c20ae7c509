// Package pades signs a PDF written by hypercerts as PAdES baseline B (ETSI EN 319
// 142-1): a detached CMS signature (ETSI.CAdES.detached) with the ESS
// signing-certificate-v2 attribute and no CMS signing-time (the time is the
// dictionary's /M), over the whole file but the signature value, added
// as an incremental update so the original bytes stay as they were. Any reader (Adobe,
// poppler's pdfsig) then shows the document signed, and any change breaks it.
//
// CMS comes from github.com/smallstep/pkcs7. The incremental update is written here:
// it re-states the catalog (with an AcroForm naming the signature field) and the first
// page (with the field's invisible widget in its Annots), adds the field and the
// signature dictionary, and a cross-reference section chained to the original one.
package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/smallstep/pkcs7"
)

// Signer is the university's signing certificate and key.
type Signer struct {
	Cert  *x509.Certificate
	Chain []*x509.Certificate // intermediates (and root) after Cert, embedded for readers
	Key   crypto.Signer
	// Name is the signer's name in the signature dictionary (default: the certificate's CN).
	Name string
	// Reason and Location are shown by PDF readers.
	Reason, Location string
	// TSA, when set, time-stamps each signature (RFC 3161, PAdES B-T; tsa.go).
	TSA *TSA
}

// room is the space reserved for the CMS signature, in bytes (hex doubles it): the
// certificates it embeds plus attributes and a signature value of up to RSA-4096.
func (s Signer) room() int {
	n := len(s.Cert.Raw) + 1536
	for _, c := range s.Chain {
		n += len(c.Raw)
	}
	if s.TSA != nil {
		n += tsaRoom
	}
	return n
}

var (
	startxrefRe = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	trailerRe   = regexp.MustCompile(`(?s)trailer\s*<<(.*?)>>\s*startxref\s+\d+\s+%%EOF\s*$`)
	sizeRe      = regexp.MustCompile(`/Size\s+(\d+)`)
	rootRe      = regexp.MustCompile(`/Root\s+(\d+)\s+0\s+R`)
	infoRe      = regexp.MustCompile(`/Info\s+(\d+)\s+0\s+R`)
	pageRe      = regexp.MustCompile(`(?s)(?:^|\n)(\d+) 0 obj\s*<<\s*/Type /Page\s(.*?)>>\s*endobj`)
)

// Sign returns pdf signed by s. pdf must be a PDF written by hypercerts' renderer
// (classic cross-reference table, not yet signed).
func Sign(pdf []byte, s Signer, at time.Time) ([]byte, error) {
	if bytes.Contains(pdf, []byte("/ByteRange")) {
		return nil, errors.New("PAdES : le PDF est déjà signé")
	}
	tail := pdf[max(0, len(pdf)-2048):] // the trailer is at the end: no regexp over the file
	m := startxrefRe.FindSubmatch(tail)
	t := trailerRe.FindSubmatch(tail)
	if m == nil || t == nil {
		return nil, errors.New("PAdES : fin de PDF inattendue (table de références classique attendue)")
	}
	prev := string(m[1])
	size, _ := strconv.Atoi(string(sizeRe.FindSubmatch(t[1])[1]))
	rm := rootRe.FindSubmatch(t[1])
	if size == 0 || rm == nil {
		return nil, errors.New("PAdES : dictionnaire de fin (trailer) incomplet")
	}
	root, _ := strconv.Atoi(string(rm[1]))
	catalog, err := objectDict(pdf, root)
	if err != nil {
		return nil, err
	}
	pm := pageRe.FindSubmatch(pdf[:min(len(pdf), 4096)]) // fpdf writes the first page first
	if pm == nil {
		return nil, errors.New("PAdES : page introuvable")
	}
	page, _ := strconv.Atoi(string(pm[1]))
	pageDict := string(pm[2])
	if bytes.Contains(pm[2], []byte("/Annots")) {
		return nil, errors.New("PAdES : la page a déjà des annotations")
	}
	field, sig := size, size+1
	name := s.Name
	if name == "" {
		name = s.Cert.Subject.CommonName
	}

	var buf bytes.Buffer
	contentsSize := s.room()
	buf.Grow(len(pdf) + 2*contentsSize + 2048)
	buf.Write(pdf)
	if pdf[len(pdf)-1] != '\n' {
		buf.WriteByte('\n')
	}
	offsets := map[int]int{}
	obj := func(n int, body string) {
		offsets[n] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	obj(root, "<<"+catalog+fmt.Sprintf("\n/AcroForm <</Fields [%d 0 R] /SigFlags 3>>", field)+">>")
	obj(page, "<</Type /Page\n"+pageDict+fmt.Sprintf("\n/Annots [%d 0 R]>>", field))
	obj(field, fmt.Sprintf("<</Type /Annot /Subtype /Widget /FT /Sig /F 132 /T %s /V %d 0 R /P %d 0 R /Rect [0 0 0 0]>>",
		pdfString("Signature de l'université"), sig, page))

	// The signature dictionary: /ByteRange is written with fixed-width numbers and
	// patched once the offsets are known; /Contents is a zero-filled hex string.
	offsets[sig] = buf.Len()
	fmt.Fprintf(&buf, "%d 0 obj\n<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached\n/ByteRange ", sig)
	brPos := buf.Len()
	buf.WriteString("[0000000000 0000000000 0000000000 0000000000]")
	buf.WriteString("\n/Contents ")
	contentsPos := buf.Len()
	buf.WriteByte('<')
	buf.Write(bytes.Repeat([]byte("0"), 2*contentsSize))
	buf.WriteByte('>')
	contentsEnd := buf.Len()
	fmt.Fprintf(&buf, "\n/M %s /Name %s", pdfString(pdfDate(at)), pdfString(name))
	if s.Reason != "" {
		fmt.Fprintf(&buf, " /Reason %s", pdfString(s.Reason))
	}
	if s.Location != "" {
		fmt.Fprintf(&buf, " /Location %s", pdfString(s.Location))
	}
	buf.WriteString(">>\nendobj\n")

	xref := buf.Len()
	buf.WriteString("xref\n")
	for _, n := range sortedKeys(offsets) {
		fmt.Fprintf(&buf, "%d 1\n%010d 00000 n \n", n, offsets[n])
	}
	id := sha256.Sum256(pdf)
	trailer := fmt.Sprintf("trailer\n<</Size %d /Root %d 0 R", sig+1, root)
	if im := infoRe.FindSubmatch(t[1]); im != nil {
		trailer += fmt.Sprintf(" /Info %s 0 R", im[1])
	}
	trailer += fmt.Sprintf(" /Prev %s /ID [<%x> <%x>]>>\nstartxref\n%d\n%%%%EOF\n", prev, id[:16], id[16:], xref)
	buf.WriteString(trailer)

	out := buf.Bytes()
	br := fmt.Sprintf("[%010d %010d %010d %010d]", 0, contentsPos, contentsEnd, len(out)-contentsEnd)
	copy(out[brPos:], br)
	// The signed bytes are hashed where they are: no copy of the file.
	h := sha256.New()
	h.Write(out[:contentsPos])
	h.Write(out[contentsEnd:])
	cms, err := s.cms(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	if len(cms) > contentsSize {
		return nil, fmt.Errorf("PAdES : signature de %d octets, place réservée %d (chaîne de certificats trop longue)", len(cms), contentsSize)
	}
	hex.Encode(out[contentsPos+1:], cms)
	return out, nil
}

// oidSigningCertificateV2 is id-aa-signingCertificateV2 (RFC 5035).
var oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}

// essCertIDv2 with the default hash algorithm (SHA-256) left out, as DER requires.
type essCertIDv2 struct {
	CertHash []byte
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

// cms is the detached CMS SignedData over the signed bytes whose SHA-256 is digest,
// with the signed attributes of a PAdES baseline signature (ETSI EN 319 142-1 §5.2):
// content-type, message-digest and ESS signing-certificate-v2, and no signing-time
// (§5.2.1: the claimed signing time is the signature dictionary's /M).
//
// smallstep/pkcs7 builds the structure, but always adds a signing-time attribute and
// hashes content it is given whole. So it is given no content and a signer that
// signs nothing; then the message digest is set, signing-time removed, and the
// attributes signed once, here.
func (s Signer) cms(digest []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(nil)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	h := sha256.Sum256(s.Cert.Raw)
	attr := pkcs7.Attribute{Type: oidSigningCertificateV2, Value: signingCertificateV2{Certs: []essCertIDv2{{CertHash: h[:]}}}}
	if err := sd.AddSignerChain(s.Cert, later{s.Key.Public()}, s.Chain, pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{attr}}); err != nil {
		return nil, fmt.Errorf("PAdES : signature CMS : %w", err)
	}
	si := &sd.GetSignedData().SignerInfos[0]
	md, err := asn1.Marshal(digest)
	if err != nil {
		return nil, err
	}
	attrs := si.AuthenticatedAttributes[:0]
	found := false
	for _, a := range si.AuthenticatedAttributes {
		switch {
		case a.Type.Equal(pkcs7.OIDAttributeSigningTime):
			continue
		case a.Type.Equal(pkcs7.OIDAttributeMessageDigest):
			a.Value.Bytes, found = md, true
		}
		attrs = append(attrs, a)
	}
	if !found {
		return nil, errors.New("PAdES : attribut message-digest absent de la structure CMS")
	}
	signed, err := derSet(attrs)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(signed)
	sig, err := s.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("PAdES : signature CMS : %w", err)
	}
	si.AuthenticatedAttributes, si.EncryptedDigest = attrs, sig
	if s.TSA != nil {
		token, _, err := s.TSA.Stamp(context.Background(), sig)
		if err != nil {
			return nil, fmt.Errorf("PAdES : %w", err)
		}
		if err := si.SetUnauthenticatedAttributes([]pkcs7.Attribute{{Type: oidTimeStampToken, Value: asn1.RawValue{FullBytes: token}}}); err != nil {
			return nil, err
		}
	}
	sd.Detach()
	return sd.Finish()
}

// derSet sorts attrs as DER orders a SET OF (by encoding) and returns the SET's
// encoding, which is what the signature covers (RFC 5652 §5.4). The sorted slice is
// also what is sent, as [0] IMPLICIT.
func derSet[T any](attrs []T) ([]byte, error) {
	enc := make([][]byte, len(attrs))
	for i := range attrs {
		b, err := asn1.Marshal(attrs[i])
		if err != nil {
			return nil, err
		}
		enc[i] = b
	}
	idx := make([]int, len(attrs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(enc[a], enc[b]) })
	sorted := make([]T, len(attrs))
	var body []byte
	for i, j := range idx {
		sorted[i] = attrs[j]
		body = append(body, enc[j]...)
	}
	copy(attrs, sorted)
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: body})
}

// later stands for the key while smallstep/pkcs7 builds the SignerInfo (it picks the
// signature algorithm from the public key); cms signs the final attributes itself.
type later struct{ pub crypto.PublicKey }

func (l later) Public() crypto.PublicKey { return l.pub }

func (later) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, nil }

// objectDict returns the inside of object n's dictionary (last definition wins).
func objectDict(pdf []byte, n int) (string, error) {
	head := []byte("\n" + strconv.Itoa(n) + " 0 obj\n")
	i := bytes.LastIndex(pdf, head)
	if i < 0 {
		return "", fmt.Errorf("PAdES : objet %d introuvable", n)
	}
	body := pdf[i+len(head):]
	end := bytes.Index(body, []byte("endobj"))
	if end < 0 {
		return "", fmt.Errorf("PAdES : objet %d sans fin", n)
	}
	body = bytes.TrimSpace(body[:end])
	if !bytes.HasPrefix(body, []byte("<<")) || !bytes.HasSuffix(body, []byte(">>")) || bytes.Contains(body, []byte("stream")) {
		return "", fmt.Errorf("PAdES : objet %d : dictionnaire attendu", n)
	}
	return string(body[2 : len(body)-2]), nil
}

func sortedKeys(m map[int]int) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// pdfString writes s as a PDF text string: UTF-16BE with a byte order mark, in hex.
func pdfString(s string) string {
	var b bytes.Buffer
	b.WriteString("<FEFF")
	for _, r := range s {
		if r > 0xFFFF {
			r = '?'
		}
		fmt.Fprintf(&b, "%04X", r)
	}
	b.WriteString(">")
	return b.String()
}

func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}
