package render

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// fpdf compresses each stream with a new zlib writer, and a flate compressor costs
// ~1 MB of allocation whatever the stream's size. Page contents are written
// uncompressed by fpdf (SetCompression(false)) and compressed here with pooled
// writers; fpdf still compresses the font streams itself (it always does for UTF-8
// fonts, once per subset: see embed.go). compressStreams then rewrites the
// cross-reference table.
//
// The writers are klauspost/compress's: at level 1 it compresses a sealed page's
// content (28 KB, nine tenths of it the QR code's rectangles) in half the CPU time of
// compress/zlib at the same level, and 3 % smaller (measured: docs/render.md).

var zpool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

var zbufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var errLayout = errors.New("render : PDF de fpdf inattendu")

// finishPDF writes into out the PDF fpdf wrote, with every unfiltered stream but the
// XMP metadata compressed (FlateDecode), the fonts named as subsets, the sRGB output
// intent of PDF/A-2b added to the catalog, a binary header comment, a file identifier,
// and the cross-reference table rebuilt.
//
// faces, from detach, replace the stand-in fonts of the fast path: object 0 of each
// takes the stand-in's number, the six others are added after the output intent.
func finishPDF(pdf []byte, out *bytes.Buffer, faces []*embeddedFace) error {
	xref := bytes.LastIndex(pdf, []byte("\nxref\n"))
	if xref < 0 {
		return errLayout
	}
	var size int
	if _, err := fmt.Sscanf(string(pdf[xref+len("\nxref\n"):min(len(pdf), xref+40)]), "0 %d", &size); err != nil || size < 2 {
		return errLayout
	}
	iccObj := size // the two objects added: ICC profile, output intent
	type placed struct {
		face *embeddedFace
		num  func(int) int
	}
	var extra []placed // faces whose objects 1-6 follow the output intent
	fonts := strings.NewReplacer("/utf8dejavuB", "/"+subsetTag(pdf, "B")+"+DejaVuSans-Bold",
		"/utf8dejavu", "/"+subsetTag(pdf, "")+"+DejaVuSans")
	// The first object (fpdf writes pages, numbered from 3, before 1 and 2).
	first := bytes.Index(pdf, []byte(" 0 obj\n"))
	if first < 0 {
		return errLayout
	}
	first = bytes.LastIndexByte(pdf[:first], '\n')
	out.Grow(len(pdf) + 4096)
	out.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n") // PDF/A: binary comment after the header
	offsets := map[int]int{}
	maxObj, metaObj := 0, 0
	p := first + 1
	for p < xref {
		sp := bytes.IndexByte(pdf[p:], ' ')
		n, err := strconv.Atoi(string(pdf[p : p+max(sp, 0)]))
		if sp < 0 || err != nil || !bytes.HasPrefix(pdf[p+sp:], []byte(" 0 obj\n")) {
			return fmt.Errorf("%w (objet à l'octet %d)", errLayout, p)
		}
		offsets[n] = out.Len()
		maxObj = max(maxObj, n)
		end := bytes.Index(pdf[p:], []byte("endobj\n"))
		st := bytes.Index(pdf[p:], []byte(">>\nstream\n"))
		if end < 0 {
			return errLayout
		}
		if st < 0 || st > end { // no stream: fonts renamed, the catalog gets the output intent
			raw := pdf[p : p+end+len("endobj\n")]
			if f := standIn(raw, faces); f != nil {
				standNum, base := n, iccObj+2+6*len(extra)
				num := func(j int) int {
					if j == 0 {
						return standNum
					}
					return base + j - 1
				}
				f.write(out, 0, num)
				extra = append(extra, placed{f, num})
				p += end + len("endobj\n")
				continue
			}
			obj := fonts.Replace(string(raw))
			if strings.Contains(obj, "/Type /Catalog") {
				add := fmt.Sprintf("/Type /Catalog\n/OutputIntents [%d 0 R]", iccObj+1)
				if metaObj > 0 { // fpdf writes the XMP stream but does not reference it
					add += fmt.Sprintf("\n/Metadata %d 0 R", metaObj)
				}
				obj = strings.Replace(obj, "/Type /Catalog", add, 1)
			}
			out.WriteString(obj)
			p += end + len("endobj\n")
			continue
		}
		head := pdf[p : p+st]
		dataStart := p + st + len(">>\nstream\n")
		li := bytes.Index(head, []byte("/Length "))
		if li < 0 {
			return errLayout
		}
		digits := head[li+len("/Length "):]
		k := 0
		for k < len(digits) && digits[k] >= '0' && digits[k] <= '9' {
			k++
		}
		length, _ := strconv.Atoi(string(digits[:k]))
		data := pdf[dataStart : dataStart+length]
		tail := pdf[dataStart+length:]
		if !bytes.HasPrefix(tail, []byte("\nendstream\nendobj\n")) {
			return fmt.Errorf("%w (flux de l'objet %d)", errLayout, n)
		}
		if bytes.Contains(head, []byte("/Type /Metadata")) {
			metaObj = n
		}
		if bytes.Contains(head, []byte("/Filter")) || bytes.Contains(head, []byte("/Type /Metadata")) {
			out.Write(pdf[p : dataStart+length+len("\nendstream\nendobj\n")])
		} else {
			z := zbufs.Get().(*bytes.Buffer)
			z.Reset()
			zw := zpool.Get().(*zlib.Writer)
			zw.Reset(z)
			zw.Write(data)
			err := zw.Close()
			zpool.Put(zw)
			if err != nil {
				return err
			}
			out.Write(head[:li])
			out.WriteString("/Filter /FlateDecode /Length ")
			out.WriteString(strconv.Itoa(z.Len()))
			out.Write(head[li+len("/Length ")+k:])
			out.WriteString(">>\nstream\n")
			out.Write(z.Bytes())
			zbufs.Put(z)
			out.WriteString("\nendstream\nendobj\n")
		}
		p = dataStart + length + len("\nendstream\nendobj\n")
	}
	if maxObj != size-1 {
		return fmt.Errorf("%w (%d objets, table de %d)", errLayout, maxObj, size)
	}
	if len(extra) != len(faces) {
		return fmt.Errorf("%w (%d polices remplacées, %d attendues)", errLayout, len(extra), len(faces))
	}
	outputIntentObjects(out, iccObj, offsets)
	maxObj = iccObj + 1
	for _, e := range extra {
		for j := 1; j < len(e.face.objs); j++ {
			offsets[e.num(j)] = out.Len()
			e.face.write(out, j, e.num)
			maxObj = max(maxObj, e.num(j))
		}
	}
	xrefPos := out.Len()
	fmt.Fprintf(out, "xref\n0 %d\n0000000000 65535 f \n", maxObj+1)
	for i := 1; i <= maxObj; i++ {
		off, ok := offsets[i]
		if !ok {
			return fmt.Errorf("%w (objet %d absent)", errLayout, i)
		}
		fmt.Fprintf(out, "%010d 00000 n \n", off)
	}
	trailer := pdf[xref+1:]
	t := bytes.Index(trailer, []byte("trailer\n"))
	sx := bytes.LastIndex(trailer, []byte("startxref\n"))
	if t < 0 || sx < 0 {
		return errLayout
	}
	tr := strings.Replace(string(trailer[t:sx]), fmt.Sprintf("/Size %d", size), fmt.Sprintf("/Size %d", maxObj+1), 1)
	id := sha256.Sum256(pdf) // same document, same identifier (deterministic output)
	tr = strings.Replace(tr, "\n>>", fmt.Sprintf("\n/ID [<%x> <%x>]\n>>", id[:16], id[:16]), 1)
	out.WriteString(tr)
	fmt.Fprintf(out, "startxref\n%d\n%%%%EOF\n", xrefPos)
	return nil
}

// standIn is the face whose stand-in object raw is (fast path), or nil.
func standIn(raw []byte, faces []*embeddedFace) *embeddedFace {
	if len(faces) == 0 || !bytes.Contains(raw, []byte("\n/Subtype /Type1\n")) {
		return nil
	}
	for _, f := range faces {
		if bytes.Contains(raw, []byte("\n/BaseFont /"+f.standIn+"\n")) {
			return f
		}
	}
	return nil
}
