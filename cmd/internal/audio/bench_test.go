package audio

import (
	"bufio"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/visible/cue"
)

// longWAV streams a WAV file of sec seconds of 48 kHz stereo 16-bit audio
// (a tone with noise) to path without holding it, and returns its size.
func longWAV(b *testing.B, path string, sec int) int64 {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	const rate, ch = 48000, 2
	frames := int64(sec) * rate
	w := bufio.NewWriterSize(f, 1<<20)
	hdr := []byte("RIFF\x00\x00\x00\x00WAVE")
	hdr = riff.AppendChunk(hdr, "fmt ", fmtData(wavSpec{tag: 1, bits: 16, rate: rate, channels: ch}))
	hdr = append(hdr, listChunk...)
	hdr = append(hdr, "data"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(frames*4))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(int64(len(hdr))-8+frames*4))
	w.Write(hdr)
	var fr [4]byte
	x := uint32(1)
	for i := range frames {
		x = x*1664525 + 1013904223
		v := int16(8000*math.Sin(2*math.Pi*440*float64(i)/rate)) + int16(x>>20) - 2048
		binary.LittleEndian.PutUint16(fr[0:], uint16(v))
		binary.LittleEndian.PutUint16(fr[2:], uint16(-v))
		w.Write(fr[:])
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	return st.Size()
}

// BenchmarkLabelWAV10Min inserts or mixes cues into a 10-minute 48 kHz
// stereo WAV file: bytes per second of input, and the process's peak RSS.
func BenchmarkLabelWAV10Min(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in.wav")
	size := longWAV(b, in, 600)
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"insert-start", Options{}},
		{"insert-start-middle-end", Options{Places: []cue.Place{cue.Start, cue.Middle, cue.End}}},
		{"mix-start-middle-end", Options{Places: []cue.Place{cue.Start, cue.Middle, cue.End}, Mode: cue.Mix}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			out := filepath.Join(dir, "out.wav")
			for b.Loop() {
				if _, err := Label(context.Background(), in, out, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
			}
		})
	}
}
