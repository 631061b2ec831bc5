// Package video draws the explicit label of GB 45438-2025 (clause 5: text
// in the opening frames, at least 2 s, text height at least 5 % of the
// shortest side) on the frames of an MP4 or MOV video, with ffmpeg as the
// codec engine.
//
// One ffmpeg process decodes the video stream to raw frames and writes them
// in NUT over a pipe; this package passes that stream through, alpha-blends
// the overlay into the frames that need it, and pipes it on to a second
// ffmpeg process that encodes it with libx264 and muxes it with the
// original file's audio and subtitle streams copied unchanged. One frame
// buffer is reused, nothing touches the disk but the output, and memory
// stays flat whatever the length.
//
// Carried over from the input: every frame's timestamp (variable frame
// rates included, since NUT keeps them), the start time, the track time
// scale, the pixel aspect ratio, the colour range, matrix, primaries and
// transfer tags, the display matrix (rotation), the container metadata, and
// the audio packets byte for byte. The caller writes the AIGC metadata
// label into the output afterwards (label/mp4).
//
// With Options.Watermark every frame's luma also gets the invisible
// watermark (watermark/pixel), before the overlay is drawn; DetectVideo
// reads it back per 2-second segment.
//
// Limits, on purpose or not yet done:
//   - Only MP4 and MOV are labeled (other containers are refused as
//     unsupported: the metadata label needs MP4 boxes). Only the first video
//     stream is kept, with the audio and subtitle streams; cover pictures,
//     timecode and other data tracks are dropped.
//   - Frames cross the pipe as planar 8- or 10-bit Y'CbCr 4:2:0, 4:2:2 or
//     4:4:4, as decoded; other pixel formats are converted by the decoder
//     (see planPixels), RGB with the BT.709 matrix.
//   - The overlay is rendered in pixels: on anamorphic video (pixel aspect
//     not 1:1) it is stretched like the picture.
//   - Overlay colours are taken as SDR: on HDR (PQ, HLG) video white is
//     coded at the matrix's nominal white, not at a chosen brightness.
//   - The last frame's duration comes from the encoder's guess (ffmpeg's
//     NUT carries no durations): for variable frame rates the stream may end
//     a fraction of a frame away from the input's.
//   - A limited colour range is written as unspecified (which H.264 reads
//     as limited) when the input has no other colour description.
//   - Decoding stops at the first error (-xerror): a stream ffmpeg would
//     conceal and play on is refused instead of labeled half-broken.
//   - Mirrored display matrices and rotations other than quarter turns are
//     refused.
package video

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible"
)

// Defaults and limits.
const (
	// MinExplicitDuration is the shortest time GB 45438-2025 lets the
	// explicit label show at the start of a video.
	MinExplicitDuration = 2 * time.Second
	DefaultCRF          = 20
	DefaultPreset       = "medium"

	maxSide   = 16384             // pixels, either side
	maxPixels = 8192 * 8192       // per frame
	maxFrame  = maxPixels * 3 * 2 // bytes of one raw frame: 4:4:4 at 16 bits
)

// presets are libx264's.
var presets = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}

// Options tune Label. The zero value labels the whole video at CRF 20,
// preset medium.
type Options struct {
	// CRF is libx264's constant rate factor, 1 to 51; 0 means DefaultCRF.
	CRF int
	// Preset is libx264's speed preset; "" means DefaultPreset.
	Preset string
	// ExplicitDuration is how long the label shows from the first frame;
	// 0 means the whole video. Values under MinExplicitDuration are
	// refused. A video shorter than it is labeled throughout.
	ExplicitDuration time.Duration
	// Threads limits the threads of each ffmpeg process; 0 lets ffmpeg
	// choose.
	Threads int
	// Progress, when set, is called after each frame with the frames done
	// and the frames expected (0 when unknown).
	Progress func(frames, total int64)
	// Watermark, when set, is called once with the size of the frames as
	// stored and returns the marker applied to the luma of every frame
	// before the overlay is drawn, so the label's plate does not carry the
	// mark (see PixelWatermark). Only 8-bit video is watermarked: 10-bit
	// input is refused as unsupported.
	Watermark func(w, h int) (LumaMarker, error)
}

// Result describes a labeled video.
type Result struct {
	Container     string          // "mp4" or "mov"
	Width, Height int             // as the viewer sees it
	Rotation      int             // clockwise degrees the stored frames are turned for the viewer
	PixFmt        string          // the pixel format encoded
	Frames        int64           // frames written
	Labeled       int64           // frames carrying the overlay, from the first
	Marked        int64           // frames carrying the watermark
	Overlay       image.Rectangle // where the overlay is, in the viewer's picture
}

// Label writes to outPath a copy of the MP4 or MOV video at inPath with the
// overlay r renders drawn on its frames: on all of them, or on those of the
// first opts.ExplicitDuration. r is called once, with the size of the
// picture as the viewer sees it (after rotation). r may be nil when
// opts.Watermark is set: the frames are then only watermarked.
//
// The output is a complete, playable file of the same container family
// (MOV for QuickTime input, else MP4). On any error, cancellation
// included, both ffmpeg processes are stopped and outPath is removed.
// Errors from ffmpeg carry its own message (*ffmpeg.Error); a missing
// ffmpeg matches ffmpeg.ErrNotInstalled; an input this package cannot
// label (another container, a mirrored picture) matches
// label.ErrUnsupported.
func Label(ctx context.Context, inPath, outPath string, r visible.Renderer, opts Options) (res Result, err error) {
	if err := opts.check(); err != nil {
		return res, err
	}
	if r == nil && opts.Watermark == nil {
		return res, errors.New("video: no renderer")
	}
	if same, err := samePath(inPath, outPath); err != nil || same {
		if err == nil {
			err = errors.New("video: the output would overwrite the input")
		}
		return res, err
	}
	defer func() {
		if err != nil {
			os.Remove(outPath)
		}
	}()
	info, err := ffmpeg.Probe(ctx, inPath)
	if err != nil {
		return res, fmt.Errorf("%s: %w", inPath, err)
	}
	j, err := plan(inPath, info, opts)
	if err != nil {
		return res, fmt.Errorf("%s: %w", inPath, err)
	}
	j.out, j.render = outPath, r
	if err := j.run(ctx); err != nil {
		return j.res, fmt.Errorf("%s: %w", inPath, err)
	}
	if m := j.matrix; m != nil && *m != identity {
		if err := setDisplayMatrix(outPath, *m); err != nil {
			return j.res, fmt.Errorf("video: writing the display matrix: %w", err)
		}
	}
	return j.res, nil
}

var identity = [9]int32{1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30}

func (o *Options) check() error {
	switch {
	case o.CRF == 0:
		o.CRF = DefaultCRF
	case o.CRF < 1 || o.CRF > 51:
		return fmt.Errorf("video: CRF %d out of range (1 to 51)", o.CRF)
	}
	if o.Preset == "" {
		o.Preset = DefaultPreset
	}
	ok := false
	for _, p := range presets {
		ok = ok || p == o.Preset
	}
	if !ok {
		return fmt.Errorf("video: unknown preset %q (one of %s)", o.Preset, strings.Join(presets, ", "))
	}
	if o.ExplicitDuration < 0 || (o.ExplicitDuration > 0 && o.ExplicitDuration < MinExplicitDuration) {
		return fmt.Errorf("video: explicit label duration %v is under the %v GB 45438-2025 requires", o.ExplicitDuration, MinExplicitDuration)
	}
	if o.Threads < 0 || o.Threads > 256 {
		return fmt.Errorf("video: %d threads", o.Threads)
	}
	return nil
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) (bool, error) {
	if a == "" || b == "" {
		return false, errors.New("video: empty file name")
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true, nil
	}
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, nil // the output does not exist yet
	}
	return os.SameFile(sa, sb), nil
}

// job is one labeling run, planned from ffprobe's report.
type job struct {
	in, out string
	opts    Options
	render  visible.Renderer
	info    *ffmpeg.Info
	vs      *ffmpeg.Stream
	muxer   string
	orient  orientation
	matrix  *[9]int32
	pix     pixPlan
	total   int64
	res     Result
}

// plan checks that the input can be labeled and decides how.
func plan(in string, info *ffmpeg.Info, opts Options) (*job, error) {
	j := &job{in: in, opts: opts, info: info}
	if !strings.Contains(info.FormatName, "mp4") && !strings.Contains(info.FormatName, "mov") {
		return nil, label.Unsupported("video", -1, "%s container: only MP4 and MOV can carry the AIGC metadata label here; remux first (ffmpeg -i IN -c copy OUT.mp4)", info.FormatName)
	}
	j.muxer = "mp4"
	if ext := strings.ToLower(filepath.Ext(in)); info.Tags["major_brand"] == "qt  " || ext == ".mov" || ext == ".qt" {
		j.muxer = "mov"
	}
	j.vs = info.Video()
	if j.vs == nil {
		return nil, errors.New("video: no video stream")
	}
	vs := j.vs
	if vs.Width <= 0 || vs.Height <= 0 || vs.Width > maxSide || vs.Height > maxSide || vs.Width*vs.Height > maxPixels {
		return nil, label.Unsupported("video", -1, "frames of %d×%d pixels (at most %d per side and %d in all)", vs.Width, vs.Height, maxSide, maxPixels)
	}
	rot := math.Round(vs.Rotation)
	if math.Abs(rot-vs.Rotation) > 1 || int(rot)%90 != 0 {
		return nil, label.Unsupported("video", -1, "display rotation of %g°, not a multiple of 90°", vs.Rotation)
	}
	// ffprobe's rotation is counter-clockwise; the viewer sees the stored
	// frame turned clockwise by its opposite.
	j.orient = orientation{cw: ((-int(rot))%360 + 360) % 360}
	if m := vs.DisplayMatrix; m != nil {
		if int64(m[0])*int64(m[4])-int64(m[1])*int64(m[3]) < 0 {
			return nil, label.Unsupported("video", -1, "mirrored display matrix %v", *m)
		}
		j.matrix = m
	} else if j.orient.cw != 0 {
		// A rotation without a matrix (an old "rotate" tag): the matrix of
		// that counter-clockwise rotation, as ffmpeg writes it.
		var sin, cos int32
		switch (360 - j.orient.cw) % 360 {
		case 90:
			sin = 1
		case 180:
			cos = -1
		case 270:
			sin = -1
		}
		j.matrix = &[9]int32{cos << 16, -sin << 16, 0, sin << 16, cos << 16, 0, 0, 0, 1 << 30}
	}
	var err error
	if j.pix, err = planPixels(vs.PixFmt, vs.ColorRange); err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	if opts.Watermark != nil && j.pix.pf.bits != 8 {
		return nil, label.Unsupported("video", -1, "%s frames: only 8-bit video can be watermarked", vs.PixFmt)
	}
	// The frames to expect, for progress: the stream's sample count, unless
	// its duration says fewer are shown (an edit list skipping some).
	j.total = vs.NbFrames
	if d, fps := vs.Duration, ffmpeg.Rate(vs.AvgFrameRate); d > 0 && fps > 0 {
		if est := int64(math.Round(d * fps)); j.total <= 0 || est < j.total {
			j.total = est
		}
	}
	return j, nil
}

// decoderArgs decode the video stream to raw frames in NUT on stdout, with
// every frame's original timestamp and no rotation applied.
func (j *job) decoderArgs() []string {
	a := []string{"-v", "error", "-xerror", "-noautorotate", "-copyts"}
	if j.opts.Threads > 0 {
		a = append(a, "-threads", strconv.Itoa(j.opts.Threads))
	}
	a = append(a, "-i", "file:"+j.in, "-map", "0:"+strconv.Itoa(j.vs.Index), "-an", "-sn", "-dn",
		"-fps_mode", "passthrough", "-enc_time_base:v", "-1")
	if j.pix.filter != "" {
		a = append(a, "-vf", j.pix.filter)
	}
	return append(a, "-pix_fmt", j.pix.decodeAs, "-c:v", "rawvideo", "-f", "nut", "pipe:1")
}

// encoderArgs encode the frames from stdin and take everything else from
// the input file.
func (j *job) encoderArgs() []string {
	vs := j.vs
	a := []string{"-v", "error", "-copyts"}
	// The colour description does not cross NUT: it is given to the
	// frames as they are read back, and so reaches the encoder.
	rng := "tv"
	if j.pix.fullRange {
		rng = "pc"
	}
	a = append(a, "-color_range", rng)
	space := vs.ColorSpace
	if j.pix.rgb {
		space = "bt709"
	}
	for _, kv := range [][2]string{{"-colorspace", space}, {"-color_primaries", vs.ColorPrimaries}, {"-color_trc", vs.ColorTransfer}} {
		if kv[1] != "" && kv[1] != "unknown" && kv[1] != "reserved" && kv[1] != "gbr" {
			a = append(a, kv[0], kv[1])
		}
	}
	a = append(a, "-f", "nut", "-i", "pipe:0", "-i", "file:"+j.in,
		"-map", "0:v:0", "-map", "1:a?", "-map", "1:s?",
		"-c:v", "libx264", "-crf", strconv.Itoa(j.opts.CRF), "-preset", j.opts.Preset)
	if j.opts.Threads > 0 {
		a = append(a, "-threads", strconv.Itoa(j.opts.Threads))
	}
	a = append(a, "-fps_mode", "passthrough", "-enc_time_base:v", "-1",
		"-c:a", "copy", "-c:s", "copy",
		"-map_metadata", "1", "-map_metadata:s:v:0", "1:s:"+strconv.Itoa(vs.Index), "-map_chapters", "1")
	if num, den, ok := strings.Cut(vs.TimeBase, "/"); ok && num == "1" {
		if d, err := strconv.Atoi(den); err == nil && d > 0 && d < 1<<31 {
			a = append(a, "-video_track_timescale", den)
		}
	}
	// Metadata as mdta keys in moov/udta/meta, where GB 45438's AIGC key
	// then goes beside them (without the flag ffmpeg writes an iTunes
	// list and drops custom tags).
	return append(a, "-movflags", "+use_metadata_tags", "-f", j.muxer, "-y", "file:"+j.out)
}

// pipeErr tells which side of the frame loop failed.
type pipeErr struct {
	write bool // writing to the encoder, else reading from the decoder
	err   error
}

func (e *pipeErr) Error() string { return e.err.Error() }
func (e *pipeErr) Unwrap() error { return e.err }

// run starts both processes, streams the frames and waits for both.
func (j *job) run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	dec := ffmpeg.Command(ctx, "ffmpeg", j.decoderArgs()...)
	decOut, err := dec.StdoutPipe()
	if err != nil {
		return err
	}
	enc := ffmpeg.Command(ctx, "ffmpeg", j.encoderArgs()...)
	encIn, err := enc.StdinPipe()
	if err != nil {
		return err
	}
	if err := dec.Start(); err != nil {
		return err
	}
	if err := enc.Start(); err != nil {
		cancel()
		dec.Wait()
		return err
	}
	perr := j.pump(decOut, encIn)
	var pe *pipeErr
	switch {
	case perr == nil:
		cerr := encIn.Close()
		derr := dec.Wait()
		if derr != nil {
			cancel()
		}
		eerr := enc.Wait()
		return firstErr(derr, eerr, cerr)
	case errors.As(perr, &pe) && pe.write:
		// The encoder stopped reading: its own error says why.
		encIn.Close()
		eerr := enc.Wait()
		cancel()
		dec.Wait()
		return firstErr(parent.Err(), eerr, perr)
	case errors.As(perr, &pe):
		// The decoder's stream ended early: it failed or was killed.
		derr := dec.Wait()
		cancel()
		encIn.Close()
		enc.Wait()
		return firstErr(parent.Err(), derr, perr)
	default:
		// A stream we cannot read: stop both.
		cancel()
		encIn.Close()
		derr := dec.Wait()
		enc.Wait()
		return firstErr(parent.Err(), perr, derr)
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// pump copies the NUT stream from the decoder to the encoder, drawing the
// overlay into the frames that get it.
func (j *job) pump(decOut io.Reader, encIn io.Writer) error {
	src := &errReader{r: decOut}
	dst := &errWriter{w: bufio.NewWriterSize(encIn, 1<<16)}
	nut := newNUTReader(bufio.NewReaderSize(src, 1<<20), dst)
	var (
		frame   []byte
		bl      *blender
		mk      LumaMarker
		lumaLen int
		marked  int64
		pts0    int64
		limit   *big.Int // frames before pts0+limit are labeled; nil labels all
		rel     = new(big.Int)
		frames  int64
		labeled int64
	)
	for {
		f, err := nut.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return j.sideErr(src, dst, err)
		}
		s := nut.streams[f.Stream]
		if frame == nil {
			if bl, err = j.prepare(s); err != nil {
				return err
			}
			frame = make([]byte, j.pix.pf.frameSize(s.width, s.height))
			if j.opts.Watermark != nil {
				if mk, err = j.opts.Watermark(s.width, s.height); err != nil {
					return fmt.Errorf("video: watermarking %d×%d frames: %w", s.width, s.height, err)
				}
				lumaLen = s.width * s.height
			}
			pts0 = f.PTS
			if d := j.opts.ExplicitDuration; d > 0 {
				// rel·num/den < d  ⇔  rel < ⌈d·den / (num·1e9)⌉ for integer rel.
				n := new(big.Int).Mul(big.NewInt(int64(d)), big.NewInt(s.tbDen))
				q := big.NewInt(s.tbNum * int64(time.Second))
				limit = new(big.Int).Add(n, new(big.Int).Sub(q, big.NewInt(1)))
				limit.Quo(limit, q)
			}
		}
		if f.Stream != 0 || f.Size != int64(len(frame)) {
			return fmt.Errorf("%w: frame %d of stream %d has %d bytes, a %d×%d %s frame has %d",
				errNUT, frames, f.Stream, f.Size, s.width, s.height, j.pix.pf.name, len(frame))
		}
		if err := nut.Payload(frame); err != nil {
			return j.sideErr(src, dst, err)
		}
		if mk != nil {
			// Before the overlay: the plate must not carry the mark.
			if err := mk.MarkLuma(frame[:lumaLen], s.width, j.pix.fullRange); err != nil {
				return fmt.Errorf("video: watermarking frame %d: %w", frames, err)
			}
			marked++
		}
		if bl != nil && (limit == nil || rel.SetInt64(f.PTS-pts0).Cmp(limit) < 0) {
			bl.apply(frame)
			labeled++
		}
		if _, err := dst.Write(frame); err != nil {
			return &pipeErr{write: true, err: err}
		}
		frames++
		j.res.Frames, j.res.Labeled, j.res.Marked = frames, labeled, marked
		if j.opts.Progress != nil {
			j.opts.Progress(frames, max(j.total, frames))
		}
	}
	if frames == 0 {
		return errors.New("video: ffmpeg decoded no frames")
	}
	if err := dst.w.Flush(); err != nil {
		return &pipeErr{write: true, err: err}
	}
	return nil
}

// prepare checks the decoder's stream header against the plan, renders the
// overlay for the viewer's picture and prepares it for blending.
func (j *job) prepare(s nutStreamInfo) (*blender, error) {
	pf := j.pix.pf
	if s.class != 0 || s.fourcc != pf.fourcc {
		return nil, fmt.Errorf("%w: stream of class %d, tag %q; asked for %s (%q)", errNUT, s.class, s.fourcc, pf.name, pf.fourcc)
	}
	if s.width*s.height > maxPixels || pf.frameSize(s.width, s.height) > maxFrame {
		return nil, label.Unsupported("video", -1, "frames of %d×%d pixels", s.width, s.height)
	}
	vw, vh := j.orient.viewerSize(s.width, s.height)
	j.res = Result{Container: j.muxer, Width: vw, Height: vh, Rotation: j.orient.cw, PixFmt: pf.name}
	if j.render == nil {
		return nil, nil // watermark only
	}
	ov, err := j.render(vw, vh)
	if err != nil {
		return nil, fmt.Errorf("video: rendering the label for %d×%d: %w", vw, vh, err)
	}
	m := matrixFor(j.vs.ColorSpace, s.width, s.height)
	if j.pix.rgb {
		m = bt709
	}
	bl, err := newBlender(ov, j.orient, s.width, s.height, pf, m, j.pix.fullRange)
	if err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	j.res.Overlay = ov.Bounds().Intersect(image.Rect(0, 0, vw, vh))
	return bl, nil
}

// sideErr classifies an error from the NUT reader: an I/O error on either
// pipe, or a malformed stream.
func (j *job) sideErr(src *errReader, dst *errWriter, err error) error {
	switch {
	case dst.err != nil:
		return &pipeErr{write: true, err: dst.err}
	case src.err != nil:
		return &pipeErr{err: src.err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errNUT) && src.eof:
		// The decoder stopped in the middle of the stream.
		return &pipeErr{err: err}
	}
	return err
}

// errReader and errWriter remember the first I/O error of a pipe, so that
// a failure can be told apart from a malformed stream.
type errReader struct {
	r   io.Reader
	err error
	eof bool
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof = true
	} else if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

type errWriter struct {
	w   *bufio.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}
