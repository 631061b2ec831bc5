package picture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"

	webpenc "github.com/deepteams/webp"
	"golang.org/x/image/webp"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
)

// VP8X feature flags (WebP container specification, RFC 9649 section 2.7).
const (
	webpFlagAnim  = 1 << 1
	webpFlagXMP   = 1 << 2
	webpFlagEXIF  = 1 << 3
	webpFlagAlpha = 1 << 4
	webpFlagICC   = 1 << 5
)

// maxFrameChunks bounds the chunks inside one ANMF chunk: an alpha chunk,
// an image chunk and a few unknown ones in real files.
const maxFrameChunks = 64

// webpAnim is what a walk learns of an animated WebP: the VP8X chunk
// (flags, canvas), the ANIM chunk and each frame's header.
type webpAnim struct {
	flags         byte // VP8X feature flags
	width, height int  // the canvas
	anim          []byte
	frames        []webpFrame
	area          int64 // the frames' pixels, saturating at 2^62
}

// webpFrame is one ANMF chunk: the frame's header and where its alpha and
// image chunks are.
type webpFrame struct {
	chunk    riff.Chunk
	rect     image.Rectangle // on the canvas
	duration uint32          // milliseconds, 24 bits
	blend    bool            // alpha-blend over the canvas (else replace)
	dispose  bool            // dispose to background after it is shown
	alph     riff.Chunk      // ID "" when the frame has none
	img      riff.Chunk      // "VP8 " or "VP8L"
	lossless bool
	quality  int // estimated from a VP8 frame; 0 if unknown
}

func u24(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

func put24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }

// readANMF reads the header of the ANMF chunk c of r and walks the chunks
// inside it, each bounded by the ANMF chunk.
func readANMF(rd *riff.Reader, r io.ReadSeeker, c riff.Chunk) (webpFrame, error) {
	if c.Size < 16+8 {
		return webpFrame{}, label.Corrupt("webp", c.Offset, "ANMF chunk of %d bytes is too small for a frame", c.Size)
	}
	h, err := rd.ReadHead(c, 16)
	if err != nil {
		return webpFrame{}, err
	}
	x, y := 2*int(u24(h[0:])), 2*int(u24(h[3:]))
	f := webpFrame{
		chunk:    c,
		rect:     image.Rect(x, y, x+int(u24(h[6:]))+1, y+int(u24(h[9:]))+1),
		duration: u24(h[12:]),
		blend:    h[15]&2 == 0,
		dispose:  h[15]&1 != 0,
	}
	p, end := c.DataOffset()+16, c.DataOffset()+c.Size
	for n := 0; p < end; n++ {
		if n == maxFrameChunks {
			return webpFrame{}, label.Unsupported("webp", c.Offset, "ANMF chunk holds more than %d chunks", maxFrameChunks)
		}
		if end-p < 8 {
			return webpFrame{}, label.Corrupt("webp", p, "%d bytes at the end of an ANMF chunk are too few for a chunk header", end-p)
		}
		var hd [8]byte
		if _, err := r.Seek(p, io.SeekStart); err != nil {
			return webpFrame{}, err
		}
		if _, err := io.ReadFull(r, hd[:]); err != nil {
			return webpFrame{}, label.Truncated("webp", p, "chunk header in an ANMF chunk")
		}
		sub := riff.Chunk{ID: string(hd[:4]), Offset: p, Size: int64(binary.LittleEndian.Uint32(hd[4:]))}
		if sub.Size > end-p-8 {
			return webpFrame{}, label.Corrupt("webp", p, "chunk %q in an ANMF chunk claims %d bytes, %d remain", sub.ID, sub.Size, end-p-8)
		}
		switch sub.ID {
		case "ALPH":
			if f.alph.ID != "" || f.img.ID != "" {
				return webpFrame{}, label.Corrupt("webp", p, "ALPH chunk after another ALPH or the image in a frame")
			}
			f.alph = sub
		case "VP8 ", "VP8L":
			if f.img.ID != "" {
				return webpFrame{}, label.Corrupt("webp", p, "a second image chunk in a frame")
			}
			f.img = sub
		}
		p += 8 + sub.Size + sub.Size%2
	}
	switch f.img.ID {
	case "":
		return webpFrame{}, label.Corrupt("webp", c.Offset, "frame without a VP8 or VP8L chunk")
	case "VP8L":
		f.lossless = true
		f.alph = riff.Chunk{} // a lossless frame has its own alpha
	default:
		head, err := rd.ReadHead(f.img, 4096)
		if err != nil {
			return webpFrame{}, err
		}
		f.quality, _ = estimateVP8Quality(head)
	}
	return f, nil
}

// webpAnimated labels an animated WebP, every frame of it.
//
// A viewer composes the frames on a canvas that starts transparent: each
// frame replaces its rectangle or is alpha-blended over it, and after it
// is shown its rectangle is kept or cleared to transparent (libwebp's
// WebPAnimDecoder ignores the ANIM background colour, and so does this;
// the colour is kept in the file). Like the GIF path, Label simulates
// that for the input (canvas S) and the output (canvas S'), and each
// output frame shows what the input's shows with the label over it:
//
//   - its rectangle covers the input frame's and every pixel where the
//     output canvas does not yet show what is wanted: in the label (where
//     the picture under it changed or a disposal cleared it) and outside
//     it where an earlier output frame's disposal cleared more than the
//     input's; it is rounded to even offsets as the format requires. A
//     frame away from an unchanged label keeps its rectangle;
//   - it keeps the input frame's blending and disposal when it can: a
//     blended frame carries the input frame's own pixels, so a viewer
//     blends them as it blends the input's, and in the label (or a
//     repainted part) the wanted colour, which must then be opaque or go
//     over a transparent canvas, or a transparent pixel where the canvas
//     already shows it. When that cannot be (a half-transparent label
//     over what an earlier frame showed), the frame replaces its
//     rectangle with the wanted picture, blended as libwebp blends;
//   - lossless frames stay lossless (every pixel outside the label as
//     the input shows it), lossy frames are re-encoded lossy at the
//     estimated or asked quality, with a lossless alpha channel.
//
// Durations, the ANIM chunk (background colour, loop count), the canvas
// and the ICCP, EXIF and XMP chunks are kept; unknown chunks are dropped.
func (j *job) webpAnimated(meta *webpMeta) (Info, error) {
	a := meta.anim
	ov, err := j.overlay("webp", a.width, a.height, meta.orientation)
	if err != nil {
		return Info{}, err
	}
	q := 0
	if !meta.lossless {
		q = j.lossyQuality(meta.quality, webpDefaultQuality)
	}
	j.info.Frames, j.info.Lossless, j.info.Quality, j.info.Kept = len(a.frames), meta.lossless, q, meta.kinds

	c := newWebPCanvas(a.width, a.height, ov)
	frames := make([][]byte, len(a.frames))
	alpha := false
	encoded := int64(0)
	for i := range a.frames {
		if err := j.ctx.Err(); err != nil {
			return Info{}, err
		}
		f := &a.frames[i]
		m, err := j.webpFrameImage(i, f)
		if err != nil {
			return Info{}, err
		}
		out, r, blend := c.frame(m, f)
		// Frames grow to repaint the label: many small frames that each
		// make it change would have a large canvas re-encoded each time.
		if encoded += int64(r.Dx()) * int64(r.Dy()); encoded > 2*j.opts.MaxPixels {
			return Info{}, label.Unsupported("webp", f.chunk.Offset, "labeling the %d frames would re-encode more than %d pixels, twice the pixel limit", len(a.frames), 2*j.opts.MaxPixels)
		}
		data, hasAlpha, err := encodeWebPFrame(out, f.lossless, q)
		if err != nil {
			return Info{}, &label.FormatError{Format: "webp", Offset: f.chunk.Offset, Msg: fmt.Sprintf("cannot encode frame %d", i+1), Err: err}
		}
		alpha = alpha || hasAlpha
		h := make([]byte, 16, 16+len(data))
		put24(h[0:], uint32(r.Min.X/2))
		put24(h[3:], uint32(r.Min.Y/2))
		put24(h[6:], uint32(r.Dx()-1))
		put24(h[9:], uint32(r.Dy()-1))
		put24(h[12:], f.duration)
		if !blend {
			h[15] |= 2
		}
		if f.dispose {
			h[15] |= 1
		}
		frames[i] = append(h, data...)
	}

	vp8x := make([]byte, 10)
	vp8x[0] = a.flags&webpFlagAlpha | webpFlagAnim
	if alpha {
		vp8x[0] |= webpFlagAlpha
	}
	put24(vp8x[4:], uint32(a.width-1))
	put24(vp8x[7:], uint32(a.height-1))
	type chunk struct {
		id   string
		data []byte
	}
	chunks := []chunk{{"VP8X", vp8x}}
	if meta.icc != nil {
		vp8x[0] |= webpFlagICC
		chunks = append(chunks, chunk{"ICCP", meta.icc})
	}
	chunks = append(chunks, chunk{"ANIM", a.anim})
	for _, d := range frames {
		chunks = append(chunks, chunk{"ANMF", d})
	}
	if meta.exif != nil {
		vp8x[0] |= webpFlagEXIF
		chunks = append(chunks, chunk{"EXIF", meta.exif})
	}
	if meta.xmp != nil {
		vp8x[0] |= webpFlagXMP
		chunks = append(chunks, chunk{"XMP ", meta.xmp})
	}
	total := int64(4)
	for _, c := range chunks {
		total += riff.Len(int64(len(c.data)))
	}
	if total > 0xFFFFFFFF {
		return Info{}, label.Unsupported("webp", -1, "the labeled animation would be %d bytes, over the 4 GiB of a RIFF file", total+8)
	}
	head := []byte("RIFF\x00\x00\x00\x00WEBP")
	binary.LittleEndian.PutUint32(head[4:], uint32(total))
	if _, err := j.dst.Write(head); err != nil {
		return Info{}, err
	}
	for _, c := range chunks {
		if err := riff.WriteChunk(j.dst, c.id, c.data); err != nil {
			return Info{}, err
		}
	}
	return j.info, nil
}

// readAt reads n bytes of src at off, n bounded by limit.
func (j *job) readAt(off, n, limit int64, what string) ([]byte, error) {
	if _, err := j.src.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := label.ReadAtMost(j.src, n, limit)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return nil, label.Truncated("webp", off, what)
	}
	return b, err
}

// webpFrameImage decodes frame i (0-based) with x/image/webp, wrapped in a
// still WebP of the frame's size: VP8X, ALPH and VP8, or VP8X and VP8L.
func (j *job) webpFrameImage(i int, f *webpFrame) (*image.NRGBA, error) {
	w, h := f.rect.Dx(), f.rect.Dy()
	// More than any encoder writes for so many pixels.
	limit := 1<<20 + 8*int64(w)*int64(h)
	if n := f.alph.Size + f.img.Size; n > limit {
		return nil, label.Unsupported("webp", f.chunk.Offset, "frame %d holds %d bytes for %dx%d pixels, over the limit of %d", i+1, n, w, h, limit)
	}
	vp8x := make([]byte, 10)
	put24(vp8x[4:], uint32(w-1))
	put24(vp8x[7:], uint32(h-1))
	b := []byte("RIFF\x00\x00\x00\x00WEBP")
	if f.alph.ID != "" {
		vp8x[0] = webpFlagAlpha
		d, err := j.readAt(f.alph.DataOffset(), f.alph.Size, limit, fmt.Sprintf("frame %d ALPH chunk", i+1))
		if err != nil {
			return nil, err
		}
		b = riff.AppendChunk(riff.AppendChunk(b, "VP8X", vp8x), "ALPH", d)
	} else {
		b = riff.AppendChunk(b, "VP8X", vp8x)
	}
	d, err := j.readAt(f.img.DataOffset(), f.img.Size, limit, fmt.Sprintf("frame %d %s chunk", i+1, f.img.ID))
	if err != nil {
		return nil, err
	}
	b = riff.AppendChunk(b, f.img.ID, d)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	// x/image/webp by name: deepteams/webp registers a "webp" decoder of
	// its own with package image.
	m, err := webp.Decode(bytes.NewReader(b))
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &label.FormatError{Format: "webp", Offset: f.chunk.Offset, Msg: fmt.Sprintf("cannot decode frame %d", i+1), Err: err}
	}
	if b := m.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, label.Corrupt("webp", f.chunk.Offset, "frame %d is %dx%d, its bitstream %dx%d", i+1, w, h, b.Dx(), b.Dy())
	}
	n := webpToNRGBA(m)
	n.Rect = n.Rect.Sub(n.Rect.Min) // x/image/webp decodes at the origin
	return n, nil
}

// webpFirstFrame returns the first frame of an animated WebP as a viewer
// shows it: drawn on the transparent canvas.
func (j *job) webpFirstFrame(a *webpAnim) (*image.NRGBA, error) {
	f := &a.frames[0]
	m, err := j.webpFrameImage(0, f)
	if err != nil {
		return nil, err
	}
	canvas := image.NewNRGBA(image.Rect(0, 0, a.width, a.height))
	drawWebPFrame(canvas, m, f.rect, f.blend)
	return canvas, nil
}

// encodeWebPFrame encodes m with deepteams/webp, lossless or lossy at
// quality q, and returns the chunks of the frame (ALPH and VP8, or VP8L)
// and whether they carry alpha.
func encodeWebPFrame(m *image.NRGBA, lossless bool, q int) ([]byte, bool, error) {
	o := webpenc.DefaultOptions()
	o.Exact = true
	if lossless {
		o.Lossless = true
	} else {
		o.Quality = float32(q)
	}
	var buf bytes.Buffer
	if err := webpenc.Encode(&buf, m, o); err != nil {
		return nil, false, err
	}
	b, err := fixALPH(buf.Bytes(), m.Rect.Dx(), m.Rect.Dy())
	if err != nil {
		return nil, false, err
	}
	var out []byte
	alpha, hasImage := false, false
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n > len(b)-i-8 {
			return nil, false, fmt.Errorf("picture: the WebP encoder wrote a chunk %q over the file's end", b[i:i+4])
		}
		switch id := string(b[i : i+4]); id {
		case "ALPH", "VP8 ", "VP8L":
			d := b[i+8 : i+8+n]
			alpha = alpha || id == "ALPH" || id == "VP8L" && len(d) >= 5 && d[4]&0x10 != 0
			hasImage = hasImage || id != "ALPH"
			out = riff.AppendChunk(out, id, d)
		}
		i += 8 + n + n%2
	}
	if !hasImage {
		return nil, false, errors.New("picture: the WebP encoder wrote no image chunk")
	}
	return out, alpha, nil
}

// webpBlend is libwebp's alpha-blending of the non-premultiplied colour s
// over d (BlendPixelNonPremult in anim_decode.c, which Chromium copies),
// except that over a transparent d it gives s exactly, as libwebp does for
// a key frame.
func webpBlend(s, d color.NRGBA) color.NRGBA {
	switch {
	case s.A == 0xFF:
		return s
	case s.A == 0:
		return d
	case d.A == 0:
		return s
	}
	sa := uint32(s.A)
	da := uint32(d.A) * (256 - sa) >> 8
	a := sa + da
	scale := (1 << 24) / a
	ch := func(sc, dc uint8) uint8 { return uint8((uint32(sc)*sa + uint32(dc)*da) * scale >> 24) }
	return color.NRGBA{ch(s.R, d.R), ch(s.G, d.G), ch(s.B, d.B), uint8(a)}
}

// drawWebPFrame draws the frame m (at the origin) at r of the canvas,
// blended or replacing.
func drawWebPFrame(canvas, m *image.NRGBA, r image.Rectangle, blend bool) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			px := m.NRGBAAt(x-r.Min.X, y-r.Min.Y)
			if blend {
				px = webpBlend(px, canvas.NRGBAAt(x, y))
			}
			canvas.SetNRGBA(x, y, px)
		}
	}
}

// same reports whether a viewer shows a and b alike: equal, or both fully
// transparent.
func same(a, b color.NRGBA) bool { return a == b || a.A == 0 && b.A == 0 }

// webpCanvas composes the frames of an animated WebP's input and output.
type webpCanvas struct {
	canvases
}

// newWebPCanvas returns canvases whose label is the smallest rectangle
// holding ov's pixels that are not fully transparent.
func newWebPCanvas(w, h int, ov *image.NRGBA) *webpCanvas {
	c := &webpCanvas{newCanvases(w, h, ov)}
	b := c.label
	c.label = image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if ov.Pix[ov.PixOffset(x, y)+3] != 0 {
				c.label = c.label.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return c
}

// frame draws the input frame m (f) on the input canvas and returns the
// output frame, its rectangle on the canvas and whether it is blended,
// updating the output canvas.
func (c *webpCanvas) frame(m *image.NRGBA, f *webpFrame) (*image.NRGBA, image.Rectangle, bool) {
	fr := f.rect
	drawWebPFrame(c.s, m, fr, f.blend)
	// What the viewer should see: the input canvas, the label over it.
	want := crop(c.s, c.label)
	composite(want, c.ov)
	wantAt := func(x, y int) color.NRGBA {
		if (image.Point{x, y}).In(c.label) {
			return want.NRGBAAt(x, y)
		}
		return c.s.NRGBAAt(x, y)
	}
	explicit := func(p image.Point) bool { return p.In(c.label) || p.In(c.dirty) }

	// The frame covers the input frame and, in the label and where the
	// canvases differ, every pixel the output canvas does not show as
	// wanted. A blended frame can show a wanted colour there only if it
	// is opaque or the canvas is transparent.
	r := fr
	blend := f.blend
	for _, e := range []image.Rectangle{c.label, c.dirty} {
		for y := e.Min.Y; y < e.Max.Y; y++ {
			for x := e.Min.X; x < e.Max.X; x++ {
				if w, have := wantAt(x, y), c.sp.NRGBAAt(x, y); !same(w, have) {
					r = r.Union(image.Rect(x, y, x+1, y+1))
					blend = blend && (w.A == 0xFF || have.A == 0)
				}
			}
		}
	}
	r.Min.X &^= 1 // frame offsets are even
	r.Min.Y &^= 1
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := image.Point{x, y}
			w := wantAt(x, y)
			// A transparent pixel keeps what the canvas shows. In a lossy
			// frame it has the colour the canvas shows, so that the
			// encoder sees a picture without edges there.
			px := color.NRGBA{}
			if !f.lossless {
				px = color.NRGBA{w.R, w.G, w.B, 0}
			}
			switch {
			case !blend:
				px = w
			case explicit(p):
				if w.A == 0xFF || !same(w, c.sp.NRGBAAt(x, y)) {
					px = w
				}
			case p.In(fr):
				px = m.NRGBAAt(x-fr.Min.X, y-fr.Min.Y)
			}
			out.SetNRGBA(x-r.Min.X, y-r.Min.Y, px)
			c.sp.SetNRGBA(x, y, w)
		}
	}
	if f.dispose {
		fill(c.s, fr, transparent)
		fill(c.sp, r, transparent)
	}
	// Where the canvases now differ outside the label: only where the
	// output frame's disposal cleared more than the input's.
	c.dirty = image.Rectangle{}
	if f.dispose {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if !(image.Point{x, y}).In(c.label) && !same(c.s.NRGBAAt(x, y), c.sp.NRGBAAt(x, y)) {
					c.dirty = c.dirty.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
	}
	return out, r, blend
}
