package pixel

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/aigcmark/aigcmark/watermark"
)

// An Accumulator combines the evidence of many frames of one video before
// a single synchronisation and decoding, so that a few seconds of video
// yield the payload where a single frame is too noisy. Each frame's luma is
// scaled to the detector's working size (short side 512 pixels), whitened
// as Detect whitens an image, and added to a running sum: the mark is the
// same in every frame and adds up coherently, moving content does not.
// Analyze then runs Detect's lattice search, fold, sync and decoding on the
// sum, and states the false-alarm probability of that one analysis.
//
// Frames may be added at the picture size or, already scaled by the
// caller (an ffmpeg scale filter is much cheaper than Go), at WorkSize.
// The zero value is not usable; build one with NewAccumulator.
type Accumulator struct {
	w, h   int     // picture size
	s      float64 // work scale
	ww, wh int     // work size
	sum    *plane
	n      int
	in     *plane // scratch: one frame as floats
}

// NewAccumulator returns an empty accumulator for frames of a w×h picture
// (the size the video is stored at, as the mark was embedded).
func NewAccumulator(w, h int) (*Accumulator, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("pixel: frame size %dx%d", w, h)
	}
	if err := checkSize(image.Rect(0, 0, w, h)); err != nil {
		return nil, err
	}
	s := math.Min(1, workSide/float64(min(w, h)))
	a := &Accumulator{w: w, h: h, s: s,
		ww: max(1, int(math.Round(float64(w)*s))),
		wh: max(1, int(math.Round(float64(h)*s)))}
	a.sum = newPlane(a.ww, a.wh)
	return a, nil
}

// WorkSize is the size frames are analysed at: AddLuma also accepts
// frames already scaled to it.
func (a *Accumulator) WorkSize() (w, h int) { return a.ww, a.wh }

// Size is the picture size the accumulator was built for.
func (a *Accumulator) Size() (w, h int) { return a.w, a.h }

// Frames is the number of frames added since the last Reset.
func (a *Accumulator) Frames() int { return a.n }

// Reset empties the accumulator.
func (a *Accumulator) Reset() {
	clear(a.sum.p)
	a.n = 0
}

// AddLuma adds one frame: an 8-bit luma plane of w×h samples, rows stride
// bytes apart, at the picture size or at WorkSize.
func (a *Accumulator) AddLuma(y []byte, w, h, stride int) error {
	if !(w == a.w && h == a.h) && !(w == a.ww && h == a.wh) {
		return fmt.Errorf("pixel: frame of %dx%d, the accumulator takes %dx%d or %dx%d", w, h, a.w, a.h, a.ww, a.wh)
	}
	if stride < w {
		return fmt.Errorf("pixel: luma stride %d under the frame width %d", stride, w)
	}
	if need := (h-1)*stride + w; len(y) < need {
		return fmt.Errorf("pixel: luma plane of %d bytes, a %dx%d plane with stride %d needs %d", len(y), w, h, stride, need)
	}
	if a.in == nil || a.in.w != w || a.in.h != h {
		a.in = newPlane(w, h)
	}
	for yy := 0; yy < h; yy++ {
		o := a.in.p[yy*w : (yy+1)*w]
		for x, v := range y[yy*stride : yy*stride+w] {
			o[x] = float32(v)
		}
	}
	work := whiten(a.in.resize(a.ww, a.wh))
	for i, v := range work.p {
		a.sum.p[i] += v
	}
	a.n++
	return nil
}

// Merge adds the frames of b (built for the same picture size) to a.
func (a *Accumulator) Merge(b *Accumulator) error {
	if a.w != b.w || a.h != b.h {
		return fmt.Errorf("pixel: merging an accumulator of %dx%d into one of %dx%d", b.w, b.h, a.w, a.h)
	}
	for i, v := range b.sum.p {
		a.sum.p[i] += v
	}
	a.n += b.n
	return nil
}

// ErrNoFrames is returned by Accumulator.Analyze before any frame was added.
var ErrNoFrames = errors.New("pixel: no frames accumulated")

// Analyze looks for a mark made with key in the frames added so far. Its
// Result.FalseAlarm is the probability for this one analysis; a caller
// that analyses several accumulators (the segments of a video) and reports
// the best must multiply by their number.
func (a *Accumulator) Analyze(key watermark.Key, opts Options) (Analysis, error) {
	if a.n == 0 {
		return Analysis{}, ErrNoFrames
	}
	work := &plane{w: a.ww, h: a.wh, p: make([]float32, len(a.sum.p))}
	inv := 1 / float32(a.n)
	for i, v := range a.sum.p {
		work.p[i] = v * inv
	}
	return analyzeWork(work, tileChips*chipSize(a.w, a.h)*a.s, a.s, newTile(key), key, opts), nil
}
