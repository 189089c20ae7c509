package render

import (
	_ "embed"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-pdf/fpdf"
)

// The attestation is set in DejaVu Sans (Bitstream Vera / Arev licence, see
// fonts/LICENSE): it covers Latin, Latin Extended A/B and Latin Extended Additional
// (Vietnamese), so Ł, Ş, ễ, œ and ’ all print. The files are embedded unmodified.
//
// Bold is the real DejaVu Sans Bold face (a registrar noticed the stroked outline
// earlier versions drew), embedded and subset like the regular one.
//
//go:embed fonts/DejaVuSans.ttf
var dejaVuSans []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var dejaVuSansBold []byte

// fontFamily is the name the documents use for DejaVu Sans.
const fontFamily = "dejavu"

// Why this file exists: fpdf parses a TrueType font in AddUTF8FontFromBytes (cmap,
// widths of 65,536 code points, then a JSON encoding of them all to make an id).
// Done for every document that costs more than the rest of the page. So the font is
// parsed once per process into a prototype document, and each new document receives a
// copy of that parsed definition, with its own set of used runes and its own reader
// for the subsetting fpdf does when it writes the file (GenerateCutFont starts from
// the raw bytes and resets all its state, so nothing parsed is shared mutably).
//
// fpdf keeps these structures unexported; they are reached with reflect and unsafe,
// after checking their shape (fields, kinds) against what v0.9.0 has. If a future
// fpdf changes them, fastFonts is false and every document falls back to
// AddUTF8FontFromBytes: slower, same bytes (TestFastPathSameBytes).
//
// Three sizes of the font are prepared. "core" is DejaVu Sans cut (with fpdf's own
// UTF8CutFont) to what French and most European names use (~400 glyphs), at
// start-up. "latin" is a wider cut (~900 glyphs: Latin Extended-B, Vietnamese), and
// "full" the whole font (~6,000 glyphs: Greek, Cyrillic…); each is prepared when a
// document first has a character the smaller ones lack.

// latinRanges is the repertoire of the "latin" cut.
var latinRanges = [][2]rune{
	{0x0020, 0x007E}, // Basic Latin
	{0x00A0, 0x024F}, // Latin-1 Supplement, Latin Extended-A and -B
	{0x02B0, 0x02FF}, // spacing modifier letters (ʼ ˆ ˜)
	{0x0300, 0x036F}, // combining marks left after NFC
	{0x1E00, 0x1EFF}, // Latin Extended Additional (Vietnamese)
	{0x2000, 0x206F}, // general punctuation (’ – — … « » spaces)
	{0x20AC, 0x20AC}, // €
	{0x2116, 0x2116}, // №
}

// coreRanges is the "core" cut: what French and most European names need. Subsetting
// walks its ~400 glyphs instead of the latin cut's ~900, which halves the font work of
// the usual attestation (two faces are subset per document).
var coreRanges = [][2]rune{
	{0x0020, 0x007E}, // Basic Latin
	{0x00A0, 0x017F}, // Latin-1 Supplement, Latin Extended-A (Ł, Ş, ı, œ…)
	{0x2010, 0x2026}, // dashes, quotes, bullets, ellipsis
	{0x20AC, 0x20AC}, // €
}

// preparedFont is one parsed font, ready to be handed to new documents.
type preparedFont struct {
	ttf   []byte        // the TrueType bytes fpdf subsets from
	style string        // "" or "B"
	bold  *preparedFont // the bold face of the same repertoire (regular faces only)
	key   string        // fpdf's key in its font map
	def   reflect.Value
	// widths by code point, shared read-only (fpdf's Cw); covers tells what prints.
	widths []int
	cache  embedCache // what documents embed of this face (embed.go)
	whole  bool       // the whole font, not a cut
}

func (p *preparedFont) covers(r rune) bool {
	return r >= 0 && int(r) < len(p.widths) && p.widths[r] != 0 && (p.bold == nil || p.bold.covers(r))
}

var (
	fontsOnce sync.Once
	fontsErr  error
	// coreFont is the core cut, prepared by loadFonts: nearly every attestation uses it.
	coreFont *preparedFont
	// The latin cut and the whole font serve only names in rarer scripts (Romanian ș,
	// Vietnamese, Greek…): they are prepared at their first use, not at start-up,
	// where they cost ~110 ms of the demo's first screen (~90 ms the latin cut).
	latinCut = &fontCut{name: "latin", ranges: latinRanges}
	fullCut  = &fontCut{name: "complète"}
	// fpdfShape says fpdf's unexported font structures are the ones install knows;
	// fastFonts, set from it, says documents take the fast path (tests turn it off).
	fpdfShape, fastFonts bool
)

// loadFonts prepares the core cut of both faces, once per process.
func loadFonts() error {
	fontsOnce.Do(func() {
		fpdfShape = fpdfShapeOK()
		fastFonts = fpdfShape
		coreFont, fontsErr = prepareCut("base", coreRanges)
	})
	return fontsErr
}

// fontCut is a cut of both faces, prepared at its first use (safe for concurrent use).
type fontCut struct {
	name   string
	ranges [][2]rune // nil: the whole font
	once   sync.Once
	font   *preparedFont
	err    error
}

func (c *fontCut) get() (*preparedFont, error) {
	c.once.Do(func() { c.font, c.err = prepareCut(c.name, c.ranges) })
	return c.font, c.err
}

// prepareCut prepares DejaVu Sans and its bold face cut to ranges (nil: whole).
func prepareCut(name string, ranges [][2]rune) (*preparedFont, error) {
	regular, bold := dejaVuSans, dejaVuSansBold
	if ranges != nil {
		set := runesOf(ranges)
		regular, bold = fpdf.UTF8CutFont(dejaVuSans, set), fpdf.UTF8CutFont(dejaVuSansBold, set)
	}
	f, err := prepareFont(regular, "")
	if err != nil {
		return nil, fmt.Errorf("police DejaVu Sans (%s) : %w", name, err)
	}
	if f.bold, err = prepareFont(bold, "B"); err != nil {
		return nil, fmt.Errorf("police DejaVu Sans Bold (%s) : %w", name, err)
	}
	f.whole = ranges == nil
	return f, nil
}

func runesOf(ranges [][2]rune) string {
	var sb strings.Builder
	for _, rg := range ranges {
		for r := rg[0]; r <= rg[1]; r++ {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// prepareFont parses ttf once in a prototype document and keeps its definition.
func prepareFont(ttf []byte, style string) (*preparedFont, error) {
	proto := fpdf.New("P", "mm", "A4", "")
	proto.AddUTF8FontFromBytes(fontFamily, style, ttf)
	if err := proto.Error(); err != nil {
		return nil, err
	}
	p := &preparedFont{ttf: ttf, style: style}
	if !fpdfShape {
		// Widths for coverage only: read them the public way.
		proto.SetFont(fontFamily, style, 10)
		p.widths = publicWidths(proto)
		return p, proto.Error()
	}
	fonts := fontMap(proto)
	keys := fonts.MapKeys()
	if len(keys) != 1 {
		return nil, fmt.Errorf("fpdf : %d polices dans le prototype, 1 attendue", len(keys))
	}
	p.key = keys[0].String()
	p.def = reflect.New(fonts.Type().Elem()).Elem()
	p.def.Set(fonts.MapIndex(keys[0]))
	p.widths = *(*[]int)(fieldPtr(p.def, "Cw"))
	return p, nil
}

// publicWidths measures every code point of the current font (fallback path only).
func publicWidths(pdf *fpdf.Fpdf) []int {
	w := make([]int, 0x10000)
	for r := rune(0x20); r < 0x10000; r++ {
		if pdf.GetStringWidth(string(r)) > 0 {
			w[r] = 1
		}
	}
	return w
}

// install gives pdf the font, parsed once: a copy of the definition with its own used
// runes and a fresh utf8FontFile reading the shared (never written) TrueType bytes.
func (p *preparedFont) install(pdf *fpdf.Fpdf) {
	if p.bold != nil {
		defer p.bold.install(pdf)
	}
	p.installFace(pdf)
}

// installFace installs p alone (not its bold face).
func (p *preparedFont) installFace(pdf *fpdf.Fpdf) {
	if !fastFonts {
		pdf.AddUTF8FontFromBytes(fontFamily, p.style, p.ttf)
		return
	}
	def := reflect.New(p.def.Type()).Elem()
	def.Set(p.def)

	used := *(*map[int]int)(fieldPtr(p.def, "usedRunes"))
	fresh := make(map[int]int, len(used)+64)
	for k, v := range used {
		fresh[k] = v
	}
	*(*map[int]int)(fieldPtr(def, "usedRunes")) = fresh

	utf8File := field(def, "utf8File") // *utf8FontFile
	file := reflect.New(utf8File.Type().Elem())
	reader := field(file.Elem(), "fileReader") // *fileReader
	fr := reflect.New(reader.Type().Elem())
	*(*[]byte)(fieldPtr(fr.Elem(), "array")) = p.ttf
	reader.Set(fr)
	utf8File.Set(file)

	fontMap(pdf).SetMapIndex(reflect.ValueOf(p.key), def)
}

// fpdfShapeOK checks that fpdf's unexported font structures are the ones install
// knows (fpdf v0.9.0), and its image map and image width the ones Renderer.image sets.
func fpdfShapeOK() bool {
	if im, ok := reflect.TypeFor[fpdf.Fpdf]().FieldByName("images"); !ok || im.Type != reflect.TypeFor[map[string]*fpdf.ImageInfoType]() {
		return false
	}
	if w, ok := reflect.TypeFor[fpdf.ImageInfoType]().FieldByName("w"); !ok || w.Type.Kind() != reflect.Float64 {
		return false
	}
	ft, ok := reflect.TypeFor[fpdf.Fpdf]().FieldByName("fonts")
	if !ok || ft.Type.Kind() != reflect.Map || ft.Type.Key().Kind() != reflect.String {
		return false
	}
	def := ft.Type.Elem()
	if def.Kind() != reflect.Struct {
		return false
	}
	want := map[string]reflect.Type{
		"Cw":        reflect.TypeFor[[]int](),
		"usedRunes": reflect.TypeFor[map[int]int](),
		"Tp":        reflect.TypeFor[string](), // detach makes a face a "Core" stand-in
	}
	for name, typ := range want {
		f, ok := def.FieldByName(name)
		if !ok || f.Type != typ {
			return false
		}
	}
	uf, ok := def.FieldByName("utf8File")
	if !ok || uf.Type.Kind() != reflect.Pointer || uf.Type.Elem().Kind() != reflect.Struct {
		return false
	}
	rf, ok := uf.Type.Elem().FieldByName("fileReader")
	if !ok || rf.Type.Kind() != reflect.Pointer || rf.Type.Elem().Kind() != reflect.Struct {
		return false
	}
	fr := rf.Type.Elem()
	if fr.NumField() != 2 {
		return false
	}
	arr, ok := fr.FieldByName("array")
	if !ok || arr.Type != reflect.TypeFor[[]byte]() {
		return false
	}
	pos, ok := fr.FieldByName("readerPosition")
	return ok && pos.Type.Kind() == reflect.Int64
}

// fontMap is pdf's unexported font map, as a settable value.
func fontMap(pdf *fpdf.Fpdf) reflect.Value {
	return field(reflect.ValueOf(pdf).Elem(), "fonts")
}

// field is the named field of the addressable struct v, settable even if unexported.
func field(v reflect.Value, name string) reflect.Value {
	f := v.FieldByName(name)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// fieldPtr is the address of the named field of the addressable struct v.
func fieldPtr(v reflect.Value, name string) unsafe.Pointer {
	return unsafe.Pointer(v.FieldByName(name).UnsafeAddr())
}

// pickFont chooses the smallest font that prints every rune of texts, or says which
// character cannot be printed.
func pickFont(texts map[string]string) (*preparedFont, error) {
	font := coreFont
	// sorted for a stable error message
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, r := range texts[n] {
			if r == '\n' || font.covers(r) {
				continue
			}
			if font == coreFont {
				latin, err := latinCut.get()
				if err != nil {
					return nil, err
				}
				if latin.covers(r) {
					font = latin
					continue
				}
			}
			full, err := fullCut.get()
			if err != nil {
				return nil, err
			}
			if full.covers(r) {
				font = full
				continue
			}
			return nil, fmt.Errorf("%s : le caractère « %c » (U+%04X) n'existe pas dans la police DejaVu Sans", n, r, r)
		}
	}
	return font, nil
}
