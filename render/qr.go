package render

import (
	"errors"
	"sync"

	"rsc.io/qr/coding"
)

// The QR code is encoded with rsc.io/qr's coding package (byte mode, level M), ~30×
// faster than a general-purpose encoder here: its plans (function patterns, pixel
// maps) depend only on version and mask and are built once per process. rsc.io/qr
// itself always uses mask 0; ISO/IEC 18004 §7.8.3 asks for the mask with the lowest
// penalty, which qrEncode picks, so the code reads as well as the standard intends.

type qrPlanKey struct {
	v coding.Version
	m coding.Mask
}

var qrPlans sync.Map // qrPlanKey → *coding.Plan

func qrPlan(v coding.Version, m coding.Mask) (*coding.Plan, error) {
	k := qrPlanKey{v, m}
	if p, ok := qrPlans.Load(k); ok {
		return p.(*coding.Plan), nil
	}
	p, err := coding.NewPlan(v, coding.M, m)
	if err != nil {
		return nil, err
	}
	qrPlans.Store(k, p)
	return p, nil
}

// qrEncode encodes text in byte mode at level M, smallest version, best mask.
func qrEncode(text string) (*coding.Code, error) {
	enc := coding.String(text)
	v := coding.Version(coding.MinVersion)
	for ; v <= coding.MaxVersion && enc.Bits(v) > v.DataBytes(coding.M)*8; v++ {
	}
	if v > coding.MaxVersion {
		return nil, errors.New("texte trop long pour un QR code")
	}
	// Data and error correction bytes are the same for every mask: computed once.
	var bits coding.Bits
	enc.Encode(&bits, v)
	bits.AddCheckBytes(v, coding.M)
	data := bits.Bytes()
	var (
		best    *coding.Code
		bestPen int
	)
	for m := coding.Mask(0); m < 8; m++ {
		p, err := qrPlan(v, m)
		if err != nil {
			return nil, err
		}
		c := place(p, data)
		if pen := qrPenalty(c); best == nil || pen < bestPen {
			best, bestPen = c, pen
		}
	}
	return best, nil
}

// place lays data out on plan p, as coding.Plan.Encode does after its checksums (the
// plan's pixels carry the mask and the format bits).
func place(p *coding.Plan, data []byte) *coding.Code {
	c := &coding.Code{Size: len(p.Pixel), Stride: (len(p.Pixel) + 7) &^ 7}
	c.Bitmap = make([]byte, c.Stride*c.Size)
	crow := c.Bitmap
	for _, row := range p.Pixel {
		for x, pix := range row {
			switch pix.Role() {
			case coding.Data, coding.Check:
				if o := pix.Offset(); data[o/8]&(1<<uint(7-o&7)) != 0 {
					pix ^= coding.Black
				}
			}
			if pix&coding.Black != 0 {
				crow[x/8] |= 1 << uint(7-x&7)
			}
		}
		crow = crow[c.Stride:]
	}
	return c
}

// qrPenalty is the mask penalty of ISO/IEC 18004 §7.8.3.1 (N1 runs, N2 blocks, N3
// finder-like patterns, N4 balance).
func qrPenalty(c *coding.Code) int {
	n := c.Size
	var cells [177 * 177]bool // the largest code; on the stack
	darkCount := 0
	for y := 0; y < n; y++ {
		row := c.Bitmap[y*c.Stride:]
		for x := 0; x < n; x++ {
			if row[x>>3]&(1<<uint(7-x&7)) != 0 {
				cells[y*n+x] = true
				darkCount++
			}
		}
	}
	pen := 0
	// line scores runs (N1) and finder-like patterns (N3) along one row or column:
	// module i is cells[start+i*step].
	line := func(start, step int) {
		run := 0
		var bits uint16
		prev := false
		for i := 0; i < n; i++ {
			d := cells[start+i*step]
			if i > 0 && d == prev {
				run++
			} else {
				if run >= 5 {
					pen += run - 2
				}
				run = 1
			}
			prev = d
			bits = bits<<1&0x7FF | b2u(d)
			if i >= 10 && (bits == 0b10111010000 || bits == 0b00001011101) {
				pen += 40
			}
		}
		if run >= 5 {
			pen += run - 2
		}
	}
	for k := 0; k < n; k++ {
		line(k*n, 1) // row k
		line(k, n)   // column k
	}
	for y := 0; y+1 < n; y++ {
		for x := 0; x+1 < n; x++ {
			i := y*n + x
			d := cells[i]
			if d == cells[i+1] && d == cells[i+n] && d == cells[i+n+1] {
				pen += 3
			}
		}
	}
	dev := darkCount*100/(n*n) - 50
	if dev < 0 {
		dev = -dev
	}
	return pen + dev/5*10
}

func b2u(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}
