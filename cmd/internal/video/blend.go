package video

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"

	"github.com/aigcmark/aigcmark/label/visible"
)

// A matrix is a Y'CbCr colour matrix: the luma weights of red and blue.
type matrix struct {
	name   string
	kr, kb float64
}

var (
	bt601  = matrix{"BT.601", 0.299, 0.114}
	bt709  = matrix{"BT.709", 0.2126, 0.0722}
	bt2020 = matrix{"BT.2020", 0.2627, 0.0593}
	st240  = matrix{"SMPTE 240M", 0.212, 0.087}
	fcc    = matrix{"FCC", 0.30, 0.11}
)

// matrixFor returns the matrix a stream's frames are coded with, from the
// colour space ffprobe reports; when it reports none, BT.709 for HD
// (either side at least 720 lines in the HD sense) and BT.601 below, as
// players assume.
func matrixFor(colorSpace string, w, h int) matrix {
	switch colorSpace {
	case "bt709":
		return bt709
	case "smpte170m", "bt470bg":
		return bt601
	case "bt2020nc", "bt2020c":
		return bt2020
	case "smpte240m":
		return st240
	case "fcc":
		return fcc
	}
	if w >= 1280 || h >= 720 {
		return bt709
	}
	return bt601
}

// ycbcr converts a gamma-encoded R'G'B' colour (0…255 each) to Y', Cb, Cr
// samples of the given depth and range.
func (m matrix) ycbcr(r, g, b uint8, bits int, full bool) (y, cb, cr int) {
	rf, gf, bf := float64(r)/255, float64(g)/255, float64(b)/255
	yf := m.kr*rf + (1-m.kr-m.kb)*gf + m.kb*bf
	pb := (bf - yf) / (2 * (1 - m.kb))
	pr := (rf - yf) / (2 * (1 - m.kr))
	maxv := float64(int(1)<<bits - 1)
	scale := float64(int(1) << (bits - 8))
	var yv, cbv, crv float64
	if full {
		yv = yf * maxv
		cbv = float64(int(1)<<(bits-1)) + pb*maxv
		crv = float64(int(1)<<(bits-1)) + pr*maxv
	} else {
		yv = (16 + 219*yf) * scale
		cbv = (128 + 224*pb) * scale
		crv = (128 + 224*pr) * scale
	}
	clip := func(v float64) int { return int(math.Round(min(max(v, 0), maxv))) }
	return clip(yv), clip(cbv), clip(crv)
}

// An orientation maps the picture the viewer sees to the frame as stored:
// the viewer sees the stored frame turned clockwise by cw degrees (0, 90,
// 180 or 270).
type orientation struct{ cw int }

// viewerSize is the size the viewer sees of a stored w×h frame.
func (o orientation) viewerSize(w, h int) (int, int) {
	if o.cw == 90 || o.cw == 270 {
		return h, w
	}
	return w, h
}

// stored maps viewer pixel (vx, vy) to the stored pixel of a w×h frame.
func (o orientation) stored(vx, vy, w, h int) (int, int) {
	switch o.cw {
	case 90:
		return vy, h - 1 - vx
	case 180:
		return w - 1 - vx, h - 1 - vy
	case 270:
		return w - 1 - vy, vx
	}
	return vx, vy
}

// planeOverlay is the overlay for one plane: a rectangle of the plane,
// and in it, per sample, the opacity (0…256) and the sample value to blend.
type planeOverlay struct {
	rect  image.Rectangle
	alpha []uint16
	value []uint16
}

// A blender draws one overlay onto frames of one format and size. It is
// built once per video; apply costs a pass over the overlay's rectangle.
type blender struct {
	pf     pixFormat
	w, h   int // stored frame size
	planes [3]planeOverlay
	offs   [3]int // byte offset of each plane in the frame
	strid  [3]int // samples per row of each plane
}

// newBlender prepares ov (rendered for the viewer's picture) for frames
// stored as w×h in pf, turned by o for the viewer, coded with m in full or
// limited range. The overlay is clipped to the picture; one entirely
// outside it is an error.
func newBlender(ov visible.Overlay, o orientation, w, h int, pf pixFormat, m matrix, full bool) (*blender, error) {
	if ov.Image == nil {
		return nil, fmt.Errorf("the renderer returned no overlay image")
	}
	vw, vh := o.viewerSize(w, h)
	vb := ov.Bounds().Intersect(image.Rect(0, 0, vw, vh))
	if vb.Empty() {
		return nil, fmt.Errorf("the overlay %v lies outside the %d×%d picture", ov.Bounds(), vw, vh)
	}
	// The overlay in stored coordinates: its bounding box and, per
	// stored pixel, colour and opacity.
	var sb image.Rectangle
	for _, c := range []image.Point{vb.Min, {vb.Max.X - 1, vb.Min.Y}, {vb.Min.X, vb.Max.Y - 1}, vb.Max.Sub(image.Pt(1, 1))} {
		x, y := o.stored(c.X, c.Y, w, h)
		sb = sb.Union(image.Rect(x, y, x+1, y+1))
	}
	sw, sh := sb.Dx(), sb.Dy()
	type px struct {
		a         uint16 // 0…256
		y, cb, cr int
	}
	pix := make([]px, sw*sh)
	src := ov.Image
	for vy := vb.Min.Y; vy < vb.Max.Y; vy++ {
		for vx := vb.Min.X; vx < vb.Max.X; vx++ {
			c := src.NRGBAAt(vx-ov.At.X+src.Rect.Min.X, vy-ov.At.Y+src.Rect.Min.Y)
			if c.A == 0 {
				continue
			}
			sx, sy := o.stored(vx, vy, w, h)
			y, cb, cr := m.ycbcr(c.R, c.G, c.B, pf.bits, full)
			pix[(sy-sb.Min.Y)*sw+(sx-sb.Min.X)] = px{uint16((int(c.A)*256 + 127) / 255), y, cb, cr}
		}
	}
	b := &blender{pf: pf, w: w, h: h}
	off := 0
	for i := range 3 {
		pw, ph := pf.planes(i, w, h)
		b.offs[i], b.strid[i] = off, pw
		off += pw * ph * pf.bytesPerSample()
	}
	// Luma: one sample per pixel.
	lp := planeOverlay{rect: sb, alpha: make([]uint16, sw*sh), value: make([]uint16, sw*sh)}
	for i, p := range pix {
		lp.alpha[i], lp.value[i] = p.a, uint16(p.y)
	}
	b.planes[0] = lp
	// Chroma: each sample covers a block of pixels; it takes their mean
	// opacity and their opacity-weighted mean colour, which is what
	// blending every pixel and then subsampling would give.
	bw, bh := 1<<pf.shiftW, 1<<pf.shiftH
	cr := image.Rect(sb.Min.X>>pf.shiftW, sb.Min.Y>>pf.shiftH, (sb.Max.X+bw-1)>>pf.shiftW, (sb.Max.Y+bh-1)>>pf.shiftH)
	cb := planeOverlay{rect: cr, alpha: make([]uint16, cr.Dx()*cr.Dy()), value: make([]uint16, cr.Dx()*cr.Dy())}
	crp := planeOverlay{rect: cr, alpha: make([]uint16, cr.Dx()*cr.Dy()), value: make([]uint16, cr.Dx()*cr.Dy())}
	for cy := cr.Min.Y; cy < cr.Max.Y; cy++ {
		for cx := cr.Min.X; cx < cr.Max.X; cx++ {
			var n, sa, sCb, sCr int
			for y := cy << pf.shiftH; y < (cy+1)<<pf.shiftH && y < h; y++ {
				for x := cx << pf.shiftW; x < (cx+1)<<pf.shiftW && x < w; x++ {
					n++
					if !(image.Point{x, y}).In(sb) {
						continue
					}
					p := pix[(y-sb.Min.Y)*sw+(x-sb.Min.X)]
					sa += int(p.a)
					sCb += int(p.a) * p.cb
					sCr += int(p.a) * p.cr
				}
			}
			if sa == 0 {
				continue
			}
			i := (cy-cr.Min.Y)*cr.Dx() + (cx - cr.Min.X)
			cb.alpha[i] = uint16((sa + n/2) / n)
			crp.alpha[i] = cb.alpha[i]
			cb.value[i] = uint16((sCb + sa/2) / sa)
			crp.value[i] = uint16((sCr + sa/2) / sa)
		}
	}
	b.planes[1], b.planes[2] = cb, crp
	return b, nil
}

// apply blends the overlay into frame, a raw frame in the blender's format.
func (b *blender) apply(frame []byte) {
	for i := range 3 {
		p := &b.planes[i]
		base, stride := b.offs[i], b.strid[i]
		rw := p.rect.Dx()
		for y := p.rect.Min.Y; y < p.rect.Max.Y; y++ {
			alpha := p.alpha[(y-p.rect.Min.Y)*rw:][:rw]
			value := p.value[(y-p.rect.Min.Y)*rw:][:rw]
			if b.pf.bits == 8 {
				row := frame[base+y*stride+p.rect.Min.X:][:rw]
				for x, a := range alpha {
					if a != 0 {
						row[x] = uint8((int(row[x])*(256-int(a)) + int(value[x])*int(a) + 128) >> 8)
					}
				}
				continue
			}
			row := frame[base+2*(y*stride+p.rect.Min.X):][:2*rw]
			for x, a := range alpha {
				if a != 0 {
					s := int(binary.LittleEndian.Uint16(row[2*x:]))
					binary.LittleEndian.PutUint16(row[2*x:], uint16((s*(256-int(a))+int(value[x])*int(a)+128)>>8))
				}
			}
		}
	}
}
