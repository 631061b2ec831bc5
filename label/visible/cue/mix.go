package cue

import (
	"math"
	"time"
)

// duckRamp is how long the content takes to go to its ducked and notched
// form at the start of a mixed block, and back at its end.
const duckRamp = 20 * time.Millisecond

// headroom is kept between a mixed sum's largest possible peak and full
// scale, so that rounding to integer samples never reaches the rails.
const headroom = 0.01

// Peak returns the largest absolute sample value in s.
func Peak(s []float32) float32 {
	var p float32
	for _, v := range s {
		if v < 0 {
			v = -v
		}
		if v > p {
			p = v
		}
	}
	return p
}

// MixOver returns content with block mixed over it: both interleaved with
// channels channels at rate Hz, block no longer than content (a longer block
// is cut). Over the span of block the content is
//
//   - ducked by just enough that the sum stays at or under 0.99 of full
//     scale: the gain is (1 - Peak(block) - 0.01), divided by the notched
//     content's peak when that exceeds 1. The mix never clips; content
//     louder than full scale (possible in float files) is never made louder;
//   - notched at the pitch (two cascaded notch filters, Q 1: -34 dB within
//     67 Hz of the pitch, -3 dB at 500 Hz, -8 dB at 1500 Hz), so that the cue's band holds
//     only the cue, its lead-in and lead-out silences included: content with
//     energy near 1 kHz cannot fill the gaps or mask the bursts, and the cue
//     stays detectable. A 1 kHz tone at -12 dBFS masks that band anyway.
//
// Both changes fade in and out over 20 ms at the ends of block (in the cue's
// silences). Content beyond the block is returned unchanged. Neither input
// is modified.
func MixOver(content, block []float32, channels, rate int) []float32 {
	out := append([]float32(nil), content...)
	if channels < 1 || len(block) == 0 || rate <= 0 {
		return out
	}
	frames := min(len(content), len(block)) / channels
	ramp := max(Frames(duckRamp, rate), 1)
	ramp = min(ramp, frames/2)
	// d is how far the change has gone: 1 inside, a raised-cosine ramp over
	// the first and last ramp frames.
	d := func(f int) float64 {
		if e := min(f, frames-1-f); e < ramp {
			return 0.5 - 0.5*math.Cos(math.Pi*(float64(e)+0.5)/float64(ramp))
		}
		return 1
	}
	// First the notched content, crossfaded in and out, and its peak: taking
	// out the band can raise the peaks of clipped content a little.
	notches := make([][2]biquad, channels)
	for c := range notches {
		notches[c] = [2]biquad{newNotch(Pitch, 1, rate), newNotch(Pitch, 1, rate)}
	}
	y := make([]float32, frames*channels)
	var peakY float32
	for f := 0; f < frames; f++ {
		df := d(f)
		for c := 0; c < channels; c++ {
			i := f*channels + c
			x := float64(content[i])
			n := notches[c][1].step(notches[c][0].step(x))
			y[i] = float32((1-df)*x + df*n)
			peakY = max(peakY, abs32(y[i]))
		}
	}
	// Then the duck: g·|y| + |block| ≤ 1 - headroom wherever the gain is g.
	g := max(1-Peak(block[:frames*channels])-headroom, 0) / max(peakY, 1)
	for f := 0; f < frames; f++ {
		gain := float32(1 - d(f)*float64(1-g))
		for c := 0; c < channels; c++ {
			i := f*channels + c
			v := gain*y[i] + block[i]
			// The bound holds by construction where the block sounds; the
			// clamp only guards the ramps (where the block is silent and
			// the notch may overshoot) and content over full scale.
			if lim := max(1-headroom, abs32(content[i])); v > lim {
				v = lim
			} else if v < -lim {
				v = -lim
			}
			out[i] = v
		}
	}
	return out
}

// biquad is a second-order IIR filter (direct form I).
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

// newNotch returns a notch filter at f Hz with quality q (RBJ audio EQ
// cookbook).
func newNotch(f, q float64, rate int) biquad {
	w := 2 * math.Pi * f / float64(rate)
	alpha := math.Sin(w) / (2 * q)
	a0 := 1 + alpha
	return biquad{b0: 1 / a0, b1: -2 * math.Cos(w) / a0, b2: 1 / a0, a1: -2 * math.Cos(w) / a0, a2: (1 - alpha) / a0}
}

func (b *biquad) step(x float64) float64 {
	y := b.b0*x + b.b1*b.x1 + b.b2*b.x2 - b.a1*b.y1 - b.a2*b.y2
	b.x2, b.x1 = b.x1, x
	b.y2, b.y1 = b.y1, y
	return y
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// SplitPoint returns the frame of window (interleaved, channels channels, at
// rate Hz) where an inserted cue cuts the content least audibly: the
// quietest sample, summed over channels, within the quietest 10 ms of the
// window. Ties go to the frame nearest the window's centre.
func SplitPoint(window []float32, channels, rate int) int {
	if channels < 1 {
		return 0
	}
	frames := len(window) / channels
	if frames == 0 {
		return 0
	}
	level := func(f int) float64 {
		var s float64
		for c := 0; c < channels; c++ {
			s += math.Abs(float64(window[f*channels+c]))
		}
		return s
	}
	centre := frames / 2
	dist := func(f int) int {
		if f < centre {
			return centre - f
		}
		return f - centre
	}
	block := max(Frames(10*time.Millisecond, rate), 1)
	best, bestE := 0, math.Inf(1)
	for b := 0; b < frames; b += block {
		var e float64
		end := min(b+block, frames)
		for f := b; f < end; f++ {
			e += level(f) * level(f)
		}
		e /= float64(end - b)
		if e < bestE || (e == bestE && dist(b+(end-b)/2) < dist(best+block/2)) {
			best, bestE = b, e
		}
	}
	split, splitL := best, math.Inf(1)
	for f := best; f < min(best+block, frames); f++ {
		if l := level(f); l < splitL || (l == splitL && dist(f) < dist(split)) {
			split, splitL = f, l
		}
	}
	return split
}

// Remix returns s (interleaved, from channels) with to channels: unchanged
// when the counts agree, otherwise the channels' average in every output
// channel.
func Remix(s []float32, from, to int) []float32 {
	if from == to || from < 1 || to < 1 {
		return append([]float32(nil), s...)
	}
	frames := len(s) / from
	out := make([]float32, frames*to)
	for f := 0; f < frames; f++ {
		var sum float32
		for c := 0; c < from; c++ {
			sum += s[f*from+c]
		}
		sum /= float32(from)
		for c := 0; c < to; c++ {
			out[f*to+c] = sum
		}
	}
	return out
}

// resampleZeros is the number of zero crossings of the sinc kernel on each
// side of a resampled point.
const resampleZeros = 16

// Resample returns s (interleaved, channels channels) converted from rate
// from to rate to with a Blackman-windowed sinc interpolator whose cut-off
// sits at 95 % of the lower Nyquist frequency. It is meant for short clips
// such as voice prompts: it costs about 64 multiplications per output
// sample and input ratio.
func Resample(s []float32, channels, from, to int) []float32 {
	if from == to || channels < 1 || from <= 0 || to <= 0 {
		return append([]float32(nil), s...)
	}
	in := len(s) / channels
	out := int(int64(in) * int64(to) / int64(from))
	res := make([]float32, out*channels)
	ratio := float64(from) / float64(to)
	cut := 0.95 * math.Min(1, 1/ratio) // cut-off as a fraction of the input Nyquist
	half := float64(resampleZeros) / cut
	for o := 0; o < out; o++ {
		x := float64(o) * ratio
		lo := max(int(math.Ceil(x-half)), 0)
		hi := min(int(math.Floor(x+half)), in-1)
		for c := 0; c < channels; c++ {
			var acc, wsum float64
			for i := lo; i <= hi; i++ {
				d := float64(i) - x
				k := cut * sinc(cut*d) * blackman(d/half)
				acc += k * float64(s[i*channels+c])
				wsum += k
			}
			if wsum != 0 {
				acc /= wsum // DC gain 1, at the clip's edges too
			}
			res[o*channels+c] = float32(acc)
		}
	}
	return res
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the Blackman window over [-1, 1].
func blackman(t float64) float64 {
	if t <= -1 || t >= 1 {
		return 0
	}
	return 0.42 + 0.5*math.Cos(math.Pi*t) + 0.08*math.Cos(2*math.Pi*t)
}
