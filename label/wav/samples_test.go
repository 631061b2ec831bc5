package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// TestSampleFormatExact decodes and re-encodes every 8- and 16-bit value,
// 24-bit values across the range, and float32 bit patterns: each comes back
// bit for bit. 32-bit integers keep 24 bits; out-of-range floats clip.
func TestSampleFormatExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		f   SampleFormat
		raw []byte
	}{
		{SampleFormat{Bytes: 1}, func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()},
		{SampleFormat{Bytes: 2}, func() []byte {
			b := make([]byte, 2<<16)
			for i := range 1 << 16 {
				binary.LittleEndian.PutUint16(b[2*i:], uint16(i))
			}
			return b
		}()},
		{SampleFormat{Bytes: 3}, func() []byte {
			b := []byte{0, 0, 0x80, 0xff, 0xff, 0x7f, 1, 0, 0, 0xff, 0xff, 0xff}
			for range 10000 {
				b = append(b, byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
			}
			return b
		}()},
		{SampleFormat{Bytes: 4, Float: true}, func() []byte {
			var b []byte
			for range 10000 {
				v := math.Float32bits(float32(r.NormFloat64()))
				b = binary.LittleEndian.AppendUint32(b, v)
			}
			return b
		}()},
		{SampleFormat{Bytes: 8, Float: true}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.25))},
	} {
		n := len(tc.raw) / tc.f.Bytes
		s := make([]float32, n)
		if got := tc.f.Decode(s, tc.raw); got != n {
			t.Fatalf("%v: decoded %d of %d", tc.f, got, n)
		}
		for i, v := range s {
			if !tc.f.Float && (v < -1 || v >= 1) {
				t.Fatalf("%v: sample %d decodes to %v", tc.f, i, v)
			}
		}
		back := make([]byte, len(tc.raw))
		tc.f.Encode(back, s)
		if !bytes.Equal(back, tc.raw) {
			t.Errorf("%v: decode then encode changed the bytes", tc.f)
		}
	}
	s16 := SampleFormat{Bytes: 2}
	b := make([]byte, 8)
	s16.Encode(b, []float32{1.5, -1.5, float32(math.NaN()), 1})
	if got := []int16{int16(binary.LittleEndian.Uint16(b)), int16(binary.LittleEndian.Uint16(b[2:])),
		int16(binary.LittleEndian.Uint16(b[4:])), int16(binary.LittleEndian.Uint16(b[6:]))}; got[0] != 32767 || got[1] != -32768 || got[2] != 0 || got[3] != 32767 {
		t.Errorf("clipping: %v", got)
	}
	s32 := SampleFormat{Bytes: 4}
	s32.Encode(b, []float32{-1, 0.5})
	if binary.LittleEndian.Uint32(b) != 0x80000000 || binary.LittleEndian.Uint32(b[4:]) != 0x40000000 {
		t.Errorf("s32: % x", b)
	}
}

func TestParseFmt(t *testing.T) {
	data := func(c []byte) []byte { return c[8:] }
	ext := func(valid, tag int, tail []byte) []byte {
		return cat(le16(valid), le32(3), le16(tag), tail)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want string // Sample.String(), or the error
	}{
		{"pcm16", data(fmtChunk(1, 2, 44100, 16, nil)), "s16"},
		{"u8", data(fmtChunk(1, 1, 8000, 8, nil)), "u8"},
		{"pcm24 extensible", data(fmtChunk(0xfffe, 2, 48000, 24, extensible24)), "s24"},
		{"float32 with cbSize 0", data(fmtChunk(3, 2, 22050, 32, []byte{})), "f32"},
		{"float64", data(fmtChunk(3, 1, 22050, 64, nil)), "f64"},
		{"float extensible", data(fmtChunk(0xfffe, 2, 48000, 32, ext(32, 3, subformatTail))), "f32"},
		{"12 bits in 16", cat(le16(1), le16(1), le32(8000), le32(16000), le16(2), le16(12)), "s16"},
		{"ADPCM", data(fmtChunk(2, 1, 8000, 4, nil)), "unsupported: format tag 0x0002"},
		{"A-law extensible", data(fmtChunk(0xfffe, 1, 8000, 8, ext(8, 6, subformatTail))), "unsupported: format tag 0x0006"},
		{"ambisonic GUID", data(fmtChunk(0xfffe, 4, 48000, 16, ext(16, 1, make([]byte, 14)))), "neither PCM nor IEEE float"},
		{"float16", data(fmtChunk(3, 1, 8000, 16, nil)), "16-bit float"},
		{"short", []byte{1, 0, 1, 0}, "too small"},
		{"no extension", data(fmtChunk(0xfffe, 1, 8000, 16, nil)), "lacks its 22-byte extension"},
		{"no channels", data(fmtChunk(1, 0, 8000, 16, nil)), "0 channels"},
		{"no rate", data(fmtChunk(1, 1, 0, 16, nil)), "sample rate of 0"},
		{"bad align", cat(le16(1), le16(2), le32(8000), le32(16000), le16(3), le16(16)), "block align is 3, want 4"},
		{"48 bits", data(fmtChunk(1, 1, 8000, 48, nil)), "48-bit integer"},
	} {
		f, err := ParseFmt(tc.in)
		got := ""
		if err != nil {
			got = err.Error()
			var fe *label.FormatError
			if !errors.As(err, &fe) {
				t.Errorf("%s: error %T", tc.name, err)
			}
		} else {
			got = f.Sample.String()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// readAll decodes every sample of the WAV file b.
func readAll(t testing.TB, b []byte) (*Audio, []float32) {
	t.Helper()
	a, err := OpenAudio(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	sr, err := a.Samples()
	if err != nil {
		t.Fatal(err)
	}
	var all []float32
	buf := make([]float32, 999*a.Fmt.Channels)
	for {
		n, err := sr.Read(buf)
		all = append(all, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return a, all
}

// TestSamplesMatchFFmpeg decodes the WAV fixtures and compares every sample
// with ffmpeg's decoding of the same file.
func TestSamplesMatchFFmpeg(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	for _, p := range fixtures.All("wav") {
		t.Run(filepath.Base(p), func(t *testing.T) {
			a, got := readAll(t, labeltest.ReadFile(t, p))
			out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", p, "-f", "f32le", "-c:a", "pcm_f32le", "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, len(out)/4)
			SampleFormat{Bytes: 4, Float: true}.Decode(want, out)
			if int64(len(got)) != a.Frames*int64(a.Fmt.Channels) || len(got) != len(want) {
				t.Fatalf("%d samples (%d frames), ffmpeg %d", len(got), a.Frames, len(want))
			}
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-7 {
					t.Fatalf("sample %d: %v, ffmpeg %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestRewrite doubles the samples of the hand-built files: every chunk
// other than data is kept byte for byte and in order (fact updated), and the
// new data holds the old frames twice.
func TestRewrite(t *testing.T) {
	for _, tc := range testFiles() {
		t.Run(tc.name, func(t *testing.T) {
			a, err := OpenAudio(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = a.Rewrite(&out, 2*a.Frames, func(dst io.Writer, src io.Reader) error {
				b, err := io.ReadAll(src)
				if err != nil {
					return err
				}
				if _, err := dst.Write(b); err != nil {
					return err
				}
				_, err = dst.Write(b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			in, outc := walk(t, tc.data), walk(t, out.Bytes())
			if len(in) != len(outc) {
				t.Fatalf("%d chunks, then %d", len(in), len(outc))
			}
			for i := range in {
				switch in[i].id {
				case "data":
					want := cat(in[i].data, in[i].data)
					if !bytes.Equal(outc[i].data, want) {
						t.Errorf("data: %d bytes, want %d", len(outc[i].data), len(want))
					}
				case "fact":
					if got := binary.LittleEndian.Uint32(outc[i].data); int64(got) != 2*a.Frames {
						t.Errorf("fact says %d frames, want %d", got, 2*a.Frames)
					}
				default:
					if in[i].id != outc[i].id || !bytes.Equal(in[i].raw, outc[i].raw) {
						t.Errorf("chunk %d %q changed", i, in[i].id)
					}
				}
			}
			_, s := readAll(t, out.Bytes())
			if int64(len(s)) != 2*a.Frames*int64(a.Fmt.Channels) {
				t.Errorf("%d samples read back", len(s))
			}
		})
	}
}

type walked struct {
	id        string
	raw, data []byte
}

// walk splits a RIFF file into its chunks, independently of package riff.
func walk(t *testing.T, b []byte) []walked {
	t.Helper()
	if int(binary.LittleEndian.Uint32(b[4:]))+8 != len(b) {
		t.Fatalf("RIFF size %d, file %d", binary.LittleEndian.Uint32(b[4:]), len(b))
	}
	var out []walked
	for p := 12; p < len(b); {
		n := int(binary.LittleEndian.Uint32(b[p+4:]))
		end := p + 8 + n + n%2
		if end > len(b) {
			t.Fatalf("chunk at %d overruns the file", p)
		}
		out = append(out, walked{string(b[p : p+4]), b[p:end], b[p+8 : p+8+n]})
		p = end
	}
	return out
}

func TestRewriteErrors(t *testing.T) {
	in := testFiles()[0].data
	a, err := OpenAudio(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	short := func(dst io.Writer, src io.Reader) error { _, err := dst.Write([]byte{1, 2}); return err }
	if err := a.Rewrite(io.Discard, a.Frames, short); err == nil || !strings.Contains(err.Error(), "bytes were written") {
		t.Errorf("short fill: %v", err)
	}
	long := func(dst io.Writer, src io.Reader) error { _, err := dst.Write(make([]byte, 5000)); return err }
	if err := a.Rewrite(io.Discard, 1, long); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("long fill: %v", err)
	}
	// A data chunk cut short by the end of the file.
	cut := in[:len(in)-len(oddChunk)-len(cue)-100]
	binary.LittleEndian.PutUint32(cut[4:], uint32(len(cut)-8))
	if _, err := OpenAudio(bytes.NewReader(cut)); !errors.Is(err, label.ErrCorrupt) {
		t.Errorf("cut file: %v", err)
	}
	for name, b := range map[string][]byte{
		"no data":     wavFile(fmtChunk(1, 1, 8000, 16, nil)),
		"no fmt":      wavFile(chunk("data", make([]byte, 4))),
		"data first":  wavFile(chunk("data", make([]byte, 4)), fmtChunk(1, 1, 8000, 16, nil)),
		"two data":    wavFile(fmtChunk(1, 1, 8000, 16, nil), chunk("data", make([]byte, 4)), chunk("data", make([]byte, 4))),
		"not WAVE":    append([]byte("RIFF\x04\x00\x00\x00AVI "), nil...),
		"ADPCM":       wavFile(fmtChunk(2, 1, 8000, 4, nil), chunk("data", make([]byte, 4))),
		"huge data":   labeltest.ReadFile(t, fixtures.Path("bad/huge-chunk.wav")),
		"not RIFF":    []byte("hello"),
		"empty":       nil,
		"fmt at 0x10": wavFile(fmtChunk(1, 1, 8000, 16, nil)[:10]),
	} {
		_, err := OpenAudio(bytes.NewReader(b))
		var fe *label.FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v (%T), want a *label.FormatError", name, err, err)
		}
	}
}

// FuzzSamples opens any input as WAV audio and reads every sample: no
// panic, the sample count the header promises (or a Truncated error), and
// integer samples within full scale. For small files, rewriting the data
// with the same bytes gives a file that reads back the same samples.
func FuzzSamples(f *testing.F) {
	for _, tc := range testFiles() {
		f.Add(tc.data)
	}
	f.Add(wavFile(fmtChunk(1, 1, 8000, 8, nil), chunk("data", []byte{0, 128, 255})))
	f.Add(wavFile(fmtChunk(3, 1, 8000, 64, nil), chunk("data", make([]byte, 16))))
	f.Add(wavFile(fmtChunk(1, 3, 8000, 12, nil), chunk("data", make([]byte, 13))))
	labeltest.SeedFixtures(f, Format{})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := OpenAudio(bytes.NewReader(b))
		if err != nil {
			var fe *label.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		sr, err := a.Samples()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]float32, a.Fmt.Channels*3)
		var n int64
		for {
			k, err := sr.Read(buf)
			n += int64(k)
			for _, v := range buf[:k] {
				if !a.Fmt.Sample.Float && (v < -1 || v > 1) {
					t.Fatalf("integer sample decodes to %v", v)
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("read: %v", err)
				}
				return
			}
		}
		if n != a.Frames*int64(a.Fmt.Channels) {
			t.Fatalf("%d samples, header promises %d frames of %d", n, a.Frames, a.Fmt.Channels)
		}
		if len(b) > 1<<16 || a.Is64() {
			return
		}
		var out bytes.Buffer
		if err := a.Rewrite(&out, a.Frames, func(dst io.Writer, src io.Reader) error {
			_, err := io.Copy(dst, src)
			return err
		}); err != nil {
			var fe *label.FormatError
			if errors.As(err, &fe) {
				return // e.g. a chunk cut short that the walk did not read
			}
			t.Fatalf("rewrite: %v", err)
		}
		a2, err := OpenAudio(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("reopening the rewritten file: %v", err)
		}
		if a2.Fmt != a.Fmt || a2.Frames != a.Frames {
			t.Fatalf("rewritten: %+v %d frames, was %+v %d", a2.Fmt, a2.Frames, a.Fmt, a.Frames)
		}
	})
}
