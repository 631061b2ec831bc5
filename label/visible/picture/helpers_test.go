package picture_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	_ "image/gif"
	"image/jpeg"
	_ "image/png"
	"math"
	"testing"

	xwebp "golang.org/x/image/webp"

	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// Colours of the test overlay.
var (
	plate  = color.NRGBA{20, 20, 30, 200}
	ink    = color.NRGBA{255, 255, 255, 255}
	marker = color.NRGBA{255, 0, 0, 255}
)

// margin is the test overlay's distance from the picture's edges.
const margin = 2

// corner is the renderer the tests use, standing in for label/visible's:
// a w/4 × h/8 (at least 12×6) dark, 200/255 opaque plate with white bars,
// and a red marker in its left quarter (to tell mirror images apart), at
// the bottom-right corner of the picture as the viewer sees it.
func corner(w, h int) (visible.Overlay, error) {
	ow, oh := max(w/4, 12), max(h/8, 6)
	m := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			c := plate
			switch {
			case x < ow/4 && y >= oh/3 && y < oh*2/3:
				c = marker
			case x >= ow/4 && (x/2)%2 == 0 && y >= oh/3 && y < oh*2/3:
				c = ink
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return visible.Overlay{Image: m, At: image.Pt(w-ow-margin, h-oh-margin)}, nil
}

// cornerRect is where corner puts the overlay in a w×h viewer picture.
func cornerRect(w, h int) image.Rectangle {
	ov, _ := corner(w, h)
	return ov.Bounds()
}

// run labels in with corner and opts; an error is fatal.
func run(t testing.TB, in []byte, opts picture.Options) ([]byte, picture.Info) {
	t.Helper()
	var out bytes.Buffer
	info, err := picture.Label(context.Background(), &out, bytes.NewReader(in), corner, opts)
	if err != nil {
		t.Fatalf("Label: %v", err)
	}
	return out.Bytes(), info
}

// decode decodes a picture with the standard decoders, or x/image/webp.
// (WebP goes to x/image/webp by name: deepteams/webp registers a decoder
// too, which decodes some libwebp lossless files wrongly.)
func decode(t testing.TB, b []byte) image.Image {
	t.Helper()
	if len(b) >= 12 && string(b[8:12]) == "WEBP" {
		m, err := xwebp.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		return m
	}
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m
}

// pattern draws a w×h textured picture: gradients, rings and noise.
func pattern(w, h int, seed uint32) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := seed | 1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r ^= r << 13
			r ^= r >> 17
			r ^= r << 5
			n := int(r%13) - 6
			dx, dy := x-w/3, y-h/2
			ring := int(math.Sqrt(float64(dx*dx+dy*dy))) / 6 % 2 * 60
			c := func(v int) uint8 { return uint8(min(max(v+n, 0), 255)) }
			m.SetNRGBA(x, y, color.NRGBA{c(x*200/w + ring), c(y*200/h + 30), c(255 - (x+y)*200/(w+h) - ring/2), 255})
		}
	}
	return m
}

// encodeJPEG encodes m with Go's encoder at quality q.
func encodeJPEG(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// at64 returns the colour of m at (x, y) as non-premultiplied 16-bit.
func at64(m image.Image, x, y int) color.NRGBA64 {
	return color.NRGBA64Model.Convert(m.At(x, y)).(color.NRGBA64)
}

// outsideDiffs counts the pixels outside r where a and b differ.
func outsideDiffs(a, b image.Image, r image.Rectangle) (n int, first image.Point) {
	bb := a.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			if (image.Point{x, y}).In(r) {
				continue
			}
			if at64(a, x, y) != at64(b, x, y) {
				if n == 0 {
					first = image.Pt(x, y)
				}
				n++
			}
		}
	}
	return n, first
}

// psnrOutside returns the PSNR in dB of b against a over the RGB of the
// pixels outside r (+Inf when they are the same).
func psnrOutside(a, b image.Image, r image.Rectangle) float64 {
	bb := a.Bounds()
	var se float64
	n := 0
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			if (image.Point{x, y}).In(r) {
				continue
			}
			ca, cb := at64(a, x, y), at64(b, x, y)
			for _, d := range []float64{float64(ca.R) - float64(cb.R), float64(ca.G) - float64(cb.G), float64(ca.B) - float64(cb.B)} {
				d /= 257
				se += d * d
			}
			n += 3
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

// changedBox returns the bounding box of the pixels where a and b differ
// by more than 40/255 in a channel, and how many there are.
func changedBox(a, b image.Image) (image.Rectangle, int) {
	var box image.Rectangle
	n := 0
	bb := a.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			ca, cb := at64(a, x, y), at64(b, x, y)
			if far(ca.R, cb.R) || far(ca.G, cb.G) || far(ca.B, cb.B) || far(ca.A, cb.A) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
				n++
			}
		}
	}
	return box, n
}

func far(a, b uint16) bool { return math.Abs(float64(a)-float64(b)) > 40*257 }

// isMarker reports whether c is the overlay's red marker, as a lossy codec
// leaves it.
func isMarker(c color.NRGBA64) bool {
	return c.R > 150*257 && c.G < 110*257 && c.B < 110*257 && c.A > 0x8000
}

// markerBox returns the bounding box of the marker pixels of m within b.
func markerBox(m image.Image, b image.Rectangle) image.Rectangle {
	var box image.Rectangle
	b = b.Intersect(m.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if isMarker(at64(m, x, y)) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// tiffEntry is one IFD entry for exifBlock.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

// exifBlock returns a little-endian TIFF structure with one IFD holding
// entries (ASCII strings of more than 4 bytes stored after the IFD).
func exifBlock(entries ...tiffEntry) []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = le.AppendUint16(b, uint16(len(entries)))
	dataOff := 8 + 2 + 12*len(entries) + 4
	var data []byte
	for _, e := range entries {
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, e.count)
		if len(e.data) <= 4 {
			var v [4]byte
			copy(v[:], e.data)
			b = append(b, v[:]...)
			continue
		}
		b = le.AppendUint32(b, uint32(dataOff+len(data)))
		data = append(data, e.data...)
		if len(data)%2 == 1 {
			data = append(data, 0)
		}
	}
	b = le.AppendUint32(b, 0)
	return append(b, data...)
}

func orientationTag(o int) tiffEntry {
	return tiffEntry{0x0112, 3, 1, binary.LittleEndian.AppendUint16(nil, uint16(o))}
}

func asciiTag(tag uint16, s string) tiffEntry {
	return tiffEntry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}
}

// jpegSegment returns a JPEG marker segment.
func jpegSegment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(b, payload...)
}

// afterSOI inserts segs after the SOI marker of the JPEG j.
func afterSOI(j []byte, segs ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	out = append(out, bytes.Join(segs, nil)...)
	return append(out, j[2:]...)
}
