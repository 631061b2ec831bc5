// Package faceswapreport writes the face-swap evidence of one picture or
// video (detect/faceswap) as a self-contained HTML page an investigator can
// read, archive and hand on: the verdict and what it can and cannot mean,
// key frames with the face boxes and a heatmap of each face's strongest
// cue, a timeline of the per-frame scores against the operating point, and
// the table of cues per face or face track. Everything is inline — CSS,
// pictures as data: URIs, the chart as SVG — and the page runs no script,
// so it opens offline and the same everywhere.
package faceswapreport

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	xdraw "golang.org/x/image/draw"

	"github.com/aigcmark/aigcmark/detect/faceswap"
)

// Page is what one report shows.
type Page struct {
	// Path names the input as the user gave it.
	Path string
	// Kind is "image" or "video".
	Kind string
	// Result is the detector's result for the whole input.
	Result *faceswap.Result
	// FrameThreshold is the operating point of a single picture or frame
	// score (the model's Threshold), drawn on the timeline; a video's
	// verdict may come from its face tracks, with their own threshold.
	FrameThreshold float64
	// Sampling says which frames of a video were analysed ("2 frames per
	// second", "every frame").
	Sampling string
	// Duration is the video's length in seconds (0 if unknown).
	Duration float64
	// KeyFrames are the pictures shown: the picture itself, or a video's
	// first and top-scoring frames.
	KeyFrames []KeyFrame
	// Generator names the program and version that wrote the page.
	Generator string
}

// KeyFrame is one picture shown with its faces.
type KeyFrame struct {
	// Why says why it is shown: "the picture", "first frame",
	// "highest-scoring frame", …
	Why string
	// T is the time of a video frame in seconds.
	T float64
	// Image is the frame as analysed.
	Image image.Image
	// Faces are its faces, analysed by a Detector with Options.Heatmaps so
	// that the strongest cue of each usable face can be drawn.
	Faces []faceswap.Face
}

// MaxImageWidth bounds the width of the key frames as embedded.
const MaxImageWidth = 720

// ErrNoResult is returned for a Page without a Result.
var ErrNoResult = errors.New("faceswapreport: page has no result")

//go:embed page.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
	"div": func(a, b float64) float64 { return a / b },
}).Parse(pageTemplate))

// Cue explanations shown beside the scores.
var cueMeaning = map[string]string{
	faceswap.CueBoundary:   "A ring along the face outline where gradient and noise statistics change, as where a pasted face is blended into its host.",
	faceswap.CueNoise:      "The camera and compression noise inside the face differs in level or spectrum from the rest of the picture.",
	faceswap.CueSharpness:  "The face is sharper or blurrier than its surroundings at the same distance from the camera.",
	faceswap.CueColour:     "Skin colour or lighting of the face does not match the neck, forehead and surroundings.",
	faceswap.CueResampling: "Periodic traces of scaling or rotating the face (interpolation) that the rest of the picture lacks.",
	faceswap.CueFlicker:    "Video: the brightness or colour of the face relative to its surroundings jumps from frame to frame.",
	faceswap.CueJitter:     "Video: the inside of the face slides against the head around it from frame to frame.",
}

var cueOrder = append(append([]string(nil), faceswap.ImageCues...), faceswap.CueFlicker, faceswap.CueJitter)

// Write renders p as one HTML page.
func Write(w io.Writer, p Page) error {
	if p.Result == nil {
		return ErrNoResult
	}
	d, err := build(p)
	if err != nil {
		return err
	}
	return tmpl.Execute(w, d)
}

type pageData struct {
	Title, Path, Kind, Generator string
	Verdict, Headline, Class     string
	Score, Threshold             string
	ThresholdOf                  string
	Reason, Meaning              string
	OperatingPoint               string
	Sampling                     string
	Frames                       int
	Duration                     string
	KeyFrames                    []keyFrameData
	Timeline                     *timeline
	Tables                       []cueTable
}

type keyFrameData struct {
	Caption string
	Src     template.URL
	Width   int
	Height  int
	Faces   []string
}

type cueTable struct {
	Title string
	Note  string
	Rows  []cueRow
}

type cueRow struct {
	Cue, Score, Why, Meaning string
	Bar                      int // percent
	High                     bool
}

func build(p Page) (*pageData, error) {
	r := p.Result
	d := &pageData{
		Title: "Face-swap evidence: " + p.Path, Path: p.Path, Kind: p.Kind, Generator: p.Generator,
		Verdict: string(r.Verdict), Score: fmt.Sprintf("%.3f", r.Score),
		Threshold: fmt.Sprintf("%.3f", r.OperatingPoint.Threshold), Reason: r.Reason,
		OperatingPoint: r.OperatingPoint.Description, Sampling: p.Sampling, Frames: len(r.Frames),
	}
	d.ThresholdOf = "picture score"
	if p.Kind == "video" {
		d.ThresholdOf = "frame score"
		if len(r.Tracks) > 0 && r.Score >= 0 && trackScored(r) {
			d.ThresholdOf = "face-track score"
		}
	}
	if p.Duration > 0 {
		d.Duration = fmt.Sprintf("%.1f s", p.Duration)
	}
	switch r.Verdict {
	case faceswap.LikelyManipulated:
		d.Headline, d.Class = "Likely manipulated", "bad"
		d.Meaning = "The face shows traces that pasting or blending a face typically leaves, strongly enough to cross the operating point. " +
			"This is heuristic evidence to weigh with everything else known about the content, not proof: heavy retouching, beauty filters, " +
			"strong compression, unusual lighting or a legitimate composite can produce the same traces."
	case faceswap.NoEvidence:
		d.Headline, d.Class = "No evidence of a face swap found", "none"
		d.Meaning = "No cue crossed the operating point. This does NOT show that the content is genuine: the cues catch crude pastes and " +
			"lightly blended swaps, and modern neural face swaps and reenactment often leave none of these traces."
	default:
		d.Headline, d.Class = "Inconclusive", "unsure"
		d.Meaning = "No usable face was found — none, too small, turned away from the camera or cut by the frame edge — so nothing was measured. " +
			"Inconclusive is not evidence that the content is real."
	}
	for i, k := range p.KeyFrames {
		kd, err := keyFrame(k, i, p.Kind, p.FrameThreshold)
		if err != nil {
			return nil, err
		}
		d.KeyFrames = append(d.KeyFrames, kd)
	}
	if p.Kind == "video" && len(r.Frames) > 0 {
		d.Timeline = newTimeline(r.Frames, p.FrameThreshold, p.KeyFrames, p.Duration)
	}
	if p.Kind == "video" {
		for _, t := range r.Tracks {
			tb := cueTable{Title: fmt.Sprintf("Face track %d: %.2f–%.2f s, %d frames", t.ID, t.Start, t.End, t.Frames)}
			if t.Score >= 0 {
				tb.Title += fmt.Sprintf(", track score %.3f", t.Score)
			} else {
				tb.Note = "Too few usable frames for a track score; the per-frame scores decide."
			}
			tb.Rows = rows(t.Cues)
			d.Tables = append(d.Tables, tb)
		}
	}
	what := "Face"
	if p.Kind == "video" {
		what = "Highest-scoring frame, face"
	}
	for i, f := range r.Faces {
		if !f.Usable {
			continue
		}
		d.Tables = append(d.Tables, cueTable{
			Title: fmt.Sprintf("%s %d at (%d, %d), %d×%d px: score %.3f", what, i+1, f.Box.X, f.Box.Y, f.Box.W, f.Box.H, f.Score),
			Rows:  rows(f.Cues),
		})
	}
	return d, nil
}

// trackScored reports whether some face track has a score.
func trackScored(r *faceswap.Result) bool {
	for _, t := range r.Tracks {
		if t.Score >= 0 {
			return true
		}
	}
	return false
}

// rows lists the cues in the model's order, then any others by name.
func rows(cues map[string]faceswap.Cue) []cueRow {
	names := append([]string(nil), cueOrder...)
	var other []string
	for name := range cues {
		if !slices.Contains(cueOrder, name) {
			other = append(other, name)
		}
	}
	sort.Strings(other)
	var out []cueRow
	for _, name := range append(names, other...) {
		c, ok := cues[name]
		if !ok {
			continue
		}
		s := math.Max(0, math.Min(1, c.Score))
		out = append(out, cueRow{Cue: name, Score: fmt.Sprintf("%.3f", c.Score), Why: c.Why, Meaning: cueMeaning[name],
			Bar: int(math.Round(s * 100)), High: s >= 0.5})
	}
	return out
}

// keyFrame draws one key frame and describes its faces.
func keyFrame(k KeyFrame, i int, kind string, threshold float64) (keyFrameData, error) {
	if k.Image == nil || k.Image.Bounds().Empty() {
		return keyFrameData{}, fmt.Errorf("faceswapreport: key frame %d has no picture", i)
	}
	img := render(k.Image, k.Faces, threshold)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return keyFrameData{}, fmt.Errorf("faceswapreport: key frame %d: %w", i, err)
	}
	kd := keyFrameData{
		Src:   template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())),
		Width: img.Bounds().Dx(), Height: img.Bounds().Dy(),
	}
	kd.Caption = k.Why
	if kind == "video" {
		kd.Caption += fmt.Sprintf(" at %.2f s", k.T)
	}
	if len(k.Faces) == 0 {
		kd.Faces = append(kd.Faces, "no face found")
	}
	for j, f := range k.Faces {
		s := fmt.Sprintf("face %d at (%d, %d), %d×%d px: ", j+1, f.Box.X, f.Box.Y, f.Box.W, f.Box.H)
		if !f.Usable {
			s += "not analysed: " + f.Note
		} else {
			s += fmt.Sprintf("score %.3f", f.Score)
			if _, cue := f.Heatmap(); cue != "" {
				s += "; heatmap of its strongest cue, " + cue
			}
		}
		kd.Faces = append(kd.Faces, s)
	}
	return kd, nil
}

// Box colours: at or over the threshold, under it, not analysed.
var (
	colourFlagged = color.RGBA{0xd3, 0x2f, 0x2f, 0xff}
	colourClear   = color.RGBA{0x2e, 0x7d, 0x32, 0xff}
	colourUnused  = color.RGBA{0x9e, 0x9e, 0x9e, 0xff}
)

// render returns the picture with each usable face's heatmap laid over it
// in red, scaled to at most MaxImageWidth, with the face boxes drawn.
func render(src image.Image, faces []faceswap.Face, threshold float64) *image.RGBA {
	b := src.Bounds()
	full := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(full, full.Rect, src, b.Min, draw.Src)
	for _, f := range faces {
		heat, _ := f.Heatmap()
		if heat == nil {
			continue
		}
		r := heat.Rect.Intersect(b)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				// Faint heat is left out, so that the hot spots stand out.
				a := (float64(heat.Pix[heat.PixOffset(x, y)])/255 - 0.25) / 0.75 * 0.65
				if a <= 0 {
					continue
				}
				o := full.PixOffset(x-b.Min.X, y-b.Min.Y)
				p := full.Pix[o : o+3 : o+3]
				p[0] = uint8(float64(p[0])*(1-a) + 255*a)
				p[1] = uint8(float64(p[1]) * (1 - a))
				p[2] = uint8(float64(p[2]) * (1 - a))
			}
		}
	}
	scale := 1.0
	out := full
	if b.Dx() > MaxImageWidth {
		scale = float64(MaxImageWidth) / float64(b.Dx())
		h := max(1, int(math.Round(float64(b.Dy())*scale)))
		out = image.NewRGBA(image.Rect(0, 0, MaxImageWidth, h))
		xdraw.BiLinear.Scale(out, out.Rect, full, full.Rect, xdraw.Src, nil)
	}
	// Unusable faces first, so that an analysed face's box stays on top.
	order := make([]int, len(faces))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return !faces[order[i]].Usable && faces[order[j]].Usable })
	for _, i := range order {
		f := faces[i]
		c := colourUnused
		if f.Usable {
			c = colourClear
			if f.Score >= threshold {
				c = colourFlagged
			}
		}
		x0 := int(math.Round(float64(f.Box.X-b.Min.X) * scale))
		y0 := int(math.Round(float64(f.Box.Y-b.Min.Y) * scale))
		x1 := int(math.Round(float64(f.Box.X-b.Min.X+f.Box.W) * scale))
		y1 := int(math.Round(float64(f.Box.Y-b.Min.Y+f.Box.H) * scale))
		frame(out, image.Rect(x0, y0, x1, y1), 3, c)
	}
	return out
}

// frame draws the outline of r, t pixels thick, clipped to m.
func frame(m *image.RGBA, r image.Rectangle, t int, c color.RGBA) {
	u := image.NewUniform(c)
	for _, s := range []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+t), image.Rect(r.Min.X, r.Max.Y-t, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+t, r.Max.Y), image.Rect(r.Max.X-t, r.Min.Y, r.Max.X, r.Max.Y),
	} {
		draw.Draw(m, s.Intersect(m.Rect), u, image.Point{}, draw.Src)
	}
}

// Timeline geometry in SVG user units.
const (
	tlWidth, tlHeight = 900, 260
	tlLeft, tlRight   = 56, 16
	tlTop, tlBottom   = 16, 40
)

type timeline struct {
	Width, Height  int
	Left, Right    float64
	Top, Bottom    float64
	Lines          []string // polyline point lists
	Points         []tlPoint
	Missing        []tlPoint
	Marks          []tlPoint // key frames
	ThresholdY     float64
	ThresholdLabel string
	XTicks, YTicks []tlTick
	Scored, Frames int
}

type tlPoint struct {
	X, Y  float64
	Title string
}

type tlTick struct {
	X, Y  float64
	Label string
}

func newTimeline(frames []faceswap.Frame, threshold float64, keys []KeyFrame, duration float64) *timeline {
	tl := &timeline{Width: tlWidth, Height: tlHeight, Left: tlLeft, Right: tlWidth - tlRight,
		Top: tlTop, Bottom: tlHeight - tlBottom, Frames: len(frames)}
	end := frames[len(frames)-1].T
	end = math.Max(end, duration)
	if end <= 0 {
		end = 1
	}
	x := func(t float64) float64 { return round1(tl.Left + (tl.Right-tl.Left)*t/end) }
	y := func(s float64) float64 { return round1(tl.Bottom - (tl.Bottom-tl.Top)*math.Max(0, math.Min(1, s))) }
	var cur []string
	flush := func() {
		if len(cur) > 1 {
			tl.Lines = append(tl.Lines, strings.Join(cur, " "))
		}
		cur = nil
	}
	for _, f := range frames {
		if f.Score < 0 {
			flush()
			tl.Missing = append(tl.Missing, tlPoint{X: x(f.T), Y: tl.Bottom, Title: fmt.Sprintf("%.2f s: no usable face", f.T)})
			continue
		}
		tl.Scored++
		px, py := x(f.T), y(f.Score)
		cur = append(cur, fmt.Sprintf("%g,%g", px, py))
		tl.Points = append(tl.Points, tlPoint{X: px, Y: py, Title: fmt.Sprintf("%.2f s: score %.3f", f.T, f.Score)})
	}
	flush()
	for _, k := range keys {
		tl.Marks = append(tl.Marks, tlPoint{X: x(k.T), Title: fmt.Sprintf("%s at %.2f s", k.Why, k.T)})
	}
	tl.ThresholdY = y(threshold)
	tl.ThresholdLabel = fmt.Sprintf("operating point %.3f", threshold)
	for _, s := range []float64{0, 0.25, 0.5, 0.75, 1} {
		tl.YTicks = append(tl.YTicks, tlTick{X: tl.Left, Y: y(s), Label: fmt.Sprintf("%.2f", s)})
	}
	step := niceStep(end / 8)
	for t := 0.0; t <= end+1e-9; t += step {
		tl.XTicks = append(tl.XTicks, tlTick{X: x(t), Y: tl.Bottom, Label: trimFloat(t) + " s"})
	}
	return tl
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
