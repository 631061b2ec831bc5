package picture

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

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
	// Unlike Label's, these JPEG and PNG codecs report every decoding
	// error as corruption; an animation's frames are not counted against
	// maxPixels, as only the first is decoded.
	var (
		c    codec[image.Image]
		walk func(*bufio.Reader, image.Config) (bool, error)
		jm   *jpegMeta
		pm   *pngMeta
		wm   *webpMeta
	)
	switch {
	case labeljpeg.Format{}.Sniff(head):
		c, walk = codec[image.Image]{format: "jpeg", config: jpeg.DecodeConfig, decode: jpeg.Decode}, walkInto(&jm, walkJPEG)
	case labelpng.Format{}.Sniff(head):
		c, walk = codec[image.Image]{format: "png", config: png.DecodeConfig, decode: png.Decode}, walkInto(&pm, walkPNG)
	case labelwebp.Format{}.Sniff(head):
		c, walk = webpCodec, func(*bufio.Reader, image.Config) (bool, error) {
			var err error
			wm, err = walkWebP(src)
			return err == nil && wm.anim != nil, err
		}
	case labelgif.Format{}.Sniff(head):
		c = codec[image.Image]{format: "gif", config: gif.DecodeConfig, decode: gif.Decode}
	default:
		return nil, fmt.Errorf("picture: not a JPEG, PNG, WebP or GIF file: %w", label.ErrUnknownFormat)
	}
	m, err := load(j, c, walk)
	if err != nil {
		return nil, err
	}
	o := 1
	switch {
	case jm != nil:
		o = jm.orientation
	case pm != nil:
		o = pm.orientation
	case wm != nil:
		o = wm.orientation
		if wm.anim != nil {
			if m, err = j.webpFirstFrame(wm.anim); err != nil {
				return nil, err
			}
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
