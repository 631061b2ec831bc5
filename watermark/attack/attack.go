// Package attack implements the image attack suite of the watermark
// benchmark (ids I0–I23 of the project's BENCH.md: codecs, resizing,
// cropping, rotation, filtering, colour changes and combinations), a
// generator of natural-like test images, and a harness that embeds, attacks
// and detects so that tests and `make bench-watermark` share one code path.
//
// Every attack returns a new image and never mutates its input; random
// choices (crop offsets, noise) come from the *rand.Rand passed in, so a run
// is reproducible from its seed.
package attack

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/deepteams/webp"
	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Attack is one parametrised operation of the suite.
type Attack struct {
	ID    string // suite id, e.g. "I1"
	Name  string // operation and parameter, e.g. "jpeg q75"
	Apply func(img image.Image, rng *rand.Rand) (image.Image, error)
}

// Suite returns every attack of the image suite in BENCH.md order.
func Suite() []Attack {
	var s []Attack
	add := func(id, name string, f func(image.Image, *rand.Rand) (image.Image, error)) {
		s = append(s, Attack{id, name, f})
	}
	add("I0", "png", func(m image.Image, _ *rand.Rand) (image.Image, error) { return PNG(m) })
	for _, q := range []int{90, 75, 60, 50, 40} {
		add("I1", fmt.Sprintf("jpeg q%d", q), func(m image.Image, _ *rand.Rand) (image.Image, error) { return JPEG(m, q) })
	}
	for _, q := range []int{75, 50} {
		add("I3", fmt.Sprintf("webp q%d", q), func(m image.Image, _ *rand.Rand) (image.Image, error) { return WebP(m, q) })
	}
	for _, f := range []float64{0.5, 0.71, 0.89, 1.5} {
		add("I4", fmt.Sprintf("resize x%g", f), func(m image.Image, _ *rand.Rand) (image.Image, error) { return Resize(m, f), nil })
	}
	for _, f := range []float64{0.5, 0.75} {
		add("I5", fmt.Sprintf("resize x%g and back", f), func(m image.Image, _ *rand.Rand) (image.Image, error) {
			b := m.Bounds()
			return imaging.Resize(Resize(m, f), b.Dx(), b.Dy(), imaging.CatmullRom), nil
		})
	}
	for _, f := range []float64{0.95, 0.9, 0.71} {
		add("I6", fmt.Sprintf("crop %g", f), func(m image.Image, r *rand.Rand) (image.Image, error) { return Crop(m, f, r), nil })
	}
	for _, d := range [][2]int{{7, 5}, {8, 8}, {33, 17}} {
		add("I8", fmt.Sprintf("shift %d,%d", d[0], d[1]), func(m image.Image, _ *rand.Rand) (image.Image, error) { return Shift(m, d[0], d[1]), nil })
	}
	for _, a := range []float64{1, -1, 5, -5, 10, -10} {
		add("I9", fmt.Sprintf("rotate %+g", a), func(m image.Image, _ *rand.Rand) (image.Image, error) { return Rotate(m, a), nil })
	}
	add("I11", "flip horizontal", func(m image.Image, _ *rand.Rand) (image.Image, error) { return imaging.FlipH(m), nil })
	for _, sd := range []float64{5, 10} {
		add("I12", fmt.Sprintf("noise sigma %g", sd), func(m image.Image, r *rand.Rand) (image.Image, error) { return Noise(m, sd, r), nil })
	}
	for _, k := range []float64{0.5, 0.8, 1.2, 1.5} {
		add("I13", fmt.Sprintf("brightness x%g", k), func(m image.Image, _ *rand.Rand) (image.Image, error) { return Brightness(m, k, 0), nil })
	}
	add("I14", "brightness +20", func(m image.Image, _ *rand.Rand) (image.Image, error) { return Brightness(m, 1, 20), nil })
	for _, k := range []float64{0.5, 0.8, 1.5} {
		add("I15", fmt.Sprintf("contrast x%g", k), func(m image.Image, _ *rand.Rand) (image.Image, error) { return Contrast(m, k), nil })
	}
	for _, k := range []float64{0.5, 1.5} {
		add("I16", fmt.Sprintf("saturation x%g", k), func(m image.Image, _ *rand.Rand) (image.Image, error) { return Saturation(m, k), nil })
	}
	add("I16", "greyscale", func(m image.Image, _ *rand.Rand) (image.Image, error) { return Saturation(m, 0), nil })
	for _, k := range []int{3, 5} {
		add("I17", fmt.Sprintf("gaussian blur %d", k), func(m image.Image, _ *rand.Rand) (image.Image, error) { return GaussianBlur(m, k), nil })
	}
	for _, k := range []int{3, 5} {
		add("I18", fmt.Sprintf("median %d", k), func(m image.Image, _ *rand.Rand) (image.Image, error) { return Median(m, k), nil })
	}
	for _, f := range []float64{0.10, 0.25} {
		add("I19", fmt.Sprintf("erase %g%%", f*100), func(m image.Image, r *rand.Rand) (image.Image, error) { return Erase(m, f, r), nil })
	}
	add("I20", "overlay text and logo", func(m image.Image, r *rand.Rand) (image.Image, error) { return Overlay(m, r), nil })
	add("I21", "jpeg 60 + crop 0.71 + brightness x0.5", func(m image.Image, r *rand.Rand) (image.Image, error) {
		j, err := JPEG(m, 60)
		if err != nil {
			return nil, err
		}
		return Brightness(Crop(j, 0.71, r), 0.5, 0), nil
	})
	add("I22", "jpeg 75 + resize 0.75 + crop 0.9 + rotate 2", func(m image.Image, r *rand.Rand) (image.Image, error) {
		j, err := JPEG(m, 75)
		if err != nil {
			return nil, err
		}
		return Rotate(Crop(Resize(j, 0.75), 0.9, r), 2), nil
	})
	add("I23", "screenshot: x0.5, x2, jpeg 85", func(m image.Image, _ *rand.Rand) (image.Image, error) {
		b := m.Bounds()
		up := imaging.Resize(Resize(m, 0.5), 2*int(math.Round(float64(b.Dx())*0.5)), 0, imaging.CatmullRom)
		return JPEG(up, 85)
	})
	return s
}

// Select returns the attacks whose "ID name" is in names (all if none).
func Select(names ...string) []Attack {
	if len(names) == 0 {
		return Suite()
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []Attack
	for _, a := range Suite() {
		if want[a.ID+" "+a.Name] || want[a.ID] {
			out = append(out, a)
		}
	}
	return out
}

// PNG round-trips m through the PNG codec.
func PNG(m image.Image) (image.Image, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		return nil, fmt.Errorf("attack: png: %w", err)
	}
	return png.Decode(&b)
}

// JPEG round-trips m through Go's JPEG codec (4:2:0 for colour) at quality q.
func JPEG(m image.Image, q int) (image.Image, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("attack: jpeg: %w", err)
	}
	return jpeg.Decode(&b)
}

// WebP round-trips m through lossy WebP (the pure-Go encoder
// github.com/deepteams/webp) at quality q; alpha is flattened to opaque.
func WebP(m image.Image, q int) (image.Image, error) {
	src := imaging.Clone(m)
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = 255
	}
	opts := webp.DefaultOptions()
	opts.Quality = float32(q)
	var b bytes.Buffer
	if err := webp.Encode(&b, src, opts); err != nil {
		return nil, fmt.Errorf("attack: webp: %w", err)
	}
	out, err := webp.Decode(&b)
	if err != nil {
		return nil, fmt.Errorf("attack: webp decode: %w", err)
	}
	return out, nil
}

// Resize scales both sides by f (Catmull-Rom, like common editors).
func Resize(m image.Image, f float64) image.Image {
	b := m.Bounds()
	return imaging.Resize(m, max(1, int(math.Round(float64(b.Dx())*f))), max(1, int(math.Round(float64(b.Dy())*f))), imaging.CatmullRom)
}

// Crop keeps f of each side at a random offset, without rescaling.
func Crop(m image.Image, f float64, r *rand.Rand) image.Image {
	b := m.Bounds()
	w, h := int(math.Round(float64(b.Dx())*f)), int(math.Round(float64(b.Dy())*f))
	x := b.Min.X + r.IntN(b.Dx()-w+1)
	y := b.Min.Y + r.IntN(b.Dy()-h+1)
	return imaging.Crop(m, image.Rect(x, y, x+w, y+h))
}

// Shift removes dx columns on the left and dy rows on the top.
func Shift(m image.Image, dx, dy int) image.Image {
	b := m.Bounds()
	return imaging.Crop(m, image.Rect(b.Min.X+dx, b.Min.Y+dy, b.Max.X, b.Max.Y))
}

// Rotate rotates by deg degrees counter-clockwise about the centre and
// keeps the original canvas (corners filled black).
func Rotate(m image.Image, deg float64) image.Image {
	b := m.Bounds()
	r := imaging.Rotate(m, deg, color.Black)
	return imaging.CropCenter(r, b.Dx(), b.Dy())
}

// perPixel maps each RGB channel value through f, keeping alpha.
func perPixel(m image.Image, f func(c [3]float64) [3]float64) *image.NRGBA {
	src := imaging.Clone(m)
	out := image.NewNRGBA(src.Rect)
	for i := 0; i < len(src.Pix); i += 4 {
		c := f([3]float64{float64(src.Pix[i]), float64(src.Pix[i+1]), float64(src.Pix[i+2])})
		out.Pix[i], out.Pix[i+1], out.Pix[i+2] = clampU8(c[0]), clampU8(c[1]), clampU8(c[2])
		out.Pix[i+3] = src.Pix[i+3]
	}
	return out
}

// Noise adds independent Gaussian noise of deviation sd (8-bit scale) to
// each channel.
func Noise(m image.Image, sd float64, r *rand.Rand) image.Image {
	return perPixel(m, func(c [3]float64) [3]float64 {
		return [3]float64{c[0] + sd*r.NormFloat64(), c[1] + sd*r.NormFloat64(), c[2] + sd*r.NormFloat64()}
	})
}

// Brightness returns k·v + add for every channel value v.
func Brightness(m image.Image, k, add float64) image.Image {
	return perPixel(m, func(c [3]float64) [3]float64 {
		return [3]float64{k*c[0] + add, k*c[1] + add, k*c[2] + add}
	})
}

func meanLuma(m image.Image) float64 {
	src := imaging.Clone(m)
	var s float64
	for i := 0; i < len(src.Pix); i += 4 {
		s += 0.299*float64(src.Pix[i]) + 0.587*float64(src.Pix[i+1]) + 0.114*float64(src.Pix[i+2])
	}
	return s / float64(len(src.Pix)/4)
}

// Contrast scales deviations from the mean luma by k (as PIL's
// ImageEnhance.Contrast does).
func Contrast(m image.Image, k float64) image.Image {
	mu := meanLuma(m)
	return perPixel(m, func(c [3]float64) [3]float64 {
		return [3]float64{mu + k*(c[0]-mu), mu + k*(c[1]-mu), mu + k*(c[2]-mu)}
	})
}

// Saturation blends each pixel with its grey value (k = 0 gives greyscale).
func Saturation(m image.Image, k float64) image.Image {
	return perPixel(m, func(c [3]float64) [3]float64 {
		g := 0.299*c[0] + 0.587*c[1] + 0.114*c[2]
		return [3]float64{g + k*(c[0]-g), g + k*(c[1]-g), g + k*(c[2]-g)}
	})
}

// GaussianBlur blurs with a k×k Gaussian kernel whose deviation follows
// OpenCV's default for that size: 0.3·((k−1)/2 − 1) + 0.8.
func GaussianBlur(m image.Image, k int) image.Image {
	sigma := 0.3*(float64(k-1)/2-1) + 0.8
	r := k / 2
	wts := make([]float64, k)
	var sum float64
	for i := range wts {
		d := float64(i - r)
		wts[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += wts[i]
	}
	for i := range wts {
		wts[i] /= sum
	}
	src := imaging.Clone(m)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	tmp := make([]float64, len(src.Pix))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				var v float64
				for i, wt := range wts {
					xx := min(max(x+i-r, 0), w-1)
					v += wt * float64(src.Pix[y*src.Stride+4*xx+c])
				}
				tmp[y*src.Stride+4*x+c] = v
			}
		}
	}
	out := image.NewNRGBA(src.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := y*out.Stride + 4*x
			for c := 0; c < 3; c++ {
				var v float64
				for i, wt := range wts {
					yy := min(max(y+i-r, 0), h-1)
					v += wt * tmp[yy*src.Stride+4*x+c]
				}
				out.Pix[o+c] = clampU8(v)
			}
			out.Pix[o+3] = src.Pix[y*src.Stride+4*x+3]
		}
	}
	return out
}

// Median applies a k×k median filter to each channel.
func Median(m image.Image, k int) image.Image {
	src := imaging.Clone(m)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewNRGBA(src.Rect)
	r := k / 2
	win := make([]uint8, 0, k*k)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := y*out.Stride + 4*x
			for c := 0; c < 3; c++ {
				win = win[:0]
				for dy := -r; dy <= r; dy++ {
					yy := min(max(y+dy, 0), h-1)
					for dx := -r; dx <= r; dx++ {
						xx := min(max(x+dx, 0), w-1)
						win = append(win, src.Pix[yy*src.Stride+4*xx+c])
					}
				}
				slices.Sort(win)
				out.Pix[o+c] = win[len(win)/2]
			}
			out.Pix[o+3] = src.Pix[y*src.Stride+4*x+3]
		}
	}
	return out
}

// Erase paints a black rectangle covering fraction f of the area at a
// random position.
func Erase(m image.Image, f float64, r *rand.Rand) image.Image {
	out := imaging.Clone(m)
	w, h := out.Rect.Dx(), out.Rect.Dy()
	aspect := 0.5 + r.Float64()
	rw := min(w, int(math.Sqrt(f*float64(w*h)*aspect)))
	rh := min(h, int(f*float64(w*h)/float64(max(rw, 1))))
	x, y := r.IntN(w-rw+1), r.IntN(h-rh+1)
	draw.Draw(out, image.Rect(x, y, x+rw, y+rh), image.NewUniform(color.Black), image.Point{}, draw.Src)
	return out
}

// Overlay draws a semi-opaque logo plate in a random corner and lines of
// text across the image.
func Overlay(m image.Image, r *rand.Rand) image.Image {
	out := imaging.Clone(m)
	w, h := out.Rect.Dx(), out.Rect.Dy()
	lw, lh := w/5, h/8
	x := []int{8, w - lw - 8}[r.IntN(2)]
	y := []int{8, h - lh - 8}[r.IntN(2)]
	draw.Draw(out, image.Rect(x, y, x+lw, y+lh), image.NewUniform(color.NRGBA{255, 255, 255, 160}), image.Point{}, draw.Over)
	d := font.Drawer{Dst: out, Src: image.NewUniform(color.NRGBA{255, 255, 0, 255}), Face: basicfont.Face7x13}
	for ty := 20; ty < h; ty += h / 6 {
		d.Dot = fixed.P(10+r.IntN(20), ty)
		d.DrawString("SAMPLE TEXT overlay - shared on social media 2026")
	}
	return out
}
