package audio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/label/visible/cue"
	"github.com/aigcmark/aigcmark/label/wav"
)

// Inspect decodes the audio of the file at path (WAV natively, anything
// else through ffmpeg) and returns the cues found in it, in time order,
// measured from the samples. Memory does not grow with the file beyond the
// detector's few values per 5 ms.
func Inspect(ctx context.Context, path string) ([]cue.Group, error) {
	isWAV, err := sniffWAV(path)
	if err != nil {
		return nil, err
	}
	if isWAV {
		g, err := inspectWAV(ctx, path)
		if err == nil || !isUnsupported(err) {
			return g, err
		}
	}
	return inspectFFmpeg(ctx, path)
}

func inspectWAV(ctx context.Context, path string) ([]cue.Group, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := wav.OpenAudio(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d, err := cue.NewDetector(a.Fmt.Rate, a.Fmt.Channels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sr, err := a.Samples()
	if err != nil {
		return nil, err
	}
	buf := make([]float32, 16384*a.Fmt.Channels)
	for {
		n, err := sr.Read(buf)
		d.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return d.Cues(), nil
}

func inspectFFmpeg(ctx context.Context, path string) ([]cue.Group, error) {
	info, err := ffmpeg.Probe(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	a := info.FirstOf("audio")
	if a == nil {
		return nil, fmt.Errorf("%s: %w: no audio stream", path, ErrUnsupported)
	}
	channels := min(a.Channels, cue.MaxChannels)
	d, err := cue.NewDetector(a.SampleRate, channels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := ffmpeg.Command(ctx, "ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-ac", strconv.Itoa(channels),
		"-c:a", "pcm_f32le", "-f", "f32le", "-")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(out, 1<<16)
	raw := make([]byte, 1<<16)
	s := make([]float32, len(raw)/4)
	f32 := wav.SampleFormat{Bytes: 4, Float: true}
	var readErr error
	for {
		n, err := io.ReadFull(r, raw)
		k := f32.Decode(s, raw[:n])
		d.Write(s[:k])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			cancel()
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("%s: decoding: %w", path, err)
	}
	if readErr != nil {
		return nil, readErr
	}
	return d.Cues(), nil
}
