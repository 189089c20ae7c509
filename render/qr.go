package render

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"

	"rsc.io/qr/coding"
)

// The QR code is encoded with rsc.io/qr's coding package (byte mode, level M), ~30×
// faster than a general-purpose encoder here: what a code's layout depends on (version
// and mask: function patterns, where each data bit goes) is laid out once per version
// and process (qrLayoutOf). rsc.io/qr itself always uses mask 0; ISO/IEC 18004 §7.8.3
// asks for the mask with the lowest penalty, which qrEncode picks, so the code reads as
// well as the standard intends.

// qrPlan is rsc.io/qr's plan for version v and mask m at level M. Not kept: qrLayoutOf
// keeps what it needs of the eight plans of a version.
func qrPlan(v coding.Version, m coding.Mask) (*coding.Plan, error) {
	return coding.NewPlan(v, coding.M, m)
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
	// Data and error correction bytes are the same for every mask: computed once, and
	// laid out once as rows and columns of bits. A mask's code is its plan's fixed
	// modules (finders, timing, format bits, the mask on the data area) XOR the data.
	var cw coding.Bits
	enc.Encode(&cw, v)
	cw.AddCheckBytes(v, coding.M)
	data := cw.Bytes()
	lay, err := qrLayoutOf(v)
	if err != nil {
		return nil, err
	}
	n := lay.n
	var dataBits qrBoard
	dataBits.init(n)
	if len(lay.data) != 8*len(data) {
		return nil, errors.New("QR : disposition des données inattendue")
	}
	for i, d := range data { // the dark modules only
		for ; d != 0; d &= d - 1 {
			m := lay.data[8*i+7-bits.TrailingZeros8(d)] // bit 7-k is module 8i+k
			dataBits.set(int(m.x), int(m.y))
		}
	}
	var (
		cand, best qrBoard
		bestPen    = -1
	)
	cand.init(n)
	best.init(n)
	for m := range lay.masks {
		fixed := &lay.masks[m]
		for i := range n {
			cand.rows[i] = fixed.rows[i].xor(dataBits.rows[i])
			cand.cols[i] = fixed.cols[i].xor(dataBits.cols[i])
		}
		if pen := cand.penalty(); bestPen < 0 || pen < bestPen {
			bestPen = pen
			copy(best.rows, cand.rows)
		}
	}
	c := &coding.Code{Size: n, Stride: (n + 7) &^ 7} // as coding.Plan.Encode lays it out
	c.Bitmap = make([]byte, c.Stride*n)
	for y := range n {
		// Eight modules at a time: the bitmap's bytes hold module x at bit 7-x%8.
		row, l := c.Bitmap[y*c.Stride:], best.rows[y]
		for i := 0; i < (n+7)/8; i++ {
			w := l.w0
			switch i >> 3 {
			case 1:
				w = l.w1
			case 2:
				w = l.w2
			}
			row[i] = bits.Reverse8(uint8(w >> uint(i&7*8)))
		}
	}
	return c, nil
}

// qrLine is one row or column of a code (at most 177 modules), module i at bit i%64
// of word i/64. Three fields rather than an array: Go keeps a small struct's fields
// in registers, not an array's elements, and the penalty shifts lines a dozen times.
type qrLine struct{ w0, w1, w2 uint64 }

func (l *qrLine) setBit(i int) {
	switch b := uint64(1) << uint(i&63); i >> 6 {
	case 0:
		l.w0 |= b
	case 1:
		l.w1 |= b
	default:
		l.w2 |= b
	}
}

func (l qrLine) xor(o qrLine) qrLine { return qrLine{l.w0 ^ o.w0, l.w1 ^ o.w1, l.w2 ^ o.w2} }
func (l qrLine) and(o qrLine) qrLine { return qrLine{l.w0 & o.w0, l.w1 & o.w1, l.w2 & o.w2} }
func (l qrLine) or(o qrLine) qrLine  { return qrLine{l.w0 | o.w0, l.w1 | o.w1, l.w2 | o.w2} }
func (l qrLine) ones() int {
	return bits.OnesCount64(l.w0) + bits.OnesCount64(l.w1) + bits.OnesCount64(l.w2)
}
func (l qrLine) andNot(o qrLine) qrLine { return qrLine{l.w0 &^ o.w0, l.w1 &^ o.w1, l.w2 &^ o.w2} }

// shr moves every module k places down (0 < k < 64): bit i of the result is bit i+k.
func (l qrLine) shr(k uint) qrLine {
	return qrLine{l.w0>>k | l.w1<<(64-k), l.w1>>k | l.w2<<(64-k), l.w2 >> k}
}

// shl1 moves every module one place up: bit i of the result is bit i-1.
func (l qrLine) shl1() qrLine {
	return qrLine{l.w0 << 1, l.w1<<1 | l.w0>>63, l.w2<<1 | l.w1>>63}
}

// lowBits is the line whose modules 0…k-1 are set.
func lowBits(k int) qrLine {
	word := func(lo int) uint64 {
		switch {
		case k <= lo:
			return 0
		case k >= lo+64:
			return ^uint64(0)
		default:
			return 1<<uint(k-lo) - 1
		}
	}
	return qrLine{word(0), word(64), word(128)}
}

// qrBoard is a code as rows and as columns of bits (columns for the vertical
// penalties, which then read like rows).
type qrBoard struct {
	n          int
	rows, cols []qrLine
}

func (b *qrBoard) init(n int) {
	b.n = n
	b.rows = make([]qrLine, n)
	b.cols = make([]qrLine, n)
}

func (b *qrBoard) set(x, y int) {
	b.rows[y].setBit(x)
	b.cols[x].setBit(y)
}

// qrLayout is what a version's codes share: where each data bit goes, and each
// mask's fixed modules.
type qrLayout struct {
	n     int
	data  []qrModule // the data and check modules, by bit offset (data[i].off == i)
	masks [8]qrBoard // per mask: dark modules before the data is XORed in
}

type qrModule struct {
	x, y uint8
	off  uint16
}

var qrLayouts sync.Map // coding.Version → *qrLayout

func qrLayoutOf(v coding.Version) (*qrLayout, error) {
	if l, ok := qrLayouts.Load(v); ok {
		return l.(*qrLayout), nil
	}
	var l qrLayout
	for m := coding.Mask(0); m < 8; m++ {
		p, err := qrPlan(v, m)
		if err != nil {
			return nil, err
		}
		n := len(p.Pixel)
		l.n = n
		b := &l.masks[m]
		b.init(n)
		for y, row := range p.Pixel {
			for x, pix := range row {
				if pix&coding.Black != 0 {
					b.set(x, y)
				}
				if r := pix.Role(); m == 0 && (r == coding.Data || r == coding.Check) {
					l.data = append(l.data, qrModule{uint8(x), uint8(y), uint16(pix.Offset())})
				}
			}
		}
	}
	slices.SortFunc(l.data, func(a, b qrModule) int { return int(a.off) - int(b.off) })
	for i, m := range l.data {
		if int(m.off) != i {
			return nil, fmt.Errorf("QR : bit %d de la version %d sans module", i, v)
		}
	}
	kept, _ := qrLayouts.LoadOrStore(v, &l) // two first codes at once: one layout kept
	return kept.(*qrLayout), nil
}

// penalty is the mask penalty of ISO/IEC 18004 §7.8.3.1 (N1 runs, N2 blocks, N3
// finder-like patterns, N4 balance), computed on 64 modules at a time: it is what
// choosing among 8 masks costs. TestQRPenaltyMatchesReference checks it against the
// module-by-module reading of the standard.
func (b *qrBoard) penalty() int {
	n := b.n
	// The masks of the lines' first n-k modules, for patterns that span k+1 modules.
	low1, low3, low10 := lowBits(n-1), lowBits(n-3), lowBits(n-10)
	pen, dark := 0, 0
	for k := range n {
		pen += linePenalty(b.rows[k], low1, low3, low10) + linePenalty(b.cols[k], low1, low3, low10)
		dark += b.rows[k].ones()
	}
	// N2: 2×2 blocks of one colour, 3 each.
	for y := 0; y+1 < n; y++ {
		r0, r1 := b.rows[y], b.rows[y+1]
		same0 := r0.xor(r0.shr(1)) // bit x: modules x, x+1 differ
		same1 := r1.xor(r1.shr(1))
		rows := r0.xor(r1)
		blk := low1.andNot(same0).andNot(same1).andNot(rows)
		pen += 3 * blk.ones()
	}
	dev := dark*100/(n*n) - 50
	if dev < 0 {
		dev = -dev
	}
	return pen + dev/5*10
}

// linePenalty scores one row or column: N1 (a run of L ≥ 5 modules of one colour
// costs L-2: its L-4 windows of 5 plus 2 for its start) and N3 (40 for each 1011101
// with four light modules after or before it). lowK masks the line's first n-K
// modules (n: its length).
func linePenalty(l, low1, low3, low10 qrLine) int {
	s1, s2, s3 := l.shr(1), l.shr(2), l.shr(3)
	s4, s5, s6 := l.shr(4), l.shr(5), l.shr(6)
	eq := low1.andNot(l.xor(s1))                                    // bit i: modules i, i+1 alike
	core := l.andNot(s1).and(s2).and(s3).and(s4).andNot(s5).and(s6) // 1011101 from i
	light := low3.andNot(l.or(s1).or(s2).or(s3))                    // 4 light from i
	w5 := eq.and(eq.shr(1)).and(eq.shr(2)).and(eq.shr(3))           // bit s: modules s…s+4 alike
	pen := w5.ones() + 2*w5.andNot(w5.shl1()).ones()
	darkFirst := core.and(light.shr(7))  // 1011101 then 4 light, from i
	lightFirst := light.and(core.shr(4)) // 4 light then 1011101, from i
	return pen + 40*low10.and(darkFirst.or(lightFirst)).ones()
}
