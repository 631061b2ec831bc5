package pixel

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/aigcmark/aigcmark/watermark"
)

// plane is a row-major float32 image.
type plane struct {
	w, h int
	p    []float32
}

func newPlane(w, h int) *plane { return &plane{w: w, h: h, p: make([]float32, w*h)} }

func checkSize(b image.Rectangle) error {
	w, h := b.Dx(), b.Dy()
	if w < MinSide || h < MinSide {
		return fmt.Errorf("%w: %dx%d, need at least %d pixels on each side", watermark.ErrTooSmall, w, h, MinSide)
	}
	if int64(w)*int64(h) > MaxPixels {
		return fmt.Errorf("pixel: image %dx%d exceeds %d pixels", w, h, MaxPixels)
	}
	return nil
}

// lumaOf returns the BT.601 luma of img on the 0–255 scale.
func lumaOf(img image.Image) *plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pl := newPlane(w, h)
	switch m := img.(type) {
	case *image.YCbCr:
		pl.setBytes(m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride)
	case *image.Gray:
		pl.setBytes(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride)
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+4*(b.Min.X-m.Rect.Min.X):]
			out := pl.p[y*w : (y+1)*w]
			for x := range out {
				q := row[4*x : 4*x+3]
				out[x] = 0.299*float32(q[0]) + 0.587*float32(q[1]) + 0.114*float32(q[2])
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+4*(b.Min.X-m.Rect.Min.X):]
			out := pl.p[y*w : (y+1)*w]
			for x := range out {
				q := row[4*x : 4*x+4]
				v := 0.299*float32(q[0]) + 0.587*float32(q[1]) + 0.114*float32(q[2])
				if a := q[3]; a != 0 && a != 255 {
					v = v * 255 / float32(a)
				}
				out[x] = v
			}
		}
	default:
		for y := 0; y < h; y++ {
			out := pl.p[y*w : (y+1)*w]
			for x := range out {
				c := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				out[x] = (0.299*float32(c.R) + 0.587*float32(c.G) + 0.114*float32(c.B)) / 257
			}
		}
	}
	return pl
}

// setBytes fills pl from 8-bit samples, rows stride bytes apart from the
// start of pix.
func (pl *plane) setBytes(pix []byte, stride int) {
	for y := 0; y < pl.h; y++ {
		out := pl.p[y*pl.w : (y+1)*pl.w]
		for x, v := range pix[y*stride : y*stride+pl.w] {
			out[x] = float32(v)
		}
	}
}

// resize resamples pl to w×h with a triangle (area-aware) filter.
func (pl *plane) resize(w, h int) *plane {
	if w == pl.w && h == pl.h {
		return pl
	}
	tmp := newPlane(w, pl.h)
	cx := resampleWeights(pl.w, w)
	for y := 0; y < pl.h; y++ {
		src := pl.p[y*pl.w : (y+1)*pl.w]
		dst := tmp.p[y*w : (y+1)*w]
		for x := range dst {
			var s float32
			for _, t := range cx[x] {
				s += src[t.i] * t.w
			}
			dst[x] = s
		}
	}
	out := newPlane(w, h)
	cy := resampleWeights(pl.h, h)
	for y := 0; y < h; y++ {
		dst := out.p[y*w : (y+1)*w]
		for _, t := range cy[y] {
			src := tmp.p[t.i*w : (t.i+1)*w]
			for x := range dst {
				dst[x] += src[x] * t.w
			}
		}
	}
	return out
}

type tap struct {
	i int
	w float32
}

func resampleWeights(src, dst int) [][]tap {
	scale := float64(dst) / float64(src)
	support := 1.0
	if scale < 1 {
		support = 1 / scale
	}
	out := make([][]tap, dst)
	for d := range out {
		c := (float64(d)+0.5)/scale - 0.5
		lo := int(math.Floor(c - support))
		hi := int(math.Ceil(c + support))
		var ts []tap
		var sum float64
		for i := lo; i <= hi; i++ {
			wt := 1 - math.Abs(float64(i)-c)/support
			if wt <= 0 {
				continue
			}
			j := min(max(i, 0), src-1)
			ts = append(ts, tap{j, float32(wt)})
			sum += wt
		}
		for k := range ts {
			ts[k].w /= float32(sum)
		}
		out[d] = ts
	}
	return out
}

// boxMean returns the mean of pl over (2r+1)² windows (clamped at edges)
// with two running-sum passes.
func (pl *plane) boxMean(r int) *plane {
	w, h := pl.w, pl.h
	tmp := newPlane(w, h)
	for y := 0; y < h; y++ {
		boxLine(pl.p[y*w:(y+1)*w], tmp.p[y*w:(y+1)*w], r)
	}
	out := newPlane(w, h)
	col := make([]float32, h)
	res := make([]float32, h)
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			col[y] = tmp.p[y*w+x]
		}
		boxLine(col, res, r)
		for y := 0; y < h; y++ {
			out.p[y*w+x] = res[y]
		}
	}
	return out
}

// boxLine writes to dst the mean of src over windows of radius r, the
// window shrinking at the ends.
func boxLine(src, dst []float32, r int) {
	n := len(src)
	var sum float64
	hi := min(r, n-1)
	for i := 0; i <= hi; i++ {
		sum += float64(src[i])
	}
	for i := 0; i < n; i++ {
		lo, hi := max(i-r, 0), min(i+r, n-1)
		dst[i] = float32(sum / float64(hi-lo+1))
		if j := i + r + 1; j < n {
			sum += float64(src[j])
		}
		if j := i - r; j >= 0 {
			sum -= float64(src[j])
		}
	}
}
