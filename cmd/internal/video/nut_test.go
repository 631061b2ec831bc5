package video

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

// readAllFrames passes a NUT stream through, payloads unchanged, and
// returns the frames and what reached the other side.
func readAllFrames(data []byte, maxPayload int64) ([]nutFrame, []byte, error) {
	var out bytes.Buffer
	n := newNUTReader(bytes.NewReader(data), &out)
	var frames []nutFrame
	for {
		f, err := n.Next()
		if err == io.EOF {
			return frames, out.Bytes(), nil
		}
		if err != nil {
			return frames, out.Bytes(), err
		}
		if f.Size > maxPayload {
			return frames, out.Bytes(), errors.New("payload too large")
		}
		p := make([]byte, f.Size)
		if err := n.Payload(p); err != nil {
			return frames, out.Bytes(), err
		}
		out.Write(p)
		frames = append(frames, f)
	}
}

func TestNUTPassThrough(t *testing.T) {
	for _, tc := range []struct {
		file string
		size int64
		pts  []int64
	}{
		// 16×16 4:2:0 at 25 fps.
		{"tiny.nut", 384, nil},
		// 8×8 4:4:4 at 0, 53, 106 and 120 ms in a 1/64000 time base.
		{"vfr.nut", 192, []int64{0, 3392, 6784, 7680}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			frames, out, err := readAllFrames(data, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, data) {
				t.Errorf("the stream passed through changed (%d bytes, input %d)", len(out), len(data))
			}
			if len(frames) < 3 {
				t.Fatalf("%d frames", len(frames))
			}
			for i, f := range frames {
				if f.Size != tc.size || f.Stream != 0 || !f.Key {
					t.Errorf("frame %d: %+v", i, f)
				}
				if tc.pts != nil && f.PTS != tc.pts[i] {
					t.Errorf("frame %d at %d, want %d", i, f.PTS, tc.pts[i])
				}
				if i > 0 && f.PTS <= frames[i-1].PTS {
					t.Errorf("frame %d at %d after %d", i, f.PTS, frames[i-1].PTS)
				}
			}
		})
	}
}

// TestNUTFromFFmpeg reads a longer stream, with syncpoints and an index,
// and checks every frame's timestamp against ffprobe's.
func TestNUTFromFFmpeg(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	path := filepath.Join(t.TempDir(), "a.nut")
	if b, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30000/1001",
		"-frames:v", "200", "-pix_fmt", "yuv422p10le", "-c:v", "rawvideo", "-f", "nut", path).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frames, out, err := readAllFrames(data, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, data) {
		t.Error("the stream passed through changed")
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=pts", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, f := range frames {
		want = append(want, []byte(strconv.FormatInt(f.PTS, 10)+"\n")...)
	}
	if !bytes.Equal(bytes.TrimSpace(probe), bytes.TrimSpace(want)) {
		t.Errorf("timestamps differ from ffprobe's:\n%s\nvs\n%s", want, probe)
	}
	if len(frames) != 200 || frames[0].Size != pixFormats["yuv422p10le"].frameSize(64, 48) {
		t.Errorf("%d frames, first %+v", len(frames), frames[0])
	}
}

func TestNUTMalformed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "tiny.nut"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not NUT", []byte("RIFF....AVI LIST")},
		{"cut in a header", data[:60]},
		{"cut in a frame", data[:len(data)-200]},
		{"frame before headers", append([]byte(nutID), 0x00, 0x01)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAllFrames(tc.data, 1<<20)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, errNUT) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v is neither a NUT error nor a short read", err)
			}
		})
	}
}

func FuzzNUT(f *testing.F) {
	for _, name := range []string{"tiny.nut", "vfr.nut"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, out, err := readAllFrames(data, int64(len(data)))
		if err == nil && !bytes.Equal(out, data) {
			t.Fatalf("a stream read without error changed on the way through (%d frames)", len(frames))
		}
	})
}
