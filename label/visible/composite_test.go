package visible

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"testing"
)

// TestComposite checks, for every image type the decoders return, that
// Composite leaves the input alone, copies the pixels outside the label and
// darkens the plate as PlateAlpha says.
func TestComposite(t *testing.T) {
	const w, h = 200, 120
	src := noise(w, h, 9, false)
	o, err := Style{}.Render(w, h)
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(src.Rect)
	draw.Draw(rgba, src.Rect, src, image.Point{}, draw.Src)
	gray := image.NewGray(src.Rect)
	draw.Draw(gray, src.Rect, src, image.Point{}, draw.Src)
	ycc := image.NewYCbCr(src.Rect, image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := src.NRGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = cb, cr
		}
	}
	pal := image.NewPaletted(src.Rect, palette.Plan9)
	draw.Draw(pal, src.Rect, src, image.Point{}, draw.Src)
	// A sub-image whose bounds do not start at the origin.
	big := noise(w+30, h+20, 10, false)
	sub := big.SubImage(image.Rect(30, 20, w+30, h+20)).(*image.NRGBA)

	for name, in := range map[string]image.Image{"nrgba": src, "rgba": rgba, "gray": gray, "ycbcr": ycc, "paletted": pal, "sub": sub} {
		t.Run(name, func(t *testing.T) {
			before := snapshot(in)
			out := Composite(in, o)
			if !bytes.Equal(before, snapshot(in)) {
				t.Fatal("Composite changed its input")
			}
			if out.Bounds() != in.Bounds() {
				t.Fatalf("bounds %v, want %v", out.Bounds(), in.Bounds())
			}
			min := in.Bounds().Min
			label := o.Bounds().Add(min)
			for y := in.Bounds().Min.Y; y < in.Bounds().Max.Y; y++ {
				for x := in.Bounds().Min.X; x < in.Bounds().Max.X; x++ {
					want := color.NRGBAModel.Convert(in.At(x, y)).(color.NRGBA)
					got := out.NRGBAAt(x, y)
					if !image.Pt(x, y).In(label) {
						if got != want {
							t.Fatalf("(%d,%d) outside the label: %v, want %v", x, y, got, want)
						}
						continue
					}
					// A bare plate pixel keeps (255-PlateAlpha)/255 of the picture.
					if o.Image.NRGBAAt(x-label.Min.X, y-label.Min.Y).R == 0 {
						k := float64(255-PlateAlpha) / 255
						if d := float64(got.G) - k*float64(want.G); d < -1 || d > 1 {
							t.Fatalf("(%d,%d) on the plate: %v over %v", x, y, got, want)
						}
					}
				}
			}
		})
	}
}

func snapshot(m image.Image) []byte {
	var b bytes.Buffer
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			r, g, bl, a := m.At(x, y).RGBA()
			fmt.Fprint(&b, r, g, bl, a)
		}
	}
	return b.Bytes()
}

// TestDrawOverPaths compares the fast paths with image/draw's Over.
func TestDrawOverPaths(t *testing.T) {
	o, err := Style{Position: TopLeft}.Render(160, 100)
	if err != nil {
		t.Fatal(err)
	}
	bg := noise(160, 100, 4, false)
	for i := 0; i < len(bg.Pix); i += 4 * 7 {
		bg.Pix[i+3] = uint8(i) // some translucent pixels
	}
	ref := image.NewRGBA(bg.Rect)
	draw.Draw(ref, bg.Rect, bg, image.Point{}, draw.Src)
	draw.Draw(ref, o.Bounds(), o.Image, image.Point{}, draw.Over)

	n := image.NewNRGBA(bg.Rect)
	copy(n.Pix, bg.Pix)
	DrawOver(n, o)
	r := image.NewRGBA(bg.Rect)
	draw.Draw(r, bg.Rect, bg, image.Point{}, draw.Src)
	DrawOver(r, o)
	for y := 0; y < 100; y++ {
		for x := 0; x < 160; x++ {
			want := ref.RGBAAt(x, y)
			for name, got := range map[string]color.Color{"nrgba": n.At(x, y), "rgba": r.At(x, y)} {
				gr, gg, gb, ga := got.RGBA()
				wr, wg, wb, wa := want.RGBA()
				if diff(gr, wr) > 2*257 || diff(gg, wg) > 2*257 || diff(gb, wb) > 2*257 || diff(ga, wa) > 2*257 {
					t.Fatalf("%s (%d,%d): %v, want %v", name, x, y, got, want)
				}
			}
		}
	}
	// Clipped: an overlay hanging off the picture draws what fits.
	small := image.NewNRGBA(image.Rect(0, 0, 20, 10))
	DrawOver(small, Overlay{Image: o.Image, At: image.Pt(10, 5)})
	DrawOver(small, Overlay{Image: o.Image, At: image.Pt(-1000, 5)})
	DrawOver(small, Overlay{})
}

func diff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestLocateSubImage finds a label in a picture whose bounds do not start
// at the origin, and reports it in the picture's coordinates.
func TestLocateSubImage(t *testing.T) {
	big := gradient(700, 500)
	sub := big.SubImage(image.Rect(50, 40, 690, 400)).(*image.NRGBA)
	o, err := Style{Position: BottomLeft}.Render(640, 360)
	if err != nil {
		t.Fatal(err)
	}
	out := Composite(sub, o)
	f, ok := Locate(out)
	if !ok || f.Position != BottomLeft || !f.Plate.In(out.Bounds()) || !f.Ink.In(o.Bounds().Add(out.Bounds().Min)) {
		t.Fatalf("found %+v, %v; label at %v in %v", f, ok, o.Bounds().Add(out.Bounds().Min), out.Bounds())
	}
}
