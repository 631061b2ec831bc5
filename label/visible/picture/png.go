package picture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/exif"
)

// pngMeta is what a walk of a PNG's chunks learns.
type pngMeta struct {
	before, after [][]byte // whole chunks to carry over, before and after the image data
	kinds         []string
	orientation   int
}

// pngCodec reads a PNG picture with image/png.
var pngCodec = codec[image.Image]{"png", png.DecodeConfig, png.Decode, is[png.UnsupportedError]}

// png labels a PNG picture.
func (j *job) png() (Info, error) {
	var meta *pngMeta
	m, err := load(j, pngCodec, walkInto(&meta, walkPNG))
	if err != nil {
		return Info{}, err
	}
	if m, err = j.mark("png", m); err != nil {
		return Info{}, err
	}
	b := m.Bounds()
	ov, err := j.overlay("png", b.Dx(), b.Dy(), meta.orientation)
	if err != nil {
		return Info{}, err
	}
	if p, ok := m.(*image.Paletted); ok {
		compositePaletted(p, ov)
	} else if !composite(m, ov) {
		return Info{}, label.Unsupported("png", -1, "decoded picture of type %T", m)
	}
	j.info.Frames, j.info.Lossless, j.info.Kept = 1, true, uniq(meta.kinds)
	if err := j.ctx.Err(); err != nil {
		return Info{}, err
	}
	tail := &tailWriter{w: j.dst, extra: bytes.Join(meta.after, nil)}
	in := &injector{w: tail, n: len(pngSig) + 25, extra: bytes.Join(meta.before, nil)} // signature, IHDR
	if len(in.extra) == 0 {
		in.extra = nil
	}
	if err := png.Encode(in, m); err != nil {
		return Info{}, err
	}
	if !in.done() {
		return Info{}, fmt.Errorf("picture: the PNG encoder wrote no IHDR chunk")
	}
	return j.info, tail.close()
}

// compositePaletted draws ov over the paletted picture m, in place: the
// composited colours become palette indices through a quantizer, so that
// every other pixel keeps its index and colour.
func compositePaletted(m *image.Paletted, ov *image.NRGBA) {
	if ov == nil {
		return
	}
	r := ov.Rect.Intersect(m.Rect)
	out := make([]color.NRGBA, r.Dx()*r.Dy())
	want := map[color.NRGBA]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			s := ov.NRGBAAt(x, y)
			if s.A == 0 {
				continue
			}
			d := color.NRGBA64Model.Convert(m.Palette[m.ColorIndexAt(x, y)]).(color.NRGBA64)
			cr, cg, cb, ca := over(s, uint32(d.R), uint32(d.G), uint32(d.B), uint32(d.A))
			c := color.NRGBA{to8(cr), to8(cg), to8(cb), to8(ca)}
			out[(y-r.Min.Y)*r.Dx()+x-r.Min.X] = c
			want[c]++
		}
	}
	q := newQuantizer(m.Palette, want)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ov.NRGBAAt(x, y).A == 0 {
				continue
			}
			m.SetColorIndex(x, y, uint8(q.index(out[(y-r.Min.Y)*r.Dx()+x-r.Min.X])))
		}
	}
	m.Palette = q.pal
}

const pngSig = "\x89PNG\r\n\x1a\n"

// pngColourChunks are the unsafe-to-copy ancillary chunks that stay valid
// when only pixels change: the colour space is the same.
var pngColourChunks = map[string]string{
	"iCCP": "ICC", "sRGB": "sRGB", "gAMA": "gAMA", "cHRM": "cHRM",
	"cICP": "cICP", "mDCV": "mDCV", "cLLI": "cLLI",
}

// pngKind names the metadata in a kept chunk.
func pngKind(typ string) string {
	switch typ {
	case "eXIf":
		return "EXIF"
	case "tEXt", "zTXt", "iTXt":
		return "text"
	}
	if k, ok := pngColourChunks[typ]; ok {
		return k
	}
	return typ
}

// walkPNG reads the chunks of the PNG in r, checking lengths and the CRCs
// of the chunks it keeps, and returns the ancillary chunks to carry over:
// the colour chunks above and every safe-to-copy one (pHYs, eXIf, text
// chunks, …). APNG is refused. Errors are *label.FormatError.
func walkPNG(r *bufio.Reader) (*pngMeta, error) {
	meta := &pngMeta{orientation: 1}
	sig := make([]byte, 8)
	if _, err := io.ReadFull(r, sig); err != nil || string(sig) != pngSig {
		return nil, label.Corrupt("png", 0, "no PNG signature")
	}
	pos := int64(8)
	seenIDAT, kept := false, 0
	for i := 0; ; i++ {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, label.Truncated("png", pos, "chunk header")
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		if n > 1<<31-1 {
			return nil, label.Corrupt("png", pos, "%q chunk claims %d bytes", typ, n)
		}
		for _, c := range h[4:8] {
			if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
				return nil, label.Corrupt("png", pos, "invalid chunk type %q", typ)
			}
		}
		switch {
		case i == 0 && typ != "IHDR":
			return nil, label.Corrupt("png", pos, "first chunk is %q, not IHDR", typ)
		case typ == "acTL":
			return nil, label.Unsupported("png", pos, "animated PNG (APNG): only the first frame would be kept")
		case typ == "IDAT":
			seenIDAT = true
		case typ == "IEND":
			return meta, nil
		}
		_, colour := pngColourChunks[typ]
		keep := h[4] >= 'a' && (h[7] >= 'a' || colour) // ancillary, and safe to copy or colour
		if !keep {
			if _, err := r.Discard(int(n) + 4); err != nil {
				return nil, label.Truncated("png", pos, fmt.Sprintf("%q chunk", typ))
			}
			pos += 12 + n
			continue
		}
		if kept += int(n) + 12; kept > label.MaxMetadata {
			return nil, label.Unsupported("png", pos, "more than %d bytes of metadata chunks", label.MaxMetadata)
		}
		c := make([]byte, 12+n)
		copy(c, h[:])
		if _, err := io.ReadFull(r, c[8:]); err != nil {
			return nil, label.Truncated("png", pos, fmt.Sprintf("%q chunk", typ))
		}
		if got, want := binary.BigEndian.Uint32(c[8+n:]), crc32.ChecksumIEEE(c[4:8+n]); got != want {
			return nil, label.Corrupt("png", pos, "%q chunk has CRC %08x, its data gives %08x", typ, got, want)
		}
		if typ == "eXIf" && meta.orientation == 1 {
			meta.orientation = exif.Orientation(c[8 : 8+n])
		}
		if seenIDAT {
			meta.after = append(meta.after, c)
		} else {
			meta.before = append(meta.before, c)
		}
		meta.kinds = append(meta.kinds, pngKind(typ))
		pos += 12 + n
	}
}

// pngIEND is the IEND chunk every PNG ends with.
const pngIEND = "\x00\x00\x00\x00IEND\xaeB`\x82"

// tailWriter writes to w all but the last 12 bytes it is given; close
// checks that they are the IEND chunk and writes extra before them.
type tailWriter struct {
	w     io.Writer
	extra []byte
	held  []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	const n = len(pngIEND)
	if len(p) >= n {
		// Everything held, and all of p but its end, can go.
		if _, err := t.w.Write(t.held); err != nil {
			return 0, err
		}
		if _, err := t.w.Write(p[:len(p)-n]); err != nil {
			return 0, err
		}
		t.held = append(t.held[:0], p[len(p)-n:]...)
		return len(p), nil
	}
	t.held = append(t.held, p...)
	if k := len(t.held) - n; k > 0 {
		if _, err := t.w.Write(t.held[:k]); err != nil {
			return 0, err
		}
		t.held = append(t.held[:0], t.held[k:]...)
	}
	return len(p), nil
}

func (t *tailWriter) close() error {
	if string(t.held) != pngIEND {
		return fmt.Errorf("picture: the PNG encoder did not end with IEND")
	}
	if _, err := t.w.Write(t.extra); err != nil {
		return err
	}
	_, err := t.w.Write(t.held)
	return err
}
