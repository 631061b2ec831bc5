package visible

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// uniform returns a w×h picture of one colour.
func uniform(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

var (
	white = color.NRGBA{255, 255, 255, 255}
	black = color.NRGBA{0, 0, 0, 255}
)

// noise is uniform random RGB; grey makes every channel equal.
func noise(w, h int, seed uint64, grey bool) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		r := uint8(rng.IntN(256))
		g, b := r, r
		if !grey {
			g, b = uint8(rng.IntN(256)), uint8(rng.IntN(256))
		}
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = r, g, b, 255
	}
	return m
}

// gradient runs from black at the top left to white at the bottom right,
// with a colour cast across.
func gradient(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := float64(x+y) / float64(w+h-2)
			m.SetNRGBA(x, y, color.NRGBA{uint8(255 * t), uint8(255 * t * t), uint8(255 * math.Sqrt(t)), 255})
		}
	}
	return m
}

// radial is bright in the middle and dark at the edges.
func radial(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy) / math.Hypot(cx, cy)
			v := uint8(255 * max(0, 1-d*1.3))
			m.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return m
}

// shapes is a busy synthetic scene: random rectangles, discs and thin
// white and black lines in random colours on a mid-grey ground.
func shapes(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 11))
	m := uniform(w, h, color.NRGBA{128, 128, 128, 255})
	rc := func() color.NRGBA {
		switch rng.IntN(4) {
		case 0:
			return white
		case 1:
			return black
		}
		return color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
	}
	for range 60 {
		c := rc()
		x0, y0 := rng.IntN(w), rng.IntN(h)
		switch rng.IntN(3) {
		case 0:
			r := image.Rect(x0, y0, x0+rng.IntN(w/3)+1, y0+rng.IntN(h/3)+1).Intersect(m.Rect)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					m.SetNRGBA(x, y, c)
				}
			}
		case 1:
			rad := rng.IntN(min(w, h)/6) + 2
			for y := y0 - rad; y <= y0+rad; y++ {
				for x := x0 - rad; x <= x0+rad; x++ {
					if (x-x0)*(x-x0)+(y-y0)*(y-y0) <= rad*rad && image.Pt(x, y).In(m.Rect) {
						m.SetNRGBA(x, y, c)
					}
				}
			}
		default:
			horiz := rng.IntN(2) == 0
			n := rng.IntN(max(w, h)/2) + 5
			for i := range n {
				x, y := x0+i, y0
				if !horiz {
					x, y = x0, y0+i
				}
				for t := range 2 {
					p := image.Pt(x, y+t)
					if !horiz {
						p = image.Pt(x+t, y)
					}
					if p.In(m.Rect) {
						m.SetNRGBA(p.X, p.Y, c)
					}
				}
			}
		}
	}
	return m
}

// jpegRoundTrip encodes m at quality q and decodes it.
func jpegRoundTrip(t testing.TB, m image.Image, q int) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lum is the WCAG 2 relative luminance of an 8-bit sRGB colour.
func lum(r, g, b uint8) float64 {
	lin := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG 2 contrast ratio of two luminances.
func contrast(a, b float64) float64 {
	return (max(a, b) + 0.05) / (min(a, b) + 0.05)
}

// brightBox is the bounding box of the pixels of m whose every channel is
// at least thr.
func brightBox(m *image.NRGBA, thr uint8) image.Rectangle {
	var r image.Rectangle
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := m.Pix[m.PixOffset(x, y):]
			if p[0] >= thr && p[1] >= thr && p[2] >= thr {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// changedBox is the bounding box of the pixels where a and b differ.
func changedBox(a, b *image.NRGBA) image.Rectangle {
	var r image.Rectangle
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			if a.NRGBAAt(x, y) != b.NRGBAAt(x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// inkOnBlack draws the overlay on black (where the plate disappears) and
// measures the text's ink box: pixels at least half way to white. For big
// pictures only the overlay's own rectangle is built.
func inkOnBlack(t testing.TB, o Overlay, w, h int) image.Rectangle {
	t.Helper()
	if w*h > 4<<20 {
		bg := uniform(o.Image.Rect.Dx(), o.Image.Rect.Dy(), black)
		return brightBox(Composite(bg, Overlay{Image: o.Image}), 128).Add(o.At)
	}
	return brightBox(Composite(uniform(w, h, black), o), 128)
}

func color8(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 255} }

// stars is a night sky: black with many small white discs, some in rows.
func stars(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 13))
	m := uniform(w, h, black)
	disc := func(x0, y0, rad int) {
		for y := y0 - rad; y <= y0+rad; y++ {
			for x := x0 - rad; x <= x0+rad; x++ {
				if (x-x0)*(x-x0)+(y-y0)*(y-y0) <= rad*rad && image.Pt(x, y).In(m.Rect) {
					m.SetNRGBA(x, y, white)
				}
			}
		}
	}
	for range w * h / 150 {
		disc(rng.IntN(w), rng.IntN(h), rng.IntN(4)+1)
	}
	// A few rows of equal lights, like windows at night.
	for range 6 {
		x, y, rad := rng.IntN(w), rng.IntN(h), rng.IntN(6)+2
		for k := range 6 {
			disc(x+k*(3*rad), y, rad)
		}
	}
	return m
}
