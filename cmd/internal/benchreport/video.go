//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/label/visible"
)

// The video case measures the explicit label on video (cmd/internal/video):
// its speed beside a plain ffmpeg re-encode of the same clip with the same
// settings, and its memory over a long video. The labeling runs in a child
// of this program (videoChildEnv), started through the measuring helper
// like every other tool, which reports its own peak RSS and, separately,
// the peak of its ffmpeg children, and samples its RSS as the frames go by
// so the report can show that memory stays flat.

// The targets for video.
const (
	targetVideoOverhead = 0.15      // labeling at most 15 % slower than ffmpeg alone
	targetVideoRSS      = 300 << 20 // our process, 10-minute 1080p video
)

// videoOptions size the video case.
type videoOptions struct {
	ClipSeconds int    // the 1080p clip timed against ffmpeg
	LongMinutes int    // the long video whose memory is followed
	LongPreset  string // x264 preset for the long video
}

// defaultVideo are the sizes the targets are stated for.
var defaultVideo = videoOptions{ClipSeconds: 10, LongMinutes: 10, LongPreset: "ultrafast"}

// videoChildEnv, when set, makes this program the measured labeler: it
// labels one video with cmd/internal/video and writes a videoChildResult as
// JSON to the file named by -result.
const videoChildEnv = "BENCHREPORT_VIDEO_CHILD"

// rssSample is one reading of resident memory during a labeling run.
type rssSample struct {
	Frames   int64 `json:"frames"`
	Self     int64 `json:"self"`     // VmRSS of the labeling process, bytes
	Children int64 `json:"children"` // VmRSS of its ffmpeg children together, bytes
}

// videoChildResult is what the child reports.
type videoChildResult struct {
	Frames      int64         `json:"frames"`
	Labeled     int64         `json:"labeled"`
	Wall        time.Duration `json:"wall"`
	SelfMaxRSS  int64         `json:"self_maxrss"`     // ru_maxrss of the process alone
	ChildMaxRSS int64         `json:"children_maxrss"` // largest ru_maxrss of its ffmpeg children
	Samples     []rssSample   `json:"samples"`
	Err         string        `json:"err,omitempty"`
}

// videoChildMain labels -in into -out and writes the result to -result.
func videoChildMain(args []string) int {
	fs := flag.NewFlagSet("benchreport video child", flag.ContinueOnError)
	in := fs.String("in", "", "input video")
	out := fs.String("out", "", "output video")
	preset := fs.String("preset", video.DefaultPreset, "x264 preset")
	crf := fs.Int("crf", video.DefaultCRF, "x264 CRF")
	result := fs.String("result", "", "JSON result file")
	if err := fs.Parse(args); err != nil || *in == "" || *out == "" || *result == "" {
		fmt.Fprintln(os.Stderr, "benchreport video child: need -in, -out and -result")
		return 2
	}
	var r videoChildResult
	last := time.Time{}
	sample := func(frames int64) {
		r.Samples = append(r.Samples, rssSample{Frames: frames, Self: procRSS("self"), Children: childrenRSS()})
		last = time.Now()
	}
	opts := video.Options{CRF: *crf, Preset: *preset, Progress: func(n, total int64) {
		if time.Since(last) >= time.Second {
			sample(n)
		}
	}}
	// The label aigcmark draws by default: the embedded font, default
	// text, size and position.
	render, err := visible.Style{}.Renderer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport video child:", err)
		return 1
	}
	start := time.Now()
	res, err := video.Label(context.Background(), *in, *out, render, opts)
	r.Wall = time.Since(start)
	if err != nil {
		r.Err = err.Error()
	}
	r.Frames, r.Labeled = res.Frames, res.Labeled
	var self, kids syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		r.SelfMaxRSS = self.Maxrss * 1024
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids) == nil {
		r.ChildMaxRSS = kids.Maxrss * 1024
	}
	b, _ := json.Marshal(r)
	if werr := os.WriteFile(*result, b, 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "benchreport video child:", werr)
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport video child:", err)
		return 1
	}
	return 0
}

// procRSS reads VmRSS of /proc/<pid>/status in bytes, 0 if unknown.
func procRSS(pid string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// childrenRSS sums VmRSS of this process's children.
func childrenRSS() int64 {
	me := strconv.Itoa(os.Getpid())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var sum int64
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); i > 0 && len(f) > 1 && f[1] == me {
			sum += procRSS(filepath.Base(d))
		}
	}
	return sum
}

// videoBench is what the video case measured.
type videoBench struct {
	Runs       int
	ClipAbout  string
	LongAbout  string
	Opts       videoOptions
	FFmpeg     []usage // plain ffmpeg re-encodes of the clip
	Ours       []usage // labeling runs of the clip, as the helper saw them
	OursChild  []videoChildResult
	Long       videoChildResult // the long video
	LongUsage  usage
	ClipFrames int64
	Floor      int64 // what the helper reports for true
}

// benchVideo generates the inputs in work and measures; o.Runs runs per
// tool on the clip (after one warm-up each), one run on the long video.
func benchVideo(ctx context.Context, o options, vo videoOptions, work string, logf func(string, ...any)) (*videoBench, error) {
	if vo.ClipSeconds < 1 || vo.LongMinutes < 1 {
		return nil, errors.New("video: the clip and the long video need at least 1 s and 1 min")
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "video")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	vb := &videoBench{Runs: o.Runs, Opts: vo}
	if vb.Floor, err = floorRSS(ctx, work); err != nil {
		return nil, err
	}

	clip := filepath.Join(dir, "clip-1080p.mp4")
	logf("video: making a %d s 1080p clip", vo.ClipSeconds)
	if err := ffmpeg(ctx, "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25,noise=alls=8:allf=t+u",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", strconv.Itoa(vo.ClipSeconds),
		"-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", clip); err != nil {
		return nil, err
	}
	clipFrames, err := countFrames(ctx, clip)
	if err != nil {
		return nil, err
	}
	vb.ClipFrames = clipFrames
	vb.ClipAbout = fmt.Sprintf("%d s of 1920×1080 at 25 fps (%d frames): testsrc2 with moving grain, x264 veryfast CRF 18, AAC 128 kbit/s; %s",
		vo.ClipSeconds, clipFrames, humanBytes(fileSize(clip)))

	plain := func(out string) []string {
		return []string{"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", clip, "-c:v", "libx264", "-crf", strconv.Itoa(video.DefaultCRF),
			"-preset", video.DefaultPreset, "-c:a", "copy", out}
	}
	ours := func(in, out, preset, result string) []string {
		return []string{"env", videoChildEnv + "=1", self, "-in", in, "-out", out, "-preset", preset,
			"-crf", strconv.Itoa(video.DefaultCRF), "-result", result}
	}
	result := filepath.Join(dir, "child.json")
	for r := range o.Runs + 1 {
		for k := range 2 {
			out := filepath.Join(dir, "out.mp4")
			os.Remove(out)
			syscall.Sync()
			var u usage
			name := "ffmpeg"
			if (r+k)%2 == 0 {
				u, err = measure(ctx, work, plain(out))
			} else {
				name = "aigcmark"
				u, err = measure(ctx, work, ours(clip, out, video.DefaultPreset, result))
			}
			if err != nil {
				return nil, fmt.Errorf("video clip, %s: %w", name, err)
			}
			if err := checkVideoOut(ctx, out, clipFrames); err != nil {
				return nil, fmt.Errorf("video clip, %s: %w", name, err)
			}
			var child videoChildResult
			if name == "aigcmark" {
				if child, err = readChild(result, clipFrames); err != nil {
					return nil, err
				}
				if err := checkVideoLabel(ctx, clip, out); err != nil {
					return nil, err
				}
			}
			run := fmt.Sprint(r)
			if r == 0 {
				run = "warm-up"
			}
			logf("  video run %-7s %-9s %8s  %5.1f fps  peak RSS %s", run, name, u.Wall.Round(time.Millisecond),
				float64(clipFrames)/u.Wall.Seconds(), humanBytes(u.MaxRSS))
			if r == 0 {
				continue
			}
			if name == "aigcmark" {
				vb.Ours = append(vb.Ours, u)
				vb.OursChild = append(vb.OursChild, child)
			} else {
				vb.FFmpeg = append(vb.FFmpeg, u)
			}
		}
	}
	os.Remove(filepath.Join(dir, "out.mp4"))

	// The long video: a low-complexity 10 s 1080p clip stream-copied in a
	// loop to the length, labeled once with a fast preset.
	long := filepath.Join(dir, "long-1080p.mp4")
	seed := filepath.Join(dir, "seed.mp4")
	logf("video: making a %d min 1080p video", vo.LongMinutes)
	if err := ffmpeg(ctx, "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "10",
		"-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", seed); err != nil {
		return nil, err
	}
	if err := ffmpeg(ctx, "-stream_loop", "-1", "-i", seed, "-map", "0", "-c", "copy", "-t", strconv.Itoa(vo.LongMinutes*60), long); err != nil {
		return nil, err
	}
	os.Remove(seed)
	// Looping leaves a gap of the audio's last partial frame at each join,
	// so the frames are counted rather than assumed.
	longFrames, err := countFrames(ctx, long)
	if err != nil {
		return nil, err
	}
	vb.LongAbout = fmt.Sprintf("%d min of 1920×1080 at 25 fps (%d frames): a 10 s testsrc2 clip (x264 ultrafast, low complexity) stream-copied in a loop, AAC 128 kbit/s; %s; labeled with preset %s to keep the run short",
		vo.LongMinutes, longFrames, humanBytes(fileSize(long)), vo.LongPreset)
	out := filepath.Join(dir, "long-out.mp4")
	logf("video: labeling the %d min video", vo.LongMinutes)
	syscall.Sync()
	if vb.LongUsage, err = measure(ctx, work, ours(long, out, vo.LongPreset, result)); err != nil {
		return nil, fmt.Errorf("long video: %w", err)
	}
	if err := checkVideoOut(ctx, out, longFrames); err != nil {
		return nil, fmt.Errorf("long video: %w", err)
	}
	if vb.Long, err = readChild(result, longFrames); err != nil {
		return nil, err
	}
	logf("  long video %s, our peak RSS %s, ffmpeg children %s", vb.LongUsage.Wall.Round(time.Second),
		humanBytes(vb.Long.SelfMaxRSS), humanBytes(vb.Long.ChildMaxRSS))
	os.Remove(out)
	os.Remove(long)
	os.Remove(clip)
	return vb, nil
}

// floorRSS is the peak RSS the helper reports for a do-nothing command.
func floorRSS(ctx context.Context, work string) (int64, error) {
	u, err := measure(ctx, work, []string{"true"})
	return u.MaxRSS, err
}

// readChild reads the labeling child's report and checks it labeled every frame.
func readChild(path string, frames int64) (videoChildResult, error) {
	var r videoChildResult
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if r.Err != "" {
		return r, errors.New(r.Err)
	}
	if r.Frames != frames || r.Labeled != frames {
		return r, fmt.Errorf("the labeler wrote %d frames, %d labeled; want %d, all labeled", r.Frames, r.Labeled, frames)
	}
	return r, nil
}

// countFrames counts the video packets of path (ffprobe, demuxing only).
func countFrames(ctx context.Context, path string) (int64, error) {
	b, err := output(ctx, "ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: ffprobe counts %q video packets", path, b)
	}
	return n, nil
}

// checkVideoOut checks an output with ffprobe: an H.264 stream of the
// expected frame count (counted by decoding) and an AAC stream.
func checkVideoOut(ctx context.Context, path string, frames int64) error {
	b, err := output(ctx, "ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=codec_name,nb_read_packets", "-of", "csv=p=0", path)
	if err != nil {
		return err
	}
	got := strings.Fields(strings.TrimSpace(string(b)))
	if len(got) != 2 || got[0] != "h264,"+strconv.FormatInt(frames, 10) || !strings.HasPrefix(got[1], "aac,") {
		return fmt.Errorf("%s: streams %v, want h264 with %d frames and aac", path, got, frames)
	}
	return nil
}

// checkVideoLabel compares the first frame of the labeled video with the
// input's: the plate's rectangle must differ strongly, the rest little.
func checkVideoLabel(ctx context.Context, in, out string) error {
	first := func(path string) ([]byte, error) {
		return output(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-")
	}
	a, err := first(in)
	if err != nil {
		return err
	}
	b, err := first(out)
	if err != nil {
		return err
	}
	const w, h = 1920, 1080
	if len(a) != w*h || len(b) != w*h {
		return fmt.Errorf("%s: first frame of %d bytes, want %d×%d", out, len(b), w, h)
	}
	ov, err := visible.Style{}.Render(w, h)
	if err != nil {
		return err
	}
	r := ov.Bounds()
	var in8, out8, nIn, nOut float64
	for y := range h {
		for x := range w {
			d := float64(a[y*w+x]) - float64(b[y*w+x])
			if d < 0 {
				d = -d
			}
			if (image.Point{x, y}).In(r) {
				in8, nIn = in8+d, nIn+1
			} else {
				out8, nOut = out8+d, nOut+1
			}
		}
	}
	if in8/nIn < 30 || out8/nOut > 4 {
		return fmt.Errorf("%s: first frame differs from the input by %.1f on average inside the label at %v and %.1f outside; want a label and nothing else changed",
			out, in8/nIn, r, out8/nOut)
	}
	return nil
}

// Medians and ratios.

func (vb *videoBench) medianFFmpeg() time.Duration { return median(walls(vb.FFmpeg)) }
func (vb *videoBench) medianOurs() time.Duration   { return median(walls(vb.Ours)) }

// overhead is our median time over ffmpeg's, minus one.
func (vb *videoBench) overhead() float64 {
	return vb.medianOurs().Seconds()/vb.medianFFmpeg().Seconds() - 1
}

func walls(us []usage) []time.Duration {
	var ds []time.Duration
	for _, u := range us {
		ds = append(ds, u.Wall)
	}
	return ds
}

func cpus(us []usage) []time.Duration {
	var ds []time.Duration
	for _, u := range us {
		ds = append(ds, u.User+u.Sys)
	}
	return ds
}

// flat reports whether our RSS after the first tenth of the long video
// stayed within 16 MiB of what it was then, and the two figures.
func (vb *videoBench) flat() (ok bool, early, late int64) {
	s := vb.Long.Samples
	total := vb.Long.Frames
	for _, x := range s {
		if early == 0 && x.Frames >= total/10 {
			early = x.Self
		}
		if early != 0 {
			late = max(late, x.Self)
		}
	}
	return early > 0 && late <= early+16<<20, early, late
}

// verdicts checks the targets.
func (vb *videoBench) verdicts() []verdict {
	ov := vb.overhead()
	flat, early, late := vb.flat()
	return []verdict{
		{Target: fmt.Sprintf("video 1080p, %d s: labeling within %.0f %% of a plain ffmpeg re-encode (libx264 CRF %d, preset %s, audio copied)",
			vb.Opts.ClipSeconds, 100*targetVideoOverhead, video.DefaultCRF, video.DefaultPreset),
			Measured: fmt.Sprintf("%+.1f %% (aigcmark %s, ffmpeg %s; in CPU time %+.1f %%)", 100*ov, fmtDur(vb.medianOurs()), fmtDur(vb.medianFFmpeg()),
				100*(median(cpus(vb.Ours)).Seconds()/median(cpus(vb.FFmpeg)).Seconds()-1)),
			Pass: ov <= targetVideoOverhead},
		{Target: fmt.Sprintf("video 1080p, %d min: our peak RSS under %s", vb.Opts.LongMinutes, humanBytes(targetVideoRSS)),
			Measured: fmt.Sprintf("%s (ffmpeg children: %s at most)", humanBytes(vb.Long.SelfMaxRSS), humanBytes(vb.Long.ChildMaxRSS)),
			Pass:     vb.Long.SelfMaxRSS < targetVideoRSS},
		{Target: fmt.Sprintf("video 1080p, %d min: our RSS flat (within 16 MiB after the first tenth)", vb.Opts.LongMinutes),
			Measured: fmt.Sprintf("%s at 10 %%, at most %s after", humanBytes(early), humanBytes(late)), Pass: flat},
	}
}

// rows are the video results table.
func (vb *videoBench) rows() [][]string {
	row := func(name, input string, us []usage, frames int64, selfRSS, kidsRSS int64) []string {
		var all []string
		for _, d := range walls(us) {
			all = append(all, fmtDur(d))
		}
		m := median(walls(us))
		kids := "–" // one process: its peak is in the column before
		if kidsRSS > 0 {
			kids = fmtMiB(kidsRSS)
		}
		return []string{name, input, fmtDur(m), strings.Join(all, ", "), fmt.Sprintf("%.1f", float64(frames)/m.Seconds()),
			fmtDur(median(cpus(us))), fmtMiB(selfRSS), kids}
	}
	clipFrames := vb.ClipFrames
	var ourSelf, ourKids, ffPeak int64
	for _, c := range vb.OursChild {
		ourSelf, ourKids = max(ourSelf, c.SelfMaxRSS), max(ourKids, c.ChildMaxRSS)
	}
	for _, u := range vb.FFmpeg {
		ffPeak = max(ffPeak, u.MaxRSS)
	}
	clip := fmt.Sprintf("1080p, %d s", vb.Opts.ClipSeconds)
	return [][]string{
		row("ffmpeg re-encode", clip, vb.FFmpeg, clipFrames, ffPeak, 0),
		row("aigcmark video label", clip, vb.Ours, clipFrames, ourSelf, ourKids),
		row("aigcmark video label ("+vb.Opts.LongPreset+")", fmt.Sprintf("1080p, %d min", vb.Opts.LongMinutes),
			[]usage{vb.LongUsage}, vb.Long.Frames, vb.Long.SelfMaxRSS, vb.Long.ChildMaxRSS),
	}
}

var videoHeader = []string{"tool", "input", "median time", "runs", "frames/s", "CPU time", "peak RSS (MiB)", "ffmpeg children peak RSS (MiB)"}

// printText prints the video tables for a terminal.
func (vb *videoBench) printText(w io.Writer) {
	fmt.Fprintln(w, strings.Join(videoHeader, " | "))
	for _, r := range vb.rows() {
		fmt.Fprintln(w, strings.Join(r, " | "))
	}
	fmt.Fprintln(w, "our RSS along the long video (frames: ours / ffmpeg children, MiB):", vb.rssTrace())
}

// rssTrace is our RSS and the children's at about every tenth of the long video.
func (vb *videoBench) rssTrace() string {
	var parts []string
	next := int64(0)
	for _, s := range vb.Long.Samples {
		if s.Frames >= next {
			parts = append(parts, fmt.Sprintf("%d: %s / %s", s.Frames, fmtMiB(s.Self), fmtMiB(s.Children)))
			next = s.Frames + max(vb.Long.Frames/10, 1)
		}
	}
	return strings.Join(parts, "; ")
}

// markdown renders the video section of docs/BENCHMARKS.md.
func (vb *videoBench) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("\n## Video: the explicit label on every frame\n\nThe verdicts are in the Targets table above.\n")
	p("\n| %s |\n|%s\n", strings.Join(videoHeader, " | "), strings.Repeat("---|", len(videoHeader)))
	for _, r := range vb.rows() {
		p("| %s |\n", strings.Join(r, " | "))
	}
	p("\nOur RSS along the long video, at about every tenth (frame: ours / the ffmpeg children together, MiB): %s.\n", vb.rssTrace())
	p("\n- **Clip**: %s.\n- **Long video**: %s.\n", vb.ClipAbout, vb.LongAbout)
	p("- The plain re-encode is `ffmpeg -i CLIP -c:v libx264 -crf %d -preset %s -c:a copy OUT`. The labeling is cmd/internal/video with the same settings, run in a child of the benchmark: "+
		"one ffmpeg decodes to raw frames in NUT on a pipe, the child draws aigcmark's default label (\"AI生成\", 6 %% of the shortest side, bottom-right, the embedded font) on every frame, and a second ffmpeg encodes and copies the audio. "+
		"The overlay is rendered once per video and blended into each frame. Each tool ran %d times after a warm-up, taking turns to go first; the median is reported.\n",
		video.DefaultCRF, video.DefaultPreset, vb.Runs)
	p("- Peak RSS of the labeling process is its own `ru_maxrss` (`RUSAGE_SELF`); the ffmpeg children's is the largest `ru_maxrss` among them (`RUSAGE_CHILDREN`), which x264's lookahead dominates and which the plain re-encode pays too. "+
		"The ffmpeg re-encode row gives that one process's peak. The helper's floor is %s.\n", humanBytes(vb.Floor))
	return b.String()
}
