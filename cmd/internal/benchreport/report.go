//go:build linux

package main

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// The targets the issue sets.
const (
	targetCpRatio   = 2.0      // aigcmark at most 2× cp's time on a large file
	targetExifRatio = 10.0     // exiftool at least 10× aigcmark's time on the small batch
	targetRSS       = 64 << 20 // aigcmark's peak RSS on a large file
)

// report is what one run measured.
type report struct {
	Command string
	Date    time.Time
	Machine [][2]string
	Floor   int64 // peak RSS the helper reports for true
	Runs    int
	Reduced bool // not the sizes the targets are stated for
	Cases   []*benchCase
	Results []*result
	Video   *videoBench  // nil when not run
	Buckets *bucketBench // nil when not run
}

// verdict is one target, checked, or a figure reported with no target
// (Info).
type verdict struct {
	Target, Measured string
	Pass             bool
	Info             bool
}

func (rep *report) find(c *benchCase, tool string) *result {
	for _, r := range rep.Results {
		if r.Case == c && r.Tool == tool {
			return r
		}
	}
	return nil
}

// verdicts checks the targets against the measured medians.
func (rep *report) verdicts() []verdict {
	var vs []verdict
	for _, c := range rep.Cases {
		aig := rep.find(c, "aigcmark")
		if c.Explicit {
			if one := rep.find(c, "aigcmark --jobs 1"); one != nil && aig != nil {
				rate := func(r *result) float64 { return float64(c.Files) / r.Median().Seconds() }
				what := c.RateOf
				if what == "" {
					what = "pictures labeled"
				}
				vs = append(vs, verdict{Target: c.Name + ": " + what + " per second (no target set)", Info: true,
					Measured: fmt.Sprintf("%.1f/s on one core (--jobs 1), %.1f/s on all %d cores", rate(one), rate(aig), runtime.NumCPU())})
			}
			continue
		}
		if !c.Large {
			if exif := rep.find(c, "exiftool"); exif != nil && aig != nil {
				x := exif.Median().Seconds() / aig.Median().Seconds()
				m := fmt.Sprintf("%.1f× (exiftool %s, aigcmark %s; in CPU time %.1f×)", x, fmtDur(exif.Median()), fmtDur(aig.Median()),
					exif.MedianCPU().Seconds()/aig.MedianCPU().Seconds())
				if cp := rep.find(c, "cp"); cp != nil {
					m += fmt.Sprintf("; for scale, cp of the same files was %.1f× faster than exiftool", exif.Median().Seconds()/cp.Median().Seconds())
				}
				vs = append(vs, verdict{Target: fmt.Sprintf("%s: at least %.0f× faster than exiftool", c.Name, targetExifRatio), Measured: m, Pass: x >= targetExifRatio})
			}
			continue
		}
		if cp := rep.find(c, "cp"); cp != nil && aig != nil {
			x := aig.Median().Seconds() / cp.Median().Seconds()
			vs = append(vs, verdict{Target: fmt.Sprintf("%s %s: within %.0f× of cp", c.Name, humanBytes(c.Bytes), targetCpRatio),
				Measured: fmt.Sprintf("%.2f× (aigcmark %s, cp %s; in CPU time %.2f×)", x, fmtDur(aig.Median()), fmtDur(cp.Median()),
					aig.MedianCPU().Seconds()/cp.MedianCPU().Seconds()), Pass: x <= targetCpRatio})
		}
	}
	if rep.Video != nil {
		vs = append(vs, rep.Video.verdicts()...)
	}
	for _, c := range rep.Cases {
		if aig := rep.find(c, "aigcmark"); c.Large && aig != nil {
			vs = append(vs, verdict{Target: fmt.Sprintf("%s %s: peak RSS under %s", c.Name, humanBytes(c.Bytes), humanBytes(targetRSS)),
				Measured: humanBytes(aig.PeakRSS()), Pass: aig.PeakRSS() < targetRSS})
		}
	}
	return vs
}

func (v verdict) status() string {
	if v.Info {
		return "INFO"
	}
	return passMiss(v.Pass)
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func fmtMiB(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

// rows are the results table: case, tool, input, median time, all times,
// throughput, peak RSS.
func (rep *report) rows() [][]string {
	var rows [][]string
	for _, r := range rep.Results {
		var all []string
		for _, d := range r.walls() {
			all = append(all, fmtDur(d))
		}
		input := humanBytes(r.Case.Bytes)
		if r.Case.Files > 1 {
			input = fmt.Sprintf("%d files, %s", r.Case.Files, input)
		}
		rows = append(rows, []string{r.Case.Name, r.Tool, input, fmtDur(r.Median()), strings.Join(all, ", "),
			fmt.Sprintf("%.0f", r.MiBps()), fmtDur(r.MedianCPU()), fmtMiB(r.PeakRSS())})
	}
	return rows
}

var header = []string{"case", "tool", "input", "median time", "runs", "MiB/s", "CPU time", "peak RSS (MiB)"}

// printText prints the tables for a terminal.
func (rep *report) printText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rep.rows() {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, v := range rep.verdicts() {
		fmt.Fprintf(w, "%s  %s: %s\n", v.status(), v.Target, v.Measured)
	}
	if rep.Video != nil {
		fmt.Fprintln(w)
		rep.Video.printText(w)
	}
	fmt.Fprintf(w, "\nMiB/s is input bytes (2^20) over the median wall time; peak RSS is the highest of the %d runs;\n"+
		"a process started by the measuring helper weighs at least %s (true measures that much).\n", rep.Runs, humanBytes(rep.Floor))
}

// markdown renders the report for docs/BENCHMARKS.md.
func (rep *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("<!-- Generated by cmd/internal/benchreport; do not edit. Run `make bench` to measure again. -->\n\n")
	p("This file is generated by `make bench`, which ran\n\n    %s\n\non %s. Every figure below is what that run measured on the machine described below; nothing is estimated or carried over.\n",
		rep.Command, rep.Date.Format("2006-01-02 15:04 MST"))
	if rep.Reduced {
		p("\n**This was a reduced run** (smaller inputs than the 1,000 × 100 KB and 2 GiB the targets are stated for); its verdicts are indicative only.\n")
	}
	p("\nThe machine is a shared virtual machine and other work may run beside the benchmark (see the load average under Machine), so times vary from run to run (all runs are listed) and the medians carry that noise.\n")

	p("\n## Targets\n\nVerdicts compare median wall times; the CPU-time ratio is given beside each for a reading less disturbed by other load.\n\n| target | measured | |\n|---|---|---|\n")
	for _, v := range rep.verdicts() {
		p("| %s | %s | %s |\n", v.Target, v.Measured, v.status())
	}

	p("\n## Results\n\n")
	p("| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, row := range rep.rows() {
		p("| %s |\n", strings.Join(row, " | "))
	}
	p("\nMiB/s is the input size in MiB (2^20 bytes) over the median wall time, so all tools on one case are compared on the same bytes. " +
		"CPU time is the median user + system time, which other load on the machine disturbs less than wall time. " +
		"Peak RSS is the highest `ru_maxrss` of the runs.\n")

	if rep.Video != nil {
		p("%s", rep.Video.markdown())
	}
	if rep.Buckets != nil {
		p("%s", rep.Buckets.markdown())
	}

	p("\n## Inputs\n\n")
	for _, c := range rep.Cases {
		p("- **%s** (%s): %s.\n", c.Name, humanBytes(c.Bytes), c.About)
	}
	p("\nThe inputs are generated for each run in a temporary folder and deleted afterwards; none is committed.\n")

	p("\n## Method\n\n")
	p("- Commands, each writing copies into a fresh folder:\n")
	p("  - `cp -r DIR OUT` for the batch and `cp FILE OUT/` for a large file: the physical baseline (GNU cp copies through `copy_file_range`).\n")
	p("  - `aigcmark label --producer CODE --quiet --out OUT INPUT` (with its default `--jobs`, the number of CPUs; the batch is also run with `--jobs 1`). " +
		"Each output is written to a temporary file, read back and checked by aigcmark before it is renamed into place; that check is part of the time.\n")
	p("  - `exiftool -config docs/exiftool-tc260.config -q -q -XMP-TC260:AIGC=JSON -o OUT/ DIR`: exiftool writing the same XMP property into copies of the same JPEGs (one fixed label for all files, where aigcmark gives each file its own ProduceID).\n")
	p("  - One process per file (the per-file case): a shell loop runs `cp FILE OUT/`, `aigcmark label … --out OUT FILE` and `exiftool … -o OUT/ FILE` once per file, as a generation pipeline labels each output when it is made; every tool then pays its start-up per file (exiftool's Perl start-up is most of its time there).\n")
	p("- Each measurement is a child process; the time is its wall time and the memory its peak resident set (`ru_maxrss` from `wait4`). "+
		"Children are started from a small helper process: Go starts children with `vfork`, and Linux then counts the parent's memory high-water mark into the child's `ru_maxrss`, so a child of the benchmark itself would report the benchmark's own memory. "+
		"The helper's own share is a floor under every figure: `true` measures %s.\n", humanBytes(rep.Floor))
	p("- Before each case the inputs are read once, so every tool reads them from the page cache, and every tool runs once as a warm-up that is checked but not counted. "+
		"Then each tool runs %d times per case and the median time is reported; the tools take turns going first. "+
		"Before every run the previous outputs are deleted and `sync` is called, so no run pays for another's writeback. "+
		"Outputs are not synced inside the timed run (neither cp nor exiftool nor aigcmark `--out` syncs) and are deleted before the kernel writes them back, "+
		"so the figures are the cost of the copy through the page cache, the part a tool controls; the disk's write speed would add the same time to every tool.\n", rep.Runs)
	p("- Every output of every run is checked, and any fault aborts the benchmark: the batch has every file, a sample of 20 carries exactly one label (`aigcmark inspect --json`) and 3 decode to the same pixels as their inputs (Go's image/jpeg); " +
		"exiftool's copies carry exactly the label it was given; a labeled MP4 has the input's top-level boxes in the same order (free space aside), its `mdat` byte for byte, a size within 4 KiB of the input's, carries one label that `ffprobe -show_entries format_tags=AIGC` also reads, and its last second decodes (`ffmpeg -f framemd5`) to the same frames as the input's; " +
		"a labeled WAV is the input's chunks byte for byte plus one `AIGC` chunk, with the RIFF size updated; cp's copies have the inputs' sizes.\n")

	p("\n## Machine\n\n| | |\n|---|---|\n")
	for _, kv := range rep.Machine {
		p("| %s | %s |\n", kv[0], kv[1])
	}
	return b.String()
}

// describeMachine collects what the report says about the machine and the
// tools' versions.
func describeMachine(ctx context.Context, bin, work string) [][2]string {
	first := func(name string, args ...string) string {
		out, err := output(ctx, name, args...)
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return line
	}
	cpu := procField("/proc/cpuinfo", "model name")
	mem := procField("/proc/meminfo", "MemTotal")
	if kb, ok := strings.CutSuffix(mem, " kB"); ok {
		var n int64
		if _, err := fmt.Sscan(kb, &n); err == nil {
			mem = fmt.Sprintf("%.1f GiB", float64(n)/(1<<20))
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	aigGo := "unknown"
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		aigGo = bi.GoVersion
	}
	ffmpegVersion := first("ffmpeg", "-version")
	if v, _, ok := strings.Cut(ffmpegVersion, " Copyright"); ok {
		ffmpegVersion = v
	}
	return [][2]string{
		{"CPU", fmt.Sprintf("%s, %d logical CPUs (nproc)", cpu, runtime.NumCPU())},
		{"Memory", mem},
		{"Kernel", "Linux " + strings.TrimSpace(string(kernel))},
		{"Work folder file system", fsType(work)},
		{"aigcmark", fmt.Sprintf("%s, built with %s", first(bin, "--version"), aigGo)},
		{"Go (benchreport)", runtime.Version()},
		{"cp", first("cp", "--version")},
		{"ffmpeg", ffmpegVersion},
		{"exiftool", first("exiftool", "-ver")},
	}
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// fsType returns the type of the file system holding dir, from /proc/mounts.
func fsType(dir string) string {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "unknown"
	}
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return "unknown"
	}
	best, typ := "", "unknown"
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, typ = mp, f[2]
		}
	}
	return typ
}
