package audio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
	"github.com/aigcmark/aigcmark/label/wav"
)

// codec is how ffmpeg re-encodes one input codec.
type codec struct {
	encoder  string
	lossless bool
}

// codecs are the input codecs labeled through ffmpeg, by ffprobe's name.
var codecs = map[string]codec{
	"mp3":    {encoder: "libmp3lame"},
	"aac":    {encoder: "aac"},
	"vorbis": {encoder: "libvorbis"},
	"opus":   {encoder: "libopus"},
	"flac":   {encoder: "flac", lossless: true},
	"alac":   {encoder: "alac", lossless: true},
}

// coverArt are the video codecs of attached pictures (album art), which are
// copied; any other video stream makes the file a video.
var coverArt = map[string]bool{"mjpeg": true, "png": true, "bmp": true, "gif": true, "webp": true}

// target is what the ffmpeg path decodes from and encodes to.
type target struct {
	codec   codec
	name    string // ffprobe's codec name
	pipe    pcm
	muxer   string
	bitrate int64
	bits    int // bits per raw sample of a lossless input
	layout  string
	frames  int64 // estimated from the duration
	cover   bool
}

// describe probes the file at p and decides how to re-encode it.
func describe(ctx context.Context, p string) (target, error) {
	info, err := ffmpeg.Probe(ctx, p)
	if err != nil {
		return target{}, err
	}
	var t target
	var a *ffmpeg.Stream
	for i := range info.Streams {
		s := &info.Streams[i]
		switch s.CodecType {
		case "audio":
			if a == nil {
				a = s
			}
		case "video":
			if !coverArt[s.CodecName] {
				return target{}, fmt.Errorf("%w: it has a %s video stream (label it as a video)", ErrUnsupported, s.CodecName)
			}
			t.cover = true
		}
	}
	if a == nil {
		return target{}, fmt.Errorf("%w: no audio stream (ffprobe reads it as %s)", ErrUnsupported, info.FormatName)
	}
	c, ok := codecs[a.CodecName]
	if !ok {
		return target{}, fmt.Errorf("%w: audio codec %q (MP3, AAC, Vorbis, Opus, FLAC and ALAC are re-encoded)", ErrUnsupported, a.CodecName)
	}
	if a.SampleRate <= 0 || a.Channels <= 0 {
		return target{}, fmt.Errorf("%w: ffprobe gives no sample rate or channel count", ErrUnsupported)
	}
	t.codec, t.name, t.layout = c, a.CodecName, a.ChannelLayout
	t.pipe = pcm{sample: wav.SampleFormat{Bytes: 4, Float: true}, channels: a.Channels, rate: a.SampleRate}
	if c.lossless {
		t.bits = a.BitsPerSample
		if t.bits > 0 && t.bits <= 16 {
			t.pipe.sample = wav.SampleFormat{Bytes: 2}
		} else {
			t.pipe.sample = wav.SampleFormat{Bytes: 4}
		}
	}
	t.bitrate = a.BitRate
	if t.bitrate == 0 {
		t.bitrate = info.BitRate
	}
	d := a.Duration
	if d == 0 {
		d = info.Duration
	}
	t.frames = int64(d * float64(a.SampleRate))
	switch {
	case strings.Contains(info.FormatName, "mp4") || strings.Contains(info.FormatName, "m4a"):
		t.muxer = "mp4"
		if e := strings.ToLower(filepath.Ext(p)); e == ".m4a" || e == ".m4b" {
			t.muxer = "ipod"
		}
	case info.FormatName == "mp3", info.FormatName == "flac", info.FormatName == "ogg":
		t.muxer = info.FormatName
	default:
		return target{}, fmt.Errorf("%w: container %q (MP3, FLAC, M4A/MP4 and Ogg are written)", ErrUnsupported, info.FormatName)
	}
	return t, nil
}

// rawFormat is ffmpeg's name for the pipe's raw format: "f32le", "s16le"…
func (t target) rawFormat() string { return t.pipe.sample.String() + "le" }

// labelFFmpeg labels a compressed file: ffmpeg decodes it to raw PCM on a
// pipe, splice adds the cue, and a second ffmpeg encodes the result with
// the input's codec, bitrate, rate and channels into a temporary file
// beside outPath, copying the input's tags and cover art.
func labelFFmpeg(ctx context.Context, inPath, outPath string, opts Options) (Result, error) {
	if err := ffmpeg.Available(); err != nil {
		return Result{}, err
	}
	t, err := describe(ctx, inPath)
	if err != nil {
		return Result{}, err
	}
	p := t.pipe
	b, err := block(ctx, opts, p.rate, p.channels)
	if err != nil {
		return Result{}, err
	}
	st, err := os.Stat(inPath)
	if err != nil {
		return Result{}, err
	}
	out, err := safewrite.Create(outPath, st.Mode().Perm())
	if err != nil {
		return Result{}, err
	}
	defer out.Discard()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dec := ffmpeg.Command(ctx, "ffmpeg", "-v", "error", "-xerror", "-i", inPath, "-map", "0:a:0",
		"-c:a", "pcm_"+t.rawFormat(), "-f", t.rawFormat(), "-")
	decOut, err := dec.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	enc := ffmpeg.Command(ctx, "ffmpeg", t.encodeArgs(inPath, out.Name())...)
	encIn, err := enc.StdinPipe()
	if err != nil {
		return Result{}, err
	}
	if err := dec.Start(); err != nil {
		return Result{}, err
	}
	if err := enc.Start(); err != nil {
		cancel()
		dec.Wait()
		return Result{}, err
	}
	w := bufio.NewWriterSize(encIn, 1<<20)
	s, spliceErr := splice(ctx, w, bufio.NewReaderSize(decOut, 1<<20), p, t.frames, b, opts.Places, opts.Mode)
	if spliceErr == nil {
		spliceErr = w.Flush()
	}
	if spliceErr != nil {
		cancel() // stop both processes; their errors would only say so
	}
	encIn.Close()
	io.Copy(io.Discard, decOut)
	decErr := dec.Wait()
	encErr := enc.Wait()
	switch {
	case spliceErr != nil && !isPipeErr(spliceErr):
		return Result{}, spliceErr
	case decErr != nil:
		return Result{}, fmt.Errorf("decoding: %w", decErr)
	case encErr != nil:
		return Result{}, fmt.Errorf("encoding: %w", encErr)
	case spliceErr != nil:
		return Result{}, spliceErr
	}
	if err := out.Commit(false); err != nil {
		return Result{}, err
	}
	return Result{Engine: "ffmpeg", Codec: t.name, Rate: p.rate, Channels: p.channels,
		InFrames: s.in, OutFrames: s.out, Cues: s.cues}, nil
}

// isPipeErr reports whether err is a write to an encoder that has exited,
// whose own error then says why.
func isPipeErr(err error) bool {
	return errors.Is(err, os.ErrClosed) || strings.Contains(err.Error(), "broken pipe") || errors.Is(err, io.ErrClosedPipe)
}

// encodeArgs are the encoder's arguments: raw PCM on stdin, the input file
// again for its tags and cover art, the output written to path.
func (t target) encodeArgs(inPath, path string) []string {
	p := t.pipe
	args := []string{"-v", "error", "-f", t.rawFormat(), "-ar", strconv.Itoa(p.rate), "-ac", strconv.Itoa(p.channels)}
	if t.layout != "" {
		args = append(args, "-channel_layout", t.layout)
	}
	args = append(args, "-i", "pipe:0", "-i", inPath, "-map", "0:a")
	if t.cover {
		args = append(args, "-map", "1:v", "-c:v", "copy")
	}
	args = append(args, "-map_metadata", "1", "-map_metadata:s:a:0", "1:s:a:0", "-map_chapters", "-1",
		"-c:a", t.codec.encoder, "-ar", strconv.Itoa(p.rate), "-ac", strconv.Itoa(p.channels))
	if t.codec.lossless {
		if t.bits > 16 {
			args = append(args, "-sample_fmt", "s32", "-bits_per_raw_sample", strconv.Itoa(t.bits))
		}
	} else if t.bitrate > 0 {
		args = append(args, "-b:a", strconv.FormatInt(t.bitrate, 10))
	}
	if t.muxer == "mp4" || t.muxer == "ipod" {
		// Tags as mdta keys in moov/udta/meta, where the AIGC key then
		// goes too; without the flag ffmpeg drops custom tags.
		args = append(args, "-movflags", "+use_metadata_tags")
	}
	return append(args, "-f", t.muxer, "-y", path)
}
