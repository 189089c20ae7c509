package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"
)

var (
	demoLogoOnce sync.Once
	demoLogo     []byte
)

// DemoLogo is the demo's neutral logo: a navy emblem with a pediment and four
// columns, drawn here (no university's mark, no file to ship).
func DemoLogo() []byte {
	demoLogoOnce.Do(func() {
		const w, h = 240, 200
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		navy := color.NRGBA{R: 0, G: 0, B: 145, A: 255}
		fill := func(x0, y0, x1, y1 int) {
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					img.SetNRGBA(x, y, navy)
				}
			}
		}
		for y := 10; y < 70; y++ { // pediment
			half := (y - 10) * 110 / 60
			fill(w/2-half, y, w/2+half, y+1)
		}
		fill(10, 74, 230, 86) // entablature
		for i := 0; i < 4; i++ {
			x := 30 + i*52
			fill(x, 92, x+24, 164) // columns
		}
		fill(16, 168, 224, 180) // steps
		fill(6, 184, 234, 196)
		var buf bytes.Buffer
		png.Encode(&buf, img)
		demoLogo = buf.Bytes()
	})
	return demoLogo
}
