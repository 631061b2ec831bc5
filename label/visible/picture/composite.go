package picture

import (
	"image"
	"image/color"
	"image/draw"

	"github.com/aigcmark/aigcmark/label/visible"
)

// over composites the non-premultiplied 8-bit colour s over the
// non-premultiplied 16-bit colour d (0..65535 each) and returns the result,
// non-premultiplied, 16-bit:
//
//	a = as + ad(1-as),  c = (cs·as + cd·ad(1-as)) / a
func over(s color.NRGBA, dr, dg, db, da uint32) (r, g, b, a uint32) {
	sa := uint64(s.A) * 0x101
	if sa == 0xFFFF {
		return uint32(s.R) * 0x101, uint32(s.G) * 0x101, uint32(s.B) * 0x101, 0xFFFF
	}
	if sa == 0 {
		return dr, dg, db, da
	}
	dw := uint64(da) * (0xFFFF - sa) // destination weight, scale 65535²
	sw := sa * 0xFFFF                // source weight, same scale
	aw := sw + dw
	mix := func(sc uint8, dc uint32) uint32 {
		return uint32((uint64(sc)*0x101*sw + uint64(dc)*dw + aw/2) / aw)
	}
	return mix(s.R, dr), mix(s.G, dg), mix(s.B, db), uint32((aw + 0x7FFF) / 0xFFFF)
}

// luma16 returns the 16-bit luma of an 8-bit colour, as color.GrayModel
// computes it.
func luma16(r, g, b uint8) uint32 {
	r16, g16, b16 := uint32(r)*0x101, uint32(g)*0x101, uint32(b)*0x101
	return (19595*r16 + 38470*g16 + 7471*b16 + 1<<15) >> 16
}

// composite draws ov (in the stored picture's coordinates) over m, in
// place, for the image types the decoders return. m must be the caller's
// own copy. It reports false for a type it does not handle. 8-bit RGBA
// pictures take visible.DrawOver, the video frames' path; the others are
// composited at their own depth.
func composite(m image.Image, ov *image.NRGBA) bool {
	if ov == nil {
		return true
	}
	r := ov.Rect.Intersect(m.Bounds())
	switch m := m.(type) {
	case *image.NRGBA, *image.RGBA:
		dst := m.(draw.Image)
		visible.DrawOver(dst, visible.Overlay{Image: ov, At: ov.Rect.Min.Sub(dst.Bounds().Min)})
	case *image.NRGBA64:
		eachInk(ov, r, func(x, y int, s color.NRGBA) {
			d := m.NRGBA64At(x, y)
			cr, cg, cb, ca := over(s, uint32(d.R), uint32(d.G), uint32(d.B), uint32(d.A))
			m.SetNRGBA64(x, y, color.NRGBA64{uint16(cr), uint16(cg), uint16(cb), uint16(ca)})
		})
	case *image.RGBA64:
		eachInk(ov, r, func(x, y int, s color.NRGBA) { m.SetRGBA64(x, y, overPremul(s, m.RGBA64At(x, y))) })
	case *image.Gray:
		eachInk(ov, r, func(x, y int, s color.NRGBA) {
			i := m.PixOffset(x, y)
			m.Pix[i] = to8(mixOpaque(luma16(s.R, s.G, s.B), uint32(m.Pix[i])*0x101, s.A))
		})
	case *image.Gray16:
		eachInk(ov, r, func(x, y int, s color.NRGBA) {
			d := uint32(m.Gray16At(x, y).Y)
			m.SetGray16(x, y, color.Gray16{uint16(mixOpaque(luma16(s.R, s.G, s.B), d, s.A))})
		})
	case *image.YCbCr:
		compositeYCbCr(m, ov, r)
	default:
		return false
	}
	return true
}

// eachInk calls f for every pixel of r where the overlay is not fully
// transparent, with the overlay's colour there.
func eachInk(ov *image.NRGBA, r image.Rectangle, f func(x, y int, s color.NRGBA)) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if s := ov.NRGBAAt(x, y); s.A != 0 {
				f(x, y, s)
			}
		}
	}
}

// overPremul composites the non-premultiplied colour s over the
// premultiplied colour d: out = s·as + d(1-as), alpha likewise.
func overPremul(s color.NRGBA, d color.RGBA64) color.RGBA64 {
	sa := uint32(s.A) * 0x101
	k := 0xFFFF - sa
	pm := func(sc uint8, dc uint16) uint16 {
		return uint16((uint32(sc)*0x101*sa + uint32(dc)*k + 0x7FFF) / 0xFFFF)
	}
	return color.RGBA64{pm(s.R, d.R), pm(s.G, d.G), pm(s.B, d.B), uint16(sa + (uint32(d.A)*k+0x7FFF)/0xFFFF)}
}

// mixOpaque mixes the 16-bit source value s with weight a/255 over the
// opaque 16-bit destination value d.
func mixOpaque(s, d uint32, a uint8) uint32 {
	sa := uint32(a) * 0x101
	return (s*sa + d*(0xFFFF-sa) + 0x7FFF) / 0xFFFF
}

// to8 rounds a 16-bit value to 8 bits.
func to8(v uint32) uint8 { return uint8((v*0xFF + 0x7FFF) / 0xFFFF) }

// compositeYCbCr draws ov over the opaque picture m within r, in place.
// Luma is set pixel by pixel; each chroma sample the rectangle touches
// becomes the mean of the chroma of the pixels it covers, composited where
// they are inside r and as they were outside, so that pixels beside the
// label keep their colour as closely as subsampling allows.
func compositeYCbCr(m *image.YCbCr, ov *image.NRGBA, r image.Rectangle) {
	cw, ch := chromaBlock(m.SubsampleRatio)
	b := m.Rect
	// Chroma samples cover blocks at multiples of their size (COffset
	// divides absolute coordinates); decoders return pictures at (0, 0).
	x0, y0 := r.Min.X/cw*cw, r.Min.Y/ch*ch
	for by := y0; by < r.Max.Y; by += ch {
		for bx := x0; bx < r.Max.X; bx += cw {
			ci := m.COffset(bx, by)
			oldCb, oldCr := m.Cb[ci], m.Cr[ci]
			var sumCb, sumCr, n int
			for y := max(by, b.Min.Y); y < min(by+ch, b.Max.Y); y++ {
				for x := max(bx, b.Min.X); x < min(bx+cw, b.Max.X); x++ {
					n++
					if !(image.Point{x, y}).In(r) {
						sumCb += int(oldCb)
						sumCr += int(oldCr)
						continue
					}
					yi := m.YOffset(x, y)
					s := ov.NRGBAAt(x, y)
					if s.A == 0 {
						sumCb += int(oldCb)
						sumCr += int(oldCr)
						continue
					}
					pr, pg, pb := color.YCbCrToRGB(m.Y[yi], oldCb, oldCr)
					cr := mixOpaque(uint32(s.R)*0x101, uint32(pr)*0x101, s.A)
					cg := mixOpaque(uint32(s.G)*0x101, uint32(pg)*0x101, s.A)
					cb := mixOpaque(uint32(s.B)*0x101, uint32(pb)*0x101, s.A)
					yy, u, v := color.RGBToYCbCr(to8(cr), to8(cg), to8(cb))
					m.Y[yi] = yy
					sumCb += int(u)
					sumCr += int(v)
				}
			}
			m.Cb[ci] = uint8((sumCb + n/2) / n)
			m.Cr[ci] = uint8((sumCr + n/2) / n)
		}
	}
}

// chromaBlock returns the size of the pixel block one chroma sample covers.
func chromaBlock(r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// toNRGBA returns a new NRGBA copy of m.
func toNRGBA(m image.Image) *image.NRGBA {
	b := m.Bounds()
	out := image.NewNRGBA(b)
	switch m := m.(type) {
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			copy(out.Pix[out.PixOffset(b.Min.X, y):out.PixOffset(b.Max.X, y)], m.Pix[m.PixOffset(b.Min.X, y):])
		}
	case *image.YCbCr:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				ci := m.COffset(x, y)
				r, g, bb := color.YCbCrToRGB(m.Y[m.YOffset(x, y)], m.Cb[ci], m.Cr[ci])
				out.SetNRGBA(x, y, color.NRGBA{r, g, bb, 0xFF})
			}
		}
	case *image.NYCbCrA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				ci := m.COffset(x, y)
				r, g, bb := color.YCbCrToRGB(m.Y[m.YOffset(x, y)], m.Cb[ci], m.Cr[ci])
				out.SetNRGBA(x, y, color.NRGBA{r, g, bb, m.A[m.AOffset(x, y)]})
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				out.SetNRGBA(x, y, color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA))
			}
		}
	}
	return out
}

// canvases are what a viewer shows of an animation after each frame:
// the input's (s) and the output's (sp), and the overlay ov the output
// shows over the input.
type canvases struct {
	rect  image.Rectangle
	s, sp *image.NRGBA
	ov    *image.NRGBA
	label image.Rectangle // ov's pixels that are not fully transparent lie here
	dirty image.Rectangle // outside it and the label, s and sp are the same
}

// newCanvases returns transparent w×h canvases for the overlay ov, whose
// label is ov's rectangle on them.
func newCanvases(w, h int, ov *image.NRGBA) canvases {
	r := image.Rect(0, 0, w, h)
	return canvases{rect: r, s: image.NewNRGBA(r), sp: image.NewNRGBA(r), ov: ov, label: ov.Rect.Intersect(r)}
}
