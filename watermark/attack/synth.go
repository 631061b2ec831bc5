package attack

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// Synthetic returns a deterministic natural-like colour test image: 1/f
// textured noise (octaves of smooth noise) under flat shapes, gradients
// and soft edges, so that tests need no stored photographs.
func Synthetic(seed uint64, w, h int) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	lum := make([]float64, w*h)
	// 1/f noise: octaves of bilinearly upsampled random grids.
	for cell := float64(max(w, h)) / 2; cell >= 1.5; cell /= 2 {
		gw, gh := int(float64(w)/cell)+2, int(float64(h)/cell)+2
		grid := make([]float64, gw*gh)
		for i := range grid {
			grid[i] = rng.NormFloat64()
		}
		amp := 3.2 * math.Pow(cell, 0.55)
		for y := 0; y < h; y++ {
			v := float64(y) / cell
			j := int(v)
			fy := v - float64(j)
			for x := 0; x < w; x++ {
				u := float64(x) / cell
				i := int(u)
				fx := u - float64(i)
				a := grid[j*gw+i]*(1-fx) + grid[j*gw+i+1]*fx
				b := grid[(j+1)*gw+i]*(1-fx) + grid[(j+1)*gw+i+1]*fx
				lum[y*w+x] += amp * (a*(1-fy) + b*fy)
			}
		}
	}
	// Texture strength varies over the image: some regions nearly flat.
	tex := 0.15 + 0.85*rng.Float64()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	gx, gy := rng.NormFloat64()*60/float64(w), rng.NormFloat64()*60/float64(h)
	base := 80 + 90*rng.Float64()
	type shape struct {
		cx, cy, rx, ry, level float64
		tint                  [3]float64
		ellipse               bool
		textured              float64
	}
	shapes := make([]shape, 3+rng.IntN(6))
	for i := range shapes {
		shapes[i] = shape{
			cx: rng.Float64() * float64(w), cy: rng.Float64() * float64(h),
			rx: (0.05 + 0.3*rng.Float64()) * float64(w), ry: (0.05 + 0.3*rng.Float64()) * float64(h),
			level:    40 + 180*rng.Float64(),
			tint:     [3]float64{rng.Float64()*40 - 20, rng.Float64()*40 - 20, rng.Float64()*40 - 20},
			ellipse:  rng.IntN(2) == 0,
			textured: rng.Float64() * rng.Float64(),
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			l := base + gx*float64(x) + gy*float64(y)
			n := lum[y*w+x] * tex
			tint := [3]float64{}
			for _, s := range shapes {
				dx, dy := (float64(x)-s.cx)/s.rx, (float64(y)-s.cy)/s.ry
				var d float64
				if s.ellipse {
					d = math.Hypot(dx, dy)
				} else {
					d = math.Max(math.Abs(dx), math.Abs(dy))
				}
				// Soft edge about two pixels wide.
				e := (1 - d) * math.Min(s.rx, s.ry) / 2
				a := math.Max(0, math.Min(1, e+0.5))
				if a > 0 {
					l = l*(1-a) + s.level*a
					n = n*(1-a) + n*s.textured*a
					for c := range tint {
						tint[c] = tint[c]*(1-a) + s.tint[c]*a
					}
				}
			}
			v := l + n
			o := img.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				img.Pix[o+c] = clampU8(v + tint[c])
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

func clampU8(v float64) uint8 {
	v = math.Round(v)
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

var _ = color.NRGBA{}
