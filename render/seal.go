package render

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	"github.com/go-pdf/fpdf"

	"hypercerts/attest"
	"hypercerts/domain"
)

// seal is what makes an attestation verifiable: the signed token of what it states and
// what its QR code carries (the verification URL, or the bare token without one).
type seal struct {
	token, qr string
}

// seal signs the claims of a, when the renderer has a key.
func (r *Renderer) seal(a domain.Attestation) (seal, error) {
	if r.opts.Key == nil {
		return seal{}, nil
	}
	if a.Reference == "" {
		return seal{}, fmt.Errorf("render : étudiant %s : attestation sans référence", a.Student.Code)
	}
	tok, err := attest.Sign(r.opts.Key, attest.ClaimsOf(a, r.opts.University, clean))
	if err != nil {
		return seal{}, fmt.Errorf("render : signature du QR code : %w", err)
	}
	s := seal{token: tok, qr: tok}
	if r.opts.VerifyURL != "" {
		s.qr = attest.URL(r.opts.VerifyURL, tok)
	}
	return s, nil
}

// Claims are the claims the renderer seals for a (what `verify` compares the PDF with).
func (r *Renderer) Claims(a domain.Attestation) attest.Claims {
	return attest.ClaimsOf(a, r.opts.University, clean)
}

// drawQR draws content as a QR code (ECC level M, see qr.go) of side size mm at (x, y): vector
// squares in module units under one transformation, so the operators are small integers
// that compress well, filled at once. The quiet zone the standard asks for is the white
// page around it.
func drawQR(pdf *fpdf.Fpdf, content string, x, y, size float64) error {
	code, err := qrEncode(content)
	if err != nil {
		return fmt.Errorf("QR code : %w", err)
	}
	n := code.Size
	k := pdf.GetConversionRatio() // points per mm
	m := size / float64(n) * k    // module side in points
	_, pageH := pdf.GetPageSize() // mm
	top := (pageH - y) * k        // PDF y of the code's top edge
	b := qrBufs.Get().(*[]byte)
	defer qrBufs.Put(b)
	// Module (col, row) is the unit square at (col, -row-1) once scaled and moved.
	ops := fmt.Appendf((*b)[:0], "q 0 g %.4f 0 0 %.4f %.2f %.2f cm\n", m, m, x*k, top)
	for row := range n {
		line := code.Bitmap[row*code.Stride:]
		for col := 0; col < n; {
			if line[col>>3]&(0x80>>(col&7)) == 0 {
				col++
				continue
			}
			start := col
			for col < n && line[col>>3]&(0x80>>(col&7)) != 0 {
				col++
			}
			ops = strconv.AppendInt(ops, int64(start), 10)
			ops = append(ops, ' ')
			ops = strconv.AppendInt(ops, int64(-row-1), 10)
			ops = append(ops, ' ')
			ops = strconv.AppendInt(ops, int64(col-start), 10)
			ops = append(ops, " 1 re\n"...)
		}
	}
	ops = append(ops, "f Q"...)
	pdf.RawWriteBuf(bytes.NewReader(ops))
	*b = ops
	return nil
}

// qrBufs recycles drawQR's operators (about 25 KB for a verification URL).
var qrBufs = sync.Pool{New: func() any { return new([]byte) }}
