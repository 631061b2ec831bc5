package audio

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/mp3"
	"github.com/aigcmark/aigcmark/label/visible/cue"
)

// compressedCases are inputs encoded by ffmpeg from a generated WAV.
var compressedCases = []struct {
	name, ext string
	rate, ch  int
	args      []string
}{
	{"mp3 128k", ".mp3", 44100, 2, []string{"-c:a", "libmp3lame", "-b:a", "128k"}},
	{"aac m4a 96k", ".m4a", 48000, 2, []string{"-c:a", "aac", "-b:a", "96k"}},
	{"vorbis 112k", ".ogg", 44100, 2, []string{"-c:a", "libvorbis", "-b:a", "112k"}},
	{"opus 64k", ".opus", 48000, 1, []string{"-c:a", "libopus", "-b:a", "64k"}},
	{"flac 16-bit", ".flac", 44100, 2, []string{"-c:a", "flac"}},
	{"flac 24-bit", ".flac", 96000, 1, []string{"-c:a", "flac", "-sample_fmt", "s32"}},
}

// TestCompressed labels files of each codec through ffmpeg and measures the
// output with ffmpeg and ffprobe: same codec, sample format, rate and
// channels, bitrate near the input's, 2.1 s longer, and the decoded first
// seconds hold the cue reading short-long-short-short.
func TestCompressed(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	for _, tc := range compressedCases {
		t.Run(tc.name, func(t *testing.T) {
			bits := 16
			if strings.Contains(tc.name, "24") {
				bits = 24
			}
			src := filepath.Join(dir, tc.name+".wav")
			makeWAV(t, src, wavSpec{tag: 1, bits: bits, rate: tc.rate, channels: tc.ch}, content(tc.rate, tc.ch, 2.5, 5))
			in := filepath.Join(dir, tc.name+tc.ext)
			encodeFF(t, src, in, append(tc.args, "-metadata", "title=Test title")...)
			out := filepath.Join(dir, tc.name+"-out"+tc.ext)
			res, err := Label(context.Background(), in, out, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ip, op := probe(t, in), probe(t, out)
			a, b := ip.FirstOf("audio"), op.FirstOf("audio")
			if a.CodecName != b.CodecName || a.SampleRate != b.SampleRate || a.Channels != b.Channels ||
				a.SampleFmt != b.SampleFmt || a.BitsPerSample != b.BitsPerSample {
				t.Errorf("ffprobe: input %+v\noutput %+v", a, b)
			}
			rateIn, rateOut := bitrate(ip), bitrate(op)
			// The cue is mostly silence, on which ffmpeg's AAC encoder
			// spends fewer bits than asked: allow it more.
			tol := 0.15
			if a.CodecName == "aac" {
				tol = 0.25
			}
			if a.CodecName != "flac" && math.Abs(float64(rateOut-rateIn))/float64(rateIn) > tol {
				t.Errorf("bitrate %d, input %d", rateOut, rateIn)
			}
			if d := op.Duration - ip.Duration; math.Abs(d-2.1) > 0.06 {
				t.Errorf("output %.3f s, input %.3f s: %.3f s longer, want 2.1", op.Duration, ip.Duration, d)
			}
			s := decodeFF(t, out)
			wantCues(t, "decoded output", findCues(t, s[:min(len(s), 3*tc.rate*tc.ch)], tc.rate, tc.ch), 15*time.Millisecond, 0)
			if got, err := Inspect(context.Background(), out); err != nil || len(got) != 1 {
				t.Errorf("Inspect: %v %v", got, err)
			}
			if res.Engine != "ffmpeg" || res.Codec != a.CodecName {
				t.Errorf("result %+v", res)
			}
			if tags := tagsOf(t, out); !strings.Contains(tags, "Test title") {
				t.Errorf("tags not carried over: %s", tags)
			}
			if a.CodecName == "flac" {
				// Lossless: after the cue, the decoded samples are the input's.
				want := decodeFF(t, in)
				got := s[cue.Frames(cue.Duration(), tc.rate)*tc.ch:]
				if len(got) != len(want) || !equal32(got, want) {
					t.Errorf("FLAC content after the cue differs from the input (%d vs %d samples)", len(got), len(want))
				}
			}
		})
	}
}

func equal32(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bitrate is the audio stream's bitrate, or the file's.
func bitrate(info *ffmpeg.Info) int64 {
	if b := info.FirstOf("audio").BitRate; b > 0 {
		return b
	}
	return info.BitRate
}

func tagsOf(t testing.TB, p string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "compact", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestCompressedPlacesAndMix puts cues at the start, middle and end of an
// MP3 and mixes them over an Ogg Vorbis file: found where reported.
func TestCompressedPlacesAndMix(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.wav")
	makeWAV(t, src, wavSpec{tag: 1, bits: 16, rate: 44100, channels: 2}, content(44100, 2, 7, 6))
	for _, tc := range []struct {
		ext  string
		args []string
		mode cue.Mode
	}{
		{".mp3", []string{"-c:a", "libmp3lame", "-b:a", "128k"}, cue.Insert},
		{".ogg", []string{"-c:a", "libvorbis", "-b:a", "128k"}, cue.Mix},
	} {
		in, out := filepath.Join(dir, "in"+tc.ext), filepath.Join(dir, "out"+tc.ext)
		encodeFF(t, src, in, tc.args...)
		res, err := Label(context.Background(), in, out, Options{Places: []cue.Place{cue.Start, cue.Middle, cue.End}, Mode: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		var at []float64
		for _, c := range res.Cues {
			at = append(at, c.At.Seconds())
		}
		s := decodeFF(t, out)
		wantCues(t, tc.ext+" "+tc.mode.String(), findCues(t, s, 44100, 2), 30*time.Millisecond, at...)
		if tc.mode == cue.Mix {
			if d := probe(t, out).Duration - probe(t, in).Duration; math.Abs(d) > 0.06 {
				t.Errorf("%s: mix changed the duration by %.3f s", tc.ext, d)
			}
			if at[2] < 4.8 || at[1] < 2 || at[1] > 3 {
				t.Errorf("%s: mixed cues at %v", tc.ext, at)
			}
		}
	}
}

// TestChainWithMetadataLabel labels an MP3 with the cue, then writes the
// AIGC label with label/mp3: ffprobe reads the TXXX:AIGC tag and the cue is
// still there.
func TestChainWithMetadataLabel(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.wav")
	makeWAV(t, src, wavSpec{tag: 1, bits: 16, rate: 44100, channels: 2}, content(44100, 2, 3, 7))
	in, mid, out := filepath.Join(dir, "in.mp3"), filepath.Join(dir, "mid.mp3"), filepath.Join(dir, "out.mp3")
	encodeFF(t, src, in, "-c:a", "libmp3lame", "-b:a", "128k")
	if _, err := Label(context.Background(), in, mid, Options{}); err != nil {
		t.Fatal(err)
	}
	l := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "cue-test"}
	f, err := os.Open(mid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if err := (mp3.Format{}).Write(&buf, f, l); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(out, buf.Bytes(), 0o644)
	if tags := tagsOf(t, out); !strings.Contains(tags, `AIGC={"Label":"1"`) {
		t.Errorf("ffprobe shows no AIGC tag: %s", tags)
	}
	got, err := Inspect(context.Background(), out)
	if err != nil || len(got) != 1 || got[0].Words() != "short-long-short-short" {
		t.Errorf("cue after labeling: %v %v", got, err)
	}
}

// TestSpokenPrompt inserts the spoken clip in testdata (espeak-ng reading
// "本内容由AI生成", Opus) beside the rhythm in a FLAC and a WAV file: the
// output is longer by the cue, the clip and a lead-out, and speech-band
// energy sits where the clip goes.
func TestSpokenPrompt(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	voice, _ := filepath.Abs("testdata/voice-prompt.opus")
	clip := probe(t, voice).Duration
	src := filepath.Join(dir, "src.wav")
	makeWAV(t, src, wavSpec{tag: 1, bits: 16, rate: 44100, channels: 2}, make([]float32, 44100*2*2))
	flac := filepath.Join(dir, "in.flac")
	encodeFF(t, src, flac, "-c:a", "flac")
	for _, in := range []string{src, flac} {
		out := filepath.Join(dir, "out-"+filepath.Base(in))
		if _, err := Label(context.Background(), in, out, Options{VoicePrompt: voice}); err != nil {
			t.Fatal(err)
		}
		if d := probe(t, out).Duration - probe(t, in).Duration; math.Abs(d-(2.1+clip+0.5)) > 0.05 {
			t.Errorf("%s: %.3f s longer, want %.3f", in, d, 2.1+clip+0.5)
		}
		s := decodeFF(t, out)
		var e float64
		for _, v := range s[int(2.2*44100)*2 : int((2.1+clip-0.1)*44100)*2] {
			e += float64(v) * float64(v)
		}
		if rms := math.Sqrt(e / (clip - 0.2) / 44100 / 2); rms < 0.01 {
			t.Errorf("%s: RMS %.4f where the prompt should speak", in, rms)
		}
	}
}

// TestCompressedBadInput: corrupt input fails with ffmpeg's or ffprobe's
// own message, and no output is left.
func TestCompressedBadInput(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.wav")
	makeWAV(t, src, wavSpec{tag: 1, bits: 16, rate: 44100, channels: 2}, content(44100, 2, 3, 8))
	good := filepath.Join(dir, "good.mp3")
	encodeFF(t, src, good, "-c:a", "libmp3lame", "-b:a", "128k")
	mp3Bytes := mustRead(t, good)
	damaged := append([]byte(nil), mp3Bytes...)
	for i := len(damaged) / 3; i < len(damaged)/3+3000; i++ {
		damaged[i] ^= 0x5a
	}
	for name, tc := range map[string]struct {
		data []byte
		msg  string
	}{
		"garbage.mp3":   {[]byte("this is not audio at all, just text"), "ffprobe: exit status 1: "},
		"damaged.mp3":   {damaged, "ffmpeg"},
		"not-media.mp4": {mustRead(t, fixtures.Path("bad/not-media.mp4")), "ffprobe"},
		"video.mp4":     {mustRead(t, fixtures.Path("mp4/faststart.mp4")), "video stream"},
	} {
		in := filepath.Join(dir, name)
		os.WriteFile(in, tc.data, 0o644)
		out := filepath.Join(dir, "out-"+name)
		_, err := Label(context.Background(), in, out, Options{})
		t.Logf("%s: %v", name, err)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), in) {
			t.Errorf("%s: %v, want an error naming the file with %q", name, err, tc.msg)
		}
		noOutput(t, out)
	}
	_, err := Label(context.Background(), fixtures.Path("mp4/faststart.mp4"), filepath.Join(dir, "v.mp4"), Options{})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("video: %v", err)
	}
}
