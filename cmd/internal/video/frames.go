package video

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
)

// FrameOptions tune OpenFrames. The zero value reads every frame.
type FrameOptions struct {
	// Rate keeps at most Rate frames per second: the first frame shown in
	// each 1/Rate-second interval of the stream's timeline, so frames are
	// dropped but never repeated and keep their own timestamps. 0 keeps
	// every frame.
	Rate float64
	// MaxPixels bounds width×height of a frame; 0 means 8192×8192.
	MaxPixels int64
	// Threads limits ffmpeg's threads; 0 lets it choose.
	Threads int
}

// Frames reads the frames of a video's first video stream (cover pictures
// aside) as a viewer sees them: decoded by ffmpeg with the display
// rotation applied, converted to 8-bit RGBA and streamed through a pipe,
// one frame in memory at a time. Open one with OpenFrames, call Next until
// io.EOF, and Close it.
type Frames struct {
	// Width and Height are the displayed frame size ffprobe announces.
	Width, Height int
	// Duration is the stream's (or else the file's) duration in seconds,
	// 0 when unknown.
	Duration float64
	// Expected is about how many frames Next will return (for a progress
	// bar), 0 when unknown.
	Expected int64

	path   string
	parent context.Context
	cancel context.CancelFunc
	dec    *ffmpeg.Cmd
	out    io.ReadCloser
	r      *frameReader
	waited bool
	werr   error
}

// OpenFrames probes the video at path and starts decoding it. Errors name
// path: no video stream, a frame size of zero or over the limit, or what
// ffprobe or ffmpeg said about a file they cannot read.
func OpenFrames(ctx context.Context, path string, o FrameOptions) (*Frames, error) {
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Threads < 0 || o.Threads > 256 || o.MaxPixels < 0 {
		return nil, fmt.Errorf("video: frame options: rate %v, threads %d, max pixels %d", o.Rate, o.Threads, o.MaxPixels)
	}
	limit := o.MaxPixels
	if limit == 0 || limit > maxPixels {
		limit = maxPixels
	}
	info, err := ffmpeg.Probe(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	vs := info.Video()
	if vs == nil {
		return nil, fmt.Errorf("%s: video: no video stream", path)
	}
	w, h := vs.Width, vs.Height
	if r := math.Mod(math.Abs(vs.Rotation), 180); r > 45 && r < 135 {
		w, h = h, w
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%s: video: frames of %d×%d pixels", path, w, h)
	}
	if w > maxSide || h > maxSide || int64(w)*int64(h) > limit {
		return nil, fmt.Errorf("%s: video: frames of %d×%d pixels are over the limit of %d pixels", path, w, h, limit)
	}
	f := &Frames{Width: w, Height: h, Duration: vs.Duration, path: path}
	if f.Duration <= 0 {
		f.Duration = info.Duration
	}
	f.Expected = expectedFrames(vs, f.Duration, o.Rate)

	args := []string{"-v", "error", "-xerror"}
	if o.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(o.Threads))
	}
	args = append(args, "-i", "file:"+path, "-map", "0:"+strconv.Itoa(vs.Index), "-an", "-sn", "-dn")
	if o.Rate > 0 {
		// Keep the first frame of each 1/Rate-second interval.
		r := strconv.FormatFloat(o.Rate, 'g', -1, 64)
		args = append(args, "-vf", `select=isnan(prev_selected_t)+gt(floor(t*`+r+`+1e-6)\,floor(prev_selected_t*`+r+`+1e-6))`)
	}
	args = append(args, "-fps_mode", "passthrough", "-enc_time_base:v", "-1",
		"-pix_fmt", "rgba", "-c:v", "rawvideo", "-f", "nut", "pipe:1")
	var cctx context.Context
	cctx, f.cancel = context.WithCancel(ctx)
	f.parent = ctx
	f.dec = ffmpeg.Command(cctx, "ffmpeg", args...)
	if f.out, err = f.dec.StdoutPipe(); err != nil {
		f.cancel()
		return nil, err
	}
	if err := f.dec.Start(); err != nil {
		f.cancel()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.r = newFrameReader(f.out, limit)
	return f, nil
}

// expectedFrames estimates how many frames a read at rate (0: all) gives.
func expectedFrames(vs *ffmpeg.Stream, dur, rate float64) int64 {
	all := vs.NbFrames
	if all <= 0 {
		if r := ffmpeg.Rate(vs.AvgFrameRate); r > 0 && dur > 0 {
			all = int64(math.Ceil(dur * r))
		}
	}
	if rate <= 0 || dur <= 0 {
		return max(all, 0)
	}
	n := int64(math.Ceil(dur * rate))
	if all > 0 {
		n = min(n, all)
	}
	return n
}

// Next returns the next frame and the time it is shown, in seconds from
// the first frame read. The image is reused by the following call: copy
// what must be kept. After the last frame Next returns io.EOF, or the
// error that ended the decoding (ffmpeg's message for a corrupt or
// truncated file); a video that yields no frame at all is an error too.
func (f *Frames) Next() (float64, *image.RGBA, error) {
	t, img, err := f.r.next()
	if err == nil {
		return t, img, nil
	}
	if err == io.EOF {
		if werr := f.wait(); werr != nil {
			return 0, nil, fmt.Errorf("%s: %w", f.path, werr)
		}
		if f.r.n == 0 {
			return 0, nil, fmt.Errorf("%s: video: ffmpeg decoded no frames", f.path)
		}
		return 0, nil, io.EOF
	}
	// The stream broke. Closing the pipe stops an ffmpeg still writing
	// (on a broken pipe); one that had stopped by itself says why.
	f.out.Close()
	werr := f.wait()
	if cerr := f.parent.Err(); cerr != nil {
		err = cerr
	} else if werr != nil && !strings.Contains(werr.Error(), "Broken pipe") {
		err = werr
	}
	return 0, nil, fmt.Errorf("%s: %w", f.path, err)
}

// Frames returns the number of frames read so far.
func (f *Frames) Frames() int { return f.r.n }

func (f *Frames) wait() error {
	if !f.waited {
		f.waited = true
		f.werr = f.dec.Wait()
	}
	return f.werr
}

// Close stops the decoder (when frames are left unread) and releases it.
func (f *Frames) Close() {
	f.out.Close()
	f.cancel()
	f.wait()
}

// frameReader reads the decoder's NUT stream of RGBA frames.
type frameReader struct {
	nut   *nutReader
	limit int64
	img   *image.RGBA
	pts0  int64
	n     int
}

func newFrameReader(r io.Reader, limit int64) *frameReader {
	return &frameReader{nut: newNUTReader(bufio.NewReaderSize(r, 1<<20), io.Discard), limit: limit}
}

// next reads one frame: its time from the first frame, in seconds.
func (fr *frameReader) next() (float64, *image.RGBA, error) {
	f, err := fr.nut.Next()
	if err != nil {
		return 0, nil, err
	}
	s := fr.nut.streams[f.Stream]
	if f.Stream != 0 || s.class != 0 {
		return 0, nil, fmt.Errorf("%w: frame in stream %d of class %d; expected video frames in stream 0", errNUT, f.Stream, s.class)
	}
	if int64(s.width)*int64(s.height) > fr.limit {
		return 0, nil, fmt.Errorf("%w: frames of %d×%d are over the limit of %d pixels", errNUT, s.width, s.height, fr.limit)
	}
	if fr.img == nil || fr.img.Rect.Dx() != s.width || fr.img.Rect.Dy() != s.height {
		if fr.img != nil {
			return 0, nil, fmt.Errorf("%w: frame size changed from %d×%d to %d×%d", errNUT,
				fr.img.Rect.Dx(), fr.img.Rect.Dy(), s.width, s.height)
		}
		if f.Size != int64(s.width)*int64(s.height)*4 {
			return 0, nil, fmt.Errorf("%w: frame of %d bytes; expected %d×%d RGBA", errNUT, f.Size, s.width, s.height)
		}
		fr.img = image.NewRGBA(image.Rect(0, 0, s.width, s.height))
	}
	if f.Size != int64(len(fr.img.Pix)) {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes; expected %d×%d RGBA", errNUT, f.Size, s.width, s.height)
	}
	if err := fr.nut.Payload(fr.img.Pix); err != nil {
		return 0, nil, err
	}
	if fr.n == 0 {
		fr.pts0 = f.PTS
	}
	fr.n++
	return ptsDuration(f.PTS-fr.pts0, s.tbNum, s.tbDen).Seconds(), fr.img, nil
}
