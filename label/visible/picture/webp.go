package picture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"

	webpenc "github.com/deepteams/webp"
	"golang.org/x/image/webp"

	"github.com/aigcmark/aigcmark/label"
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
	quality        int // estimated from the VP8 chunk; 0 if unknown
}

// webp labels a WebP picture.
func (j *job) webp() (Info, error) {
	br, err := j.reader()
	if err != nil {
		return Info{}, err
	}
	cfg, err := webp.DecodeConfig(br)
	if err != nil {
		return Info{}, j.decodeError("webp", err, false)
	}
	if err := j.checkSize("webp", cfg.Width, cfg.Height, 1, int64(cfg.Width)*int64(cfg.Height)); err != nil {
		return Info{}, err
	}
	meta, err := walkWebP(j.src)
	if err != nil {
		return Info{}, err
	}
	if err := j.ctx.Err(); err != nil {
		return Info{}, err
	}
	if br, err = j.reader(); err != nil {
		return Info{}, err
	}
	m, err := webp.Decode(br)
	if err != nil {
		return Info{}, j.decodeError("webp", err, false)
	}
	b := m.Bounds()
	ov, err := j.overlay("webp", b.Dx(), b.Dy(), meta.orientation)
	if err != nil {
		return Info{}, err
	}
	// The decoder returns NRGBA (lossless) or Y'CbCr with or without alpha
	// (lossy); the encoder takes any image, and NRGBA fastest.
	img, ok := m.(*image.NRGBA)
	if !ok {
		img = toNRGBA(m)
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
		q := meta.quality
		j.info.Estimated = q
		switch {
		case j.opts.Quality > 0:
			q = j.opts.Quality
		case q == 0:
			q = webpDefaultQuality
		}
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
// estimates a lossy picture's quality. Animations are refused.
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
	for {
		c, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch c.ID {
		case "ANIM", "ANMF":
			return nil, label.Unsupported("webp", c.Offset, "animated WebP is not labeled")
		case "ICCP":
			if meta.icc, err = load(c); err != nil {
				return nil, err
			}
			meta.kinds = append(meta.kinds, "ICC")
		case "EXIF":
			if meta.exif, err = load(c); err != nil {
				return nil, err
			}
			meta.kinds = append(meta.kinds, "EXIF")
			meta.orientation = exifOrientation(bytes.TrimPrefix(meta.exif, []byte("Exif\x00\x00")))
		case "XMP ":
			if meta.xmp, err = load(c); err != nil {
				return nil, err
			}
			meta.kinds = append(meta.kinds, "XMP")
		case "VP8L":
			meta.lossless, found = true, true
		case "VP8 ":
			head, err := rd.ReadHead(c, 4096)
			if err != nil {
				return nil, err
			}
			meta.quality, _ = estimateVP8Quality(head)
			found = true
		}
	}
	if !found {
		return nil, label.Corrupt("webp", 12, "no VP8 or VP8L image chunk")
	}
	return meta, nil
}
