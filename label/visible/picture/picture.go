// Package picture puts an explicit label (GB 45438-2025 clause 5.1,
// rendered by package label/visible) onto a picture file and writes the
// result in the same format: JPEG, PNG, WebP or GIF.
//
// Label reads the picture's size with the format's DecodeConfig and
// refuses pictures over Options.MaxPixels before decoding anything. It
// honours the EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF): the
// renderer is given the size the viewer sees and places the label in
// viewer coordinates; the overlay is turned into stored coordinates, the
// pixels are not rotated and the orientation tag is kept.
//
// Each format is re-encoded as close to its input as Go's encoders allow:
//
//   - JPEG at the input's quality, estimated from its quantisation tables
//     against the IJG tables scaled by the libjpeg quality formula, or at
//     Options.Quality. Go's encoder writes baseline 4:2:0 (4:4:4, 4:2:2
//     and progressive inputs come out baseline 4:2:0), or grayscale for a
//     grayscale input. CMYK and YCCK pictures are refused.
//   - PNG keeps its colour type class: grayscale (8 or 16 bits),
//     truecolour with or without alpha (8 or 16 bits) and paletted
//     pictures, whose palette keeps every entry and index and gains the
//     label's colours while there is room. Gray with alpha comes out as
//     truecolour with alpha, low bit depths as 8 bits, interlaced pictures
//     not interlaced. APNG is refused.
//   - WebP: lossless in, lossless out; lossy in, lossy out at the quality
//     estimated from the VP8 quantiser indices, or Options.Quality, its
//     studio-range colours converted as libwebp does. Alpha is kept.
//   - Animated WebP: every frame is labeled where the viewer sees it, as
//     for a GIF. Frame durations, the loop count, the background colour,
//     the canvas and each frame's disposal are kept, and its blending
//     where the label allows; a frame's rectangle grows only where the
//     label has to be repainted. Lossless frames stay lossless, lossy
//     frames are re-encoded lossy at the quality estimated from the
//     largest one, or Options.Quality.
//   - GIF: every frame is labeled where the viewer sees it, frame
//     rectangles, delays, disposal methods, loop count and palettes are
//     kept; a frame grows only where the label has to be repainted.
//
// The metadata of the input is carried over: JPEG APPn segments (JFIF,
// EXIF, ICC profiles in any number of APP2 segments, XMP, extended XMP,
// IPTC in APP13) and COM segments, in their order, right after SOI — but
// not APP14 Adobe (it describes the old encoding) or an APP2 MPF index
// (its offsets point into the old file); PNG ancillary chunks that stay
// valid (iCCP, sRGB, gAMA, cHRM, cICP, mDCV, cLLI and every safe-to-copy
// chunk: pHYs, eXIf, tEXt, zTXt, iTXt, …) on their side of the image data;
// WebP ICCP, EXIF and XMP chunks (unknown chunks are dropped); GIF comment
// and application extensions (XMP included) other than the loop
// extension, which is rewritten.
//
// Label does not write the AIGC metadata label: the caller writes it into
// the output afterwards with the matching label/<container> package.
package picture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/aigcmark/aigcmark/label"
	labelgif "github.com/aigcmark/aigcmark/label/gif"
	labeljpeg "github.com/aigcmark/aigcmark/label/jpeg"
	labelpng "github.com/aigcmark/aigcmark/label/png"
	"github.com/aigcmark/aigcmark/label/visible"
	labelwebp "github.com/aigcmark/aigcmark/label/webp"
)

// DefaultMaxPixels is the pixel limit when Options.MaxPixels is 0: 100
// megapixels.
const DefaultMaxPixels = 100_000_000

// Options tunes Label. The zero value is ready to use.
type Options struct {
	// MaxPixels bounds the pixels Label decodes: width × height of the
	// picture, and for a GIF or an animated WebP also the sum over its
	// frames, read from their headers. An animated WebP whose frames,
	// grown to repaint the label, would re-encode more than twice as
	// many pixels is refused as unsupported. 0 means DefaultMaxPixels.
	MaxPixels int64
	// Quality (1..100) is the quality of lossy output (JPEG, lossy WebP).
	// 0 means the input's estimated quality.
	Quality int
	// Mark, when set, is applied to the decoded picture (as stored, before
	// the overlay is drawn, so the label's plate does not carry what Mark
	// adds): an invisible watermark. It may return a new image. Pictures
	// whose colours a palette fixes (GIF, paletted PNG) and animations are
	// refused as unsupported, since they cannot carry such a mark.
	Mark func(image.Image) (image.Image, error)
}

// Info describes what Label did.
type Info struct {
	Format        string          // "jpeg", "png", "webp" or "gif"
	Width, Height int             // the picture as stored
	Orientation   int             // the EXIF orientation honoured, 1..8 (1 without one)
	Label         image.Rectangle // where the overlay went, in viewer coordinates
	Frames        int             // frames labeled: 1, or an animation's frame count
	Lossless      bool            // the output is lossless (PNG, GIF, WebP with lossless frames only)
	Quality       int             // quality of the lossy output, 0 for lossless output
	Estimated     int             // the input's estimated quality, 0 when lossless or unknown
	Kept          []string        // the metadata carried over, in order: "EXIF", "ICC", "XMP", …
	Marked        bool            // Options.Mark was applied
}

// ErrTooLarge is matched (errors.Is) by every *TooLargeError.
var ErrTooLarge = errors.New("picture: too many pixels")

// TooLargeError refuses a picture whose size, read from its header, is
// over the pixel limit. Nothing was decoded.
type TooLargeError struct {
	Format        string
	Width, Height int
	Frames        int   // 1 for a still picture
	Pixels        int64 // pixels a decode would produce
	Limit         int64
}

func (e *TooLargeError) Error() string {
	what := fmt.Sprintf("%dx%d picture", e.Width, e.Height)
	if e.Frames > 1 {
		what = fmt.Sprintf("%dx%d animation of %d frames", e.Width, e.Height, e.Frames)
	}
	return fmt.Sprintf("%s: %s has %d pixels, over the limit of %d (not decoded)", e.Format, what, e.Pixels, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) work.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Label decodes the picture in src, draws the overlay r renders for the
// size the viewer sees onto it, and writes the result to dst in the
// picture's own format with its metadata. See the package documentation.
//
// Errors: label.ErrUnknownFormat for bytes that are none of the four
// formats; *label.FormatError (label.ErrCorrupt, label.ErrUnsupported) for
// pictures that cannot be decoded or re-encoded; *TooLargeError; the
// renderer's error; ctx.Err() when ctx ends; and read or write errors as
// they are.
func Label(ctx context.Context, dst io.Writer, src io.ReadSeeker, r visible.Renderer, opts Options) (Info, error) {
	if r == nil && opts.Mark == nil {
		return Info{}, errors.New("picture: no renderer and no mark: nothing to do")
	}
	if opts.Quality < 0 || opts.Quality > 100 {
		return Info{}, fmt.Errorf("picture: quality %d is outside 1..100", opts.Quality)
	}
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	head := make([]byte, 16)
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return Info{}, err
	}
	n, err := io.ReadFull(src, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Info{}, err
	}
	head = head[:n]
	j := &job{ctx: ctx, dst: dst, src: src, render: r, opts: opts}
	switch {
	case labeljpeg.Format{}.Sniff(head):
		return j.jpeg()
	case labelpng.Format{}.Sniff(head):
		return j.png()
	case labelwebp.Format{}.Sniff(head):
		return j.webp()
	case labelgif.Format{}.Sniff(head):
		return j.gif()
	}
	return Info{}, fmt.Errorf("picture: not a JPEG, PNG, WebP or GIF file: %w", label.ErrUnknownFormat)
}

// job is one call of Label.
type job struct {
	ctx     context.Context
	dst     io.Writer
	src     io.ReadSeeker
	render  visible.Renderer
	opts    Options
	info    Info
	readErr error // the first read error of src, told apart from decode errors
}

// checkSize refuses a w×h picture of frames frames holding pixels pixels
// over the limit.
func (j *job) checkSize(format string, w, h, frames int, pixels int64) error {
	if w <= 0 || h <= 0 {
		return label.Corrupt(format, -1, "picture is %dx%d", w, h)
	}
	if pixels > j.opts.MaxPixels {
		return &TooLargeError{Format: format, Width: w, Height: h, Frames: frames, Pixels: pixels, Limit: j.opts.MaxPixels}
	}
	return nil
}

// reader returns a buffered reader of src from offset 0 that remembers a
// read error, so that decodeError can tell it from a decoding error.
func (j *job) reader() (*bufio.Reader, error) {
	if _, err := j.src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(&errReader{r: j.src, err: &j.readErr}, 64<<10), nil
}

type errReader struct {
	r   io.Reader
	err *error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && *e.err == nil {
		*e.err = err
	}
	return n, err
}

// decodeError turns an error of a standard decoder into a
// *label.FormatError, unsupported where unsupported (nil: never) says so,
// unless it came from reading src.
func (j *job) decodeError(format string, err error, unsupported func(error) bool) error {
	if j.readErr != nil {
		return j.readErr
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &label.FormatError{Format: format, Offset: -1, Msg: "cannot decode the picture", Unsupported: unsupported != nil && unsupported(err), Err: err}
}

// codec is what load needs of a format that a standard decoder reads:
// its DecodeConfig, its decoder, and which decoding errors mean a valid
// picture the decoder does not handle (nil: none; every other one means a
// corrupt picture).
type codec[T any] struct {
	format      string
	config      func(io.Reader) (image.Config, error)
	decode      func(io.Reader) (T, error)
	unsupported func(error) bool
}

// is reports whether err is an E, such as a decoder's UnsupportedError.
func is[E error](err error) bool {
	_, ok := err.(E)
	return ok
}

// load reads the picture in src in up to three passes: its size with
// c.config, refused over the pixel limit before anything else is read;
// then, if walk is not nil, its metadata with walk, given a reader of src
// and the size; then, after a check of ctx and unless walk returned stop,
// the picture with c.decode. A read error of src comes back as it is, in
// place of the error it caused; decoder errors come back as decodeError
// makes them, walk's as they are.
func load[T any](j *job, c codec[T], walk func(br *bufio.Reader, cfg image.Config) (stop bool, err error)) (T, error) {
	var zero T
	br, err := j.reader()
	if err != nil {
		return zero, err
	}
	cfg, err := c.config(br)
	if err != nil {
		return zero, j.decodeError(c.format, err, c.unsupported)
	}
	if err := j.checkSize(c.format, cfg.Width, cfg.Height, 1, int64(cfg.Width)*int64(cfg.Height)); err != nil {
		return zero, err
	}
	stop := false
	if walk != nil {
		if br, err = j.reader(); err != nil {
			return zero, err
		}
		if stop, err = walk(br, cfg); err != nil {
			if j.readErr != nil {
				return zero, j.readErr
			}
			return zero, err
		}
	}
	if err := j.ctx.Err(); err != nil || stop {
		return zero, err
	}
	if br, err = j.reader(); err != nil {
		return zero, err
	}
	m, err := c.decode(br)
	if err != nil {
		return zero, j.decodeError(c.format, err, c.unsupported)
	}
	return m, nil
}

// walkInto returns a walk for load that runs walk on the reader and keeps
// what it learns in *meta.
func walkInto[M any](meta *M, walk func(*bufio.Reader) (M, error)) func(*bufio.Reader, image.Config) (bool, error) {
	return func(br *bufio.Reader, _ image.Config) (bool, error) {
		var err error
		*meta, err = walk(br)
		return false, err
	}
}

// lossyQuality records the input's estimated quality (0 when unknown) in
// j.info and returns the quality to encode lossy output at:
// Options.Quality, else the estimate, else def.
func (j *job) lossyQuality(estimated, def int) int {
	j.info.Estimated = estimated
	switch {
	case j.opts.Quality > 0:
		return j.opts.Quality
	case estimated == 0:
		return def
	}
	return estimated
}

// overlay calls the renderer for the picture of w×h stored pixels with
// orientation o and returns the overlay in stored coordinates, recording
// where it went in j.info.
func (j *job) overlay(format string, w, h, o int) (*image.NRGBA, error) {
	if j.render == nil {
		j.info.Format, j.info.Width, j.info.Height, j.info.Orientation = format, w, h, o
		return nil, nil
	}
	vw, vh := viewerSize(o, w, h)
	ov, err := j.render(vw, vh)
	if err != nil {
		return nil, fmt.Errorf("picture: rendering the label for %dx%d: %w", vw, vh, err)
	}
	if ov.Image == nil {
		return nil, fmt.Errorf("picture: the renderer returned no image for %dx%d", vw, vh)
	}
	r := ov.Bounds().Intersect(image.Rect(0, 0, vw, vh))
	if r.Empty() {
		return nil, fmt.Errorf("picture: the label at %v lies outside the %dx%d picture", ov.Bounds(), vw, vh)
	}
	// The same pixels, addressed in viewer coordinates.
	placed := *ov.Image
	placed.Rect = ov.Bounds()
	j.info.Format, j.info.Width, j.info.Height, j.info.Orientation, j.info.Label = format, w, h, o, r
	return storedOverlay(o, w, h, &placed, r), nil
}

// injector passes the first n bytes written through to w, then writes
// extra, then everything else: it puts metadata after a header the
// encoder writes.
type injector struct {
	w     io.Writer
	n     int
	extra []byte
}

func (in *injector) Write(p []byte) (int, error) {
	if in.extra == nil {
		return in.w.Write(p)
	}
	written := 0
	if in.n > 0 {
		k := min(in.n, len(p))
		m, err := in.w.Write(p[:k])
		written += m
		in.n -= m
		if err != nil {
			return written, err
		}
		p = p[k:]
		if in.n > 0 {
			return written, nil
		}
	}
	if _, err := in.w.Write(in.extra); err != nil {
		return written, err
	}
	in.extra = nil
	if len(p) == 0 {
		return written, nil
	}
	m, err := in.w.Write(p)
	return written + m, err
}

// done reports whether extra was written: false means the encoder wrote
// less than the header it was expected to.
func (in *injector) done() bool { return in.extra == nil }

// mark applies Options.Mark to the decoded picture m of format, if set.
func (j *job) mark(format string, m image.Image) (image.Image, error) {
	if j.opts.Mark == nil {
		return m, nil
	}
	if _, ok := m.(*image.Paletted); ok {
		return nil, label.Unsupported(format, -1, "a paletted picture cannot carry the invisible watermark (its colours are fixed by the palette)")
	}
	out, err := j.opts.Mark(m)
	if err != nil {
		return nil, fmt.Errorf("picture: %w", err)
	}
	j.info.Marked = true
	return out, nil
}

// noMark refuses a mark for a format that cannot carry one.
func (j *job) noMark(format, what string) error {
	if j.opts.Mark == nil {
		return nil
	}
	return label.Unsupported(format, -1, "%s cannot carry the invisible watermark", what)
}
