package audio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
	"github.com/aigcmark/aigcmark/label/wav"
)

// labelWAV labels a WAV file natively.
func labelWAV(ctx context.Context, inPath, outPath string, opts Options) (Result, error) {
	in, err := os.Open(inPath)
	if err != nil {
		return Result{}, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return Result{}, err
	}
	a, err := wav.OpenAudio(in)
	if err != nil {
		return Result{}, err
	}
	p := pcm{sample: a.Fmt.Sample, channels: a.Fmt.Channels, rate: a.Fmt.Rate}
	b, err := block(ctx, opts, p.rate, p.channels)
	if err != nil {
		return Result{}, err
	}
	frames := plan(a.Frames, len(b)/p.channels, opts.Places, opts.Mode)
	out, err := safewrite.Create(outPath, st.Mode().Perm())
	if err != nil {
		return Result{}, err
	}
	defer out.Discard()
	w := bufio.NewWriterSize(out, 1<<20)
	var s *splicer
	err = a.Rewrite(w, frames, func(dst io.Writer, src io.Reader) error {
		var err error
		s, err = splice(ctx, dst, src, p, a.Frames, b, opts.Places, opts.Mode)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return Result{}, err
	}
	if err := out.Commit(false); err != nil {
		return Result{}, err
	}
	return Result{Engine: "wav", Codec: codecName(a.Fmt), Rate: p.rate, Channels: p.channels,
		InFrames: s.in, OutFrames: s.out, Cues: s.cues}, nil
}

// codecName is ffmpeg's name for the WAV sample format: "pcm_s16le", …
func codecName(f wav.Fmt) string {
	return fmt.Sprintf("pcm_%sle", f.Sample)
}
