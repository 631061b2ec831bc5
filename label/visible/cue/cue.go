// Package cue makes and finds the audio explicit label of GB 45438-2025
// clause 5: the "short-long-short-short" tone rhythm, Morse code for "AI"
// (".-" ".."). It works on interleaved float32 sample buffers (full scale
// ±1) and knows no file format and runs no process.
//
// # The cue
//
// The standard fixes the rhythm but not its pitch, timing or level; this
// package chooses, for a cue that is plainly audible on a phone speaker,
// unmistakable as a signal rather than music, and short enough not to annoy:
//
//	pitch          1000 Hz sine (in the 500-4000 Hz band every small speaker
//	               reproduces well, where the ear is most sensitive; the
//	               classic test-tone and Morse sidetone pitch)
//	dot            100 ms (Morse at 12 words a minute: slow enough that every
//	               listener hears the rhythm)
//	dash           300 ms, exactly three dots
//	gaps           100 ms (one dot) between the elements of a letter,
//	               300 ms (three dots) between "A" and "I"
//	level          -12 dBFS peak: clearly audible next to typical programme
//	               material, with headroom left for mixing
//	fades          5 ms raised-cosine fade in and out on every burst, so that
//	               no burst starts or stops with a click (around an edge,
//	               energy 300 Hz or more from the pitch stays 48 dB under
//	               it, 500 Hz or more away 59 dB under; a hard gate
//	               splatters at -24 dB)
//	silence        500 ms before and after (lead-in, lead-out), five dots, so
//	               the rhythm stands apart from content around it
//
// The whole cue lasts 2.1 s: 0.5 s silence, the four bursts over 1.1 s,
// 0.5 s silence. [Generate] renders it at any rate and channel count, the
// same signal in every channel.
//
// # Placing it
//
// A cue goes at the start (the default), the end and/or the middle of the
// audio ([Place]). It is inserted by default ([Insert]): the audio stops, the
// cue plays, the audio resumes where it stopped, so no content is masked and
// every content sample is kept unchanged. [Mix] instead mixes the cue over
// the content, keeping the length; under the cue the content is ducked by
// just enough that the sum never exceeds full scale, and notched at the
// pitch so that the rhythm stays clear of it ([MixOver]). Mix suits audio
// whose length must not change (a soundtrack synchronised with video).
// Inserting in the middle cuts at the quietest moment near the midpoint
// ([SplitPoint]), so the cut does not land in a loud passage.
//
// # Finding it
//
// [Find] (and the streaming [Detector]) locate cues in decoded audio, also
// after lossy coding (MP3, AAC, Vorbis, Opus). The detector follows the
// energy at the pitch with Goertzel filters, 30 ms Hann windows every 5 ms,
// finds bursts that rise well above the local floor of that band and are
// tonal (the band is far stronger than its neighbours at 0.75 and 1.33 times
// the pitch), measures each burst's length between its half-amplitude
// points, groups bursts separated by short gaps, and classifies each burst as
// short or long against the group's shortest. A group of exactly four bursts
// that reads short-long-short-short with Morse spacing is a cue. Continuous
// tones, noise, speech and music do not form such groups.
//
// Specification: GB 45438-2025 clause 5 (audio explicit labels); ITU-R
// M.1677-1 (International Morse code: dash = 3 dots, element gap = 1 dot,
// letter gap = 3 dots).
package cue

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// The cue's parameters (see the package documentation for the reasons).
const (
	Pitch     = 1000.0                 // Hz
	Dot       = 100 * time.Millisecond // a short element
	Dash      = 3 * Dot                // a long element
	SymbolGap = Dot                    // between the elements of a letter
	LetterGap = 3 * Dot                // between "A" and "I"
	LevelDBFS = -12.0                  // peak level of each burst
	Fade      = 5 * time.Millisecond   // raised-cosine fade in and out
	LeadIn    = 5 * Dot                // silence before the first burst
	LeadOut   = 5 * Dot                // silence after the last burst
)

// Limits on the audio the package handles.
const (
	MinRate     = 4000    // the pitch must sit well below the Nyquist frequency
	MaxRate     = 1536000 // 8 × 192 kHz
	MaxChannels = 1024
)

// Amplitude is the peak amplitude of a burst, LevelDBFS as a linear factor.
var Amplitude = float32(math.Pow(10, LevelDBFS/20))

// Morse is the rhythm as Morse code: "A" then "I".
const Morse = ".- .."

// elements are the bursts of Morse, each followed by its gap (the last by
// none).
var elements = []struct {
	on, off time.Duration
}{
	{Dot, SymbolGap}, {Dash, LetterGap}, {Dot, SymbolGap}, {Dot, 0},
}

// Duration is the length of the whole cue, lead-in and lead-out included.
func Duration() time.Duration {
	d := LeadIn + LeadOut
	for _, e := range elements {
		d += e.on + e.off
	}
	return d
}

// ErrFormat is matched (errors.Is) by the errors about a sample rate or
// channel count the package cannot handle.
var ErrFormat = errors.New("cue: unsupported audio format")

// CheckFormat reports whether audio at rate Hz with channels channels can
// carry a cue.
func CheckFormat(rate, channels int) error {
	if rate < MinRate || rate > MaxRate {
		return fmt.Errorf("%w: sample rate %d Hz is outside %d-%d Hz", ErrFormat, rate, MinRate, MaxRate)
	}
	if channels < 1 || channels > MaxChannels {
		return fmt.Errorf("%w: %d channels (1-%d handled)", ErrFormat, channels, MaxChannels)
	}
	return nil
}

// Frames returns the number of frames d lasts at rate Hz, rounded to the
// nearest frame.
func Frames(d time.Duration, rate int) int {
	return int((int64(d)*int64(rate) + int64(time.Second)/2) / int64(time.Second))
}

// Generate renders the cue at rate Hz in channels channels: interleaved
// samples, the same signal in every channel, Frames(Duration(), rate) frames.
func Generate(rate, channels int) ([]float32, error) {
	if err := CheckFormat(rate, channels); err != nil {
		return nil, err
	}
	n := Frames(Duration(), rate)
	out := make([]float32, n*channels)
	fade := Frames(Fade, rate)
	t := LeadIn
	w := 2 * math.Pi * Pitch / float64(rate)
	for _, e := range elements {
		start := Frames(t, rate)
		length := Frames(t+e.on, rate) - start
		for i := 0; i < length; i++ {
			g := 1.0
			switch {
			case i < fade:
				g = 0.5 - 0.5*math.Cos(math.Pi*(float64(i)+0.5)/float64(fade))
			case length-1-i < fade:
				g = 0.5 - 0.5*math.Cos(math.Pi*(float64(length-1-i)+0.5)/float64(fade))
			}
			v := float32(g * float64(Amplitude) * math.Sin(w*float64(i)))
			f := (start + i) * channels
			for c := 0; c < channels; c++ {
				out[f+c] = v
			}
		}
		t += e.on + e.off
	}
	return out, nil
}

// Place is where a cue goes in the audio.
type Place int

// Places.
const (
	Start Place = iota
	Middle
	End
)

func (p Place) String() string {
	switch p {
	case Start:
		return "start"
	case Middle:
		return "middle"
	case End:
		return "end"
	}
	return fmt.Sprintf("Place(%d)", int(p))
}

// ParsePlaces parses a comma-separated list of places ("start,end,middle"),
// in any order, each at most once; "" gives the default, Start. The places
// are returned in time order.
func ParsePlaces(s string) ([]Place, error) {
	if strings.TrimSpace(s) == "" {
		return []Place{Start}, nil
	}
	var seen [3]bool
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "start":
			seen[Start] = true
		case "middle":
			seen[Middle] = true
		case "end":
			seen[End] = true
		default:
			return nil, fmt.Errorf("cue: unknown place %q in %q (use start, middle, end, separated by commas)", strings.TrimSpace(f), s)
		}
	}
	var out []Place
	for p, ok := range seen {
		if ok {
			out = append(out, Place(p))
		}
	}
	return out, nil
}

// Mode is how a cue is combined with the content.
type Mode int

const (
	// Insert plays the cue between two stretches of content, which keeps
	// every content sample and masks nothing; the audio grows by the cue's
	// length at each place. It is the default.
	Insert Mode = iota
	// Mix plays the cue over the content, keeping its length; the content
	// is ducked under the cue so that the sum never clips.
	Mix
)

func (m Mode) String() string {
	switch m {
	case Insert:
		return "insert"
	case Mix:
		return "mix"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "insert" or "mix"; "" gives Insert.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "insert":
		return Insert, nil
	case "mix":
		return Mix, nil
	}
	return 0, fmt.Errorf("cue: unknown mode %q (use insert or mix)", s)
}
