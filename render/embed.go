package render

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-pdf/fpdf"
)

// Why this file exists: when fpdf writes a document it subsets each UTF-8 face again
// (GenerateCutFont walks the font's tables) and compresses the subset and its
// 128 KB CIDToGIDMap with a new zlib writer each (~1.1 MB of allocation apiece): about
// 80 % of the allocation and half the CPU of an attestation, for the same few glyphs
// every time. What fpdf writes for a face is a function of the face and of its set
// of used runes only (the page's text refers to runes, not to glyph numbers), so:
//
//   - a document's used runes are padded with the runes of ordinary French text
//     (baseRunes), so nearly every attestation asks for the same set;
//   - the seven objects fpdf writes for a face and a set (Type0 font, CID font,
//     ToUnicode, CIDSystemInfo, descriptor, CIDToGIDMap, font file) are produced
//     once, by fpdf itself in a prototype document, and kept (embedCache);
//   - before a document is closed, its faces are turned into "Core" stand-ins, which
//     fpdf writes as one small object; finishPDF puts the kept objects in their place.
//
// The padding costs ~10 KB per PDF (the glyphs of unused letters) and saves ~6 MB of
// allocation and half the CPU of an attestation. It needs fpdf's unexported font
// type, reached as in fonts.go; without it (fastFonts false) fpdf writes fonts itself.

// baseRunes are always embedded in the regular face: ASCII letters and digits (the
// reference, INE and student number use any of them), the accented letters of French
// and the hyphen and apostrophe of names; boldBaseRunes in the bold one (names and
// labels). Other signs and rarer letters (Ł, Ş, ễ) are embedded when used: a few more
// sets, each kept. Measured on the test attestations: 40.7–45.4 KB with exact subsets,
// 52.6 KB padded (the size of a subset varies with its glyphs' hinting more than with
// their number).
const (
	baseRunes     = "0123456789" + boldBaseRunes
	boldBaseRunes = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzàâçéèêëîïôùûüœÀÂÇÉÈÊËÎÏÔÙÛÜŒ-'"
)

// embedCacheMax bounds the sets kept per face; more distinct sets than that are
// produced each time (correct, slower).
const embedCacheMax = 64

// embeddedFace is what a document embeds for one face and one set of runes: fpdf's
// seven objects, already compressed and named as a subset, with their references
// to one another made relative (ref k is the k-th object, 0 the Type0 font).
type embeddedFace struct {
	standIn string   // the stand-in's /BaseFont, "dejavu" or "dejavuB"
	objs    []objTpl // 7 objects
}

// objTpl is an object's body: text with references between the face's objects.
type objTpl struct {
	parts []string // parts[i] is followed by refs[i] (all but the last)
	refs  []int
}

type embedEntry struct {
	once sync.Once
	face *embeddedFace
	err  error
}

// embedCache is one face's kept sets, by set of runes.
type embedCache struct {
	mu      sync.Mutex
	entries map[string]*embedEntry
}

// faceFor returns the objects of face p for the runes of used padded with baseRunes.
func (p *preparedFont) faceFor(used map[int]int) (*embeddedFace, error) {
	base := baseRunes
	if p.style == "B" {
		base = boldBaseRunes
	}
	// The set is the base runes this face has plus the used runes outside them: those
	// alone tell one set from another (usually none, a rarer letter or two), so they
	// are the cache key, and the whole set is spelled out only to produce a face.
	var extra []int
	for r := range used {
		if r != 0 && !(inBase(p.style, r) && p.coversFace(rune(r))) {
			extra = append(extra, r)
		}
	}
	slices.Sort(extra)
	var k strings.Builder
	for _, r := range extra {
		k.WriteRune(rune(r))
	}

	p.cache.mu.Lock()
	e := p.cache.entries[k.String()]
	if e == nil {
		e = &embedEntry{}
		if p.cache.entries == nil {
			p.cache.entries = map[string]*embedEntry{}
		}
		if len(p.cache.entries) < embedCacheMax {
			p.cache.entries[k.String()] = e
		}
	}
	p.cache.mu.Unlock()
	e.once.Do(func() {
		runes := extra
		for _, r := range base {
			if p.coversFace(r) {
				runes = append(runes, int(r))
			}
		}
		slices.Sort(runes)
		runes = slices.Compact(runes)
		var key strings.Builder // names the subset (its tag)
		for _, r := range runes {
			key.WriteRune(rune(r))
		}
		e.face, e.err = p.produceFace(runes, key.String())
	})
	return e.face, e.err
}

// inBase tells whether r is one of the base runes of the face of style.
func inBase(style string, r int) bool {
	if r >= len(baseTable) {
		return false
	}
	if style == "B" {
		return baseTable[r]&2 != 0
	}
	return baseTable[r]&1 != 0
}

// baseTable has bit 0 for the runes of baseRunes, bit 1 for boldBaseRunes.
var baseTable = func() []uint8 {
	t := make([]uint8, 0x180) // the base runes are below U+0180
	for _, r := range baseRunes {
		t[r] |= 1
	}
	for _, r := range boldBaseRunes {
		t[r] |= 2
	}
	return t
}()

// coversFace tells whether this face itself (not its bold companion) has r.
func (p *preparedFont) coversFace(r rune) bool {
	return r >= 0 && int(r) < len(p.widths) && p.widths[r] != 0
}

var (
	subsetNameRe = regexp.MustCompile(`/[A-Z]{6}\+DejaVuSans(-Bold)?\b`)
	refRe        = regexp.MustCompile(`\b(\d+) 0 R\b`)
)

// produceFace has fpdf write face p with exactly runes in a prototype document,
// finishes it as Render does (compression, subset name), and keeps the face's objects.
func (p *preparedFont) produceFace(runes []int, key string) (*embeddedFace, error) {
	proto := fpdf.New("P", "mm", "A4", "")
	proto.SetCatalogSort(true)
	proto.SetCompression(false)
	p.installFace(proto)
	def := reflect.New(p.def.Type()).Elem()
	def.Set(fontMap(proto).MapIndex(reflect.ValueOf(p.key)))
	used := make(map[int]int, len(runes))
	for _, r := range runes {
		used[r] = r
	}
	*(*map[int]int)(fieldPtr(def, "usedRunes")) = used
	fontMap(proto).SetMapIndex(reflect.ValueOf(p.key), def)
	proto.AddPage()
	proto.Close()
	var raw, doc bytes.Buffer
	if err := proto.Output(&raw); err != nil {
		return nil, fmt.Errorf("police %s : %w", p.key, err)
	}
	if err := finishPDF(raw.Bytes(), &doc, nil); err != nil {
		return nil, fmt.Errorf("police %s : %w", p.key, err)
	}
	objs, err := pdfObjects(doc.Bytes())
	if err != nil {
		return nil, fmt.Errorf("police %s : %w", p.key, err)
	}
	first := 0
	for n, body := range objs {
		if bytes.Contains(body, []byte("/Subtype /Type0\n")) {
			first = n
		}
	}
	if first == 0 || first+6 >= len(objs) {
		return nil, fmt.Errorf("police %s : objets de fpdf inattendus", p.key)
	}
	// The subset's name: the same set gives the same name, another set another one.
	sum := sha256.Sum256([]byte(p.style + "\x00" + key))
	var tag [6]byte
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	f := &embeddedFace{standIn: p.key}
	for j := range 7 {
		body := objs[first+j]
		dict, stream := body, []byte(nil)
		if i := bytes.Index(body, []byte(">>\nstream\n")); i >= 0 {
			dict, stream = body[:i+len(">>\nstream\n")], body[i+len(">>\nstream\n"):]
		}
		text := subsetNameRe.ReplaceAllString(string(dict), "/"+string(tag[:])+"+DejaVuSans$1")
		var t objTpl
		last := 0
		for _, m := range refRe.FindAllStringSubmatchIndex(text, -1) {
			n, _ := strconv.Atoi(text[m[2]:m[3]])
			if n < first || n > first+6 {
				return nil, fmt.Errorf("police %s : référence %d hors de la police", p.key, n)
			}
			t.parts = append(t.parts, text[last:m[0]])
			t.refs = append(t.refs, n-first)
			last = m[1]
		}
		t.parts = append(t.parts, text[last:]+string(stream))
		f.objs = append(f.objs, t)
	}
	return f, nil
}

// write writes object j of f as number num(j), refs numbered by num.
func (f *embeddedFace) write(out *bytes.Buffer, j int, num func(int) int) {
	t := f.objs[j]
	out.WriteString(strconv.Itoa(num(j)))
	out.WriteString(" 0 obj\n")
	for i, s := range t.parts {
		out.WriteString(s)
		if i < len(t.refs) {
			out.WriteString(strconv.Itoa(num(t.refs[i])))
			out.WriteString(" 0 R")
		}
	}
	out.WriteString("endobj\n")
}

// detach turns the faces of p installed in pdf into stand-ins and returns what
// finishPDF puts in their place (nil on the slow path: fpdf writes the fonts). Call it
// once everything is drawn, just before Close.
func (p *preparedFont) detach(pdf *fpdf.Fpdf) ([]*embeddedFace, error) {
	if !fastFonts {
		return nil, nil
	}
	var faces []*embeddedFace
	for q := p; q != nil; q = q.bold {
		fonts := fontMap(pdf)
		k := reflect.ValueOf(q.key)
		def := reflect.New(q.def.Type()).Elem()
		def.Set(fonts.MapIndex(k))
		face, err := q.faceFor(*(*map[int]int)(fieldPtr(def, "usedRunes")))
		if err != nil {
			return nil, err
		}
		*(*string)(fieldPtr(def, "Tp")) = "Core"
		fonts.SetMapIndex(k, def)
		faces = append(faces, face)
	}
	return faces, nil
}

// pdfObjects reads the bodies of a PDF's objects (between "N 0 obj\n" and "endobj\n")
// through its cross-reference table; index 0 is empty.
func pdfObjects(pdf []byte) ([][]byte, error) {
	sx := bytes.LastIndex(pdf, []byte("startxref\n"))
	if sx < 0 {
		return nil, errLayout
	}
	xref, err := strconv.Atoi(strings.TrimSpace(string(pdf[sx+len("startxref\n") : sx+len("startxref\n")+bytes.IndexByte(pdf[sx+len("startxref\n"):], '\n')])))
	if err != nil || !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")) {
		return nil, errLayout
	}
	p := xref + len("xref\n0 ")
	nl := bytes.IndexByte(pdf[p:], '\n')
	size, err := strconv.Atoi(string(pdf[p : p+nl]))
	if err != nil {
		return nil, errLayout
	}
	p += nl + 1 + 20 // entry 0
	objs := make([][]byte, size)
	for n := 1; n < size; n++ {
		off, err := strconv.Atoi(string(pdf[p : p+10]))
		if err != nil || off >= len(pdf) {
			return nil, errLayout
		}
		p += 20
		head := strconv.Itoa(n) + " 0 obj\n"
		if !bytes.HasPrefix(pdf[off:], []byte(head)) {
			return nil, fmt.Errorf("%w (objet %d)", errLayout, n)
		}
		body := pdf[off+len(head):]
		end := bytes.Index(body, []byte("endobj\n"))
		if st := bytes.Index(body, []byte(">>\nstream\n")); st >= 0 && st < end {
			// the stream's own bytes may contain anything: skip them by their /Length
			li := bytes.LastIndex(body[:st], []byte("/Length "))
			if li < 0 {
				return nil, errLayout
			}
			d := body[li+len("/Length "):]
			k := 0
			for k < len(d) && d[k] >= '0' && d[k] <= '9' {
				k++
			}
			length, _ := strconv.Atoi(string(d[:k]))
			from := st + len(">>\nstream\n") + length
			end = from + bytes.Index(body[from:], []byte("endobj\n"))
		}
		if end < 0 {
			return nil, errLayout
		}
		objs[n] = body[:end]
	}
	return objs, nil
}
