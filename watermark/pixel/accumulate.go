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
// scaled to the working size (short side 320 pixels, see videoWorkSide), whitened
// as Detect whitens an image, and added to a running sum: the mark is the
// same in every frame and adds up coherently, moving content does not.
// Analyze then runs Detect's lattice search (plus a search of square
// lattices aligned with the frame, as crops leave them), fold, sync and
// decoding on the sum. After a lossy re-encode the frames do not carry the
// mark alike (an I-frame holds it, the frames predicted from it carry it
// dragged along with the content), so when the sum does not decode,
// Analyze reads a second sum in which each frame is weighted by its own
// correlation with the sync pattern where the first analysis found it; the
// whitened frames are kept (quantised to 8 bits, at most 64 MiB) for that.
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
	// frames are the whitened frames since Reset, quantised, for
	// weighting them by their own evidence; lost tells that some frame
	// was not kept (memory bound, Merge), and only the plain sum is used.
	frames [][]int8
	lost   bool
}

// keepBytes bounds the memory spent on the frames kept for weighting.
const keepBytes = 64 << 20

// quantum is the step of the kept whitened frames (whiten clips at ±2.5).
const quantum = 2.5 / 127

// NewAccumulator returns an empty accumulator for frames of a w×h picture
// (the size the video is stored at, as the mark was embedded).
func NewAccumulator(w, h int) (*Accumulator, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("pixel: frame size %dx%d", w, h)
	}
	if err := checkSize(image.Rect(0, 0, w, h)); err != nil {
		return nil, err
	}
	// Frames are read with a short side of videoWorkSide pixels, where
	// FrameMarker's chip (1/videoChipDiv of the short side) is 2 pixels
	// whatever the size the video was marked at and scaled to since; below
	// 640 pixels, where the chip is held at 4, it is a little more.
	s := math.Min(1, videoWorkSide/float64(min(w, h)))
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
	a.frames = a.frames[:0]
	a.lost = false
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
	a.in.setBytes(y, stride)
	work := whiten(a.in.resize(a.ww, a.wh))
	for i, v := range work.p {
		a.sum.p[i] += v
	}
	a.keep(work.p)
	a.n++
	return nil
}

// keep stores a whitened frame for weighting, within keepBytes.
func (a *Accumulator) keep(p []float32) {
	if a.lost || (len(a.frames)+1)*len(p) > keepBytes {
		a.lost = true
		return
	}
	var q []int8
	if len(a.frames) < cap(a.frames) && len(a.frames[:len(a.frames)+1][len(a.frames)]) == len(p) {
		q = a.frames[:len(a.frames)+1][len(a.frames)]
	} else {
		q = make([]int8, len(p))
	}
	const inv = 1 / quantum
	for i, v := range p {
		x := v * inv
		if x >= 0 {
			x += 0.5
		} else {
			x -= 0.5
		}
		q[i] = int8(max(-127, min(127, x)))
	}
	a.frames = append(a.frames, q)
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
	if b.n > 0 {
		a.lost = true
	}
	return nil
}

// ErrNoFrames is returned by Accumulator.Analyze before any frame was added.
var ErrNoFrames = errors.New("pixel: no frames accumulated")

// Analyze looks for a mark made with key in the frames added so far. Its
// Result.FalseAlarm is the probability for this one call, which counts its
// three lattices and its two analyses (the plain sum and, unless frames
// were merged in or not kept, the weighted one; the weighted one, whose
// weights were chosen with the key, takes no credit for its sync peak and
// is held to its check bits alone); a caller that analyses several accumulators (the segments of a
// video) and reports the best must multiply by their number.
func (a *Accumulator) Analyze(key watermark.Key, opts Options) (Analysis, error) {
	if a.n == 0 {
		return Analysis{}, ErrNoFrames
	}
	work := &plane{w: a.ww, h: a.wh, p: make([]float32, len(a.sum.p))}
	inv := 1 / float32(a.n)
	for i, v := range a.sum.p {
		work.p[i] = v * inv
	}
	ps := []float64{tileChips * videoChipSize(a.w, a.h) * a.s}
	t := newTile(key)
	an := analyzeWork(work, ps, a.s, t, key, opts, true)
	if a.lost || len(a.frames) < 2 {
		return an, nil
	}
	// Second analysis: each frame weighted by its own correlation with
	// the sync pattern where the first analysis found it. The weights are
	// chosen with the key, so this analysis takes no credit for its sync
	// peak: only its check bits count. Both analyses count as tests.
	an.Result = countTests(an.Result, 2, opts)
	if an.Result.Found {
		return an, nil
	}
	wts := syncWeights(a.frames, a.ww, a.wh, an, t)
	if wts == nil {
		return an, nil
	}
	clear(work.p)
	for k, f := range a.frames {
		g := float32(wts[k] * quantum)
		if g == 0 {
			continue
		}
		for i, v := range f {
			work.p[i] += g * float32(v)
		}
	}
	bn := analyzeWork(work, ps, a.s, t, key, opts, true)
	if bn.Result.Found {
		bn.Result.FalseAlarm = decodeAttempts * accLattices * math.Pow(2, -watermark.CheckBits)
	} else {
		bn.Result.FalseAlarm = 1
	}
	bn.Result = countTests(bn.Result, 2, opts)
	// The weighted sync peak is biased towards the key's pattern: the
	// reported z stays the first analysis's.
	bn.SyncZ = an.SyncZ
	if bn.Result.Found {
		return bn, nil
	}
	// Neither: the weighted candidate is the better guess of the bits.
	an.Candidate = bn.Candidate
	return an, nil
}

// countTests multiplies a result's false-alarm probability by the number
// of analyses it was the best of, and withdraws a detection that no longer
// meets the bound.
func countTests(r watermark.Result, n float64, opts Options) watermark.Result {
	r.FalseAlarm = math.Min(1, r.FalseAlarm*n)
	if r.Found && r.FalseAlarm > opts.maxFalseAlarm() {
		r = watermark.Result{Confidence: r.Confidence, FalseAlarm: r.FalseAlarm}
	}
	return r
}

// syncWeights weighs each kept frame by its correlation with the sync
// pattern at the lattice, orientation and offset of an (clipped at 0); nil
// when no frame correlates.
func syncWeights(frames [][]int8, w, h int, an Analysis, t *tile) []float64 {
	const n = foldBins
	tm := renderBins(t.sync)
	pl := newPlane(w, h)
	wts := make([]float64, len(frames))
	any := false
	for k, f := range frames {
		for i, v := range f {
			pl.p[i] = float32(v)
		}
		fo := orient(foldTile(pl, an.v1, an.v2), an.peak.o)
		var c, e float64
		for y := 0; y < n; y++ {
			row := fo[((y+an.peak.dy)%n)*n:]
			for x := 0; x < n; x++ {
				v := row[(x+an.peak.dx)%n]
				c += v * tm[y*n+x]
				e += v * v
			}
		}
		if c > 0 && e > 0 {
			wts[k] = c / e
			any = true
		}
	}
	if !any {
		return nil
	}
	return wts
}
