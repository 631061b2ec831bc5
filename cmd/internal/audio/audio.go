// Package audio puts the audio explicit label of GB 45438-2025 clause 5
// into audio files: the "short-long-short-short" rhythm of
// label/visible/cue and/or a spoken prompt clip, at the start, the middle
// and/or the end, inserted (the default) or mixed over the content.
//
// WAV files are read and written natively (label/wav, label/riff): the output
// has the input's fmt chunk byte for byte, every other chunk copied in its
// place, the content samples copied unchanged around inserted cues, and
// memory independent of the file's length. MP3, FLAC, M4A/AAC, Ogg Vorbis
// and Opus go through ffmpeg: decoded to PCM over a pipe, the cue inserted or
// mixed in a bounded buffer, and re-encoded with the same codec at the
// input's bitrate, sample rate and channels.
//
// The AIGC metadata label is not written here: the caller writes it
// afterwards with the label/<container> package of the output.
package audio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aigcmark/aigcmark/label/visible/cue"
	"github.com/aigcmark/aigcmark/label/wav"
)

// Options says which cue goes where. The zero value inserts the rhythm at
// the start.
type Options struct {
	Places      []cue.Place // where; nil means the start
	Mode        cue.Mode    // Insert (default) or Mix
	VoicePrompt string      // a spoken prompt clip (any format ffmpeg reads; WAV natively), played after the rhythm
	NoRhythm    bool        // leave the rhythm out: the voice prompt instead of it
}

// MaxVoicePrompt bounds the length of a voice prompt clip.
const MaxVoicePrompt = 30 * time.Second

// Result describes a labeled file.
type Result struct {
	Engine    string // "wav" (native) or "ffmpeg"
	Codec     string // "pcm_s16le", "mp3", "aac", …
	Rate      int
	Channels  int
	InFrames  int64 // frames read (for ffmpeg, as decoded)
	OutFrames int64 // frames written
	Cues      []Placed
}

// Placed is one cue block in the output.
type Placed struct {
	Place  cue.Place
	At     time.Duration // where the block (its lead-in silence) starts in the output
	Length time.Duration
}

// Errors callers branch on.
var (
	// ErrTooShort: in mix mode the audio cannot hold the cues side by side.
	ErrTooShort = errors.New("audio too short to mix the cue over it (use insert mode)")
	// ErrUnsupported: a file this package cannot label (no audio stream,
	// a video stream, a codec without an encoder).
	ErrUnsupported = errors.New("unsupported audio file")
)

// Label writes to outPath the audio of inPath with the cue of opts. It
// writes through a temporary file beside outPath, renamed only when
// complete: on any error nothing is left at outPath (an existing file
// there is kept). WAV files are handled natively; other files need ffmpeg.
func Label(ctx context.Context, inPath, outPath string, opts Options) (Result, error) {
	if opts.NoRhythm && opts.VoicePrompt == "" {
		return Result{}, errors.New("audio: nothing to add: the rhythm is off and no voice prompt is given")
	}
	if len(opts.Places) == 0 {
		opts.Places = []cue.Place{cue.Start}
	}
	isWAV, err := sniffWAV(inPath)
	if err != nil {
		return Result{}, err
	}
	var res Result
	if isWAV {
		res, err = labelWAV(ctx, inPath, outPath, opts)
	} else {
		res, err = labelFFmpeg(ctx, inPath, outPath, opts)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", inPath, err)
	}
	return res, nil
}

// sniffWAV reports whether the file at p starts like a WAV file.
func sniffWAV(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 12)
	n, _ := f.Read(head)
	return (wav.Format{}).Sniff(head[:n]), nil
}

// block returns the samples inserted or mixed at each place: the cue
// (with its lead-in and lead-out silences), then the voice prompt and a
// lead-out silence; or, without the rhythm, the voice prompt between the
// two silences.
func block(ctx context.Context, opts Options, rate, channels int) ([]float32, error) {
	if err := cue.CheckFormat(rate, channels); err != nil {
		return nil, err
	}
	var b []float32
	if !opts.NoRhythm {
		c, err := cue.Generate(rate, channels)
		if err != nil {
			return nil, err
		}
		b = c
	} else {
		b = make([]float32, cue.Frames(cue.LeadIn, rate)*channels)
	}
	if opts.VoicePrompt != "" {
		v, err := loadVoice(ctx, opts.VoicePrompt, rate, channels)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
		b = append(b, make([]float32, cue.Frames(cue.LeadOut, rate)*channels)...)
	}
	return b, nil
}
