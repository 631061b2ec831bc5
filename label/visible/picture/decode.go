package picture

import (
	"context"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/aigcmark/aigcmark/label"
	labelgif "github.com/aigcmark/aigcmark/label/gif"
	labeljpeg "github.com/aigcmark/aigcmark/label/jpeg"
	labelpng "github.com/aigcmark/aigcmark/label/png"
	labelwebp "github.com/aigcmark/aigcmark/label/webp"
)

// Decode decodes the picture in src as the viewer sees it: the EXIF
// orientation applied, the first frame of an animation (GIF or WebP; an
// animated WebP's first frame drawn on its transparent canvas). A picture
// with more than maxPixels pixels (0 means DefaultMaxPixels) is refused
// with a *TooLargeError before anything is decoded. Errors are those of
// Label.
func Decode(ctx context.Context, src io.ReadSeeker, maxPixels int64) (image.Image, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	j := &job{ctx: ctx, src: src, opts: Options{MaxPixels: maxPixels}}
	head := make([]byte, 16)
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	n, err := io.ReadFull(src, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	head = head[:n]
	var (
		format string
		config func(io.Reader) (image.Config, error)
		decode func(io.Reader) (image.Image, error)
		orient func() (int, error)
		anim   *webpAnim // an animated WebP, known once orient ran
	)
	switch {
	case labeljpeg.Format{}.Sniff(head):
		format, config, decode = "jpeg", jpeg.DecodeConfig, jpeg.Decode
		orient = func() (int, error) {
			br, err := j.reader()
			if err != nil {
				return 0, err
			}
			meta, err := walkJPEG(br)
			if err != nil {
				return 0, err
			}
			return meta.orientation, nil
		}
	case labelpng.Format{}.Sniff(head):
		format, config, decode = "png", png.DecodeConfig, png.Decode
		orient = func() (int, error) {
			br, err := j.reader()
			if err != nil {
				return 0, err
			}
			meta, err := walkPNG(br)
			if err != nil {
				return 0, err
			}
			return meta.orientation, nil
		}
	case labelwebp.Format{}.Sniff(head):
		format, config = "webp", webp.DecodeConfig
		decode = func(r io.Reader) (image.Image, error) {
			m, err := webp.Decode(r)
			if err != nil {
				return nil, err
			}
			return webpToNRGBA(m), nil
		}
		orient = func() (int, error) {
			meta, err := walkWebP(src)
			if err != nil {
				return 0, err
			}
			anim = meta.anim
			return meta.orientation, nil
		}
	case labelgif.Format{}.Sniff(head):
		format, config, decode = "gif", gif.DecodeConfig, gif.Decode
		orient = func() (int, error) { return 1, nil }
	default:
		return nil, fmt.Errorf("picture: not a JPEG, PNG, WebP or GIF file: %w", label.ErrUnknownFormat)
	}
	br, err := j.reader()
	if err != nil {
		return nil, err
	}
	cfg, err := config(br)
	if err != nil {
		return nil, j.decodeError(format, err, false)
	}
	if err := j.checkSize(format, cfg.Width, cfg.Height, 1, int64(cfg.Width)*int64(cfg.Height)); err != nil {
		return nil, err
	}
	o, err := orient()
	if err != nil {
		if j.readErr != nil {
			return nil, j.readErr
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var m image.Image
	if anim != nil {
		if m, err = j.webpFirstFrame(anim); err != nil {
			return nil, err
		}
	} else {
		if br, err = j.reader(); err != nil {
			return nil, err
		}
		if m, err = decode(br); err != nil {
			return nil, j.decodeError(format, err, false)
		}
	}
	if o <= 1 || o > 8 {
		return m, nil
	}
	return oriented(m, o), nil
}

// oriented returns the stored picture m as the viewer sees it under EXIF
// orientation o.
func oriented(m image.Image, o int) *image.NRGBA {
	src := toNRGBA(m)
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	vw, vh := viewerSize(o, w, h)
	dst := image.NewNRGBA(image.Rect(0, 0, vw, vh))
	for vy := 0; vy < vh; vy++ {
		row := dst.Pix[vy*dst.Stride:]
		for vx := 0; vx < vw; vx++ {
			x, y := toStored(o, w, h, vx, vy)
			copy(row[4*vx:4*vx+4], src.Pix[src.PixOffset(b.Min.X+x, b.Min.Y+y):])
		}
	}
	return dst
}
