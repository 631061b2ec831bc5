package video

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/watermark"
	"github.com/aigcmark/aigcmark/watermark/pixel"
)

// A LumaMarker adds an invisible watermark to the luma plane of one frame
// after another, in place: y holds 8-bit samples, rows stride bytes apart;
// fullRange tells 0–255 from 16–235 samples. *pixel.FrameMarker is one.
type LumaMarker interface {
	MarkLuma(y []byte, stride int, fullRange bool) error
}

// PixelWatermark returns an Options.Watermark that marks every frame with
// the watermark/pixel mark carrying payload under key: the same pattern
// pixel.Embed draws on an image of the frame's size, so pixel.Detect reads
// a single frame and DetectVideo reads the video.
func PixelWatermark(key watermark.Key, payload watermark.Payload, opts pixel.Options) func(w, h int) (LumaMarker, error) {
	return func(w, h int) (LumaMarker, error) {
		return pixel.NewFrameMarker(w, h, key, payload, opts)
	}
}

// DefaultSegment is the stretch of video DetectVideo decodes on its own.
const DefaultSegment = 2 * time.Second

// DetectOptions tune DetectVideo. The zero value reads every frame in
// segments of DefaultSegment with pixel's default false-alarm bound.
type DetectOptions struct {
	// Segment is the length of the segments analysed on their own; 0
	// means DefaultSegment.
	Segment time.Duration
	// Step reads every Step-th frame only (0 or 1: every frame).
	Step int
	// Threads limits ffmpeg's threads; 0 lets it choose.
	Threads int
	// Pixel sets the false-alarm bound a segment and the whole video are
	// held to (Pixel.MaxFalseAlarm; 0 means pixel.DefaultMaxFalseAlarm).
	Pixel pixel.Options
}

// A Segment is the detection result for one stretch of video.
type Segment struct {
	// Start and End delimit the segment on the video's timeline, from its
	// first frame: Start is the first frame read, End the segment's end or,
	// for the last one, the end of its last frame.
	Start, End time.Duration
	Frames     int // frames read in it
	// Result is the segment analysed alone; its FalseAlarm is the
	// probability for one segment (the Detection's counts all of them).
	Result watermark.Result
	// SyncZ is the z-score of the strongest synchronisation peak.
	SyncZ float64
	// Candidate is the payload the segment decoded to even when its check
	// failed (for bit accuracy in benchmarks; never a detection).
	Candidate watermark.Payload
}

// Detection is what DetectVideo found.
type Detection struct {
	// Result is the verdict for the whole video: the payload most segments
	// (or, failing them, all frames together) decoded, the mean confidence
	// of those analyses, and a FalseAlarm bound that counts every analysis
	// made (the segments and the whole video), so Found is held to the
	// same bound as a single image.
	watermark.Result
	// Segments are the per-segment results, in order.
	Segments []Segment
	// Whole is the analysis of all the frames read together.
	Whole watermark.Result
	// Agreeing is how many segments found the reported payload.
	Agreeing int
	// Width and Height are the stored frame size; Frames the frames read.
	Width, Height int
	Frames        int
}

// DetectVideo looks for the watermark/pixel mark made with key in the
// video at path. ffmpeg decodes the first video stream's frames as
// stored (no autorotation) to 8-bit luma, scaled to the detector's working
// size; the frames of each segment are accumulated (pixel.Accumulator) and
// analysed together, and so are all frames. It returns
// watermark.ErrNotFound (with the measured Detection) when the video as a
// whole carries no mark at the false-alarm bound, watermark.ErrTooSmall
// for frames under pixel.MinSide.
func DetectVideo(ctx context.Context, path string, key watermark.Key, opts DetectOptions) (Detection, error) {
	var d Detection
	seg := opts.Segment
	if seg == 0 {
		seg = DefaultSegment
	}
	if seg < 0 || opts.Step < 0 || opts.Threads < 0 || opts.Threads > 256 {
		return d, fmt.Errorf("video: detect options: segment %v, step %d, threads %d", seg, opts.Step, opts.Threads)
	}
	step := max(opts.Step, 1)
	info, err := ffmpeg.Probe(ctx, path)
	if err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	vs := info.Video()
	if vs == nil {
		return d, fmt.Errorf("%s: video: no video stream", path)
	}
	if vs.Width <= 0 || vs.Height <= 0 || vs.Width > maxSide || vs.Height > maxSide || vs.Width*vs.Height > maxPixels {
		return d, fmt.Errorf("%s: video: frames of %d×%d pixels", path, vs.Width, vs.Height)
	}
	d.Width, d.Height = vs.Width, vs.Height
	cur, err := pixel.NewAccumulator(vs.Width, vs.Height)
	if err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	whole, _ := pixel.NewAccumulator(vs.Width, vs.Height)
	ww, wh := cur.WorkSize()

	args := []string{"-v", "error", "-noautorotate"}
	if opts.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(opts.Threads))
	}
	args = append(args, "-i", "file:"+path, "-map", "0:"+strconv.Itoa(vs.Index), "-an", "-sn", "-dn",
		"-fps_mode", "passthrough", "-enc_time_base:v", "-1")
	vf := ""
	if step > 1 {
		vf = `select=not(mod(n\,` + strconv.Itoa(step) + `)),`
	}
	// Area averaging when shrinking, like the detector's own resampling.
	vf += fmt.Sprintf("scale=%d:%d:flags=area,format=gray", ww, wh)
	args = append(args, "-vf", vf, "-pix_fmt", "gray", "-c:v", "rawvideo", "-f", "nut", "pipe:1")

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dec := ffmpeg.Command(cctx, "ffmpeg", args...)
	out, err := dec.StdoutPipe()
	if err != nil {
		return d, err
	}
	if err := dec.Start(); err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	rerr := d.read(out, cur, whole, seg, opts.Pixel, key)
	if rerr != nil {
		cancel()
	}
	werr := dec.Wait()
	if err := firstErr(ctx.Err(), rerr, werr); err != nil {
		if rerr != nil && werr != nil {
			err = werr // ffmpeg's message says why the stream broke
		}
		return d, fmt.Errorf("%s: %w", path, err)
	}
	if d.Frames == 0 {
		return d, fmt.Errorf("%s: video: ffmpeg decoded no frames", path)
	}
	d.combine(whole, key, opts.Pixel)
	if !d.Found {
		return d, watermark.ErrNotFound
	}
	return d, nil
}

// read consumes the decoder's NUT stream of work-size grey frames,
// analysing each segment as it closes.
func (d *Detection) read(r io.Reader, cur, whole *pixel.Accumulator, seg time.Duration, po pixel.Options, key watermark.Key) error {
	nut := newNUTReader(bufio.NewReaderSize(r, 1<<20), io.Discard)
	ww, wh := cur.WorkSize()
	frame := make([]byte, ww*wh)
	var (
		pts0     int64
		index    = int64(-1) // segment of the frames in cur
		first    time.Duration
		last     time.Duration
		interval time.Duration // last frame-to-frame step
	)
	closeSeg := func(end time.Duration) error {
		if cur.Frames() == 0 {
			return nil
		}
		a, err := cur.Analyze(key, po)
		if err != nil {
			return err
		}
		d.Segments = append(d.Segments, Segment{Start: first, End: end, Frames: cur.Frames(), Result: a.Result, SyncZ: a.SyncZ, Candidate: a.Candidate})
		if err := whole.Merge(cur); err != nil {
			return err
		}
		cur.Reset()
		return nil
	}
	for {
		f, err := nut.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		s := nut.streams[f.Stream]
		if f.Stream != 0 || s.class != 0 || s.width != ww || s.height != wh || f.Size != int64(len(frame)) {
			return fmt.Errorf("%w: frame of %d bytes in stream %d (%d×%d); expected %d×%d grey frames", errNUT, f.Size, f.Stream, s.width, s.height, ww, wh)
		}
		if err := nut.Payload(frame); err != nil {
			return err
		}
		if d.Frames == 0 {
			pts0 = f.PTS
		}
		t := ptsDuration(f.PTS-pts0, s.tbNum, s.tbDen)
		if d.Frames > 0 && t > last {
			interval = t - last
		}
		last = t
		i := int64(t / seg)
		if i != index {
			if err := closeSeg(time.Duration(index+1) * seg); err != nil {
				return err
			}
			index, first = i, t
		}
		if err := cur.AddLuma(frame, ww, wh, ww); err != nil {
			return err
		}
		d.Frames++
	}
	return closeSeg(min(time.Duration(index+1)*seg, last+interval))
}

// ptsDuration converts a timestamp difference in a num/den time base.
func ptsDuration(v, num, den int64) time.Duration {
	if den <= 0 {
		return 0
	}
	s := float64(v) * float64(num) / float64(den)
	if s <= 0 || math.IsNaN(s) {
		return 0
	}
	return time.Duration(math.Min(s, 1e9) * float64(time.Second))
}

// combine sets the verdict for the whole video from the segments and the
// analysis of all frames. Every analysis is a test: the reported
// false-alarm probability is the best one found times their number.
func (d *Detection) combine(whole *pixel.Accumulator, key watermark.Key, po pixel.Options) {
	maxFA := po.MaxFalseAlarm
	if maxFA <= 0 {
		maxFA = pixel.DefaultMaxFalseAlarm
	}
	tests := float64(len(d.Segments))
	results := make([]watermark.Result, 0, len(d.Segments)+1)
	for _, s := range d.Segments {
		results = append(results, s.Result)
	}
	if len(d.Segments) > 1 {
		if a, err := whole.Analyze(key, po); err == nil {
			d.Whole = a.Result
			results = append(results, a.Result)
			tests++
		}
	} else if len(d.Segments) == 1 {
		d.Whole = d.Segments[0].Result
	}
	type vote struct {
		n, segs int
		minFA   float64
		conf    float64
	}
	votes := map[watermark.Payload]*vote{}
	bestFA := 1.0
	for i, r := range results {
		bestFA = math.Min(bestFA, r.FalseAlarm)
		if !r.Found {
			continue
		}
		v := votes[r.Payload]
		if v == nil {
			v = &vote{minFA: 1}
			votes[r.Payload] = v
		}
		v.n++
		if i < len(d.Segments) {
			v.segs++
		}
		v.minFA = math.Min(v.minFA, r.FalseAlarm)
		v.conf += r.Confidence
	}
	var win *vote
	var wp watermark.Payload
	for p, v := range votes {
		if win == nil || v.segs > win.segs || v.segs == win.segs && v.minFA < win.minFA {
			win, wp = v, p
		}
	}
	if win == nil {
		d.Result = watermark.Result{FalseAlarm: math.Min(1, tests*bestFA)}
		return
	}
	fa := math.Min(1, tests*win.minFA)
	d.Result = watermark.Result{Found: fa <= maxFA, Payload: wp, Confidence: win.conf / float64(win.n), FalseAlarm: fa}
	if !d.Found {
		d.Payload = watermark.Payload{}
	}
	d.Agreeing = win.segs
}
