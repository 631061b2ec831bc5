//go:build linux

package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestVideoQuick runs the video case at reduced sizes (a 2 s clip, a
// 1-minute long video): it generates the inputs, measures both tools and
// checks every output. It needs ffmpeg and takes about a minute, so it
// runs only when AIGCMARK_BENCH_TEST=1 and not with -short.
func TestVideoQuick(t *testing.T) {
	if testing.Short() || os.Getenv("AIGCMARK_BENCH_TEST") != "1" {
		t.Skip("set AIGCMARK_BENCH_TEST=1 to run the quick video benchmark")
	}
	logf := func(string, ...any) {}
	if testing.Verbose() {
		logf = t.Logf
	}
	vb, err := benchVideo(context.Background(), options{Runs: 1}, videoOptions{ClipSeconds: 2, LongMinutes: 1, LongPreset: "ultrafast"}, t.TempDir(), logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(vb.Ours) != 1 || len(vb.FFmpeg) != 1 || vb.Long.Frames != 1500 || len(vb.Long.Samples) == 0 {
		t.Fatalf("measured %+v", vb)
	}
	if vb.Long.SelfMaxRSS <= 0 || vb.Long.ChildMaxRSS <= 0 {
		t.Errorf("peak RSS ours %d, children %d", vb.Long.SelfMaxRSS, vb.Long.ChildMaxRSS)
	}
	md := vb.markdown()
	for _, want := range []string{"## Video", "within 15 % of a plain ffmpeg re-encode", "peak RSS under 300.0 MiB", "ffmpeg children"} {
		if !strings.Contains(md, want) {
			t.Errorf("the video section lacks %q:\n%s", want, md)
		}
	}
	var text strings.Builder
	vb.printText(&text)
	t.Log("\n" + text.String())
}
