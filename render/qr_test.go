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
	for b.Loop() {
		if _, err := qrEncode(text); err != nil {
			b.Fatal(err)
		}
	}
}
