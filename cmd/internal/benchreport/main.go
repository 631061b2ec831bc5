//go:build linux

// Command benchreport measures how fast aigcmark labels files and how much
// memory it needs, beside cp of the same data (the physical baseline) and
// exiftool writing the same XMP property; `make bench` runs it:
//
//	go run ./cmd/internal/benchreport -bin bin/aigcmark -out docs/BENCHMARKS.md
//	go run ./cmd/internal/benchreport -bin bin/aigcmark -small-n 100 -large-size 256MiB   # quick
//
// It generates the inputs in a temporary folder (1,000 JPEGs of about
// 100 KB; a playable H.264 MP4 of 2 GiB with moov before mdat and the same
// with moov at the end; a 2 GiB PCM WAV), runs every tool as a child process
// a few times each, records wall time and peak RSS (ru_maxrss), checks that
// every output is correct, and prints a table that it also writes as
// Markdown. It runs on Linux only: ru_maxrss means something else elsewhere.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/benchdoc"
	"github.com/aigcmark/aigcmark/label"
)

// options are the command line.
type options struct {
	Bin        string // the aigcmark binary measured
	Out        string // Markdown report to write; empty writes none
	Work       string // folder the temporary work folder is made in
	Keep       bool   // keep the work folder
	SmallN     int    // JPEGs in the small batch
	LargeSize  int64  // bytes of each large file
	Runs       int    // runs per tool and case; the median is reported
	Producer   string
	ExifConfig string // exiftool config defining XMP-TC260:AIGC
	Video      bool   // also run the video case
	VideoOpts  videoOptions
	ImagesN    int       // 1080p JPEGs in the explicit-label case
	VerifyN    int       // files in the verify case
	Buckets    bool      // label the small batch bucket to bucket on versitygw
	Command    string    // how the program was invoked, for the report
	Stdout     io.Writer // the table
	Log        io.Writer // progress
}

// Full-size defaults, the sizes the targets are stated for.
const (
	defaultSmallN = 1000
	defaultLarge  = 2 << 30
)

func main() {
	if result := os.Getenv(spawnEnv); result != "" {
		os.Exit(spawnMain(result, os.Args[1:]))
	}
	if os.Getenv(videoChildEnv) != "" {
		os.Exit(videoChildMain(os.Args[1:]))
	}
	o := options{Stdout: os.Stdout, Log: os.Stderr, LargeSize: defaultLarge}
	flag.StringVar(&o.Bin, "bin", "bin/aigcmark", "the aigcmark `binary` to measure")
	flag.StringVar(&o.Out, "out", "", "write the report as Markdown to `FILE` (docs/BENCHMARKS.md)")
	flag.StringVar(&o.Work, "work", "", "make the temporary work folder in `DIR` (default: the system's temporary folder)")
	flag.BoolVar(&o.Keep, "keep", false, "keep the work folder and the generated inputs")
	flag.IntVar(&o.SmallN, "small-n", defaultSmallN, "number of ~100 KB JPEGs in the small-file batch")
	flag.Var((*sizeFlag)(&o.LargeSize), "large-size", "size of each large file (MP4, WAV), e.g. 2GiB or 256MiB")
	flag.IntVar(&o.Runs, "runs", 5, "runs per tool and case; the median time is reported")
	flag.StringVar(&o.Producer, "producer", "001191110108MA01KP2T5U10000", "ContentProducer written into every label")
	flag.StringVar(&o.ExifConfig, "exiftool-config", "docs/exiftool-tc260.config", "exiftool `config` defining XMP-TC260:AIGC")
	flag.BoolVar(&o.Video, "video", true, "also measure the explicit label on video (a 1080p clip against a plain ffmpeg re-encode, memory over a long video)")
	o.VideoOpts = defaultVideo
	flag.IntVar(&o.VideoOpts.ClipSeconds, "video-clip", defaultVideo.ClipSeconds, "seconds of the 1080p clip timed against ffmpeg")
	flag.IntVar(&o.VideoOpts.LongMinutes, "video-long", defaultVideo.LongMinutes, "minutes of the long video whose memory is followed")
	flag.IntVar(&o.ImagesN, "images-n", 40, "number of 1080p JPEGs given the explicit label")
	flag.IntVar(&o.VerifyN, "verify-n", 1000, "number of files in the mixed batch verify checks (0 skips it)")
	flag.BoolVar(&o.Buckets, "buckets", true, "also label the small batch (twice over) bucket to bucket on a local versitygw at --jobs 1, 4 and 16")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "benchreport: unexpected arguments:", flag.Args())
		os.Exit(2)
	}
	o.Command = strings.Join(append([]string{"go run ./cmd/internal/benchreport"}, os.Args[1:]...), " ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// tool is one program measured on a case.
type tool struct {
	Name  string
	Argv  func(out string) []string // the command writing into folder out
	MkOut bool                      // out must exist before the run (cp of one file)
	Check func(ctx context.Context, out string) error
}

// benchCase is one set of inputs and the tools measured on it.
type benchCase struct {
	Name   string
	Key    string   // short name for folders
	Inputs []string // read once before the runs, to warm the page cache
	Files  int
	Bytes  int64
	Large  bool
	// Explicit cases draw the explicit label; they report pictures per
	// second instead of a comparison. So do the cases that report RateOf
	// ("files verified").
	Explicit bool
	RateOf   string
	About    string // how the input was made
	Tools    []tool
}

// result is the runs of one tool on one case.
type result struct {
	Case *benchCase
	Tool string
	Runs []usage
}

func (r *result) walls() []time.Duration {
	var ds []time.Duration
	for _, u := range r.Runs {
		ds = append(ds, u.Wall)
	}
	return ds
}

// Median is the median wall time of the runs.
func (r *result) Median() time.Duration { return median(r.walls()) }

// MedianCPU is the median CPU time (user + system) of the runs.
func (r *result) MedianCPU() time.Duration {
	var ds []time.Duration
	for _, u := range r.Runs {
		ds = append(ds, u.User+u.Sys)
	}
	return median(ds)
}

// PeakRSS is the highest peak RSS of the runs, in bytes.
func (r *result) PeakRSS() int64 {
	var m int64
	for _, u := range r.Runs {
		m = max(m, u.MaxRSS)
	}
	return m
}

// MiBps is the input size over the median time, in MiB/s.
func (r *result) MiBps() float64 {
	return float64(r.Case.Bytes) / (1 << 20) / r.Median().Seconds()
}

func run(ctx context.Context, o options) (err error) {
	if o.SmallN < 1 || o.LargeSize < 1<<20 || o.Runs < 1 {
		return errors.New("-small-n and -runs must be at least 1, -large-size at least 1MiB")
	}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, "benchreport: "+format+"\n", args...) }
	bin, err := filepath.Abs(o.Bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("the aigcmark binary: %w (run make build)", err)
	}
	if _, err := os.Stat(o.ExifConfig); err != nil {
		return fmt.Errorf("the exiftool config: %w", err)
	}
	for _, name := range []string{"cp", "exiftool", "ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(name); err != nil {
			return fmt.Errorf("%s is needed: %w (make deps installs it)", name, err)
		}
	}

	work, err := os.MkdirTemp(o.Work, "aigcmark-bench-")
	if err != nil {
		return err
	}
	if o.Keep {
		defer logf("kept the work folder %s", work)
	} else {
		defer func() {
			if rerr := os.RemoveAll(work); err == nil {
				err = rerr
			}
		}()
	}
	env := describeMachine(ctx, bin, work)
	loadStart := loadAverage()

	// Inputs.
	var in inputs
	start := time.Now()
	in.SmallDir = filepath.Join(work, "small")
	logf("writing %d JPEGs into %s", o.SmallN, in.SmallDir)
	in.SmallFiles, in.SmallBytes, err = generateSmall(ctx, in.SmallDir, o.SmallN)
	if err != nil {
		return err
	}
	logf("  mean size %.1f KB (%d bytes in all)", float64(in.SmallBytes)/float64(o.SmallN)/1000, in.SmallBytes)
	in.MP4Fast = filepath.Join(work, "large-faststart.mp4")
	in.MP4Last = filepath.Join(work, "large-moovlast.mp4")
	logf("making MP4s of about %s with ffmpeg", humanBytes(o.LargeSize))
	if in.MP4Clip, err = generateMP4(ctx, work, o.LargeSize, in.MP4Fast, in.MP4Last); err != nil {
		return err
	}
	fastLayout, err := mp4Layout(in.MP4Fast, true)
	if err != nil {
		return err
	}
	lastLayout, err := mp4Layout(in.MP4Last, false)
	if err != nil {
		return err
	}
	in.WAV = filepath.Join(work, "large.wav")
	logf("writing a %s WAV", humanBytes(o.LargeSize))
	if err := generateWAV(in.WAV, o.LargeSize); err != nil {
		return err
	}
	logf("inputs ready in %s", time.Since(start).Round(time.Second))

	// The floor: what the helper itself weighs.
	floor, err := measure(ctx, work, []string{"true"})
	if err != nil {
		return err
	}

	want := label.Label{Label: "1", ContentProducer: o.Producer}
	exifLabel := label.Label{Label: "1", ContentProducer: o.Producer, ProduceID: label.NewID()}.WithPropagationDefaults()
	// The metadata-only label (--explicit none), the lossless path these
	// cases measure, needs an audit log.
	audit := filepath.Join(work, "audit.jsonl")
	labelArgs := func(out string, extra ...string) []string {
		return append([]string{bin, "label", "--producer", o.Producer, "--quiet", "--explicit", "none", "--audit-log", audit, "--recipient", "benchmark", "--out", out}, extra...)
	}
	cpTool := func(src string) tool {
		return tool{Name: "cp", MkOut: true, Argv: func(out string) []string { return []string{"cp", src, out + "/"} },
			Check: func(ctx context.Context, out string) error {
				_, err := checkCopies([]string{src}, out, true)
				return err
			}}
	}
	smallCheck := func(l label.Label, exact bool) func(context.Context, string) error {
		return func(ctx context.Context, out string) error { return checkSmall(ctx, bin, in.SmallFiles, out, l, exact) }
	}
	cases := []*benchCase{{
		Name: fmt.Sprintf("%d JPEGs", o.SmallN), Key: "small", Inputs: in.SmallFiles, Files: o.SmallN, Bytes: in.SmallBytes,
		About: fmt.Sprintf("%d×%d baseline JPEGs from Go's image/jpeg (quality %d), smooth colour waves plus grain, each with its own phase and grain seed; mean %.1f KB",
			jpegWidth, jpegHeight, jpegQuality, float64(in.SmallBytes)/float64(o.SmallN)/1000),
		Tools: []tool{
			{Name: "cp", Argv: func(out string) []string { return []string{"cp", "-r", in.SmallDir, out} },
				Check: func(_ context.Context, out string) error { _, err := checkCopies(in.SmallFiles, out, true); return err }},
			{Name: "aigcmark", Argv: func(out string) []string { return append(labelArgs(out), in.SmallDir) },
				Check: smallCheck(want, false)},
			{Name: "aigcmark --jobs 1", Argv: func(out string) []string { return append(labelArgs(out, "--jobs", "1"), in.SmallDir) },
				Check: smallCheck(want, false)},
			{Name: "exiftool", Argv: func(out string) []string {
				return []string{"exiftool", "-config", o.ExifConfig, "-q", "-q", "-XMP-TC260:AIGC=" + string(exifLabel.JSON()), "-o", out + "/", in.SmallDir}
			}, Check: smallCheck(exifLabel, true)},
		},
	}}
	// The same work as a generation pipeline does it: one process per file
	// as each output appears. Every tool then pays its start-up per file.
	perFile := in.SmallFiles[:min(perFileN, len(in.SmallFiles))]
	list := filepath.Join(work, "per-file.list")
	if err := os.WriteFile(list, []byte(strings.Join(perFile, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	each := func(command string, args ...string) func(out string) []string {
		// sh -c SCRIPT LIST OUT ARGS...: the script runs command once per
		// listed file, with $f the file, $out the output folder, "$@" args.
		script := `list=$1; out=$2; shift 2; while IFS= read -r f; do ` + command + ` || exit 1; done < "$list"`
		return func(out string) []string { return append([]string{"sh", "-c", script, "sh", list, out}, args...) }
	}
	cases = append(cases, &benchCase{
		Name: fmt.Sprintf("%d JPEGs, one process per file", len(perFile)), Key: "per-file", Inputs: perFile,
		Files: len(perFile), Bytes: sumSizes(perFile),
		About: fmt.Sprintf("the first %d files of the batch above, each labeled by its own process, as a pipeline labels each output when it is made", len(perFile)),
		Tools: []tool{
			{Name: "cp", MkOut: true, Argv: each(`cp "$f" "$out/"`),
				Check: func(_ context.Context, out string) error { _, err := checkCopies(perFile, out, true); return err }},
			{Name: "aigcmark", Argv: each(`"$1" label --producer "$2" --quiet --explicit none --audit-log "$3" --recipient benchmark --out "$out" "$f" 2>/dev/null`, bin, o.Producer, audit),
				Check: func(ctx context.Context, out string) error { return checkSmall(ctx, bin, perFile, out, want, false) }},
			{Name: "exiftool", MkOut: true, Argv: each(`exiftool -config "$1" -q -q "-XMP-TC260:AIGC=$2" -o "$out/" "$f"`, o.ExifConfig, string(exifLabel.JSON())),
				Check: func(ctx context.Context, out string) error {
					return checkSmall(ctx, bin, perFile, out, exifLabel, true)
				}},
		},
	})
	for _, c := range []struct{ name, key, path, about string }{
		{"MP4, moov first (faststart)", "mp4-faststart", in.MP4Fast, in.MP4Clip + "; " + fastLayout},
		{"MP4, moov last", "mp4-moovlast", in.MP4Last, "the same streams remuxed without +faststart; " + lastLayout},
		{"WAV", "wav", in.WAV, "16-bit stereo 48 kHz PCM, pseudo-random signal, canonical 44-byte header"},
	} {
		bc := &benchCase{Name: c.name, Key: c.key, Inputs: []string{c.path}, Files: 1, Bytes: fileSize(c.path), Large: true, About: c.about}
		check := func(ctx context.Context, out string) error {
			return checkWAV(ctx, bin, c.path, filepath.Join(out, filepath.Base(c.path)), want)
		}
		if strings.HasSuffix(c.path, ".mp4") {
			tail, err := tailFrames(ctx, c.path)
			if err != nil {
				return err
			}
			check = func(ctx context.Context, out string) error {
				return checkMP4(ctx, bin, c.path, filepath.Join(out, filepath.Base(c.path)), want, tail)
			}
		}
		bc.Tools = []tool{
			cpTool(c.path),
			{Name: "aigcmark", Argv: func(out string) []string { return append(labelArgs(out), c.path) }, Check: check},
		}
		cases = append(cases, bc)
	}

	// The explicit label on pictures: decode, draw, re-encode, label.
	if o.ImagesN > 0 {
		dir := filepath.Join(work, "images-1080p")
		logf("writing %d 1080p JPEGs into %s", o.ImagesN, dir)
		pics, bytes, err := generateImages(ctx, dir, o.ImagesN)
		if err != nil {
			return err
		}
		explicitArgs := func(out string, extra ...string) []string {
			return append(append([]string{bin, "label", "--producer", o.Producer, "--quiet", "--out", out}, extra...), dir)
		}
		check := func(ctx context.Context, out string) error { return checkExplicitImages(ctx, bin, pics, out) }
		cases = append(cases, &benchCase{
			Name: fmt.Sprintf("%d 1080p JPEGs, explicit + metadata label", o.ImagesN), Key: "images", Inputs: pics,
			Files: len(pics), Bytes: bytes, Explicit: true,
			About: fmt.Sprintf("1920×1080 JPEGs from Go's image/jpeg at quality %d (the same waves and grain as the batch above); each is decoded, the default label drawn, re-encoded at the estimated quality, and given the metadata label", imageQuality),
			Tools: []tool{
				{Name: "aigcmark", Argv: func(out string) []string { return explicitArgs(out) }, Check: check},
				{Name: "aigcmark --jobs 1", Argv: func(out string) []string { return explicitArgs(out, "--jobs", "1") }, Check: check},
			},
		})
	}

	// Verification of a mixed batch, as a platform checks uploads.
	if o.VerifyN > 0 {
		signer, err := keygenSign(ctx, bin, work)
		if err != nil {
			return err
		}
		dir := filepath.Join(work, "mixed")
		logf("labeling the fixtures and copying them into %d files in %s", o.VerifyN, dir)
		files, bytes, err := generateMixed(ctx, bin, o.Producer, signer+".key", work, dir, o.VerifyN)
		if err != nil {
			return err
		}
		verifyArgs := func(out string, extra ...string) []string {
			script := `out=$1; shift; mkdir -p "$out" && exec "$@" > "$out/verify.jsonl"`
			return append(append([]string{"sh", "-c", script, "sh", out, bin, "verify", "--json", "--trust", signer + ".pub"}, extra...), dir)
		}
		check := func(_ context.Context, out string) error { return checkVerified(out, len(files)) }
		cases = append(cases, &benchCase{
			Name: fmt.Sprintf("%d mixed files, verify", len(files)), Key: "verify", Inputs: files,
			Files: len(files), Bytes: bytes, Explicit: true, RateOf: "files verified",
			About: "the bundled JPEG, PNG, WebP, GIF, WAV, MP3, FLAC, Ogg and Markdown fixtures, labeled (explicit + metadata, signed ReservedCode1) and copied round-robin; verify reads every label, checks the signature against the content digest, looks for the explicit label in the pixels, samples or text, and reads IPTC, C2PA and generator metadata",
			Tools: []tool{
				{Name: "aigcmark", Argv: func(out string) []string { return verifyArgs(out) }, Check: check},
				{Name: "aigcmark --jobs 1", Argv: func(out string) []string { return verifyArgs(out, "--jobs", "1") }, Check: check},
			},
		})
	}

	// Measurements.
	var results []*result
	for _, c := range cases {
		rs, err := runCase(ctx, o, work, c, logf)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		results = append(results, rs...)
	}

	var vb *videoBench
	if o.Video {
		if vb, err = benchVideo(ctx, o, o.VideoOpts, work, logf); err != nil {
			return fmt.Errorf("video: %w", err)
		}
	}

	var bb *bucketBench
	if o.Buckets {
		if bb, err = benchBuckets(ctx, bin, o.Producer, work, in.SmallFiles, []int{1, 4, 16}, min(o.Runs, 3), logf); err != nil {
			return fmt.Errorf("buckets: %w", err)
		}
	}

	env = append(env, [2]string{"Load average (1, 5, 15 min) at start → end", loadStart + " → " + loadAverage()})
	rep := &report{
		Command: o.Command, Date: time.Now().UTC(), Machine: env, Floor: floor.MaxRSS, Runs: o.Runs,
		Cases: cases, Results: results, Video: vb, Buckets: bb,
		Reduced: o.SmallN != defaultSmallN || o.LargeSize != defaultLarge || o.VideoOpts != defaultVideo,
	}
	rep.printText(o.Stdout)
	if o.Out != "" {
		if err := os.WriteFile(o.Out, []byte(rep.markdown()+keptSection(o.Out)), 0o644); err != nil {
			return err
		}
		logf("wrote %s", o.Out)
	}
	return nil
}

// perFileN is how many files the one-process-per-file case labels.
const perFileN = 100

func sumSizes(paths []string) int64 {
	var n int64
	for _, p := range paths {
		n += fileSize(p)
	}
	return n
}

// runCase measures every tool of c o.Runs times, after a warm-up round. The
// page cache is warmed by reading the inputs first; in run r the tools start
// at position r, so each tool goes first about as often as the others; before every run the
// outputs of the last are deleted and the disk is synced, so no run pays
// for another's writeback. Every output is checked.
func runCase(ctx context.Context, o options, work string, c *benchCase, logf func(string, ...any)) ([]*result, error) {
	logf("%s: warming the page cache (%s)", c.Name, humanBytes(c.Bytes))
	if err := warm(c.Inputs); err != nil {
		return nil, err
	}
	results := make([]*result, len(c.Tools))
	for i, t := range c.Tools {
		results[i] = &result{Case: c, Tool: t.Name}
	}
	// Round 0 is a warm-up, checked but not counted: the first run after
	// a case starts is slower whichever tool makes it.
	for r := range o.Runs + 1 {
		for k := range c.Tools {
			i := (r + k) % len(c.Tools)
			t := c.Tools[i]
			out := filepath.Join(work, "out", c.Key+"-"+strings.ReplaceAll(t.Name, " ", ""))
			if err := os.RemoveAll(out); err != nil {
				return nil, err
			}
			if t.MkOut {
				if err := os.MkdirAll(out, 0o755); err != nil {
					return nil, err
				}
			} else if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return nil, err
			}
			syscall.Sync()
			u, err := measure(ctx, work, t.Argv(out))
			if err != nil {
				return nil, err
			}
			run := fmt.Sprint(r)
			if r == 0 {
				run = "warm-up"
			}
			logf("  run %-7s %-18s %8s  %7.1f MiB/s  peak RSS %s", run, t.Name, u.Wall.Round(time.Millisecond),
				float64(c.Bytes)/(1<<20)/u.Wall.Seconds(), humanBytes(u.MaxRSS))
			if err := t.Check(ctx, out); err != nil {
				return nil, fmt.Errorf("%s wrote a wrong output: %w", t.Name, err)
			}
			if r > 0 {
				results[i].Runs = append(results[i].Runs, u)
			}
			if err := os.RemoveAll(out); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

// warm reads every file once, so every tool finds the inputs in the page cache.
func warm(paths []string) error {
	buf := make([]byte, 1<<20)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(struct{ io.Writer }{io.Discard}, f, buf)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// sizeFlag is a byte count written with an optional unit: 2GiB, 256MiB, 1000000.
type sizeFlag int64

func (s *sizeFlag) String() string { return humanBytes(int64(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

func parseSize(v string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(v)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || f*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("invalid size %q (want e.g. 2GiB, 256MiB or a byte count)", v)
	}
	return int64(f * float64(mult)), nil
}

// humanBytes formats n in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// keptSection returns the sections other benchmarks own (benchdoc.Kept)
// of the report at path, each with a leading blank line, or "" when there
// are none: rewriting the report keeps them.
func keptSection(path string) string {
	var out string
	for _, sec := range benchdoc.Kept {
		if f := sec.Find(path); f != "" {
			out += "\n" + f + "\n"
		}
	}
	return out
}
