package picture_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/draw"
	"image/png"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// brighten is a stand-in mark: every pixel's R, G and B plus 8.
func brighten(m image.Image) (image.Image, error) {
	out := image.NewNRGBA(m.Bounds())
	draw.Draw(out, out.Rect, m, m.Bounds().Min, draw.Src)
	for i := range out.Pix {
		if i%4 != 3 && out.Pix[i] < 247 {
			out.Pix[i] += 8
		}
	}
	return out, nil
}

// The mark goes under the label: outside the label the output is the
// marked picture, inside it the label as drawn over the marked picture,
// and the plate carries nothing of the mark that the unmarked run's plate
// does not (the plate covers what is under it the same way).
func TestMarkBeforeOverlay(t *testing.T) {
	src := pattern(120, 80, 3)
	var in bytes.Buffer
	png.Encode(&in, src)
	marked, _ := run(t, in.Bytes(), picture.Options{Mark: brighten})
	plain, _ := run(t, in.Bytes(), picture.Options{})
	mm, pm := decode(t, marked), decode(t, plain)
	want, _ := brighten(src)
	r := cornerRect(120, 80)
	if n, at := outsideDiffs(mm, want, r); n > 0 {
		t.Fatalf("%d pixels outside the label differ from the marked picture, first at %v", n, at)
	}
	// Inside the label the ink is opaque: identical with and without mark.
	ov, _ := corner(120, 80)
	for y := 0; y < ov.Image.Rect.Dy(); y++ {
		for x := 0; x < ov.Image.Rect.Dx(); x++ {
			if ov.Image.NRGBAAt(x, y).A == 255 {
				p := ov.At.Add(image.Pt(x, y))
				if mm.At(p.X, p.Y) != pm.At(p.X, p.Y) {
					t.Fatalf("opaque label pixel %v differs between marked and unmarked output", p)
				}
			}
		}
	}
}

// A mark alone (no renderer) changes the pixels and draws no label.
func TestMarkWithoutLabel(t *testing.T) {
	src := pattern(120, 80, 4)
	var in bytes.Buffer
	png.Encode(&in, src)
	var out bytes.Buffer
	info, err := picture.Label(context.Background(), &out, bytes.NewReader(in.Bytes()), nil, picture.Options{Mark: brighten})
	if err != nil || !info.Marked || !info.Label.Empty() {
		t.Fatalf("Label: %+v, %v", info, err)
	}
	want, _ := brighten(src)
	if n, at := outsideDiffs(decode(t, out.Bytes()), want, image.Rectangle{}); n > 0 {
		t.Fatalf("%d pixels differ from the marked picture, first at %v", n, at)
	}
}

// Palettes fix the colours: GIF and paletted PNG refuse a mark.
func TestMarkRefusedForPalettes(t *testing.T) {
	for _, p := range []string{"gif/animated.gif", "png/palette.png"} {
		in := labeltest.ReadFile(t, fixtures.Path(p))
		_, err := picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), corner, picture.Options{Mark: brighten})
		if !errors.Is(err, label.ErrUnsupported) {
			t.Errorf("%s: error %v, want unsupported", p, err)
		}
	}
}
