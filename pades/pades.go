// Package pades signs a PDF written by hypercerts as PAdES baseline B (ETSI EN 319
// 142-1): a detached CMS signature (ETSI.CAdES.detached) with the ESS
// signing-certificate-v2 attribute and no CMS signing-time (the time is the
// dictionary's /M), over the whole file but the signature value, added
// as an incremental update so the original bytes stay as they were. Any reader (Adobe,
// poppler's pdfsig) then shows the document signed, and any change breaks it.
//
// The CMS structure is written here (cms.go), its fixed parts once per signer. The
// incremental update too: it re-states the catalog (with an AcroForm naming the
// signature field) and the first page (with the field's invisible widget in its
// Annots), adds the field and the signature dictionary, and a cross-reference
// section chained to the original one.
package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
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

	// tpl is the CMS encoding shared by the signatures of Cert (cms.go), made by the
	// functions that load a signer; a Signer made otherwise makes it at each Sign.
	tpl *cmsTemplate
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

// Sign returns pdf signed by s. pdf must be a PDF written by hypercerts' renderer
// (one classic cross-reference table, not yet signed nor updated).
func Sign(pdf []byte, s Signer, at time.Time) ([]byte, error) {
	return SignContext(context.Background(), pdf, s, at)
}

// SignContext is Sign whose time-stamp request (s.TSA) ends with ctx: a campaign
// stopped while the authority is slow does not wait for the HTTP client's timeout.
func SignContext(ctx context.Context, pdf []byte, s Signer, at time.Time) ([]byte, error) {
	tr, err := readTrailer(pdf)
	if err != nil {
		return nil, err
	}
	if tr.prev {
		if bytes.Contains(pdf, []byte("/ByteRange")) {
			return nil, errors.New("PAdES : le PDF est déjà signé")
		}
		return nil, errors.New("PAdES : PDF déjà mis à jour (une seule table de références attendue)")
	}
	// The objects are found through the cross-reference table: no search of the file.
	catalog, err := objectDict(pdf, tr.xref, tr.root)
	if err != nil {
		return nil, err
	}
	pages, err := objectDict(pdf, tr.xref, ref(catalog, "/Pages"))
	if err != nil {
		return nil, err
	}
	page := 0
	if k := bytes.Index(pages, []byte("/Kids")); k >= 0 {
		if b := bytes.IndexByte(pages[k:], '['); b >= 0 {
			page = leadingRef(pages[k+b+1:])
		}
	}
	if page == 0 {
		return nil, errors.New("PAdES : page introuvable")
	}
	pageDict, err := objectDict(pdf, tr.xref, page)
	if err != nil {
		return nil, err
	}
	if !isPage(pageDict) { // the first kid is a page in the renderer's flat page tree
		return nil, fmt.Errorf("PAdES : l'objet %d n'est pas une page (arbre de pages à un niveau attendu)", page)
	}
	if bytes.Contains(pageDict, []byte("/Annots")) {
		return nil, errors.New("PAdES : la page a déjà des annotations")
	}
	if bytes.Contains(catalog, []byte("/AcroForm")) {
		return nil, errors.New("PAdES : le PDF a déjà un formulaire")
	}
	field, sig := tr.size, tr.size+1
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
	var offsets [4]struct{ n, at int } // the four objects written, for the xref section
	obj := func(i, n int) {
		offsets[i].n, offsets[i].at = n, buf.Len()
		buf.WriteString(strconv.Itoa(n))
		buf.WriteString(" 0 obj\n")
	}
	obj(0, tr.root)
	buf.WriteString("<<")
	buf.Write(catalog)
	fmt.Fprintf(&buf, "\n/AcroForm <</Fields [%d 0 R] /SigFlags 3>>>>\nendobj\n", field)
	obj(1, page)
	buf.WriteString("<<")
	buf.Write(pageDict)
	fmt.Fprintf(&buf, "\n/Annots [%d 0 R]>>\nendobj\n", field)
	obj(2, field)
	fmt.Fprintf(&buf, "<</Type /Annot /Subtype /Widget /FT /Sig /F 132 /T %s /V %d 0 R /P %d 0 R /Rect [0 0 0 0]>>\nendobj\n",
		pdfString("Signature de l'université"), sig, page)

	// The signature dictionary: /ByteRange is written with fixed-width numbers and
	// patched once the offsets are known; /Contents is a zero-filled hex string.
	obj(3, sig)
	buf.WriteString("<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached\n/ByteRange ")
	brPos := buf.Len()
	buf.WriteString("[0000000000 0000000000 0000000000 0000000000]")
	buf.WriteString("\n/Contents ")
	contentsPos := buf.Len()
	buf.WriteByte('<')
	buf.Grow(2 * contentsSize)
	zeros := buf.AvailableBuffer()[:2*contentsSize]
	for i := range zeros {
		zeros[i] = '0'
	}
	buf.Write(zeros)
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
	slices.SortFunc(offsets[:], func(a, b struct{ n, at int }) int { return a.n - b.n })
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%d 1\n%010d 00000 n \n", o.n, o.at)
	}
	// The file identifier: the original's first string, which stays (ISO 32000-1
	// §14.4), and a second one that changes with the update: here the hash of the
	// update's objects (the signature dictionary's date and signer included).
	upd := sha256.Sum256(buf.Bytes()[len(pdf):xref])
	first := tr.id
	if first == nil {
		whole := sha256.Sum256(pdf)
		first = whole[:16]
	}
	fmt.Fprintf(&buf, "trailer\n<</Size %d /Root %d 0 R", sig+1, tr.root)
	if tr.info > 0 {
		fmt.Fprintf(&buf, " /Info %d 0 R", tr.info)
	}
	fmt.Fprintf(&buf, " /Prev %d /ID [<%x> <%x>]>>\nstartxref\n%d\n%%%%EOF\n", tr.xref, first, upd[:16], xref)

	out := buf.Bytes()
	br := fmt.Sprintf("[%010d %010d %010d %010d]", 0, contentsPos, contentsEnd, len(out)-contentsEnd)
	copy(out[brPos:], br)
	// The signed bytes are hashed where they are: no copy of the file.
	h := sha256.New()
	h.Write(out[:contentsPos])
	h.Write(out[contentsEnd:])
	cms, err := s.cms(ctx, h.Sum(nil))
	if err != nil {
		return nil, err
	}
	if len(cms) > contentsSize {
		return nil, fmt.Errorf("PAdES : signature de %d octets, place réservée %d (chaîne de certificats trop longue)", len(cms), contentsSize)
	}
	hex.Encode(out[contentsPos+1:], cms)
	return out, nil
}

// cms is the detached CMS SignedData over the signed bytes whose SHA-256 is digest.
func (s Signer) cms(ctx context.Context, digest []byte) ([]byte, error) {
	t := s.tpl
	if t == nil || t.cert != s.Cert || !slices.Equal(t.chain, s.Chain) {
		var err error
		if t, err = newCMSTemplate(s.Cert, s.Chain, s.Key.Public()); err != nil {
			return nil, err
		}
	}
	var stamp func([]byte) ([]byte, error)
	if s.TSA != nil {
		stamp = func(sig []byte) ([]byte, error) {
			token, _, err := s.TSA.Stamp(ctx, sig)
			if err != nil {
				return nil, fmt.Errorf("PAdES : %w", err)
			}
			return token, nil
		}
	}
	return t.sign(digest, s.Key, stamp)
}

// trailer is what Sign reads of a PDF's end.
type trailer struct {
	xref             int // startxref: the cross-reference section
	size, root, info int
	prev             bool   // the file was updated already
	id               []byte // first string of /ID, if any
}

// readTrailer reads the trailer at the end of pdf (classic cross-reference table).
func readTrailer(pdf []byte) (trailer, error) {
	bad := errors.New("PAdES : fin de PDF inattendue (table de références classique attendue)")
	tail := pdf[max(0, len(pdf)-2048):] // the trailer is at the end
	sx := bytes.LastIndex(tail, []byte("startxref"))
	td := bytes.LastIndex(tail, []byte("trailer"))
	if sx < 0 || td < 0 || td > sx {
		return trailer{}, bad
	}
	rest := bytes.Fields(tail[sx+len("startxref"):])
	if len(rest) != 2 || string(rest[1]) != "%%EOF" {
		return trailer{}, bad
	}
	var t trailer
	var err error
	if t.xref, err = strconv.Atoi(string(rest[0])); err != nil || t.xref <= 0 || t.xref >= len(pdf) {
		return trailer{}, bad
	}
	dict := tail[td+len("trailer") : sx]
	t.size = intAfter(dict, "/Size")
	t.root = ref(dict, "/Root")
	t.info = ref(dict, "/Info")
	t.prev = bytes.Contains(dict, []byte("/Prev"))
	if t.size <= 0 || t.root <= 0 {
		return trailer{}, errors.New("PAdES : dictionnaire de fin (trailer) incomplet")
	}
	if i := bytes.Index(dict, []byte("/ID")); i >= 0 {
		// The first string must stay as it is (ISO 32000-1 §14.4): one that cannot be
		// read is refused, not replaced.
		if t.id = firstHexString(dict[i+len("/ID"):]); t.id == nil {
			return trailer{}, errors.New("PAdES : identifiant du fichier (/ID) illisible dans le dictionnaire de fin (tableau de chaînes hexadécimales attendu)")
		}
	}
	return t, nil
}

// firstHexString decodes the first string of the array at the start of b when it is a
// hexadecimal string (ISO 32000-1 §7.3.4.3: white space ignored, a missing last digit
// is 0); nil otherwise.
func firstHexString(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '[' {
		return nil
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	end := bytes.IndexByte(b, '>')
	if len(b) < 2 || b[0] != '<' || b[1] == '<' || end < 0 {
		return nil
	}
	digits := make([]byte, 0, end)
	for _, c := range b[1:end] {
		if !isSpace(c) && c != '\f' && c != 0 {
			digits = append(digits, c)
		}
	}
	if len(digits)%2 == 1 {
		digits = append(digits, '0')
	}
	id := make([]byte, len(digits)/2)
	if _, err := hex.Decode(id, digits); err != nil {
		return nil
	}
	return id
}

// isPage tells whether dict is a page object's (/Type /Page, not /Pages).
func isPage(dict []byte) bool {
	i := bytes.Index(dict, []byte("/Type"))
	if i < 0 {
		return false
	}
	v := bytes.TrimLeft(dict[i+len("/Type"):], " \t\r\n")
	return bytes.HasPrefix(v, []byte("/Page")) && (len(v) == 5 || !isRegular(v[5]))
}

// isRegular tells a byte that continues a name (ISO 32000-1 §7.2.2: not white space,
// not a delimiter).
func isRegular(c byte) bool {
	return !isSpace(c) && c != 0 && c != '\f' && !bytes.ContainsRune([]byte("()<>[]{}/%"), rune(c))
}

// value returns what follows key (a name, then white space) in dict, or nil.
func value(dict []byte, key string) []byte {
	for i := 0; ; {
		k := bytes.Index(dict[i:], []byte(key))
		if k < 0 {
			return nil
		}
		i += k + len(key)
		if i < len(dict) && isSpace(dict[i]) {
			return bytes.TrimLeft(dict[i:], " \t\r\n")
		}
	}
}

// intAfter is the integer value of key in dict (0 if none).
func intAfter(dict []byte, key string) int {
	v := value(dict, key)
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// ref is the object number of key's value "n 0 R" in dict (0 if none).
func ref(dict []byte, key string) int {
	return leadingRef(value(dict, key))
}

// leadingRef is the object number of the reference "n 0 R" at the start of b (0 if none).
func leadingRef(b []byte) int {
	f := bytes.Fields(b[:min(len(b), 32)])
	if len(f) < 3 || string(f[1]) != "0" || !bytes.HasPrefix(f[2], []byte("R")) {
		return 0
	}
	n, err := strconv.Atoi(string(f[0]))
	if err != nil {
		return 0
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// objectDict returns the inside of object n's dictionary, found through the
// cross-reference section at xref.
func objectDict(pdf []byte, xref, n int) ([]byte, error) {
	off, err := objectOffset(pdf, xref, n)
	if err != nil {
		return nil, err
	}
	head := strconv.Itoa(n) + " 0 obj"
	body := pdf[off:]
	if !bytes.HasPrefix(body, []byte(head)) {
		return nil, fmt.Errorf("PAdES : objet %d introuvable à l'octet %d", n, off)
	}
	body = body[len(head):]
	end := bytes.Index(body, []byte("endobj"))
	if end < 0 {
		return nil, fmt.Errorf("PAdES : objet %d sans fin", n)
	}
	body = bytes.TrimSpace(body[:end])
	if !bytes.HasPrefix(body, []byte("<<")) || !bytes.HasSuffix(body, []byte(">>")) || bytes.Contains(body, []byte("stream")) {
		return nil, fmt.Errorf("PAdES : objet %d : dictionnaire attendu", n)
	}
	return body[2 : len(body)-2], nil
}

// objectOffset reads object n's offset in the cross-reference section at xref: its
// subsections ("first count" then 20-byte entries, ISO 32000-1 §7.5.4).
func objectOffset(pdf []byte, xref, n int) (int, error) {
	notFound := fmt.Errorf("PAdES : objet %d absent de la table de références", n)
	unreadable := errors.New("PAdES : table de références illisible")
	p := pdf[xref:]
	if !bytes.HasPrefix(p, []byte("xref")) {
		return 0, errors.New("PAdES : table de références introuvable")
	}
	p = bytes.TrimLeft(p[len("xref"):], " \r\n")
	for len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
		eol := bytes.IndexAny(p, "\r\n")
		if eol < 0 {
			return 0, notFound
		}
		f := bytes.Fields(p[:eol])
		if len(f) != 2 {
			return 0, unreadable
		}
		first, err1 := strconv.Atoi(string(f[0]))
		count, err2 := strconv.Atoi(string(f[1]))
		if err1 != nil || err2 != nil || count < 0 {
			return 0, unreadable
		}
		p = bytes.TrimLeft(p[eol:], "\r\n")
		if n >= first && n < first+count {
			e := p[min(len(p), 20*(n-first)):]
			if len(e) < 20 || e[17] != 'n' {
				return 0, notFound
			}
			off, err := strconv.Atoi(string(e[:10]))
			if err != nil || off <= 0 || off >= len(pdf) {
				return 0, notFound
			}
			return off, nil
		}
		p = p[min(len(p), 20*count):]
	}
	return 0, notFound
}

// pdfString writes s as a PDF text string: UTF-16BE with a byte order mark, in hex.
func pdfString(s string) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, 6+4*len(s))
	b = append(b, "<FEFF"...)
	for _, r := range s {
		if r > 0xFFFF {
			r = '?'
		}
		b = append(b, digits[r>>12&15], digits[r>>8&15], digits[r>>4&15], digits[r&15])
	}
	return string(append(b, '>'))
}

func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}
