package render

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"rsc.io/qr/coding"
)

// Every mask rsc.io/qr can apply reads back with zbarimg (qrEncode picks among all 8),
// and the penalty picks a mask other than 0 for some inputs (it is computed).
func TestQREveryMaskDecodes(t *testing.T) {
	needTool(t, "zbarimg")
	text := "https://verification.univ-demo.fr/a/" + strings.Repeat("0oRDoQEnoQRIN8z2DLPq4axY-_", 14)
	enc := coding.String(text)
	v := coding.Version(coding.MinVersion)
	for enc.Bits(v) > v.DataBytes(coding.M)*8 {
		v++
	}
	dir := t.TempDir()
	var files []string
	for m := coding.Mask(0); m < 8; m++ {
		p, err := qrPlan(v, m)
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.Encode(enc)
		if err != nil {
			t.Fatal(err)
		}
		const scale, quiet = 4, 4
		side := (c.Size + 2*quiet) * scale
		img := image.NewGray(image.Rect(0, 0, side, side))
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				mx, my := x/scale-quiet, y/scale-quiet
				img.SetGray(x, y, color.Gray{Y: 255})
				if c.Black(mx, my) {
					img.SetGray(x, y, color.Gray{Y: 0})
				}
			}
		}
		f := filepath.Join(dir, "mask"+string(rune('0'+m))+".png")
		w, _ := os.Create(f)
		png.Encode(w, img)
		w.Close()
		files = append(files, f)
	}
	out, err := exec.Command("zbarimg", append([]string{"--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"}, files...)...).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if len(got) != 8 {
		t.Fatalf("zbarimg read %d of 8 masks", len(got))
	}
	for i, g := range got {
		if g != text {
			t.Errorf("mask %d read %q", i, g)
		}
	}
	masks := map[coding.Mask]bool{}
	for i := 0; i < 40; i++ {
		c, err := qrEncode(text[:len(text)-i])
		if err != nil {
			t.Fatal(err)
		}
		best := -1
		for m := coding.Mask(0); m < 8; m++ {
			p, _ := qrPlan(coding.Version((c.Size-17)/4), m)
			if cc, _ := p.Encode(coding.String(text[:len(text)-i])); string(cc.Bitmap) == string(c.Bitmap) {
				best = int(m)
			}
		}
		masks[coding.Mask(best)] = true
	}
	if len(masks) < 2 {
		t.Errorf("always the same mask %v: the penalty is not used", masks)
	}
}

func BenchmarkQREncode(b *testing.B) {
	text := "https://verification.univ-demo.fr/a/" + strings.Repeat("0oRDoQEnoQRIN8z2DLPq4axY", 16)
	b.ReportAllocs()
	cpu0 := processCPU(b)
	for b.Loop() {
		if _, err := qrEncode(text); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu_µs/op")
}

// The penalty, computed 64 modules at a time, gives what the straightforward reading of ISO/IEC 18004 §7.8.3.1 gives
// (qrPenaltyRef, module by module), for every mask of codes of many versions.
func TestQRPenaltyMatchesReference(t *testing.T) {
	text := "https://verification.univ-demo.fr/a/" + strings.Repeat("0oRDoQEnoQRIN8z2DLPq4axY-_", 14)
	var texts []string
	for i := 0; i < len(text)-1; i += 7 {
		texts = append(texts, text[i:])
	}
	// versions 28–40: lines of three 64-bit words
	texts = append(texts, strings.Repeat(text, 3), strings.Repeat(text, 5))
	for _, text := range texts {
		enc := coding.String(text)
		v := coding.Version(coding.MinVersion)
		for enc.Bits(v) > v.DataBytes(coding.M)*8 {
			v++
		}
		for m := coding.Mask(0); m < 8; m++ {
			p, err := qrPlan(v, m)
			if err != nil {
				t.Fatal(err)
			}
			c, err := p.Encode(enc)
			if err != nil {
				t.Fatal(err)
			}
			var b qrBoard
			b.init(c.Size)
			for y := range c.Size {
				for x := range c.Size {
					if c.Black(x, y) {
						b.set(x, y)
					}
				}
			}
			if got, want := b.penalty(), qrPenaltyRef(c); got != want {
				t.Fatalf("version %d mask %d: penalty %d, reference %d", v, m, got, want)
			}
		}
	}
}

func qrPenaltyRef(c *coding.Code) int {
	n := c.Size
	dark := func(x, y int) bool { return c.Black(x, y) }
	pen, darkCount := 0, 0
	line := func(at func(i int) bool) {
		run := 0
		var bits uint16
		prev := false
		for i := 0; i < n; i++ {
			d := at(i)
			if d {
				bits = bits<<1&0x7FF | 1
			} else {
				bits = bits << 1 & 0x7FF
			}
			if i > 0 && d == prev {
				run++
			} else {
				if run >= 5 {
					pen += run - 2
				}
				run = 1
			}
			prev = d
			if i >= 10 && (bits == 0b10111010000 || bits == 0b00001011101) {
				pen += 40
			}
		}
		if run >= 5 {
			pen += run - 2
		}
	}
	for k := 0; k < n; k++ {
		line(func(i int) bool { return dark(i, k) })
		line(func(i int) bool { return dark(k, i) })
		for i := 0; i < n; i++ {
			if dark(i, k) {
				darkCount++
			}
		}
	}
	for y := 0; y+1 < n; y++ {
		for x := 0; x+1 < n; x++ {
			d := dark(x, y)
			if d == dark(x+1, y) && d == dark(x, y+1) && d == dark(x+1, y+1) {
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

// A version's layout (the eight masks' fixed modules, the data modules) is built once
// and shared by every code of that version; it places every data and check bit.
func TestQRLayoutKeptPerVersion(t *testing.T) {
	v := coding.Version(5)
	a, err := qrLayoutOf(v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := qrLayoutOf(v)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("the layout of version 5 is built again for each code")
	}
	if want := 134 * 8; len(a.data) != want { // version 5: 134 codewords (ISO/IEC 18004 Table 9)
		t.Errorf("version 5 layout places %d data and check modules, want %d", len(a.data), want)
	}
	if a.n != 37 {
		t.Errorf("version 5 is %d modules wide, want 37", a.n)
	}
}

// qrEncode picks the mask of lowest penalty (the first one on a tie), as the standard's
// module-by-module reading scores them: for codes of many lengths and versions.
func TestQRChosenMaskHasLowestPenalty(t *testing.T) {
	text := "https://verification.univ-demo.fr/a/" + strings.Repeat("0oRDoQEnoQRIN8z2DLPq4axY-_", 20)
	for i := 1; i < len(text); i += 13 {
		enc := coding.String(text[:i])
		got, err := qrEncode(text[:i])
		if err != nil {
			t.Fatal(err)
		}
		v := coding.Version((got.Size - 17) / 4)
		var want *coding.Code
		best := -1
		for m := coding.Mask(0); m < 8; m++ {
			p, err := qrPlan(v, m)
			if err != nil {
				t.Fatal(err)
			}
			c, err := p.Encode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if pen := qrPenaltyRef(c); best < 0 || pen < best {
				best, want = pen, c
			}
		}
		if string(got.Bitmap) != string(want.Bitmap) {
			t.Fatalf("%d characters (version %d): qrEncode did not pick the mask of lowest penalty", i, v)
		}
	}
}
