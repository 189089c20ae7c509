package render

import (
	"bytes"
	"sync"
	"testing"

	"github.com/go-pdf/fpdf"
)

// A picture is prepared once per process: renderers opened one after the other and
// sends starting together (a campaign's workers) all get the same prepared picture.
// Before, each renderer kept its own cache and every worker that missed it re-encoded
// the PNG: eight encodings at a campaign's start, each over a second under -race.
func TestPicturePreparedOncePerProcess(t *testing.T) {
	png := signaturePNG(t)
	png = append(png[:len(png):len(png)], "not part of the image"...) // bytes no other test uses: a fresh entry
	var wg sync.WaitGroup
	got := make([]*picture, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := pictures.get(png)
			if err != nil {
				t.Error(err)
			}
			got[i] = p
		}()
	}
	wg.Wait()
	r1, err := New(Options{University: "U", City: "Lyon", Logo: png})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := New(Options{University: "U", City: "Lyon", Logo: png})
	if err != nil {
		t.Fatal(err)
	}
	if r1.logo != nil {
		t.Fatal("New prepared the logo: it is prepared at the first page, not at start-up")
	}
	l1, err1 := r1.logoPicture()
	l2, err2 := r2.logoPicture()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i, p := range append(got, l1, l2) {
		if p == nil || p != got[0] {
			t.Fatalf("picture %d is %p, want the one prepared first (%p)", i, p, got[0])
		}
	}
	if got[0].kind != "PNG" || got[0].name == "" {
		t.Fatalf("prepared picture: kind %q name %q", got[0].kind, got[0].name)
	}
}

// fpdf reads each picture once (in a prototype document); documents get a copy of its
// reading instead of reading and hashing the image again. Same bytes either way, for a
// PNG signature and a JPEG logo.
func TestPictureReadOnceByFpdf(t *testing.T) {
	sigPNG, logoJPEG := signaturePNG(t), signatureJPEG(t)
	r, err := New(Options{University: "Université de Démo", City: "Lyon", Logo: logoJPEG})
	if err != nil {
		t.Fatal(err)
	}
	a := sample(t)
	a.Signature.Image = sigPNG
	fast := render(t, r, a)
	var read []*picture
	for _, data := range [][]byte{sigPNG, logoJPEG} {
		p, err := pictures.get(data)
		if err != nil {
			t.Fatal(err)
		}
		if p.info == nil {
			t.Fatalf("%s picture not read by fpdf once", p.kind)
		}
		read = append(read, p)
	}
	saved := []*fpdf.ImageInfoType{read[0].info, read[1].info}
	read[0].info, read[1].info = nil, nil // fpdf reads them for this document
	slow := render(t, r, a)
	read[0].info, read[1].info = saved[0], saved[1]
	if !bytes.Equal(fast, slow) {
		t.Fatal("a document with fpdf's kept reading of its pictures differs from one where fpdf reads them")
	}
	if !bytes.Contains(fast, []byte("/Subtype /Image")) {
		t.Fatal("no image in the PDF")
	}
}

// The same attestation gives the same bytes (docs/render.md) even when two of its
// pictures have one width: fpdf sorts a document's images by width alone and leaves
// those of one width in Go's map order, so the signature and the stamp swapped places
// (and object numbers) from one document to the next.
func TestSameBytesWithPicturesOfOneWidth(t *testing.T) {
	r := newRenderer(t)
	a := sample(t)
	a.Signature.Image, a.Signature.Stamp = signaturePNG(t), signatureJPEG(t) // both 240 × 90
	first := render(t, r, a)
	for i := range 16 {
		if !bytes.Equal(render(t, r, a), first) {
			t.Fatalf("render %d differs from the first", i+2)
		}
	}
	if n := bytes.Count(first, []byte("/Subtype /Image")); n != 2 {
		t.Fatalf("%d images in the PDF, want the signature and the stamp", n)
	}
}
