package picture

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// gifMeta is what a walk of a GIF's blocks learns.
type gifMeta struct {
	exts   [][]byte // comment and application extensions to carry over, whole
	kinds  []string
	frames int
	area   int64 // the frames' pixels
}

// gifCodec reads every frame of a GIF with image/gif.
var gifCodec = codec[*gif.GIF]{format: "gif", config: gif.DecodeConfig, decode: gif.DecodeAll}

// gif labels a GIF picture, every frame of it.
//
// A viewer composes the frames on a canvas: each frame draws its
// rectangle (transparent pixels leave the canvas as it is), and its
// disposal method then keeps the result, clears the rectangle, or restores
// what was there before. Label simulates that for the input (canvas S) and
// for the output (canvas S'), and gives each output frame what makes the
// viewer see the input's frame with the label on it:
//
//   - the frame's own pixels, unchanged outside the label;
//   - inside the label, the label composited over what the input shows
//     there, unless the output canvas already shows exactly that;
//   - outside its rectangle, whatever the output canvas shows differently
//     from the wanted picture (a label an earlier frame's disposal
//     cleared): the frame's rectangle grows to cover it, with transparent
//     pixels where nothing changes.
//
// The label's colours join the frame's palette while there is room (a
// local palette then replaces the global one for that frame). A label
// pixel that is less than half opaque over a transparent part of the
// canvas stays transparent, as GIF has no partial transparency.
func (j *job) gif() (Info, error) {
	if err := j.noMark("gif", "a GIF (its colours are fixed by palettes)"); err != nil {
		return Info{}, err
	}
	var meta *gifMeta
	g, err := load(j, gifCodec, func(br *bufio.Reader, cfg image.Config) (bool, error) {
		var err error
		if meta, err = walkGIF(br); err != nil {
			return false, err
		}
		return false, j.checkSize("gif", cfg.Width, cfg.Height, meta.frames, meta.area)
	})
	if err != nil {
		return Info{}, err
	}
	w, h := g.Config.Width, g.Config.Height
	ov, err := j.overlay("gif", w, h, 1)
	if err != nil {
		return Info{}, err
	}
	c := newGIFCanvas(w, h, ov)
	out := *g
	out.Image = make([]*image.Paletted, len(g.Image))
	out.Disposal = make([]byte, len(g.Image))
	for i, f := range g.Image {
		if err := j.ctx.Err(); err != nil {
			return Info{}, err
		}
		var d byte
		if i < len(g.Disposal) {
			d = g.Disposal[i]
		}
		out.Image[i] = c.frame(f, d)
		out.Disposal[i] = d
	}
	j.info.Frames, j.info.Lossless, j.info.Kept = len(g.Image), true, uniq(meta.kinds)

	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &out); err != nil {
		return Info{}, &label.FormatError{Format: "gif", Offset: -1, Msg: "cannot encode the picture", Err: err}
	}
	b := buf.Bytes()
	at := gifHeaderEnd(b)
	if at < 0 {
		return Info{}, fmt.Errorf("picture: the GIF encoder wrote no header")
	}
	for _, p := range [][]byte{b[:at], bytes.Join(meta.exts, nil), b[at:]} {
		if _, err := j.dst.Write(p); err != nil {
			return Info{}, err
		}
	}
	return j.info, nil
}

// gifHeaderEnd returns the offset in the GIF b after the header, the
// global colour table and a leading NETSCAPE2.0 loop extension: where the
// carried-over extensions go. It returns -1 if b is too short.
func gifHeaderEnd(b []byte) int {
	if len(b) < 13 {
		return -1
	}
	at := 13
	if b[10]&0x80 != 0 {
		at += 3 << (b[10]&7 + 1)
	}
	if at > len(b) {
		return -1
	}
	if bytes.HasPrefix(b[at:], []byte("\x21\xff\x0bNETSCAPE2.0")) && len(b) >= at+19 {
		at += 19
	}
	return at
}

// gifCanvas composes the frames of a GIF's input and output.
type gifCanvas struct {
	canvases
	wanted []color.NRGBA // the label composited over s, for the frame at hand
}

func newGIFCanvas(w, h int, ov *image.NRGBA) *gifCanvas {
	return &gifCanvas{canvases: newCanvases(w, h, ov), wanted: make([]color.NRGBA, ov.Rect.Dx()*ov.Rect.Dy())}
}

var transparent = color.NRGBA{}

// want returns what the viewer should see at p in the frame at hand.
func (c *gifCanvas) want(p image.Point) color.NRGBA {
	if p.In(c.label) {
		return c.wanted[(p.Y-c.label.Min.Y)*c.label.Dx()+p.X-c.label.Min.X]
	}
	return c.s.NRGBAAt(p.X, p.Y)
}

// frame draws the input frame f with disposal d on the input canvas and
// returns the output frame, updating the output canvas.
func (c *gifCanvas) frame(f *image.Paletted, d byte) *image.Paletted {
	fr := f.Rect.Intersect(c.rect)
	pal := make([]color.NRGBA, len(f.Palette))
	for i, p := range f.Palette {
		pal[i] = color.NRGBAModel.Convert(p).(color.NRGBA)
	}
	colourAt := func(x, y int) (color.NRGBA, bool) {
		i := int(f.Pix[f.PixOffset(x, y)])
		if i >= len(pal) || pal[i].A == 0 {
			return transparent, false
		}
		return color.NRGBA{pal[i].R, pal[i].G, pal[i].B, 0xFF}, true
	}

	var savedS *image.NRGBA
	if d == gif.DisposalPrevious {
		savedS = crop(c.s, fr)
	}
	// The input canvas with the frame drawn: what the viewer sees.
	for y := fr.Min.Y; y < fr.Max.Y; y++ {
		for x := fr.Min.X; x < fr.Max.X; x++ {
			if col, ok := colourAt(x, y); ok {
				c.s.SetNRGBA(x, y, col)
			}
		}
	}
	// The label over it.
	l := c.label
	for y := l.Min.Y; y < l.Max.Y; y++ {
		for x := l.Min.X; x < l.Max.X; x++ {
			under := c.s.NRGBAAt(x, y)
			wnt := under
			if sv := c.ov.NRGBAAt(x, y); sv.A != 0 {
				r, g, b, a := over(sv, uint32(under.R)*0x101, uint32(under.G)*0x101, uint32(under.B)*0x101, uint32(under.A)*0x101)
				wnt = transparent
				if a >= 0x8000 {
					wnt = color.NRGBA{to8(r), to8(g), to8(b), 0xFF}
				}
			}
			c.wanted[(y-l.Min.Y)*l.Dx()+x-l.Min.X] = wnt
		}
	}
	// The output frame covers the input frame and every pixel outside it
	// where the output canvas differs from the wanted picture.
	out := fr
	scan := c.dirty.Union(l)
	for y := scan.Min.Y; y < scan.Max.Y; y++ {
		for x := scan.Min.X; x < scan.Max.X; x++ {
			p := image.Point{x, y}
			if p.In(fr) {
				continue
			}
			if c.want(p) != c.sp.NRGBAAt(x, y) {
				out = out.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}

	// What each output pixel must be: the frame's own index (orig), a
	// colour, or "keep" (transparent: the canvas already shows it).
	const (
		kindOrig = iota
		kindColour
		kindKeep
	)
	kinds := make([]uint8, out.Dx()*out.Dy())
	colours := make([]color.NRGBA, len(kinds))
	wantColours := map[color.NRGBA]int{}
	keep := false
	for y := out.Min.Y; y < out.Max.Y; y++ {
		for x := out.Min.X; x < out.Max.X; x++ {
			k := (y-out.Min.Y)*out.Dx() + x - out.Min.X
			p := image.Point{x, y}
			if p.In(fr) {
				if _, opaque := colourAt(x, y); opaque && (!p.In(l) || c.ov.NRGBAAt(x, y).A == 0) {
					kinds[k] = kindOrig
					continue
				}
			}
			wnt, have := c.want(p), c.sp.NRGBAAt(x, y)
			if wnt == have || wnt.A == 0 {
				// A transparent wanted pixel over an opaque canvas cannot
				// happen: the input canvas is transparent there, and the
				// output canvas is transparent wherever the input's is
				// (outside the fully covered label).
				kinds[k], keep = kindKeep, true
				continue
			}
			kinds[k], colours[k] = kindColour, wnt
			wantColours[wnt]++
		}
	}
	palette := f.Palette
	tIndex := -1
	for i, p := range pal {
		if p.A == 0 {
			tIndex = i
			break
		}
	}
	if keep && tIndex < 0 {
		if len(palette) < maxPalette {
			tIndex = len(palette)
			palette = append(palette[:len(palette):len(palette)], color.RGBA{})
		} else {
			// No room for a transparent entry: repaint what the canvas
			// shows.
			for y := out.Min.Y; y < out.Max.Y; y++ {
				for x := out.Min.X; x < out.Max.X; x++ {
					k := (y-out.Min.Y)*out.Dx() + x - out.Min.X
					if kinds[k] == kindKeep {
						kinds[k], colours[k] = kindColour, c.sp.NRGBAAt(x, y)
						wantColours[colours[k]]++
					}
				}
			}
		}
	}
	q := newQuantizer(palette, wantColours)

	var savedSp *image.NRGBA
	if d == gif.DisposalPrevious {
		savedSp = crop(c.sp, out)
	}
	m := image.NewPaletted(out, q.pal)
	for y := out.Min.Y; y < out.Max.Y; y++ {
		for x := out.Min.X; x < out.Max.X; x++ {
			k := (y-out.Min.Y)*out.Dx() + x - out.Min.X
			var idx int
			switch kinds[k] {
			case kindOrig:
				idx = int(f.Pix[f.PixOffset(x, y)])
			case kindKeep:
				idx = tIndex
			default:
				idx = q.index(colours[k])
			}
			m.Pix[m.PixOffset(x, y)] = uint8(idx)
			if col := q.rgba[idx]; col.A != 0 {
				c.sp.SetNRGBA(x, y, color.NRGBA{col.R, col.G, col.B, 0xFF})
			}
		}
	}

	// Disposal, of the input frame's rectangle and of the output's.
	switch d {
	case gif.DisposalBackground:
		fill(c.s, fr, transparent)
		fill(c.sp, out, transparent)
	case gif.DisposalPrevious:
		paste(c.s, savedS)
		paste(c.sp, savedSp)
	}
	// Where the canvases differ outside the label.
	diff := image.Rectangle{}
	r := c.dirty.Union(out)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !(image.Point{x, y}).In(l) && c.s.NRGBAAt(x, y) != c.sp.NRGBAAt(x, y) {
				diff = diff.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	c.dirty = diff
	return m
}

// crop returns a copy of the part r of m.
func crop(m *image.NRGBA, r image.Rectangle) *image.NRGBA {
	out := image.NewNRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out.Pix[out.PixOffset(r.Min.X, y):out.PixOffset(r.Max.X, y)], m.Pix[m.PixOffset(r.Min.X, y):])
	}
	return out
}

// paste copies p into m at p's bounds.
func paste(m, p *image.NRGBA) {
	r := p.Rect
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(m.Pix[m.PixOffset(r.Min.X, y):m.PixOffset(r.Max.X, y)], p.Pix[p.PixOffset(r.Min.X, y):p.PixOffset(r.Max.X, y)])
	}
}

// fill sets the part r of m to c.
func fill(m *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.SetNRGBA(x, y, c)
		}
	}
}

// walkGIF walks the blocks of the GIF in r without decoding the images: it
// counts the frames and their pixels and keeps the comment and application
// extensions other than the loop extensions. Errors are *label.FormatError.
func walkGIF(r *bufio.Reader) (*gifMeta, error) {
	meta := &gifMeta{}
	pos := int64(0)
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, label.Truncated("gif", pos, "block")
		}
		pos += int64(n)
		return b, nil
	}
	skip := func(n int) error {
		d, err := r.Discard(n)
		pos += int64(d)
		if err != nil {
			return label.Truncated("gif", pos, "block")
		}
		return nil
	}
	// subBlocks walks data sub-blocks to the terminator, appending them to
	// keep when it is not nil.
	subBlocks := func(keep *[]byte, kept *int) error {
		for {
			n, err := r.ReadByte()
			if err != nil {
				return label.Truncated("gif", pos, "data sub-blocks")
			}
			pos++
			if keep != nil {
				*keep = append(*keep, n)
			}
			if n == 0 {
				return nil
			}
			if keep == nil {
				if err := skip(int(n)); err != nil {
					return err
				}
				continue
			}
			if *kept += int(n) + 1; *kept > label.MaxMetadata {
				return label.Unsupported("gif", pos, "more than %d bytes of extensions", label.MaxMetadata)
			}
			b, err := read(int(n))
			if err != nil {
				return err
			}
			*keep = append(*keep, b...)
		}
	}
	h, err := read(13)
	if err != nil {
		return nil, err
	}
	if s := string(h[:6]); s != "GIF87a" && s != "GIF89a" {
		return nil, label.Corrupt("gif", 0, "no GIF signature")
	}
	if h[10]&0x80 != 0 {
		if err := skip(3 << (h[10]&7 + 1)); err != nil {
			return nil, err
		}
	}
	kept := 0
	for {
		at := pos
		intro, err := r.ReadByte()
		if err != nil {
			return nil, label.Corrupt("gif", at, "no trailer (file truncated?)")
		}
		pos++
		switch intro {
		case 0x3B:
			return meta, nil
		case 0x2C:
			d, err := read(9)
			if err != nil {
				return nil, err
			}
			w, hh := int64(d[4])|int64(d[5])<<8, int64(d[6])|int64(d[7])<<8
			meta.frames++
			meta.area += w * hh
			if d[8]&0x80 != 0 {
				if err := skip(3 << (d[8]&7 + 1)); err != nil {
					return nil, err
				}
			}
			if err := skip(1); err != nil { // LZW minimum code size
				return nil, err
			}
			if err := subBlocks(nil, nil); err != nil {
				return nil, err
			}
		case 0x21:
			lb, err := read(1)
			if err != nil {
				return nil, err
			}
			switch lb[0] {
			case 0xFE:
				block := []byte{0x21, 0xFE}
				if err := subBlocks(&block, &kept); err != nil {
					return nil, err
				}
				meta.exts = append(meta.exts, block)
				meta.kinds = append(meta.kinds, "comment")
			case 0xFF:
				block := []byte{0x21, 0xFF}
				if err := subBlocks(&block, &kept); err != nil {
					return nil, err
				}
				id := ""
				if len(block) >= 3+11 && block[2] == 11 {
					id = string(block[3:14])
				}
				switch id {
				case "NETSCAPE2.0", "ANIMEXTS1.0":
					continue // the encoder writes the loop count
				case "XMP DataXMP":
					meta.kinds = append(meta.kinds, "XMP")
				default:
					meta.kinds = append(meta.kinds, fmt.Sprintf("application %q", id))
				}
				meta.exts = append(meta.exts, block)
			default: // graphic control, plain text
				if err := subBlocks(nil, nil); err != nil {
					return nil, err
				}
			}
		default:
			return nil, label.Corrupt("gif", at, "unknown block type 0x%02X", intro)
		}
	}
}
