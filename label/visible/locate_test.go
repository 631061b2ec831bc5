package visible

import (
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

// TestLocate labels pictures on several backgrounds at every position and
// size, round-trips them through JPEG at quality 75 and checks that Locate
// finds the label where it was drawn, with the ink height measured on the
// lossless output.
func TestLocate(t *testing.T) {
	const w, h = 480, 360
	bgs := []struct {
		name string
		img  *image.NRGBA
	}{
		{"white", uniform(w, h, white)},
		{"black", uniform(w, h, black)},
		{"noise", noise(w, h, 5, false)},
		{"greynoise", noise(w, h, 6, true)},
		{"gradient", gradient(w, h)},
		{"radial", radial(w, h)},
		{"shapes", shapes(w, h, 9)},
	}
	texts := []string{"AI生成", "人工智能生成合成"}
	for _, bg := range bgs {
		for _, pos := range Positions() {
			for i, size := range []float64{0.05, 0.1, 0.15} {
				text := texts[i%2]
				t.Run(fmt.Sprintf("%s/%v/%g", bg.name, pos, size), func(t *testing.T) {
					o, err := Style{Text: text, Size: size, Position: pos}.Render(w, h)
					if err != nil {
						t.Fatal(err)
					}
					want := inkOnBlack(t, o, w, h)
					img := jpegRoundTrip(t, Composite(bg.img, o), 75)
					f, ok := Locate(img)
					if !ok {
						dump(t, img)
						t.Fatalf("no label found (drawn at %v, ink %v)", o.Bounds(), want)
					}
					if f.Position != pos {
						t.Errorf("position %v, want %v (plate %v)", f.Position, pos, f.Plate)
					}
					if d := max(abs(f.Ink.Min.Y-want.Min.Y), abs(f.Ink.Max.Y-want.Max.Y), abs(f.Ink.Min.X-want.Min.X), abs(f.Ink.Max.X-want.Max.X)); d > 2 {
						t.Errorf("ink %v, want %v", f.Ink, want)
					}
					if got, lossless := f.InkHeight, float64(want.Dy())/float64(min(w, h)); got < lossless-2.0/float64(min(w, h)) {
						t.Errorf("ink height %.4f, lossless %.4f", got, lossless)
					}
					if !f.Ink.In(f.Plate) {
						t.Errorf("ink %v outside plate %v", f.Ink, f.Plate)
					}
					// On white and noise every side of the plate shows;
					// elsewhere a side may hide in a dark or busy picture
					// and be estimated.
					pb := o.Bounds()
					d := max(abs(f.Plate.Min.X-pb.Min.X), abs(f.Plate.Max.X-pb.Max.X), abs(f.Plate.Min.Y-pb.Min.Y), abs(f.Plate.Max.Y-pb.Max.Y))
					switch bg.name {
					case "white", "noise":
						if f.Edges != 4 || d > 2 {
							t.Errorf("plate %v (%d edges seen), drawn at %v", f.Plate, f.Edges, pb)
						}
					default:
						if d > 2+want.Dy()/4 {
							t.Errorf("plate %v (%d edges seen), drawn at %v", f.Plate, f.Edges, pb)
						}
					}
				})
			}
		}
	}
}

// TestLocateSizes finds labels on pictures of other shapes and sizes, after
// JPEG at quality 75 (the 4K picture losslessly, to keep the test quick).
func TestLocateSizes(t *testing.T) {
	for _, dim := range []image.Point{{1920, 1080}, {1080, 1920}, {256, 256}, {200, 120}, {3000, 900}, {3840, 2160}} {
		for _, pos := range []Position{TopLeft, Bottom, Right} {
			t.Run(fmt.Sprintf("%dx%d/%v", dim.X, dim.Y, pos), func(t *testing.T) {
				o, err := Style{Position: pos}.Render(dim.X, dim.Y)
				if err != nil {
					t.Fatal(err)
				}
				var img image.Image = Composite(shapes(dim.X, dim.Y, uint64(dim.X)), o)
				if dim.X*dim.Y < 4<<20 {
					img = jpegRoundTrip(t, img, 75)
				}
				f, ok := Locate(img)
				if !ok {
					t.Fatalf("no label found at %v", o.Bounds())
				}
				want := inkOnBlack(t, o, dim.X, dim.Y)
				if f.Position != pos || f.Ink.Dy() < want.Dy()-2 || f.Ink.Dy() > want.Dy()+2 {
					t.Errorf("found %+v, want %v with ink %v", f, pos, want)
				}
			})
		}
	}
}

// TestLocateNothing runs Locate on busy pictures without a label, losslessly
// and after JPEG: it must report nothing.
func TestLocateNothing(t *testing.T) {
	const w, h = 480, 360
	imgs := map[string]image.Image{
		"white":     uniform(w, h, white),
		"black":     uniform(w, h, black),
		"noise":     noise(w, h, 21, false),
		"greynoise": noise(w, h, 22, true),
		"gradient":  gradient(w, h),
		"radial":    radial(w, h),
		"portrait":  gradient(h, w),
	}
	for seed := range uint64(6) {
		imgs[fmt.Sprint("shapes", seed)] = shapes(w, h, 100+seed)
		imgs[fmt.Sprint("stars", seed)] = stars(w, h, 200+seed)
	}
	for _, kind := range []string{"jpeg", "png"} {
		for _, p := range fixtures.All(kind) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			var m image.Image
			if kind == "jpeg" {
				m, err = jpeg.Decode(f)
			} else {
				m, err = png.Decode(f)
			}
			f.Close()
			if err == nil {
				imgs[filepath.Base(p)] = m
			}
		}
	}
	for name, img := range imgs {
		t.Run(name, func(t *testing.T) {
			for _, m := range []image.Image{img, jpegRoundTrip(t, img, 75)} {
				if f, ok := Locate(m); ok {
					t.Errorf("found a label in a picture without one: %+v", f)
				}
			}
		})
	}
}

// dump writes a failing picture for a look, when VISIBLE_DUMP names a
// folder.
func dump(t *testing.T, img image.Image) {
	dir := os.Getenv("VISIBLE_DUMP")
	if dir == "" {
		return
	}
	name := filepath.Join(dir, filepath.Base(t.Name())+".png")
	f, err := os.Create(name)
	if err != nil {
		return
	}
	defer f.Close()
	png.Encode(f, img)
	t.Logf("wrote %s", name)
}
