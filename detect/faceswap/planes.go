package faceswap

import (
	"image"
	"math"
)

// sampler returns a reader of one pixel as Y, Cb, Cr (JFIF, 0–255) with
// fast paths for the image types decoders and ffmpeg produce.
func sampler(img image.Image) func(x, y int) (float32, float32, float32) {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) (float32, float32, float32) {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			return float32(m.Y[yi]), float32(m.Cb[ci]), float32(m.Cr[ci])
		}
	case *image.RGBA:
		return func(x, y int) (float32, float32, float32) {
			i := m.PixOffset(x, y)
			return ycc(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
		}
	case *image.NRGBA:
		return func(x, y int) (float32, float32, float32) {
			i := m.PixOffset(x, y)
			return ycc(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
		}
	case *image.Gray:
		return func(x, y int) (float32, float32, float32) {
			return float32(m.Pix[m.PixOffset(x, y)]), 128, 128
		}
	}
	return func(x, y int) (float32, float32, float32) {
		r, g, b, _ := img.At(x, y).RGBA()
		return ycc(uint8(r>>8), uint8(g>>8), uint8(b>>8))
	}
}

func ycc(r, g, b uint8) (float32, float32, float32) {
	R, G, B := float32(r), float32(g), float32(b)
	return 0.299*R + 0.587*G + 0.114*B,
		128 - 0.168736*R - 0.331264*G + 0.5*B,
		128 + 0.5*R - 0.418688*G - 0.081312*B
}

// lumaDown returns the luma of img averaged over k×k blocks, as bytes for
// pigo, with its width and height.
func lumaDown(img image.Image, k int) ([]uint8, int, int) {
	b := img.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	out := make([]uint8, w*h)
	inv := 1 / float32(k*k)
	if m, ok := img.(*image.YCbCr); ok {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s int
				for dy := 0; dy < k; dy++ {
					row := m.Y[m.YOffset(b.Min.X+x*k, b.Min.Y+y*k+dy):]
					for dx := 0; dx < k; dx++ {
						s += int(row[dx])
					}
				}
				out[y*w+x] = uint8(s / (k * k))
			}
		}
		return out, w, h
	}
	at := sampler(img)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			for dy := 0; dy < k; dy++ {
				for dx := 0; dx < k; dx++ {
					v, _, _ := at(b.Min.X+x*k+dx, b.Min.Y+y*k+dy)
					s += v
				}
			}
			out[y*w+x] = uint8(s*inv + 0.5)
		}
	}
	return out, w, h
}

// window is a square part of a picture around a face, resampled so that
// the face box is faceSide pixels wide: planes Y, Cb, Cr and a mask of the
// pixels that lie inside the picture.
type window struct {
	n          int
	y, cb, cr  []float32
	ok         []bool
	x0, y0, px float64 // picture coordinates of the window's origin and of one window pixel
}

// cut resamples the square of side n·px picture pixels whose top-left
// corner is (x0, y0) into an n×n window: an average over the footprint when
// shrinking, the nearest of 2×2 bilinear neighbours when enlarging.
func cut(img image.Image, x0, y0, px float64, n int) *window {
	w := &window{n: n, x0: x0, y0: y0, px: px,
		y: make([]float32, n*n), cb: make([]float32, n*n), cr: make([]float32, n*n), ok: make([]bool, n*n)}
	b := img.Bounds()
	at := sampler(img)
	taps := int(math.Ceil(px))
	if taps < 1 {
		taps = 1
	}
	if taps > 6 {
		taps = 6
	}
	step := px / float64(taps)
	inv := 1 / float32(taps*taps)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			var sy, scb, scr float32
			good := true
			for ty := 0; ty < taps && good; ty++ {
				fy := y0 + float64(j)*px + (float64(ty)+0.5)*step
				yy := b.Min.Y + int(math.Floor(fy))
				for tx := 0; tx < taps; tx++ {
					fx := x0 + float64(i)*px + (float64(tx)+0.5)*step
					xx := b.Min.X + int(math.Floor(fx))
					if xx < b.Min.X || yy < b.Min.Y || xx >= b.Max.X || yy >= b.Max.Y {
						good = false
						break
					}
					a, c, d := at(xx, yy)
					sy += a
					scb += c
					scr += d
				}
			}
			k := j*n + i
			if good {
				w.y[k], w.cb[k], w.cr[k], w.ok[k] = sy*inv, scb*inv, scr*inv, true
			}
		}
	}
	if px < 1 {
		w.smoothUpsampled()
	}
	return w
}

// smoothUpsampled replaces the nearest-neighbour blocks of an enlarged
// window by a 3×3 average so that pixel repetition does not read as edges.
func (w *window) smoothUpsampled() {
	for _, p := range [][]float32{w.y, w.cb, w.cr} {
		q := blur3(p, w.n)
		copy(p, q)
	}
}

// blur3 is a 3×3 box filter with clamped borders.
func blur3(p []float32, n int) []float32 {
	out := make([]float32, len(p))
	for y := 0; y < n; y++ {
		y0, y1 := max(y-1, 0), min(y+1, n-1)
		for x := 0; x < n; x++ {
			x0, x1 := max(x-1, 0), min(x+1, n-1)
			var s float32
			var c int
			for yy := y0; yy <= y1; yy++ {
				for xx := x0; xx <= x1; xx++ {
					s += p[yy*n+xx]
					c++
				}
			}
			out[y*n+x] = s / float32(c)
		}
	}
	return out
}
