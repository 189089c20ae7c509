package sim

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
)

// signaturePNG draws a small handwritten-looking signature (a few sine strokes),
// deterministic from r.
func signaturePNG(r *rand.Rand) []byte {
	const w, h = 240, 80
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	ink := color.NRGBA{R: 20, G: 30, B: 110, A: 255}
	a1, a2 := 10+r.Float64()*8, 4+r.Float64()*6
	f1, f2 := 0.05+r.Float64()*0.03, 0.15+r.Float64()*0.1
	for x := 10; x < w-10; x++ {
		fx := float64(x)
		y := float64(h)/2 + a1*math.Sin(fx*f1) + a2*math.Sin(fx*f2+1)
		for t := -1; t <= 1; t++ {
			yy := int(y) + t
			if yy >= 0 && yy < h {
				img.SetNRGBA(x, yy, ink)
			}
		}
	}
	// underline
	for x := 30; x < w-40; x++ {
		img.SetNRGBA(x, h-12+int(2*math.Sin(float64(x)/30)), ink)
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// stampPNG draws a neutral demo stamp: two concentric rings and a star of short rays
// in the middle, no text and no emblem (it stands for no real institution).
// Deterministic and drawn without the generator's random stream, so that adding it
// left the rest of the embedded Apogée's data unchanged.
func stampPNG() []byte {
	const size = 160
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	ink := color.NRGBA{R: 110, G: 40, B: 140, A: 230}
	c := float64(size-1) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := float64(x)-c, float64(y)-c
			d := math.Hypot(dx, dy)
			ring := (d >= 74 && d <= 78) || (d >= 66 && d <= 68)
			// eight rays between radii 20 and 50
			a := math.Atan2(dy, dx) * 8 / (2 * math.Pi)
			ray := d >= 20 && d <= 50 && math.Abs(a-math.Round(a)) < 0.04
			dot := d <= 8
			if ring || ray || dot {
				img.SetNRGBA(x, y, ink)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
