package render

import (
	"errors"
	"math/bits"
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
	for _, m := range lay.data {
		if data[m.off/8]&(1<<uint(7-m.off&7)) != 0 {
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
			for w := range qrWords {
				cand.rows[i][w] = fixed.rows[i][w] ^ dataBits.rows[i][w]
				cand.cols[i][w] = fixed.cols[i][w] ^ dataBits.cols[i][w]
			}
		}
		if pen := cand.penalty(); bestPen < 0 || pen < bestPen {
			bestPen = pen
			copy(best.rows, cand.rows)
		}
	}
	c := &coding.Code{Size: n, Stride: (n + 7) &^ 7} // as coding.Plan.Encode lays it out
	c.Bitmap = make([]byte, c.Stride*n)
	for y := range n {
		row := c.Bitmap[y*c.Stride:]
		for x := range n {
			if best.rows[y][x>>6]&(1<<uint(x&63)) != 0 {
				row[x/8] |= 1 << uint(7-x&7)
			}
		}
	}
	return c, nil
}

// qrWords is the number of 64-bit words of the longest line (177 modules).
const qrWords = 3

// qrLine is one row or column of a code, module i at bit i.
type qrLine [qrWords]uint64

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
	b.rows[y][x>>6] |= 1 << uint(x&63)
	b.cols[x][y>>6] |= 1 << uint(y&63)
}

// qrLayout is what a version's codes share: where each data bit goes, and each
// mask's fixed modules.
type qrLayout struct {
	n     int
	data  []qrModule // the data and check modules, with their bit offset
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
	kept, _ := qrLayouts.LoadOrStore(v, &l) // two first codes at once: one layout kept
	return kept.(*qrLayout), nil
}

// penalty is the mask penalty of ISO/IEC 18004 §7.8.3.1 (N1 runs, N2 blocks, N3
// finder-like patterns, N4 balance), computed on 64 modules at a time: it is what
// choosing among 8 masks costs. TestQRPenaltyMatchesReference checks it against the
// module-by-module reading of the standard.
func (b *qrBoard) penalty() int {
	n := b.n
	pen, dark := 0, 0
	for k := range n {
		pen += linePenalty(&b.rows[k], n) + linePenalty(&b.cols[k], n)
		for _, w := range b.rows[k] {
			dark += bits.OnesCount64(w)
		}
	}
	// N2: 2×2 blocks of one colour, 3 each.
	for y := 0; y+1 < n; y++ {
		r0, r1 := &b.rows[y], &b.rows[y+1]
		h0, h1 := shr(r0, 1), shr(r1, 1)
		cnt := 0
		for w := range qrWords {
			blk := ^(r0[w] ^ h0[w]) & ^(r1[w] ^ h1[w]) & ^(r0[w] ^ r1[w]) & lowBits(n-1, w)
			cnt += bits.OnesCount64(blk)
		}
		pen += 3 * cnt
	}
	dev := dark*100/(n*n) - 50
	if dev < 0 {
		dev = -dev
	}
	return pen + dev/5*10
}

// linePenalty scores one row or column of n modules: N1 (a run of L ≥ 5 modules of
// one colour costs L-2: its L-4 windows of 5 plus 2 for its start) and N3 (40 for
// each 1011101 with four light modules after or before it).
func linePenalty(l *qrLine, n int) int {
	s1, s2, s3 := shr(l, 1), shr(l, 2), shr(l, 3)
	s4, s5, s6 := shr(l, 4), shr(l, 5), shr(l, 6)
	var eq, core, light qrLine
	for w := range qrWords {
		eq[w] = ^(l[w] ^ s1[w]) & lowBits(n-1, w)                        // bit i: modules i, i+1 alike
		core[w] = l[w] &^ s1[w] & s2[w] & s3[w] & s4[w] &^ s5[w] & s6[w] // 1011101 from i
		light[w] = ^(l[w] | s1[w] | s2[w] | s3[w]) & lowBits(n-3, w)     // 4 light from i
	}
	e1, e2, e3 := shr(&eq, 1), shr(&eq, 2), shr(&eq, 3)
	var w5 qrLine // bit s: modules s…s+4 alike
	for w := range qrWords {
		w5[w] = eq[w] & e1[w] & e2[w] & e3[w]
	}
	prev := shl1(&w5)
	after, before := shr(&light, 7), shr(&core, 4)
	pen := 0
	for w := range qrWords {
		pen += bits.OnesCount64(w5[w]) + 2*bits.OnesCount64(w5[w]&^prev[w])
		finder := (core[w]&after[w] | light[w]&before[w]) & lowBits(n-10, w)
		pen += 40 * bits.OnesCount64(finder)
	}
	return pen
}

// shr moves every module k places down: bit i of the result is bit i+k of l.
func shr(l *qrLine, k int) qrLine {
	var r qrLine
	if k == 0 {
		return *l
	}
	for w := range qrWords {
		r[w] = l[w] >> uint(k)
		if w+1 < qrWords {
			r[w] |= l[w+1] << uint(64-k)
		}
	}
	return r
}

// shl1 moves every module one place up: bit i of the result is bit i-1 of l.
func shl1(l *qrLine) qrLine {
	var r qrLine
	for w := range qrWords {
		r[w] = l[w] << 1
		if w > 0 {
			r[w] |= l[w-1] >> 63
		}
	}
	return r
}

// lowBits is word w of a line whose bits 0…k-1 are set.
func lowBits(k, w int) uint64 {
	switch lo := w * 64; {
	case k <= lo:
		return 0
	case k >= lo+64:
		return ^uint64(0)
	default:
		return 1<<uint(k-lo) - 1
	}
}
