package picture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"

	webpenc "github.com/deepteams/webp"
	"golang.org/x/image/webp"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/exif"
	"github.com/aigcmark/aigcmark/label/riff"
)

// webpDefaultQuality is the lossy quality used when the input's cannot be
// estimated: libwebp's default.
const webpDefaultQuality = 75

// webpMeta is what a walk of a WebP's chunks learns.
type webpMeta struct {
	icc, exif, xmp []byte
	kinds          []string
	orientation    int
	lossless       bool
	quality        int       // estimated from the VP8 chunk; 0 if unknown
	anim           *webpAnim // the frames of an animated WebP; nil for a still
}

// webpCodec reads a still WebP picture with golang.org/x/image/webp, as
// an *image.NRGBA.
var webpCodec = codec[image.Image]{format: "webp", config: webp.DecodeConfig, decode: decodeWebP}

// decodeWebP decodes a still WebP picture. The decoder returns NRGBA
// (lossless) or Y'CbCr with or without alpha (lossy), which webpToNRGBA
// converts as libwebp does; the encoder takes any image, and NRGBA
// fastest.
func decodeWebP(r io.Reader) (image.Image, error) {
	m, err := webp.Decode(r)
	if err != nil {
		return nil, err
	}
	return webpToNRGBA(m), nil
}

// webp labels a WebP picture.
func (j *job) webp() (Info, error) {
	var meta *webpMeta
	img, err := load(j, webpCodec, func(*bufio.Reader, image.Config) (bool, error) {
		var err error
		if meta, err = walkWebP(j.src); err != nil || meta.anim == nil {
			return false, err
		}
		a := meta.anim
		return true, j.checkSize("webp", a.width, a.height, len(a.frames), a.area)
	})
	if err != nil {
		return Info{}, err
	}
	if meta.anim != nil {
		if err := j.noMark("webp", "an animated WebP"); err != nil {
			return Info{}, err
		}
		return j.webpAnimated(meta)
	}
	if img, err = j.mark("webp", img); err != nil {
		return Info{}, err
	}
	b := img.Bounds()
	ov, err := j.overlay("webp", b.Dx(), b.Dy(), meta.orientation)
	if err != nil {
		return Info{}, err
	}
	composite(img, ov)

	o := webpenc.DefaultOptions()
	o.Exact = true // keep the colour of transparent pixels
	o.ICC, o.EXIF, o.XMP = meta.icc, meta.exif, meta.xmp
	j.info.Frames, j.info.Kept = 1, meta.kinds
	if meta.lossless {
		o.Lossless = true
		j.info.Lossless = true
	} else {
		q := j.lossyQuality(meta.quality, webpDefaultQuality)
		o.Quality = float32(q)
		j.info.Quality = q
	}
	if err := j.ctx.Err(); err != nil {
		return Info{}, err
	}
	var buf bytes.Buffer
	if err := webpenc.Encode(&buf, img, o); err != nil {
		return Info{}, &label.FormatError{Format: "webp", Offset: -1, Msg: "cannot encode the picture", Err: err}
	}
	out, err := fixALPH(buf.Bytes(), b.Dx(), b.Dy())
	if err != nil {
		return Info{}, err
	}
	if _, err := j.dst.Write(out); err != nil {
		return Info{}, err
	}
	return j.info, nil
}

// webpToNRGBA returns what golang.org/x/image/webp decoded as NRGBA:
// NRGBA (lossless) as it is, Y'CbCr (lossy, with or without alpha)
// converted with vp8RGB, each chroma sample covering its 2×2 block.
//
// x/image/webp hands VP8's samples over as an image.YCbCr, whose colour
// model is JPEG's full-range Y'CbCr; VP8 (RFC 6386 section 9.2) and libwebp
// use the BT.601 studio range (luma 16..235, chroma 16..240). Converting
// with image/color would lift the blacks and dim the whites, and each
// relabeling would grey a lossy WebP further (golang/go#40173).
func webpToNRGBA(m image.Image) *image.NRGBA {
	var (
		yc *image.YCbCr
		a  *image.NYCbCrA
	)
	switch m := m.(type) {
	case *image.NRGBA:
		return m
	case *image.YCbCr:
		yc = m
	case *image.NYCbCrA:
		yc, a = &m.YCbCr, m
	default:
		return toNRGBA(m)
	}
	b := yc.Rect
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		p := out.Pix[out.PixOffset(b.Min.X, y):]
		for x := b.Min.X; x < b.Max.X; x++ {
			ci := yc.COffset(x, y)
			r, g, bb := vp8RGB(yc.Y[yc.YOffset(x, y)], yc.Cb[ci], yc.Cr[ci])
			alpha := uint8(0xFF)
			if a != nil {
				alpha = a.A[a.AOffset(x, y)]
			}
			p[0], p[1], p[2], p[3] = r, g, bb, alpha
			p = p[4:]
		}
	}
	return out
}

// vp8RGB converts a studio-range BT.601 Y'CbCr sample to RGB:
//
//	R = 1.164(Y-16) + 1.596(Cr-128)
//	G = 1.164(Y-16) - 0.392(Cb-128) - 0.813(Cr-128)
//	B = 1.164(Y-16) + 2.017(Cb-128)
//
// in 16.16 fixed point, rounded and clamped.
func vp8RGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := (int32(y) - 16) * 76309 // 255/219
	u, v := int32(cb)-128, int32(cr)-128
	clamp := func(x int32) uint8 { return uint8(min(max((x+1<<15)>>16, 0), 255)) }
	return clamp(yy + 104597*v), clamp(yy - 25675*u - 53279*v), clamp(yy + 132201*u)
}

// fixALPH repairs the ALPH chunk deepteams/webp v1.1.0 writes for a lossy
// picture with alpha: it puts a whole VP8L header (signature 0x2F and the
// packed size) before the lossless alpha stream, which the container
// specification says starts right away ("the image-stream ... without
// headers"); libwebp, ffmpeg and x/image/webp reject the chunk. fixALPH
// drops those five bytes and returns the file with the chunk and RIFF
// sizes updated; a file without such a chunk comes back as it is.
func fixALPH(b []byte, w, h int) ([]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("picture: the WebP encoder wrote no RIFF header")
	}
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if i+8+n > len(b) {
			return nil, fmt.Errorf("picture: the WebP encoder wrote a chunk %q over the file's end", b[i:i+4])
		}
		d := b[i+8 : i+8+n]
		if string(b[i:i+4]) == "ALPH" && len(d) >= 6 && d[0]&3 == 1 && d[1] == 0x2F {
			v := binary.LittleEndian.Uint32(d[2:6])
			if int(v&0x3FFF)+1 != w || int(v>>14&0x3FFF)+1 != h || v>>29 != 0 {
				return b, nil // not a header: a stream that happens to start with 0x2F
			}
			fixed := append([]byte{d[0]}, d[6:]...)
			out := append([]byte{}, b[:i]...)
			out = append(out, "ALPH"...)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(fixed)))
			out = append(out, fixed...)
			if len(fixed)%2 == 1 {
				out = append(out, 0)
			}
			out = append(out, b[i+8+n+n%2:]...)
			binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
			return out, nil
		}
		i += 8 + n + n%2
	}
	return b, nil
}

// walkWebP walks the chunks of the WebP file r: it keeps the ICC profile,
// EXIF and XMP, reads the orientation, tells lossy from lossless and
// estimates a lossy picture's quality. For an animated WebP it reads the
// canvas, the ANIM chunk and every frame's header (see webpAnim); the
// quality is estimated from the largest lossy frame.
func walkWebP(r io.ReadSeeker) (*webpMeta, error) {
	rd, err := riff.NewReader(r, "webp")
	if err != nil {
		return nil, err
	}
	if rd.Header.ID != "RIFF" || rd.Header.Form != "WEBP" {
		return nil, label.Corrupt("webp", 0, "not a WebP file")
	}
	meta := &webpMeta{orientation: 1}
	loaded := int64(0)
	load := func(c riff.Chunk) ([]byte, error) {
		if loaded += c.Size; loaded > label.MaxMetadata {
			return nil, label.Unsupported("webp", c.Offset, "more than %d bytes of metadata chunks", label.MaxMetadata)
		}
		return rd.ReadData(c, label.MaxMetadata)
	}
	found := false
	var (
		vp8x, anim []byte
		frames     []webpFrame
		imageAt    int64 = -1
	)
	err = rd.Walk(func(c riff.Chunk) (err error) {
		switch c.ID {
		case "VP8X":
			if vp8x != nil || c.Size < 10 {
				return label.Corrupt("webp", c.Offset, "VP8X chunk of %d bytes, or a second one", c.Size)
			}
			if vp8x, err = rd.ReadHead(c, 10); err != nil {
				return err
			}
		case "ANIM":
			if anim != nil || c.Size < 6 {
				return label.Corrupt("webp", c.Offset, "ANIM chunk of %d bytes, or a second one", c.Size)
			}
			if anim, err = rd.ReadHead(c, 6); err != nil {
				return err
			}
		case "ANMF":
			f, err := readANMF(rd, r, c)
			if err != nil {
				return err
			}
			frames = append(frames, f)
		case "ICCP":
			if meta.icc, err = load(c); err != nil {
				return err
			}
			meta.kinds = append(meta.kinds, "ICC")
		case "EXIF":
			if meta.exif, err = load(c); err != nil {
				return err
			}
			meta.kinds = append(meta.kinds, "EXIF")
			meta.orientation = exif.Orientation(bytes.TrimPrefix(meta.exif, []byte("Exif\x00\x00")))
		case "XMP ":
			if meta.xmp, err = load(c); err != nil {
				return err
			}
			meta.kinds = append(meta.kinds, "XMP")
		case "VP8L":
			meta.lossless, found, imageAt = true, true, c.Offset
		case "VP8 ":
			head, err := rd.ReadHead(c, 4096)
			if err != nil {
				return err
			}
			meta.quality, _ = estimateVP8Quality(head)
			found, imageAt = true, c.Offset
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	animated := vp8x != nil && vp8x[0]&webpFlagAnim != 0
	if !animated && anim == nil && frames == nil {
		if !found {
			return nil, label.Corrupt("webp", 12, "no VP8 or VP8L image chunk")
		}
		return meta, nil
	}
	switch {
	case !animated:
		return nil, label.Corrupt("webp", 12, "ANIM or ANMF chunks in a file without the VP8X animation flag")
	case anim == nil:
		return nil, label.Corrupt("webp", 12, "animated WebP without an ANIM chunk")
	case len(frames) == 0:
		return nil, label.Corrupt("webp", 12, "animated WebP without frames")
	case found:
		return nil, label.Corrupt("webp", imageAt, "image chunk outside the frames of an animated WebP")
	}
	a := &webpAnim{flags: vp8x[0], width: int(u24(vp8x[4:])) + 1, height: int(u24(vp8x[7:])) + 1, anim: anim, frames: frames}
	canvas := image.Rect(0, 0, a.width, a.height)
	meta.lossless = true
	largest := int64(-1)
	for i, f := range frames {
		if !f.rect.In(canvas) {
			return nil, label.Corrupt("webp", f.chunk.Offset, "frame %d at %v lies outside the %dx%d canvas", i+1, f.rect, a.width, a.height)
		}
		n := int64(f.rect.Dx()) * int64(f.rect.Dy())
		a.area = min(a.area+n, 1<<62) // n < 2^48: saturates, never overflows
		if !f.lossless {
			meta.lossless = false
			if n > largest {
				largest, meta.quality = n, f.quality
			}
		}
	}
	meta.anim = a
	return meta, nil
}
