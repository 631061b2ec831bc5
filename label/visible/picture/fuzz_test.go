package picture_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/aigcmark/aigcmark/label"
	labelgif "github.com/aigcmark/aigcmark/label/gif"
	labeljpeg "github.com/aigcmark/aigcmark/label/jpeg"
	"github.com/aigcmark/aigcmark/label/labeltest"
	labelpng "github.com/aigcmark/aigcmark/label/png"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
	labelwebp "github.com/aigcmark/aigcmark/label/webp"
)

// tiny renders a 3×2 overlay at the viewer's top-left corner.
func tiny(w, h int) (visible.Overlay, error) {
	m := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range m.Pix {
		m.Pix[i] = 200
	}
	m.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	return visible.Overlay{Image: m}, nil
}

// FuzzLabel labels any bytes with a tiny overlay and a pixel limit of 64K:
// no input may make Label panic; it fails with a typed error, or writes a
// picture of the same format and size that decodes.
func FuzzLabel(f *testing.F) {
	for _, format := range []label.Format{labeljpeg.Format{}, labelpng.Format{}, labelwebp.Format{}, labelgif.Format{}} {
		for _, b := range labeltest.SmallFixtures(format) {
			if len(b) < 32<<10 {
				f.Add(b)
			}
		}
	}
	f.Add(encodeJPEG(f, pattern(17, 9, 1), 50))
	f.Add(encodePNG(f, smallPalette(9, 7)))
	f.Add(encodeWebP(f, pattern(9, 7, 1), false, 50))
	f.Add(testAnim{w: 12, h: 10, frames: []testFrame{
		{m: alphaPattern(12, 10, 1), ms: 20},
		{m: pattern(4, 6, 2), at: image.Pt(2, 2), ms: 30, noBlend: true, dispose: true, lossy: 60},
	}}.bytes(f))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		info, err := picture.Label(context.Background(), &out, bytes.NewReader(in), tiny, picture.Options{MaxPixels: 1 << 16})
		if err != nil {
			var fe *label.FormatError
			if !errors.As(err, &fe) && !errors.Is(err, picture.ErrTooLarge) && !errors.Is(err, label.ErrUnknownFormat) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if out.Len() > 0 && !errors.As(err, &fe) {
				t.Fatalf("wrote %d bytes and failed: %v", out.Len(), err)
			}
			return
		}
		var m image.Image
		if isAnimatedWebP(out.Bytes()) {
			a := playWebP(t, out.Bytes())
			if len(a.shown) != info.Frames {
				t.Fatalf("output has %d frames, Info %d", len(a.shown), info.Frames)
			}
			m = a.shown[0]
		} else {
			m = decode(t, out.Bytes())
		}
		if b := m.Bounds(); b.Dx() != info.Width || b.Dy() != info.Height {
			t.Fatalf("output %v, Info %dx%d", b, info.Width, info.Height)
		}
		var sniffed bool
		switch info.Format {
		case "jpeg":
			sniffed = labeljpeg.Format{}.Sniff(out.Bytes())
		case "png":
			sniffed = labelpng.Format{}.Sniff(out.Bytes())
		case "webp":
			sniffed = labelwebp.Format{}.Sniff(out.Bytes())
		case "gif":
			sniffed = labelgif.Format{}.Sniff(out.Bytes())
		}
		if !sniffed {
			t.Fatalf("output is not %s", info.Format)
		}
	})
}

// TestOutputsRelabel checks that an output can be labeled again (a
// service relabels what it already labeled) for every format.
func TestOutputsRelabel(t *testing.T) {
	for _, in := range [][]byte{
		encodeJPEG(t, pattern(40, 30, 1), 70),
		encodePNG(t, smallPalette(40, 30)),
		encodeWebP(t, pattern(40, 30, 1), true, 75),
		labeltest.ReadFile(t, "../../../fixtures/gif/animated.gif"),
	} {
		out, info := run(t, in, picture.Options{})
		again, info2 := run(t, out, picture.Options{})
		if info2.Format != info.Format || len(again) == 0 {
			t.Errorf("%s: relabeling gave %+v", info.Format, info2)
		}
		if info.Format == "jpeg" && info2.Estimated != info.Quality {
			t.Errorf("jpeg written at %d estimates as %d", info.Quality, info2.Estimated)
		}
	}
}
