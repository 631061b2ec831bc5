package audio

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/visible/cue"
	"github.com/aigcmark/aigcmark/label/wav"
)

// wavSpec describes a test WAV file.
type wavSpec struct {
	tag            int // 1, 3 or 0xFFFE
	bits           int
	float          bool
	rate, channels int
	sec            float64
}

// content is deterministic programme material: two tones under a slow
// tremolo plus a little noise, peak about 0.6, different in every channel.
func content(rate, channels int, sec float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 9))
	n := int(sec * float64(rate))
	s := make([]float32, n*channels)
	for i := range n {
		t := float64(i) / float64(rate)
		am := 0.6 + 0.4*math.Sin(2*math.Pi*1.3*t)
		for c := range channels {
			v := 0.3*math.Sin(2*math.Pi*(220+30*float64(c))*t) + 0.15*math.Sin(2*math.Pi*1700*t+float64(c))
			s[i*channels+c] = float32(am*v + 0.02*(2*r.Float64()-1))
		}
	}
	return s
}

// fmtData returns the data of a fmt chunk for spec.
func fmtData(w wavSpec) []byte {
	bytesPer := (w.bits + 7) / 8
	align := bytesPer * w.channels
	b := binary.LittleEndian.AppendUint16(nil, uint16(w.tag))
	b = binary.LittleEndian.AppendUint16(b, uint16(w.channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(w.rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(w.rate*align))
	b = binary.LittleEndian.AppendUint16(b, uint16(align))
	b = binary.LittleEndian.AppendUint16(b, uint16(8*bytesPer))
	if w.tag == wav.TagExtensible {
		sub := uint16(wav.TagPCM)
		if w.float {
			sub = wav.TagFloat
		}
		b = binary.LittleEndian.AppendUint16(b, 22)
		b = binary.LittleEndian.AppendUint16(b, uint16(w.bits))
		b = binary.LittleEndian.AppendUint32(b, uint32(1<<w.channels-1))
		b = binary.LittleEndian.AppendUint16(b, sub)
		b = append(b, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
	}
	return b
}

// Extra chunks every test file carries around its data chunk.
var (
	listChunk = riff.AppendChunk(nil, "LIST", append([]byte("INFO"), riff.AppendChunk(nil, "INAM", []byte("Test title\x00"))...))
	bextChunk = riff.AppendChunk(nil, "bext", append([]byte("made by the audio tests"), make([]byte, 579)...))
	oddChunk  = riff.AppendChunk(nil, "zzz ", []byte("odd"))
	tailChunk = riff.AppendChunk(nil, "xtra", []byte("after the data"))
)

// makeWAV writes a WAV file of spec holding s: fmt, LIST, bext, an odd
// unknown chunk, fact (for float), data, and a chunk after the data.
func makeWAV(t testing.TB, path string, w wavSpec, s []float32) []byte {
	t.Helper()
	sf := wav.SampleFormat{Bytes: (w.bits + 7) / 8, Float: w.float}
	data := make([]byte, len(s)*sf.Bytes)
	sf.Encode(data, s)
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	b = riff.AppendChunk(b, "fmt ", fmtData(w))
	b = append(b, listChunk...)
	b = append(b, bextChunk...)
	b = append(b, oddChunk...)
	if w.float {
		b = riff.AppendChunk(b, "fact", binary.LittleEndian.AppendUint32(nil, uint32(len(s)/w.channels)))
	}
	b = riff.AppendChunk(b, "data", data)
	b = append(b, tailChunk...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// chunks splits a RIFF file into its chunks (id → raw bytes, in order),
// independently of package riff.
func chunks(t testing.TB, b []byte) (ids []string, raw map[string][]byte) {
	t.Helper()
	if len(b) < 12 || int(binary.LittleEndian.Uint32(b[4:]))+8 != len(b) {
		t.Fatalf("RIFF size field does not match the file size %d", len(b))
	}
	raw = map[string][]byte{}
	for p := 12; p < len(b); {
		n := int(binary.LittleEndian.Uint32(b[p+4:]))
		end := min(p+8+n+n%2, len(b))
		id := string(b[p : p+4])
		ids = append(ids, id)
		raw[id] = b[p:end]
		p = end
	}
	return ids, raw
}

// samplesOf decodes the data chunk of a WAV file natively.
func samplesOf(t testing.TB, b []byte) (wav.Fmt, []float32, []byte) {
	t.Helper()
	a, err := wav.OpenAudio(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_, raw := chunks(t, b)
	data := raw["data"][8 : 8+a.Frames*int64(a.Fmt.BlockAlign)]
	s := make([]float32, len(data)/a.Fmt.Sample.Bytes)
	a.Fmt.Sample.Decode(s, data)
	return a.Fmt, s, data
}

// decodeFF decodes the audio of the file at p with ffmpeg to float32 at its
// own rate and channels.
func decodeFF(t testing.TB, p string) []float32 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", p, "-map", "0:a:0", "-c:a", "pcm_f32le", "-f", "f32le", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decoding %s: %v", p, err)
	}
	s := make([]float32, len(out)/4)
	wav.SampleFormat{Bytes: 4, Float: true}.Decode(s, out)
	return s
}

// encodeFF encodes the WAV file src with ffmpeg args into dst.
func encodeFF(t testing.TB, src, dst string, args ...string) {
	t.Helper()
	a := append([]string{"-nostdin", "-v", "error", "-y", "-i", src}, args...)
	if out, err := exec.Command("ffmpeg", append(a, dst)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg encoding %s: %v\n%s", dst, err, out)
	}
}

func probe(t testing.TB, p string) *ffmpeg.Info {
	t.Helper()
	info, err := ffmpeg.Probe(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// findCues runs the detector over s.
func findCues(t testing.TB, s []float32, rate, channels int) []cue.Group {
	t.Helper()
	g, err := cue.Find(s, rate, channels)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// wantCues checks that gs are cues reading short-long-short-short whose
// first bursts start at the times at (seconds, the cue's lead-in
// included), within tol.
func wantCues(t testing.TB, what string, gs []cue.Group, tol time.Duration, at ...float64) {
	t.Helper()
	if len(gs) != len(at) {
		t.Fatalf("%s: %d cues %v, want %d at %v s", what, len(gs), gs, len(at), at)
	}
	for i, g := range gs {
		if g.Words() != "short-long-short-short" {
			t.Errorf("%s: cue %d reads %s", what, i, g.Words())
		}
		want := time.Duration((at[i] + cue.LeadIn.Seconds()) * float64(time.Second))
		if d := g.Start() - want; d < -tol || d > tol {
			t.Errorf("%s: cue %d at %v, want %v", what, i, g.Start(), want)
		}
	}
}

// noOutput fails unless nothing but the input is in the folder of out.
func noOutput(t testing.TB, out string) {
	t.Helper()
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s exists after a failure", out)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range ents {
		if strings.Contains(e.Name(), "aigcmark-tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
