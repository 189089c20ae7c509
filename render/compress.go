package render

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// fpdf compresses each stream with a new zlib writer, and a flate compressor costs
// ~1 MB of allocation whatever the stream's size. Page contents are written
// uncompressed by fpdf (SetCompression(false)) and compressed here with pooled
// writers; fpdf still compresses the font streams itself (it always does for UTF-8
// fonts). compressStreams then rewrites the cross-reference table.

var zpool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

var zbufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var errLayout = errors.New("render : PDF de fpdf inattendu")

// compressStreams returns pdf (as fpdf wrote it) with every unfiltered stream
// compressed (FlateDecode) and the cross-reference table rebuilt, into out.
func compressStreams(pdf []byte, out *bytes.Buffer) error {
	xref := bytes.LastIndex(pdf, []byte("\nxref\n"))
	if xref < 0 {
		return errLayout
	}
	// The first object (fpdf writes pages, numbered from 3, before 1 and 2).
	first := bytes.Index(pdf, []byte(" 0 obj\n"))
	if first < 0 {
		return errLayout
	}
	first = bytes.LastIndexByte(pdf[:first], '\n')
	out.Grow(len(pdf))
	out.Write(pdf[:first+1])
	offsets := map[int]int{}
	maxObj := 0
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
		if st < 0 || st > end { // no stream: copied as is
			out.Write(pdf[p : p+end+len("endobj\n")])
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
		if bytes.Contains(head, []byte("/Filter")) {
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
	out.Write(trailer[t:sx])
	fmt.Fprintf(out, "startxref\n%d\n%%%%EOF\n", xrefPos)
	return nil
}
