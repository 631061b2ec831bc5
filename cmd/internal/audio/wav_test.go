package audio

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/visible/cue"
)

var wavSpecs = []struct {
	name string
	spec wavSpec
}{
	{"u8 mono 8 kHz", wavSpec{tag: 1, bits: 8, rate: 8000, channels: 1, sec: 2}},
	{"s16 stereo 44.1 kHz", wavSpec{tag: 1, bits: 16, rate: 44100, channels: 2, sec: 2}},
	{"s24 extensible 5.1 48 kHz", wavSpec{tag: 0xFFFE, bits: 24, rate: 48000, channels: 6, sec: 1.5}},
	{"s24 mono 11025 Hz (odd data)", wavSpec{tag: 1, bits: 24, rate: 11025, channels: 1, sec: 1.0001}},
	{"s32 stereo 96 kHz", wavSpec{tag: 1, bits: 32, rate: 96000, channels: 2, sec: 1}},
	{"f32 stereo 48 kHz", wavSpec{tag: 3, bits: 32, float: true, rate: 48000, channels: 2, sec: 2}},
	{"f32 extensible 3 ch 22050 Hz", wavSpec{tag: 0xFFFE, bits: 32, float: true, rate: 22050, channels: 3, sec: 1}},
	{"f64 mono 16 kHz", wavSpec{tag: 3, bits: 64, float: true, rate: 16000, channels: 1, sec: 1}},
}

// TestWAVInsertStart labels WAV files of every sample format and checks the
// output: same fmt chunk, every other chunk byte for byte in order, fact
// updated, the cue in the first seconds reading short-long-short-short, and
// after it the input's samples exactly; ffprobe agrees on the format.
func TestWAVInsertStart(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range wavSpecs {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.spec
			in, out := filepath.Join(dir, tc.name+".wav"), filepath.Join(dir, tc.name+"-out.wav")
			inBytes := makeWAV(t, in, w, content(w.rate, w.channels, w.sec, 1))
			res, err := Label(context.Background(), in, out, Options{})
			if err != nil {
				t.Fatal(err)
			}
			outBytes, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			inIDs, inRaw := chunks(t, inBytes)
			outIDs, outRaw := chunks(t, outBytes)
			if strings.Join(inIDs, "|") != strings.Join(outIDs, "|") {
				t.Fatalf("chunks %v, then %v", inIDs, outIDs)
			}
			for _, id := range inIDs {
				if id != "data" && id != "fact" && !bytes.Equal(inRaw[id], outRaw[id]) {
					t.Errorf("chunk %q changed", id)
				}
			}
			f, s, data := samplesOf(t, outBytes)
			_, _, inData := samplesOf(t, inBytes)
			cueFrames := cue.Frames(cue.Duration(), w.rate)
			if got, want := len(data), len(inData)+cueFrames*f.BlockAlign; got != want {
				t.Fatalf("data of %d bytes, want input %d + cue %d", got, len(inData), cueFrames*f.BlockAlign)
			}
			if !bytes.Equal(data[cueFrames*f.BlockAlign:], inData) {
				t.Errorf("the samples after the cue differ from the input's")
			}
			if fact, ok := outRaw["fact"]; ok {
				if got := int(fact[8]) | int(fact[9])<<8 | int(fact[10])<<16; got != len(data)/f.BlockAlign {
					t.Errorf("fact says %d frames, data holds %d", got, len(data)/f.BlockAlign)
				}
			}
			head := s[:min(len(s), 3*w.rate*w.channels)]
			wantCues(t, "output", findCues(t, head, w.rate, w.channels), 10*time.Millisecond, 0)
			if res.OutFrames != int64(len(data)/f.BlockAlign) || len(res.Cues) != 1 || res.Cues[0].At != 0 {
				t.Errorf("result %+v", res)
			}
			if _, err := os.Stat(ffmpegPath()); err == nil && w.bits != 64 {
				ip, op := probe(t, in), probe(t, out)
				a, b := ip.FirstOf("audio"), op.FirstOf("audio")
				if a.CodecName != b.CodecName || a.SampleRate != b.SampleRate || a.Channels != b.Channels || a.SampleFmt != b.SampleFmt {
					t.Errorf("ffprobe: input %+v, output %+v", a, b)
				}
			}
		})
	}
}

func ffmpegPath() string {
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if p := filepath.Join(d, "ffprobe"); fileExists(p) {
			return p
		}
	}
	return "/nonexistent"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestWAVPlaces inserts cues at the start, middle and end: they are found
// at the places reported, and removing them gives back the input samples.
func TestWAVPlaces(t *testing.T) {
	dir := t.TempDir()
	w := wavSpec{tag: 1, bits: 16, rate: 32000, channels: 2, sec: 8}
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	src := content(w.rate, w.channels, w.sec, 2)
	// A pause 0.3 s before the midpoint: the middle cue goes there.
	pause := int(3.7 * float64(w.rate))
	for i := pause * 2; i < (pause+w.rate/50)*2; i++ {
		src[i] = 0
	}
	inBytes := makeWAV(t, in, w, src)
	places, _ := cue.ParsePlaces("end,start,middle")
	res, err := Label(context.Background(), in, out, Options{Places: places})
	if err != nil {
		t.Fatal(err)
	}
	outBytes, _ := os.ReadFile(out)
	f, s, data := samplesOf(t, outBytes)
	_, _, inData := samplesOf(t, inBytes)
	var at []float64
	for _, c := range res.Cues {
		at = append(at, c.At.Seconds())
	}
	if len(at) != 3 || at[0] != 0 || math.Abs(at[1]-(2.1+3.7)) > 0.025 || math.Abs(at[2]-(4.2+8)) > 0.001 {
		t.Errorf("cues reported at %v s, want 0, about 5.8 (the pause), 12.2", at)
	}
	wantCues(t, "output", findCues(t, s, w.rate, w.channels), 10*time.Millisecond, at...)
	// Cut the three blocks out: the input remains.
	cf := cue.Frames(cue.Duration(), w.rate) * f.BlockAlign
	var rest []byte
	prev := 0
	for _, c := range res.Cues {
		p := int(math.Round(c.At.Seconds()*float64(w.rate))) * f.BlockAlign
		rest = append(rest, data[prev:p]...)
		prev = p + cf
	}
	rest = append(rest, data[prev:]...)
	if !bytes.Equal(rest, inData) {
		t.Errorf("the output without its cues differs from the input (%d vs %d bytes)", len(rest), len(inData))
	}
}

// TestWAVMix mixes cues over full-scale content at the start and end: the
// length is kept, nothing under the cues reaches full scale, the content
// elsewhere is untouched, and both cues are found.
func TestWAVMix(t *testing.T) {
	dir := t.TempDir()
	w := wavSpec{tag: 1, bits: 16, rate: 44100, channels: 2, sec: 6}
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	src := content(w.rate, w.channels, w.sec, 3)
	for i := range src { // drive it to full scale
		src[i] = float32(math.Max(-1, math.Min(1, float64(src[i])*3)))
	}
	inBytes := makeWAV(t, in, w, src)
	res, err := Label(context.Background(), in, out, Options{Places: []cue.Place{cue.Start, cue.End}, Mode: cue.Mix})
	if err != nil {
		t.Fatal(err)
	}
	outBytes, _ := os.ReadFile(out)
	_, s, data := samplesOf(t, outBytes)
	_, in16, inData := samplesOf(t, inBytes)
	if len(data) != len(inData) {
		t.Fatalf("mix changed the length: %d bytes, was %d", len(data), len(inData))
	}
	var rails int
	for _, v := range in16 {
		if v >= 32767.0/32768 || v <= -1 {
			rails++
		}
	}
	if rails == 0 {
		t.Fatal("the test content never reaches full scale")
	}
	// From the first burst to the end of the last (0.5-1.6 s into each
	// block) the sum stays under full scale.
	cf := cue.Frames(cue.Duration(), w.rate) * w.channels
	b0, b1 := cue.Frames(cue.LeadIn, w.rate)*w.channels, cue.Frames(1600*time.Millisecond, w.rate)*w.channels
	for _, at := range []int{0, len(s) - cf} {
		if p := cue.Peak(s[at+b0 : at+b1]); p > 0.99 {
			t.Errorf("peak %.4f under a mixed cue", p)
		}
	}
	if !bytes.Equal(data[cf*2:len(data)-cf*2], inData[cf*2:len(inData)-cf*2]) {
		t.Error("content between the cues changed")
	}
	wantCues(t, "output", findCues(t, s, w.rate, w.channels), 10*time.Millisecond, 0, w.sec-2.1)
	if res.Cues[1].At != time.Duration((w.sec-2.1)*float64(time.Second)) {
		t.Errorf("end cue reported at %v", res.Cues[1].At)
	}

	short := filepath.Join(dir, "short.wav")
	makeWAV(t, short, wavSpec{tag: 1, bits: 16, rate: 8000, channels: 1}, content(8000, 1, 3, 1))
	_, err = Label(context.Background(), short, filepath.Join(dir, "short-out.wav"), Options{Places: []cue.Place{cue.Start, cue.End}, Mode: cue.Mix})
	if !errors.Is(err, ErrTooShort) {
		t.Errorf("3 s of audio, two mixed cues: %v", err)
	}
	noOutput(t, filepath.Join(dir, "short-out.wav"))
}

// toneClip is a stand-in voice prompt: 0.8 s of a 600 Hz tone.
func toneClip(rate, channels int) []float32 {
	s := make([]float32, int(0.8*float64(rate))*channels)
	for i := range len(s) / channels {
		v := float32(0.4 * math.Sin(2*math.Pi*600*float64(i)/float64(rate)))
		for c := range channels {
			s[i*channels+c] = v
		}
	}
	return s
}

// TestWAVVoicePrompt inserts a WAV voice prompt (22050 Hz mono, converted
// to the target's 48 kHz stereo 24-bit) beside and instead of the rhythm.
func TestWAVVoicePrompt(t *testing.T) {
	dir := t.TempDir()
	voice := filepath.Join(dir, "voice.wav")
	makeWAV(t, voice, wavSpec{tag: 1, bits: 16, rate: 22050, channels: 1}, toneClip(22050, 1))
	w := wavSpec{tag: 1, bits: 24, rate: 48000, channels: 2, sec: 2}
	in := filepath.Join(dir, "in.wav")
	inBytes := makeWAV(t, in, w, content(w.rate, w.channels, w.sec, 4))
	_, _, inData := samplesOf(t, inBytes)
	for _, tc := range []struct {
		name     string
		noRhythm bool
		voiceAt  float64 // where the prompt starts, seconds
		cues     int
	}{{"beside", false, 2.1, 1}, {"instead", true, 0.5, 0}} {
		out := filepath.Join(dir, tc.name+".wav")
		if _, err := Label(context.Background(), in, out, Options{VoicePrompt: voice, NoRhythm: tc.noRhythm}); err != nil {
			t.Fatal(err)
		}
		outBytes, _ := os.ReadFile(out)
		f, s, data := samplesOf(t, outBytes)
		if f.Sample.Bytes != 3 || f.Channels != 2 || f.Rate != 48000 {
			t.Errorf("%s: output format %+v", tc.name, f)
		}
		voiceFrames := int(0.8 * 48000)
		blockFrames := int(tc.voiceAt*48000) + voiceFrames + cue.Frames(cue.LeadOut, 48000)
		if want := len(inData) + blockFrames*6; len(data) != want {
			t.Errorf("%s: %d bytes of data, want %d", tc.name, len(data), want)
		}
		if !bytes.Equal(data[len(data)-len(inData):], inData) {
			t.Errorf("%s: content after the prompt changed", tc.name)
		}
		// The prompt's 600 Hz tone, at its level, where it should be.
		mid := s[int((tc.voiceAt+0.2)*48000)*2 : int((tc.voiceAt+0.6)*48000)*2]
		var e float64
		for _, v := range mid {
			e += float64(v) * float64(v)
		}
		if rms := math.Sqrt(e / float64(len(mid))); math.Abs(rms-0.4/math.Sqrt2) > 0.01 {
			t.Errorf("%s: prompt RMS %.4f, want %.4f", tc.name, rms, 0.4/math.Sqrt2)
		}
		if got := findCues(t, s, 48000, 2); len(got) != tc.cues {
			t.Errorf("%s: %d cues", tc.name, len(got))
		}
	}
	if _, err := Label(context.Background(), in, filepath.Join(dir, "x.wav"), Options{NoRhythm: true}); err == nil {
		t.Error("no rhythm and no prompt accepted")
	}
}

// TestWAVBadInput: corrupt or unsupported WAV input fails with a typed
// error naming the file, and leaves no output.
func TestWAVBadInput(t *testing.T) {
	dir := t.TempDir()
	good := makeWAV(t, filepath.Join(dir, "good.wav"), wavSpec{tag: 1, bits: 16, rate: 8000, channels: 1}, content(8000, 1, 1, 1))
	truncated := append([]byte(nil), good[:len(good)-len(tailChunk)-500]...)
	adpcm := append([]byte(nil), good...)
	adpcm[20] = 2
	for name, b := range map[string][]byte{
		"truncated data": truncated,
		"huge chunk":     mustRead(t, fixtures.Path("bad/huge-chunk.wav")),
		"ADPCM":          adpcm,
		"no data":        good[:36+len(listChunk)],
	} {
		in := filepath.Join(dir, name+".wav")
		os.WriteFile(in, b, 0o644)
		out := filepath.Join(dir, name+"-out.wav")
		_, err := Label(context.Background(), in, out, Options{})
		var fe *label.FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), in) {
			t.Errorf("%s: %v, want a *label.FormatError naming the file", name, err)
		}
		noOutput(t, out)
	}
	if _, err := Label(context.Background(), filepath.Join(dir, "missing.wav"), filepath.Join(dir, "m.wav"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing input: %v", err)
	}
	low := filepath.Join(dir, "low.wav")
	makeWAV(t, low, wavSpec{tag: 1, bits: 16, rate: 2000, channels: 1}, content(2000, 1, 1, 1))
	if _, err := Label(context.Background(), low, filepath.Join(dir, "low-out.wav"), Options{}); !errors.Is(err, cue.ErrFormat) {
		t.Errorf("2 kHz input: %v", err)
	}
}

func mustRead(t testing.TB, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWAVCancel stops a labeling run through its context.
func TestWAVCancel(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	makeWAV(t, in, wavSpec{tag: 1, bits: 16, rate: 8000, channels: 1}, content(8000, 1, 4, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(dir, "out.wav")
	if _, err := Label(ctx, in, out, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	noOutput(t, out)
}
