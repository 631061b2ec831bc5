package visible

import (
	"image"
	"image/draw"
)

// DrawOver draws the overlay onto dst in place ("over" compositing in
// sRGB, as image/draw does). o.At is relative to dst.Bounds().Min; the part
// of the overlay outside dst is clipped. It is the fast path for video
// frames: *image.NRGBA and *image.RGBA take a direct loop, other images go
// through image/draw. Use Composite to keep the input unchanged.
func DrawOver(dst draw.Image, o Overlay) {
	if o.Image == nil {
		return
	}
	b := dst.Bounds()
	r := o.Bounds().Add(b.Min).Intersect(b)
	if r.Empty() {
		return
	}
	src := o.Image
	sp := src.Bounds().Min.Add(r.Min.Sub(o.At.Add(b.Min)))
	switch d := dst.(type) {
	case *image.NRGBA:
		overNRGBA(d, r, src, sp)
	case *image.RGBA:
		overRGBA(d, r, src, sp)
	default:
		draw.Draw(dst, r, src, sp, draw.Over)
	}
}

// overNRGBA composites non-premultiplied src over non-premultiplied dst.
func overNRGBA(dst *image.NRGBA, r image.Rectangle, src *image.NRGBA, sp image.Point) {
	w := r.Dx()
	for y := 0; y < r.Dy(); y++ {
		d := dst.Pix[dst.PixOffset(r.Min.X, r.Min.Y+y):][:4*w]
		s := src.Pix[src.PixOffset(sp.X, sp.Y+y):][:4*w]
		for i := 0; i < len(d); i += 4 {
			sa := uint32(s[i+3])
			if sa == 0 {
				continue
			}
			da := uint32(d[i+3])
			if da == 255 {
				// The common case: an opaque picture.
				ia := 255 - sa
				d[i+0] = uint8((uint32(s[i+0])*sa + uint32(d[i+0])*ia + 127) / 255)
				d[i+1] = uint8((uint32(s[i+1])*sa + uint32(d[i+1])*ia + 127) / 255)
				d[i+2] = uint8((uint32(s[i+2])*sa + uint32(d[i+2])*ia + 127) / 255)
				continue
			}
			// General case, in units of 255×255.
			sw := sa * 255
			dw := da * (255 - sa)
			a := sw + dw
			for c := range 3 {
				d[i+c] = uint8((uint32(s[i+c])*sw + uint32(d[i+c])*dw + a/2) / a)
			}
			d[i+3] = uint8((a + 127) / 255)
		}
	}
}

// overRGBA composites non-premultiplied src over premultiplied dst.
func overRGBA(dst *image.RGBA, r image.Rectangle, src *image.NRGBA, sp image.Point) {
	w := r.Dx()
	for y := 0; y < r.Dy(); y++ {
		d := dst.Pix[dst.PixOffset(r.Min.X, r.Min.Y+y):][:4*w]
		s := src.Pix[src.PixOffset(sp.X, sp.Y+y):][:4*w]
		for i := 0; i < len(d); i += 4 {
			sa := uint32(s[i+3])
			if sa == 0 {
				continue
			}
			ia := 255 - sa
			for c := range 3 {
				d[i+c] = uint8((uint32(s[i+c])*sa + uint32(d[i+c])*ia + 127) / 255)
			}
			d[i+3] = uint8((sa*255 + uint32(d[i+3])*ia + 127) / 255)
		}
	}
}

// Composite returns a copy of img with the overlay drawn on it; img is not
// changed. The copy has img's bounds; o.At is relative to its top-left
// corner.
func Composite(img image.Image, o Overlay) *image.NRGBA {
	out := toNRGBA(img)
	DrawOver(out, o)
	return out
}

// toNRGBA returns a new NRGBA copy of img, with fast paths for the types
// the standard decoders return.
func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.NRGBA:
		out := image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			copy(out.Pix[out.PixOffset(b.Min.X, y):][:4*b.Dx()], m.Pix[m.PixOffset(b.Min.X, y):])
		}
		return out
	case *image.YCbCr, *image.Gray:
		// Opaque: convert through RGBA, whose draw path is fast, and
		// reuse its pixels (premultiplied equals non-premultiplied when
		// every alpha is 255).
		rgba := image.NewRGBA(b)
		draw.Draw(rgba, b, img, b.Min, draw.Src)
		return &image.NRGBA{Pix: rgba.Pix, Stride: rgba.Stride, Rect: rgba.Rect}
	case *image.RGBA:
		out := image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			s := m.Pix[m.PixOffset(b.Min.X, y):][:4*b.Dx()]
			d := out.Pix[out.PixOffset(b.Min.X, y):][:4*b.Dx()]
			for i := 0; i < len(s); i += 4 {
				a := uint32(s[i+3])
				switch a {
				case 255:
					copy(d[i:i+4], s[i:i+4])
				case 0:
				default:
					for c := range 3 {
						d[i+c] = uint8(min(255, (uint32(s[i+c])*255+a/2)/a))
					}
					d[i+3] = uint8(a)
				}
			}
		}
		return out
	}
	out := image.NewNRGBA(b)
	draw.Draw(out, b, img, b.Min, draw.Src)
	return out
}
