package ffmpeg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

func TestProbeFixture(t *testing.T) {
	fixtures.NeedTool(t, "ffprobe")
	info, err := Probe(context.Background(), fixtures.Path("mp4/faststart.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	v := info.FirstOf("video")
	if v == nil || v.Width == 0 || v.Height == 0 || Rate(v.FrameRate) == 0 || v.PixFmt == "" {
		t.Fatalf("video stream not described: %+v", info)
	}
	if info.Duration <= 0 {
		t.Errorf("duration %v", info.Duration)
	}
}

func TestErrorCarriesFFmpegMessage(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	bad := filepath.Join(t.TempDir(), "bad.mp4")
	if err := os.WriteFile(bad, []byte("this is not a video at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Probe(context.Background(), bad)
	var fe *Error
	if !errors.As(err, &fe) || fe.Tool != "ffprobe" {
		t.Fatalf("error %v, want an ffprobe *Error", err)
	}
	if !strings.Contains(err.Error(), "Invalid data") {
		t.Errorf("error %q does not carry ffprobe's message", err)
	}
	err = Command(context.Background(), "ffmpeg", "-i", bad, "-f", "null", "-").Run()
	if err == nil || !strings.Contains(err.Error(), "Invalid data") {
		t.Errorf("ffmpeg error %v does not carry ffmpeg's message", err)
	}
}

func TestMissingTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Command(context.Background(), "ffmpeg", "-version").Run()
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "ffmpeg") {
		t.Fatalf("error %v, want ffmpeg not installed", err)
	}
}

func TestCancelKills(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	ctx, cancel := context.WithCancel(context.Background())
	c := Command(ctx, "ffmpeg", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25", "-f", "null", "-")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := c.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel: %v", err)
	}
}

func TestRate(t *testing.T) {
	for s, want := range map[string]float64{"30000/1001": 29.97002997002997, "25/1": 25, "0/0": 0, "x": 0, "24": 24} {
		if got := Rate(s); got != want {
			t.Errorf("Rate(%q) = %v, want %v", s, got, want)
		}
	}
}
