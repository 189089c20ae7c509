package render

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"html"
	"strings"
	"sync"
	"time"
)

// PDF/A-2b (ISO 19005-2, level B): what fpdf does not write is added here.
//   - XMP metadata (pdfaid part 2, conformance B) repeating the Info dictionary, through
//     fpdf's SetXmpMetadata, left uncompressed as 6.6.2.1 asks;
//   - an sRGB output intent with its ICC profile (GTS_PDFA1), by finishPDF;
//   - a binary comment after the header and a file identifier (/ID) in the trailer;
//   - every font embedded (fpdf does), with subset names (ABCDEF+DejaVuSans).
// No validator (veraPDF) was available where this was written: docs/render.md says so.

// xmpPacket is the document's XMP metadata.
func xmpPacket(title, author, subject, keywords, creator, producer string, created time.Time) []byte {
	esc := html.EscapeString
	date := created.Format("2006-01-02T15:04:05") // as fpdf writes the Info dates, without zone
	var b strings.Builder
	b.WriteString(`<?xpacket begin="` + "\uFEFF" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdfaid:part>2</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + esc(title) + `</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>` + esc(author) + `</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">` + esc(subject) + `</rdf:li></rdf:Alt></dc:description>
<xmp:CreatorTool>` + esc(creator) + `</xmp:CreatorTool>
<xmp:CreateDate>` + date + `</xmp:CreateDate>
<xmp:ModifyDate>` + date + `</xmp:ModifyDate>
<pdf:Producer>` + esc(producer) + `</pdf:Producer>
`)
	if keywords != "" {
		b.WriteString(`<pdf:Keywords>` + esc(keywords) + `</pdf:Keywords>
`)
	}
	b.WriteString(`</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
	return []byte(b.String())
}

var (
	iccOnce       sync.Once
	iccCompressed []byte
)

// srgbICC is a compact ICC v2 display profile of sRGB (IEC 61966-2.1 primaries adapted
// to D50, gamma 2.2 curves), built here rather than shipped as a file.
func srgbICC() []byte {
	type tag struct {
		sig  string
		data []byte
	}
	s15 := func(v float64) []byte {
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, uint32(int32(v*65536+0.5*sign(v))))
		return b
	}
	xyz := func(x, y, z float64) []byte {
		return append(append(append([]byte("XYZ \x00\x00\x00\x00"), s15(x)...), s15(y)...), s15(z)...)
	}
	curv := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x01\x02\x33\x00\x00") // gamma 563/256 ≈ 2.2
	desc := func(s string) []byte {
		b := []byte("desc\x00\x00\x00\x00")
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)+1))
		b = append(append(b, s...), 0)
		b = append(b, make([]byte, 4+4+2+1+67)...) // no Unicode, no ScriptCode
		return b
	}
	tags := []tag{
		{"desc", desc("sRGB IEC61966-2.1")},
		{"cprt", append([]byte("text\x00\x00\x00\x00"), "No copyright, use freely\x00"...)},
		{"wtpt", xyz(0.9642, 1.0, 0.8249)},
		{"rXYZ", xyz(0.4361, 0.2225, 0.0139)},
		{"gXYZ", xyz(0.3851, 0.7169, 0.0971)},
		{"bXYZ", xyz(0.1431, 0.0606, 0.7141)},
		{"rTRC", curv}, {"gTRC", curv}, {"bTRC", curv},
	}
	head := 128 + 4 + 12*len(tags)
	var body []byte
	var table []byte
	table = binary.BigEndian.AppendUint32(table, uint32(len(tags)))
	offsets := map[string]int{}
	for _, t := range tags {
		off, ok := offsets[string(t.data)]
		if !ok { // the three curves share one element
			off = head + len(body)
			offsets[string(t.data)] = off
			body = append(body, t.data...)
			for len(body)%4 != 0 {
				body = append(body, 0)
			}
		}
		table = append(table, t.sig...)
		table = binary.BigEndian.AppendUint32(table, uint32(off))
		table = binary.BigEndian.AppendUint32(table, uint32(len(t.data)))
	}
	h := make([]byte, 128)
	binary.BigEndian.PutUint32(h[0:], uint32(head+len(body)))
	binary.BigEndian.PutUint32(h[8:], 0x02100000) // version 2.1
	copy(h[12:], "mntrRGB XYZ ")
	binary.BigEndian.PutUint16(h[24:], 2026) // date: 2026-01-01
	binary.BigEndian.PutUint16(h[26:], 1)
	binary.BigEndian.PutUint16(h[28:], 1)
	copy(h[36:], "acsp")
	copy(h[68:], append(append(s15(0.9642), s15(1.0)...), s15(0.8249)...)) // D50
	return append(append(h, table...), body...)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// iccStream is the profile, compressed once per process.
func iccStream() []byte {
	iccOnce.Do(func() {
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		zw.Write(srgbICC())
		zw.Close()
		iccCompressed = b.Bytes()
	})
	return iccCompressed
}

// subsetTag is the six capital letters a subset font's name starts with (ISO 32000-1
// §9.6.4), derived from the document so that equal documents stay byte-identical.
func subsetTag(doc []byte, style string) string {
	sum := sha256.Sum256(append([]byte(style), doc[:min(len(doc), 4096)]...))
	var t [6]byte
	for i := range t {
		t[i] = 'A' + sum[i]%26
	}
	return string(t[:])
}

// outputIntentObjects writes the ICC profile as object n and the output intent as n+1.
func outputIntentObjects(out *bytes.Buffer, n int, offsets map[int]int) {
	icc := iccStream()
	offsets[n] = out.Len()
	fmt.Fprintf(out, "%d 0 obj\n<</N 3 /Filter /FlateDecode /Length %d>>\nstream\n", n, len(icc))
	out.Write(icc)
	out.WriteString("\nendstream\nendobj\n")
	offsets[n+1] = out.Len()
	fmt.Fprintf(out, "%d 0 obj\n<</Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R>>\nendobj\n", n+1, n)
}
