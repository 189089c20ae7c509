package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"sync"

	"github.com/go-pdf/fpdf"
)

// ErrImageFormat says an image is neither PNG nor JPEG.
var ErrImageFormat = errors.New("format d'image non reconnu (PNG ou JPEG attendu)")

// picture is an image decoded and checked once, in the form fpdf embeds cheaply:
// JPEG as is (fpdf copies DCT data), PNG re-encoded as opaque 8-bit RGB or grey,
// non-interlaced, so fpdf only copies its IDAT chunks (no alpha mask to split and
// recompress for every document).
type picture struct {
	name string // fpdf image name: content hash, so equal images share an entry
	kind string // "PNG" or "JPG"
	data []byte
	w, h int // pixels
	// info is fpdf's reading of data, made once in a prototype document: fpdf reads
	// an image again for each document and hashes it (SHA-1) to name it, ≈ 45 µs for
	// the signature of the campaign's benchmark. Nil if fpdf could not read it.
	info *fpdf.ImageInfoType
	// tie, below one pixel and taken from the picture's hash, is added to the width
	// fpdf sorts the document's images by (Renderer.image): pictures of one width
	// would otherwise come out in Go's map order, a PDF's bytes changing between runs.
	tie float64
}

// pictureCache keeps pictures by content hash. A campaign has one signature and at
// most one logo, so it stays tiny; it is emptied if it ever grows past maxPictures.
// One cache serves the whole process (pictures): every Renderer of a process sees the
// same few images, and preparing one costs a PNG re-encoding at BestCompression
// (≈ 20 ms, over a second under the race detector, for each test that opens a
// renderer). Each picture is prepared once even when renderers ask for it at the same
// time.
type pictureCache struct {
	mu sync.Mutex
	m  map[[32]byte]*pictureOnce
}

type pictureOnce struct {
	once sync.Once
	p    *picture
	err  error
}

const maxPictures = 32

// pictures is the process's picture cache.
var pictures pictureCache

func (c *pictureCache) get(data []byte) (*picture, error) {
	sum := sha256.Sum256(data)
	c.mu.Lock()
	e, ok := c.m[sum]
	if !ok {
		if c.m == nil || len(c.m) >= maxPictures {
			c.m = make(map[[32]byte]*pictureOnce)
		}
		e = &pictureOnce{}
		c.m[sum] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { // the same bytes always give the same picture or the same error
		if e.p, e.err = preparePicture(data); e.err == nil {
			e.p.name = "img" + hex.EncodeToString(sum[:8])
			e.p.tie = float64(binary.BigEndian.Uint32(sum[8:12])) / (1 << 34)
			proto := fpdf.New("P", "mm", "A4", "") // the documents' unit: the same scale
			info := proto.RegisterImageOptionsReader(e.p.name, fpdf.ImageOptions{ImageType: e.p.kind}, bytes.NewReader(e.p.data))
			if proto.Error() == nil {
				e.p.info = info
			}
		}
	})
	return e.p, e.err
}

func preparePicture(data []byte) (*picture, error) {
	img, jpg, err := decodePicture(data)
	if err != nil || jpg != nil {
		return jpg, err
	}
	return flattenPNG(img)
}

// decodePicture reads data in full: a PNG's image, or a JPEG's picture (kept as is).
func decodePicture(data []byte) (img image.Image, jpg *picture, err error) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		if img, err = png.Decode(bytes.NewReader(data)); err != nil {
			return nil, nil, fmt.Errorf("image PNG illisible : %w", err)
		}
		return img, nil, nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("image JPEG illisible : %w", err)
		}
		// Decode once in full so a truncated file fails here, not in a reader's viewer.
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			return nil, nil, fmt.Errorf("image JPEG illisible : %w", err)
		}
		switch cfg.ColorModel {
		case color.GrayModel, color.YCbCrModel, color.CMYKModel:
		default:
			return nil, nil, fmt.Errorf("image JPEG : espace de couleurs non pris en charge")
		}
		return nil, &picture{kind: "JPG", data: data, w: cfg.Width, h: cfg.Height}, nil
	case len(data) == 0:
		return nil, nil, errors.New("image vide")
	}
	return nil, nil, ErrImageFormat
}

// flattenPNG puts img on a white background and encodes it as opaque RGB (or grey).
func flattenPNG(img image.Image) (*picture, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, errors.New("image PNG vide")
	}
	var out image.Image
	switch img.ColorModel() {
	case color.GrayModel, color.Gray16Model:
		g := image.NewGray(b)
		draw.Draw(g, b, image.White, image.Point{}, draw.Src)
		draw.Draw(g, b, img, b.Min, draw.Over)
		out = g
	default:
		rgba := image.NewRGBA(b)
		draw.Draw(rgba, b, image.White, image.Point{}, draw.Src)
		draw.Draw(rgba, b, img, b.Min, draw.Over)
		out = rgba // opaque: image/png writes it as 8-bit RGB without alpha
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("image PNG : %w", err)
	}
	return &picture{kind: "PNG", data: buf.Bytes(), w: b.Dx(), h: b.Dy()}, nil
}
