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
