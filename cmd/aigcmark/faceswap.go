package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/batch"
	"github.com/aigcmark/aigcmark/cmd/internal/faceswapreport"
	"github.com/aigcmark/aigcmark/cmd/internal/ffmpeg"
	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/cmd/internal/progress"
	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
	"github.com/aigcmark/aigcmark/cmd/internal/video"
	"github.com/aigcmark/aigcmark/detect/faceswap"
	"github.com/aigcmark/aigcmark/label"
)

// faceswapOptions are the flags of `aigcmark faceswap`; verify --faceswap
// passes the same to faceswapEvidence.
type faceswapOptions struct {
	JSON      bool
	FPS       string // frames per second analysed in a video, or "all"
	Report    string // folder for the HTML pages, "" for none
	MinFace   int
	Jobs      int
	MaxPixels int64
	Storage   storageOptions
}

// defaultFPS is how many video frames per second are analysed by default.
const defaultFPS = "2"

// maxFPS bounds --fps: more than any real frame rate.
const maxFPS = 1000

func faceswapFlags(o *faceswapOptions) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "fps", Value: defaultFPS, Usage: "video frames analysed per second (the first of each 1/N s), or `all`", Destination: &o.FPS},
		&cli.IntFlag{Name: "min-face", Value: faceswap.DefaultMinFace, Usage: "smallest face side in `PX` that is analysed; smaller faces are inconclusive", Destination: &o.MinFace},
		&cli.Int64Flag{Name: "max-pixels", Value: faceswap.DefaultMaxPixels, Usage: "do not decode pictures or video frames with more pixels than this", Destination: &o.MaxPixels},
	}
}

func faceswapCommand() *cli.Command {
	o := faceswapOptions{FPS: defaultFPS}
	return &cli.Command{
		Name:      "faceswap",
		Usage:     "look for the traces of face swapping in pictures and videos (heuristic evidence, not proof)",
		ArgsUsage: "INPUT...",
		Description: "For each picture (JPEG, PNG, WebP, GIF) or video (anything ffmpeg decodes): the faces found, the\n" +
			"score of each cue (blend boundary, noise, sharpness, colour, resampling; in video temporal flicker and\n" +
			"landmark jitter), a combined score and a verdict: likely_manipulated, no_evidence or inconclusive (no\n" +
			"usable face). The cues are strong on crude pastes and weak on modern neural swaps: no_evidence does\n" +
			"not mean real. --report DIR writes a self-contained HTML page per input.\n" +
			"Exits 0 when every input was analysed, 1 when some could not be.",
		Flags: append(faceswapFlags(&o),
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per input, one per line", Destination: &o.JSON},
			&cli.StringFlag{Name: "report", Usage: "write an HTML report per input into `DIR`", Destination: &o.Report},
			&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "inputs analysed in parallel", Destination: &o.Jobs},
			&cli.StringFlag{Name: "s3-endpoint", Usage: "S3-compatible endpoint `URL` for s3:// inputs (default $AIGCMARK_S3_ENDPOINT, else AWS)", Destination: &o.Storage.Endpoint, Category: "Storage"},
		),
		Action: func(c *cli.Context) error {
			return runFaceswap(c.Context, o, c.Args().Slice(), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// parseFPS reads an --fps value: a number of frames per second in
// (0, maxFPS], or "all" (every frame), returned as 0.
func parseFPS(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "all") {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v > maxFPS {
		return 0, fmt.Errorf("--fps %q: want a number of frames per second above 0 and at most %d, or \"all\"", s, maxFPS)
	}
	return v, nil
}

// faceswapReport is one line of `faceswap --json`, and the "faceswap"
// object of a verify report: a contract documented in README.md.
type faceswapReport struct {
	Path           string                   `json:"path,omitempty"`
	Kind           *string                  `json:"kind"`    // image or video; null when unknown
	Verdict        *faceswap.Verdict        `json:"verdict"` // null on error
	Score          *float64                 `json:"score"`   // highest face (picture, frame) or face-track score
	Reason         string                   `json:"reason,omitempty"`
	OperatingPoint *faceswap.OperatingPoint `json:"operating_point"`
	Width          int                      `json:"width,omitempty"`
	Height         int                      `json:"height,omitempty"`
	Duration       *float64                 `json:"duration,omitempty"` // video, seconds
	SampledFPS     *string                  `json:"sampled_fps,omitempty"`
	Faces          []faceswap.Face          `json:"faces"`  // of the picture, or of a video's highest-scoring frame
	Frames         []faceswapFrame          `json:"frames"` // video: every analysed frame
	Tracks         []faceswap.Track         `json:"tracks"` // video: faces followed across frames
	Report         *string                  `json:"report"` // the HTML page written
	Error          *string                  `json:"error"`
}

// faceswapFrame is one analysed video frame: its time and the highest
// score of its usable faces (null when it has none).
type faceswapFrame struct {
	T     float64  `json:"t"`
	Score *float64 `json:"score"`
}

// faceswapper analyses inputs with one set of options.
type faceswapper struct {
	o    faceswapOptions
	rate float64
	det  *faceswap.Detector // the analysis
	heat *faceswap.Detector // the same with heatmaps, for report pages (with Report only)
}

func newFaceswapper(o faceswapOptions) (*faceswapper, error) {
	rate, err := parseFPS(o.FPS)
	if err != nil {
		return nil, usageError{err}
	}
	if o.MinFace < 1 || o.MinFace > 1<<16 {
		return nil, usagef("--min-face %d: want a side in pixels from 1 to 65536", o.MinFace)
	}
	if o.MaxPixels < 1 || o.MaxPixels > math.MaxInt32 {
		return nil, usagef("--max-pixels %d: want 1 to %d", o.MaxPixels, math.MaxInt32)
	}
	fs := &faceswapper{o: o, rate: rate}
	opts := faceswap.Options{MinFace: o.MinFace, MaxPixels: int(o.MaxPixels)}
	if fs.det, err = faceswap.New(opts); err != nil {
		return nil, err
	}
	if o.Report != "" {
		opts.Heatmaps = true
		if fs.heat, err = faceswap.New(opts); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// faceswapEvidence analyses the picture or video at path with the options
// of the faceswap command (JSON, Report and Jobs are ignored) and returns
// the report verify embeds, without the path; a failure is in its Error.
func faceswapEvidence(ctx context.Context, path string, o faceswapOptions) *faceswapReport {
	o.Report = ""
	fs, err := newFaceswapper(o)
	if err != nil {
		s := err.Error()
		return &faceswapReport{Faces: []faceswap.Face{}, Frames: []faceswapFrame{}, Tracks: []faceswap.Track{}, Error: &s}
	}
	r := fs.check(ctx, fileset.File{Path: path}, nil, "", nil)
	r.Path = ""
	return &r
}

func runFaceswap(ctx context.Context, o faceswapOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("faceswap: no inputs")
	}
	if o.Jobs < 1 {
		return usagef("faceswap: --jobs must be at least 1")
	}
	fs, err := newFaceswapper(o)
	if err != nil {
		return fmt.Errorf("faceswap: %w", err)
	}
	bio, err := o.Storage.open()
	if err != nil {
		return fmt.Errorf("faceswap: %w", err)
	}
	defer bio.close()
	ins := bio.expand(ctx, args)
	files := files(ins)
	pages := make([]string, len(files))
	if o.Report != "" {
		pages = reportPaths(o.Report, files)
	}
	var total int64
	sizes := make([]int64, len(files))
	for i := range ins {
		sizes[i] = inputSize(ins[i : i+1])
		total += sizes[i]
	}
	bars := progress.NewBatch(stderr, true, len(files), total)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	counts := map[faceswap.Verdict]int{}
	var failed, checked int
	batch.Run(ctx, len(files), o.Jobs, func(ctx context.Context, i int) (r faceswapReport) {
		bio.withLocal(ctx, ins[i], func(f fileset.File) { r = fs.check(ctx, f, bars, pages[i], nil) })
		r.Path = ins[i].Path
		return r
	}, func(i int, r faceswapReport) {
		checked++
		bars.Done(sizes[i])
		if r.Error != nil {
			failed++
		} else {
			counts[*r.Verdict]++
		}
		if o.JSON {
			bars.Fprintf(stdout, "%s", jsonLine(enc, r))
			return
		}
		if r.Error != nil {
			bars.Fprintf(stderr, "%s: %s\n", r.Path, *r.Error)
			return
		}
		bars.Fprintf(stdout, "%s", describeFaceswap(r))
	})
	bars.Wait()
	if !o.JSON {
		fmt.Fprintf(stderr, "analysed %d input(s): %d likely manipulated, %d no evidence, %d inconclusive, %d failed\n",
			checked, counts[faceswap.LikelyManipulated], counts[faceswap.NoEvidence], counts[faceswap.Inconclusive], failed)
	}
	if failed > 0 || checked < len(files) {
		return silentError{exitFailed}
	}
	return nil
}

// jsonLine encodes r as one line.
func jsonLine(enc *json.Encoder, r faceswapReport) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(r)
	return b.String()
}

// reportPaths names the HTML page of each input in dir: its base name and
// ".faceswap.html", numbered when two inputs share a name.
func reportPaths(dir string, files []fileset.File) []string {
	out := make([]string, len(files))
	used := map[string]bool{}
	for i, f := range files {
		base := filepath.Base(f.Path)
		name := base + ".faceswap.html"
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s-%d.faceswap.html", base, n)
		}
		used[strings.ToLower(name)] = true
		out[i] = filepath.Join(dir, name)
	}
	return out
}

// check analyses one input; errors end up in the report. page, when set,
// is where the HTML report goes.
func (fs *faceswapper) check(ctx context.Context, in fileset.File, bars *progress.Batch, page string, pic *pictureFile) faceswapReport {
	r := faceswapReport{Path: in.Path, Faces: []faceswap.Face{}, Frames: []faceswapFrame{}, Tracks: []faceswap.Track{}}
	fail := func(err error) faceswapReport {
		// The report names the input; the video errors start with it too.
		s := strings.TrimPrefix(describe(err, in.Path), in.Path+": ")
		r.Error = &s
		r.Verdict, r.Score, r.OperatingPoint, r.Report = nil, nil, nil, nil
		return r
	}
	if in.Err != nil {
		return fail(in.Err)
	}
	var (
		res  *faceswap.Result
		pg   *faceswapreport.Page
		kind string
	)
	if pic == nil {
		pic = newPictureFile(in.Path, fs.o.MaxPixels)
	}
	img, err := pic.decode(ctx)
	switch {
	case err == nil:
		kind = "image"
		b := img.Bounds()
		r.Width, r.Height = b.Dx(), b.Dy()
		det := fs.det
		if page != "" {
			det = fs.heat
		}
		if res, err = det.AnalyzeImage(ctx, img); err != nil {
			return fail(err)
		}
		if page != "" {
			pg = &faceswapreport.Page{KeyFrames: []faceswapreport.KeyFrame{{Why: "the picture", Image: img, Faces: res.Faces}}}
		}
	case errors.Is(err, label.ErrUnknownFormat):
		kind = "video"
		res, pg, err = fs.video(ctx, in.Path, &r, bars, page != "")
		if err != nil {
			var fe *ffmpeg.Error
			if errors.As(err, &fe) && fe.Tool == "ffprobe" && !errors.Is(err, ffmpeg.ErrNotInstalled) {
				err = fmt.Errorf("not a picture (JPEG, PNG, WebP, GIF) or a video ffmpeg can read: %s", strings.TrimPrefix(err.Error(), in.Path+": "))
			}
			return fail(err)
		}
	default:
		return fail(err)
	}
	r.Kind = &kind
	v, s, op := res.Verdict, res.Score, res.OperatingPoint
	r.Verdict, r.Score, r.Reason, r.OperatingPoint = &v, &s, res.Reason, &op
	if res.Faces != nil {
		r.Faces = res.Faces
	}
	for _, f := range res.Frames {
		fr := faceswapFrame{T: math.Round(f.T*1000) / 1000}
		if f.Score >= 0 {
			sc := f.Score
			fr.Score = &sc
		}
		r.Frames = append(r.Frames, fr)
	}
	if res.Tracks != nil {
		r.Tracks = res.Tracks
	}
	if pg != nil {
		pg.Path, pg.Kind, pg.Result = in.Path, kind, res
		pg.FrameThreshold = faceswap.DefaultModel().Threshold
		pg.Generator = "aigcmark " + version + " faceswap"
		if r.SampledFPS != nil {
			pg.Sampling = "every frame"
			if *r.SampledFPS != "all" {
				pg.Sampling = "the first frame of each 1/" + *r.SampledFPS + " s"
			}
		}
		if r.Duration != nil {
			pg.Duration = *r.Duration
		}
		if err := writePage(page, *pg); err != nil {
			return fail(err)
		}
		r.Report = &page
	}
	return r
}

// writePage writes the HTML report to path through a temporary file.
func writePage(path string, p faceswapreport.Page) error {
	tmp, err := safewrite.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer tmp.Discard()
	if err := faceswapreport.Write(tmp, p); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return tmp.Commit(false)
}

// keyFrames is how many top-scoring frames of a video the report shows,
// besides the first.
const keyFrames = 3

// keptFrame is a copy of a video frame kept for the report.
type keptFrame struct {
	t     float64
	score float64
	img   *image.RGBA
}

// video analyses the frames of the video at path, streaming them from
// ffmpeg; with keep it also returns the report page with the key frames.
func (fs *faceswapper) video(ctx context.Context, path string, r *faceswapReport, bars *progress.Batch, keep bool) (*faceswap.Result, *faceswapreport.Page, error) {
	src, err := video.OpenFrames(ctx, path, video.FrameOptions{Rate: fs.rate, MaxPixels: fs.o.MaxPixels})
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	r.Width, r.Height = src.Width, src.Height
	if src.Duration > 0 {
		d := math.Round(src.Duration*1000) / 1000
		r.Duration = &d
	}
	sampled := "all"
	if fs.rate > 0 {
		sampled = strconv.FormatFloat(fs.rate, 'g', -1, 64)
	}
	r.SampledFPS = &sampled
	update, finish := bars.Job(filepath.Base(path), "frames", src.Expected)
	defer finish()

	v := fs.det.NewVideo()
	var first *keptFrame
	var top []*keptFrame // highest scores first
	for n := 0; ; n++ {
		t, img, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if err := v.Add(ctx, t, img); err != nil {
			return nil, nil, err
		}
		update(int64(n+1), max(src.Expected, int64(n+1)))
		if !keep {
			continue
		}
		if n == 0 {
			first = &keptFrame{t: t, score: -1, img: copyRGBA(nil, img)}
		}
		// The frame's score is the highest of its usable faces.
		frames := v.Result().Frames
		score := frames[len(frames)-1].Score
		if score < 0 || (len(top) == keyFrames && score <= top[len(top)-1].score) {
			continue
		}
		k := &keptFrame{t: t, score: score}
		if len(top) == keyFrames {
			k.img = copyRGBA(top[len(top)-1].img, img) // reuse the evicted frame's pixels
			top = top[:len(top)-1]
		} else {
			k.img = copyRGBA(nil, img)
		}
		i := len(top)
		for i > 0 && top[i-1].score < score {
			i--
		}
		top = append(top[:i], append([]*keptFrame{k}, top[i:]...)...)
	}
	res := v.Result()
	if !keep {
		return res, nil, nil
	}
	pg := &faceswapreport.Page{}
	add := func(why string, k *keptFrame) error {
		a, err := fs.heat.AnalyzeImage(ctx, k.img)
		if err != nil {
			return err
		}
		pg.KeyFrames = append(pg.KeyFrames, faceswapreport.KeyFrame{Why: why, T: k.t, Image: k.img, Faces: a.Faces})
		return nil
	}
	if err := add("first frame", first); err != nil {
		return nil, nil, err
	}
	for i, k := range top {
		if k.t == first.t {
			pg.KeyFrames[0].Why = "first frame, also the highest-scoring"
			if i > 0 {
				pg.KeyFrames[0].Why = fmt.Sprintf("first frame, also the %s highest-scoring", ordinal(i+1))
			}
			continue
		}
		why := "highest-scoring frame"
		if i > 0 {
			why = ordinal(i+1) + " highest-scoring frame"
		}
		if err := add(why, k); err != nil {
			return nil, nil, err
		}
	}
	return res, pg, nil
}

// copyRGBA copies src into dst's pixels when they fit, else into a new
// image.
func copyRGBA(dst, src *image.RGBA) *image.RGBA {
	if dst == nil || len(dst.Pix) != len(src.Pix) || dst.Rect != src.Rect {
		dst = image.NewRGBA(src.Rect)
	}
	copy(dst.Pix, src.Pix)
	return dst
}

func ordinal(n int) string {
	switch n {
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return strconv.Itoa(n) + "th"
}

// describeFaceswap is the human-readable form of a report.
func describeFaceswap(r faceswapReport) string {
	var b strings.Builder
	what := *r.Kind
	if *r.Kind == "video" {
		what += fmt.Sprintf(", %d frames analysed", len(r.Frames))
		if r.SampledFPS != nil && *r.SampledFPS != "all" {
			what += " (" + *r.SampledFPS + " per second)"
		}
		if r.Duration != nil {
			what += fmt.Sprintf(" of %.1f s", *r.Duration)
		}
	}
	fmt.Fprintf(&b, "%s: %s: %s, score %.3f: %s\n", r.Path, what, *r.Verdict, *r.Score, r.Reason)
	for _, t := range r.Tracks {
		fmt.Fprintf(&b, "  track %d, %.2f–%.2f s, %d frames: ", t.ID, t.Start, t.End, t.Frames)
		if t.Score < 0 {
			b.WriteString("too few usable frames for a track score\n")
			continue
		}
		fmt.Fprintf(&b, "score %.3f%s\n", t.Score, strongest(t.Cues))
	}
	where := ""
	if *r.Kind == "video" {
		where = " (highest-scoring frame)"
	}
	for i, f := range r.Faces {
		fmt.Fprintf(&b, "  face %d%s at (%d, %d), %d×%d px: ", i+1, where, f.Box.X, f.Box.Y, f.Box.W, f.Box.H)
		if !f.Usable {
			fmt.Fprintf(&b, "not analysed: %s\n", f.Note)
			continue
		}
		fmt.Fprintf(&b, "score %.3f%s\n", f.Score, strongest(f.Cues))
	}
	if r.Report != nil {
		fmt.Fprintf(&b, "  report: %s\n", *r.Report)
	}
	return b.String()
}

// strongest names the highest-scoring cue and why.
func strongest(cues map[string]faceswap.Cue) string {
	best, name := -1.0, ""
	for _, n := range append(append([]string(nil), faceswap.ImageCues...), faceswap.CueFlicker, faceswap.CueJitter) {
		if c, ok := cues[n]; ok && c.Score > best {
			best, name = c.Score, n
		}
	}
	if name == "" {
		return ""
	}
	return fmt.Sprintf("; strongest cue %s %.3f: %s", name, best, cues[name].Why)
}
