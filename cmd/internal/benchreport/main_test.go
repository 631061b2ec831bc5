//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/benchdoc"
	"github.com/aigcmark/aigcmark/label"
)

// TestMain lets the test binary serve as the measuring helper, as the
// program does.
func TestMain(m *testing.M) {
	if result := os.Getenv(spawnEnv); result != "" {
		os.Exit(spawnMain(result, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"2GiB", 2 << 30, false},
		{"256MiB", 256 << 20, false},
		{"1.5 GiB", 3 << 29, false},
		{"100KB", 100_000, false},
		{"4096", 4096, false},
		{"", 0, true},
		{"-1MiB", 0, true},
		{"lots", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("parseSize(%q) = %d, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3 * s}, 3 * s},
		{[]time.Duration{9 * s, 1 * s, 2 * s}, 2 * s},
		{[]time.Duration{4 * s, 1 * s, 2 * s, 8 * s}, 3 * s},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestMeasureRSS checks that peak RSS comes from the child alone: a child
// started by this bloated test process through the helper must not report
// the test's memory.
func TestMeasureRSS(t *testing.T) {
	ballast := make([]byte, 128<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	u, err := measure(context.Background(), t.TempDir(), []string{"true"})
	if err != nil {
		t.Fatal(err)
	}
	if u.MaxRSS <= 0 || u.MaxRSS > 64<<20 {
		t.Errorf("true through the helper: peak RSS %s, want a few MiB", humanBytes(u.MaxRSS))
	}
	ballast[len(ballast)-1] = 2 // keep it alive until here
	if _, err := measure(context.Background(), t.TempDir(), []string{"false"}); err == nil {
		t.Error("measure(false) did not fail")
	}
}

// TestQuick runs the whole benchmark at reduced sizes: it generates the
// inputs, measures aigcmark, cp and exiftool and checks every output. It
// takes a minute and needs ffmpeg and exiftool, so it runs only when
// AIGCMARK_BENCH_TEST=1 and not with -short.
func TestQuick(t *testing.T) {
	if testing.Short() || os.Getenv("AIGCMARK_BENCH_TEST") != "1" {
		t.Skip("set AIGCMARK_BENCH_TEST=1 to run the quick benchmark")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "aigcmark")
	build := exec.Command("go", "build", "-o", bin, "./cmd/aigcmark")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building aigcmark: %v\n%s", err, out)
	}
	md := filepath.Join(dir, "BENCHMARKS.md")
	var table strings.Builder
	o := options{
		Bin: bin, Out: md, Work: dir, SmallN: 20, LargeSize: 48 << 20, Runs: 1,
		Producer: "001191110108MA01KP2T5U10000", ExifConfig: filepath.Join(root, "docs/exiftool-tc260.config"),
		Command: "go test ./cmd/internal/benchreport", Stdout: &table, Log: io.Discard,
	}
	if testing.Verbose() {
		o.Log = os.Stderr
	}
	if err := run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, want := range []string{"This file is generated", "reduced run", "| 20 JPEGs | exiftool |",
		"| MP4, moov first (faststart) | aigcmark |", "| WAV | cp |", "within 2× of cp", "peak RSS under 64.0 MiB"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the report lacks %q:\n%s", want, doc)
		}
	}
	if !strings.Contains(table.String(), "MiB/s") {
		t.Errorf("the printed table lacks its header:\n%s", table.String())
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "aigcmark-bench-*"))
	if len(entries) != 0 {
		t.Errorf("the work folder was left behind: %v", entries)
	}
}

// TestCheckWAVCatches checks that checkWAV fails on outputs that are not
// the input plus one AIGC chunk, before it ever asks aigcmark.
func TestCheckWAVCatches(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	if err := generateWAV(in, 1<<20); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	// withChunk returns src plus a chunk, the RIFF size updated.
	withChunk := func(id string, body []byte) []byte {
		b := append([]byte(nil), src...)
		b = append(b, id...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
		b = append(b, body...)
		if len(body)%2 == 1 {
			b = append(b, 0)
		}
		binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
		return b
	}
	good := withChunk("AIGC", []byte(`{"Label":"1"}`))
	flipped := append([]byte(nil), good...)
	flipped[5000] ^= 1
	badSize := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(badSize[4:], uint32(len(src)-8))
	for _, tc := range []struct {
		name string
		out  []byte
		want string
	}{
		{"unchanged", src, "plus one AIGC chunk"},
		{"other chunk", withChunk("LIST", []byte("INFOxxxx")), "plus one AIGC chunk"},
		{"payload changed", flipped, "differs from its input at offset 5000"},
		{"RIFF size stale", badSize, "RIFF size field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".wav")
			if err := os.WriteFile(out, tc.out, 0o644); err != nil {
				t.Fatal(err)
			}
			err := checkWAV(context.Background(), "/nonexistent/aigcmark", in, out, label.Label{Label: "1"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkWAV = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// Rewriting the report keeps the watermark and face-swap benchmarks' sections.
func TestKeptSection(t *testing.T) {
	p := filepath.Join(t.TempDir(), "B.md")
	if keptSection(p) != "" {
		t.Fatal("a section from a missing file")
	}
	os.WriteFile(p, []byte("# old\n\n"+benchdoc.Watermark.Begin+"\nwm table\n"+benchdoc.Watermark.End+"\ntail\n<!-- faceswap:begin -->\nfs\n<!-- faceswap:end -->\n"), 0o644)
	if got := keptSection(p); got != "\n"+benchdoc.Watermark.Begin+"\nwm table\n"+benchdoc.Watermark.End+"\n\n<!-- faceswap:begin -->\nfs\n<!-- faceswap:end -->\n" {
		t.Fatalf("kept %q", got)
	}
}
