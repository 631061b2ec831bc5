package pixel

import (
	"image"
	"image/color"
	"math"

	"github.com/aigcmark/aigcmark/watermark"
)

// DefaultPSNR is the luma PSNR (dB) Embed aims for when Options.PSNR is 0.
const DefaultPSNR = 42.5

// DefaultMaxFalseAlarm is the per-image false-alarm bound Detect applies
// when Options.MaxFalseAlarm is 0.
const DefaultMaxFalseAlarm = 1e-6

const (
	maskFloor = 2.0  // σ added to the local deviation: strength in flat areas
	maskCap   = 25.0 // local deviations above this count as this
	flatMax   = 1.0  // largest amplitude (luma levels) allowed in flat areas
	texGain   = 0.5  // extra amplitude allowed per level of local deviation
)

// Options tunes Embed and Detect. The zero value selects the defaults.
type Options struct {
	// PSNR is the luma PSNR in dB Embed aims for (0 means DefaultPSNR).
	// Images with little texture get less, never more, than this budget.
	PSNR float64
	// MaxFalseAlarm is the largest per-image false-alarm probability at
	// which Detect reports a mark (0 means DefaultMaxFalseAlarm).
	MaxFalseAlarm float64
}

func (o Options) psnr() float64 {
	if o.PSNR <= 0 {
		return DefaultPSNR
	}
	return o.PSNR
}

func (o Options) maxFalseAlarm() float64 {
	if o.MaxFalseAlarm <= 0 {
		return DefaultMaxFalseAlarm
	}
	return o.MaxFalseAlarm
}

// Embed returns a copy of img carrying payload under key. Only luma
// changes (the same delta is added to R, G and B); alpha is copied. The
// result is *image.Gray for Gray input, *image.Gray16 for Gray16,
// *image.NRGBA64 for 16-bit colour and *image.NRGBA otherwise.
func Embed(img image.Image, key watermark.Key, payload watermark.Payload, opts Options) (image.Image, error) {
	if err := checkSize(img.Bounds()); err != nil {
		return nil, err
	}
	delta := embedDelta(lumaOf(img), key, payload, opts)
	return applyDelta(img, delta), nil
}

// embedDelta computes the luma change for every pixel.
func embedDelta(y *plane, key watermark.Key, payload watermark.Payload, opts Options) *plane {
	w, h := y.w, y.h
	c := chipSize(w, h)
	t := newTile(key)
	pat := t.pattern(watermark.Encode(key, payload))

	// Local texture: deviation of the high-passed luma over a window about
	// the chip size (a smooth gradient has none, so it gets the floor).
	r := max(2, int(math.Round(c)))
	mean := y.boxMean(r)
	sq := newPlane(w, h)
	for i, v := range y.p {
		d := v - mean.p[i]
		sq.p[i] = d * d
	}
	mean = nil
	msq := sq.boxMean(r)
	sq = nil

	// The pattern value (the tile rendered as the frame marker renders it,
	// so image and video marks agree) and local deviation of every pixel.
	d := &plane{w: w, h: h, p: renderPattern(w, h, c, pat)}
	sdp := msq // deviation computed in place
	for i, v := range msq.p {
		if v > 0 {
			sdp.p[i] = float32(math.Sqrt(float64(v)))
		} else {
			sdp.p[i] = 0
		}
	}
	// Amplitude at a pixel: g·(floor + deviation), never above what the
	// local texture hides (flatMax + texGain·deviation). g is set by
	// bisection on a subsample so the image meets the PSNR target.
	amp := func(g, sd float32) float32 {
		return min(g*(maskFloor+min(sd, maskCap)), flatMax+texGain*sd)
	}
	target := 255 * math.Pow(10, -opts.psnr()/20)
	const stride = 7
	rms := func(g float32) float64 {
		var s float64
		var n int
		for i := 0; i < len(d.p); i += stride {
			v := amp(g, sdp.p[i]) * d.p[i]
			s += float64(v * v)
			n++
		}
		return math.Sqrt(s / float64(n))
	}
	lo, hi := float32(0), float32(2)
	for it := 0; it < 24; it++ {
		mid := (lo + hi) / 2
		if rms(mid) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	for i := range d.p {
		d.p[i] *= amp(lo, sdp.p[i])
	}
	return d
}

func clamp8(v float32) uint8 {
	v += 0.5
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

func clamp16(v float32) uint16 {
	v += 0.5
	if v <= 0 {
		return 0
	}
	if v >= 65535 {
		return 65535
	}
	return uint16(v)
}

// applyDelta adds the luma delta to img, returning a new image.
func applyDelta(img image.Image, d *plane) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	r := image.Rect(0, 0, w, h)
	switch m := img.(type) {
	case *image.Gray:
		out := image.NewGray(r)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := m.GrayAt(b.Min.X+x, b.Min.Y+y).Y
				out.Pix[y*out.Stride+x] = clamp8(float32(v) + d.p[y*w+x])
			}
		}
		return out
	case *image.Gray16:
		out := image.NewGray16(r)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := m.Gray16At(b.Min.X+x, b.Min.Y+y).Y
				out.SetGray16(x, y, color.Gray16{Y: clamp16(float32(v) + 257*d.p[y*w+x])})
			}
		}
		return out
	case *image.RGBA64, *image.NRGBA64:
		out := image.NewNRGBA64(r)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				dv := 257 * d.p[y*w+x]
				c.R = clamp16(float32(c.R) + dv)
				c.G = clamp16(float32(c.G) + dv)
				c.B = clamp16(float32(c.B) + dv)
				out.SetNRGBA64(x, y, c)
			}
		}
		return out
	}
	out := image.NewNRGBA(r)
	put := func(q []uint8, c color.NRGBA, dv float32) {
		q[0] = clamp8(float32(c.R) + dv)
		q[1] = clamp8(float32(c.G) + dv)
		q[2] = clamp8(float32(c.B) + dv)
		q[3] = c.A
	}
	for y := 0; y < h; y++ {
		row := out.Pix[y*out.Stride : y*out.Stride+4*w]
		dr := d.p[y*w : (y+1)*w]
		switch m := img.(type) {
		case *image.NRGBA:
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				put(row[4*x:4*x+4], color.NRGBA{src[4*x], src[4*x+1], src[4*x+2], src[4*x+3]}, dr[x])
			}
		case *image.YCbCr:
			for x := 0; x < w; x++ {
				yc := m.YCbCrAt(b.Min.X+x, b.Min.Y+y)
				rr, gg, bb := color.YCbCrToRGB(yc.Y, yc.Cb, yc.Cr)
				put(row[4*x:4*x+4], color.NRGBA{rr, gg, bb, 255}, dr[x])
			}
		default:
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				put(row[4*x:4*x+4], c, dr[x])
			}
		}
	}
	return out
}
