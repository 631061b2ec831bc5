package video

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/fixtures"
)

// ffmpegRun runs ffmpeg with args, failing the test on error.
func ffmpegRun(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-v", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// readFrames reads every frame of path at rate.
func readFrames(t *testing.T, path string, o FrameOptions) (*Frames, []float64, []*image.RGBA, error) {
	t.Helper()
	f, err := OpenFrames(context.Background(), path, o)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	var ts []float64
	var imgs []*image.RGBA
	for {
		tm, img, err := f.Next()
		if err == io.EOF {
			return f, ts, imgs, nil
		}
		if err != nil {
			return f, ts, imgs, err
		}
		ts = append(ts, tm)
		c := *img
		c.Pix = append([]byte(nil), img.Pix...)
		imgs = append(imgs, &c)
	}
}

func TestFramesSampleWithTheirOwnTimes(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip.mp4")
	ffmpegRun(t, "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-t", "2", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", clip)

	// The oracle: ffmpeg's own decoding of the whole clip to RGBA.
	raw, err := exec.Command("ffmpeg", "-v", "error", "-i", clip, "-f", "rawvideo", "-pix_fmt", "rgba", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	const frameBytes = 96 * 64 * 4
	if len(raw) != 50*frameBytes {
		t.Fatalf("oracle decoded %d bytes, want 50 frames", len(raw))
	}

	for _, tc := range []struct {
		rate  float64
		times []float64
		index []int // oracle frame of each frame read
	}{
		// The first frame of each half second.
		{rate: 2, times: []float64{0, 0.52, 1, 1.52}, index: []int{0, 13, 25, 38}},
		{rate: 0},
	} {
		f, ts, imgs, err := readFrames(t, clip, FrameOptions{Rate: tc.rate})
		if err != nil {
			t.Fatal(err)
		}
		if f.Width != 96 || f.Height != 64 {
			t.Errorf("rate %v: size %d×%d", tc.rate, f.Width, f.Height)
		}
		if tc.rate == 0 {
			tc.times, tc.index = nil, nil
			for i := range 50 {
				tc.times, tc.index = append(tc.times, float64(i)/25), append(tc.index, i)
			}
		}
		if f.Expected != int64(len(tc.times)) {
			t.Errorf("rate %v: expected %d frames, want %d", tc.rate, f.Expected, len(tc.times))
		}
		if len(ts) != len(tc.times) {
			t.Fatalf("rate %v: times %v, want %v", tc.rate, ts, tc.times)
		}
		for i := range ts {
			if math.Abs(ts[i]-tc.times[i]) > 1e-6 {
				t.Errorf("rate %v: frame %d at %.3f s, want %.3f", tc.rate, i, ts[i], tc.times[i])
			}
			want := raw[tc.index[i]*frameBytes : (tc.index[i]+1)*frameBytes]
			if !bytes.Equal(imgs[i].Pix, want) {
				t.Errorf("rate %v: frame %d differs from ffmpeg's frame %d", tc.rate, i, tc.index[i])
			}
		}
	}
}

func TestFramesAreUpright(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	stored := filepath.Join(dir, "stored.mp4")
	rotated := filepath.Join(dir, "rotated.mp4")
	// A red square in the stored frame's top-left corner.
	ffmpegRun(t, "-f", "lavfi", "-i", "color=c=black:size=64x32:rate=10", "-t", "0.5",
		"-vf", "drawbox=x=0:y=0:w=16:h=16:color=red:t=fill", "-c:v", "libx264", "-pix_fmt", "yuv444p", "-crf", "10", stored)
	ffmpegRun(t, "-i", stored, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated)

	f, _, imgs, err := readFrames(t, rotated, FrameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 32 || f.Height != 64 || imgs[0].Rect.Dx() != 32 || imgs[0].Rect.Dy() != 64 {
		t.Fatalf("announced %d×%d, frames %v: want 32×64 upright", f.Width, f.Height, imgs[0].Rect)
	}
	// ffprobe gives the display rotation counter-clockwise (ffmpeg 5.1
	// writes rotate=90 as 90° counter-clockwise, newer ones as clockwise):
	// the stored top-left corner shows bottom-left or top-right.
	info, err := ffmpeg.Probe(context.Background(), rotated)
	if err != nil {
		t.Fatal(err)
	}
	want, not := image.Pt(4, 60), image.Pt(28, 4)
	switch info.FirstOf("video").Rotation {
	case 90:
	case -90, 270:
		want, not = not, want
	default:
		t.Fatalf("ffprobe says rotation %v", info.FirstOf("video").Rotation)
	}
	red := func(p image.Point) bool {
		c := imgs[0].RGBAAt(p.X, p.Y)
		return c.R > 180 && c.G < 80 && c.B < 80
	}
	if !red(want) || red(not) || red(image.Pt(4, 4)) {
		t.Errorf("the red corner is not at %v: %v %v %v", want, imgs[0].RGBAAt(want.X, want.Y), imgs[0].RGBAAt(not.X, not.Y), imgs[0].RGBAAt(4, 4))
	}
}

func TestFramesBadInput(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip.mp4")
	ffmpegRun(t, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libx264", "-g", "10",
		"-movflags", "+faststart", clip)
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.mp4")
	if err := os.WriteFile(truncated, data[:len(data)*6/10], 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.mp4")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a video "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	audio := filepath.Join(dir, "audio.m4a")
	ffmpegRun(t, "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac", audio)

	for _, tc := range []struct {
		path, want string
		limit      int64
	}{
		{truncated, "truncated.mp4: ffmpeg: exit status 1: ", 0},
		{garbage, "garbage.mp4: ffprobe: exit status 1: ", 0},
		{audio, "audio.m4a: video: no video stream", 0},
		{clip, "clip.mp4: video: frames of 320×240 pixels are over the limit of 10000 pixels", 10000},
	} {
		_, ts, _, err := readFrames(t, tc.path, FrameOptions{MaxPixels: tc.limit})
		if err == nil || !strings.HasPrefix(err.Error(), tc.path[:len(tc.path)-len(filepath.Base(tc.path))]+tc.want) {
			t.Errorf("%s: %d frames, error %v; want %q…", filepath.Base(tc.path), len(ts), err, tc.want)
		}
	}
}

func TestFramesCancel(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	ffmpegRun(t, "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-t", "4", "-c:v", "libx264", clip)
	ctx, cancel := context.WithCancel(context.Background())
	f, err := OpenFrames(ctx, clip, FrameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, _, err := f.Next()
		if err == io.EOF {
			t.Fatal("a cancelled read ended as if complete")
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
			break
		}
	}
}

func FuzzFrameReader(f *testing.F) {
	for _, name := range []string{"rgba.nut", "tiny.nut", "vfr.nut"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newFrameReader(bytes.NewReader(data), 1<<12)
		for range 1000 {
			tm, img, err := r.next()
			if err != nil {
				return
			}
			if len(img.Pix) != 4*img.Rect.Dx()*img.Rect.Dy() || img.Rect.Dx()*img.Rect.Dy() > 1<<12 {
				t.Fatalf("frame %v with %d bytes", img.Rect, len(img.Pix))
			}
			if math.IsNaN(tm) || tm < 0 {
				t.Fatalf("time %v", tm)
			}
		}
	})
}

func TestFrameReaderReadsRGBA(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "rgba.nut"))
	if err != nil {
		t.Fatal(err)
	}
	r := newFrameReader(bytes.NewReader(data), 1<<20)
	var ts []float64
	for {
		tm, img, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if img.Rect != image.Rect(0, 0, 8, 8) {
			t.Fatalf("frame %v", img.Rect)
		}
		ts = append(ts, tm)
	}
	if len(ts) != 3 || ts[0] != 0 || math.Abs(ts[1]-0.04) > 1e-9 || math.Abs(ts[2]-0.08) > 1e-9 {
		t.Errorf("times %v, want 0, 0.04, 0.08", ts)
	}
	// The same stream under a lower pixel limit is refused.
	r = newFrameReader(bytes.NewReader(data), 63)
	if _, _, err := r.next(); !errors.Is(err, errNUT) || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("error %v, want the pixel limit", err)
	}
}
