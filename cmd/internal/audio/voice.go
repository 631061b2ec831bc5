package audio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible/cue"
	"github.com/aigcmark/aigcmark/label/wav"
)

// loadVoice returns the voice prompt clip at path as samples at rate Hz in
// channels channels: read natively when it is a PCM WAV file (remixed and
// resampled here), through ffmpeg otherwise. Clips over MaxVoicePrompt are
// refused.
func loadVoice(ctx context.Context, path string, rate, channels int) ([]float32, error) {
	isWAV, err := sniffWAV(path)
	if err != nil {
		return nil, fmt.Errorf("voice prompt: %w", err)
	}
	if isWAV {
		s, err := loadVoiceWAV(path, rate, channels)
		if err == nil {
			return s, nil
		}
		if !isUnsupported(err) {
			return nil, fmt.Errorf("voice prompt %s: %w", path, err)
		}
		// A WAV file with compressed samples (ADPCM, A-law): ffmpeg reads it.
	}
	maxSec := MaxVoicePrompt.Seconds()
	out, err := ffmpeg.Command(ctx, "ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-t", strconv.FormatFloat(maxSec+0.5, 'f', 1, 64),
		"-ac", strconv.Itoa(channels), "-ar", strconv.Itoa(rate), "-c:a", "pcm_f32le", "-f", "f32le", "-").Output()
	if err != nil {
		return nil, fmt.Errorf("voice prompt %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("voice prompt %s: no audio", path)
	}
	if frames := len(out) / 4 / channels; float64(frames) > maxSec*float64(rate) {
		return nil, fmt.Errorf("voice prompt %s is longer than %v", path, MaxVoicePrompt)
	}
	s := make([]float32, len(out)/4)
	wav.SampleFormat{Bytes: 4, Float: true}.Decode(s, out)
	return s, nil
}

func loadVoiceWAV(path string, rate, channels int) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := wav.OpenAudio(f)
	if err != nil {
		return nil, err
	}
	if float64(a.Frames) > MaxVoicePrompt.Seconds()*float64(a.Fmt.Rate) {
		return nil, fmt.Errorf("longer than %v", MaxVoicePrompt)
	}
	if a.Frames == 0 {
		return nil, fmt.Errorf("no audio")
	}
	sr, err := a.Samples()
	if err != nil {
		return nil, err
	}
	s := make([]float32, a.Frames*int64(a.Fmt.Channels))
	for n := 0; n < len(s); {
		k, err := sr.Read(s[n:])
		n += k
		if err == io.EOF {
			s = s[:n]
			break
		}
		if err != nil {
			return nil, err
		}
	}
	s = cue.Resample(s, a.Fmt.Channels, a.Fmt.Rate, rate)
	return cue.Remix(s, a.Fmt.Channels, channels), nil
}

func isUnsupported(err error) bool { return errors.Is(err, label.ErrUnsupported) }
