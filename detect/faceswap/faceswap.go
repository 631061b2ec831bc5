// Package faceswap looks for the traces that pasting one face onto another
// leaves in a picture or a video: a blending seam around the face, a face
// whose noise (level and correlation, measured at the picture's own
// resolution), sharpness, colour or resampling history does not match the
// rest of the picture, and in video a face that flickers or slides against
// its own head. It finds faces with pigo's frontal cascade
// (github.com/esimov/pigo, MIT, embedded), scores each cue in [0, 1] with a
// one-line explanation, and combines them with a logistic model fitted on
// generated training swaps (cmd/internal/fsbench).
//
// The result is evidence to weigh, not a verdict: hand-crafted cues of this
// kind are strong on crude or lightly blended swaps and weak on modern
// neural swaps and reenactment (see docs/BENCHMARKS.md). No usable face —
// none found, too small, or turned away from the camera — gives
// Inconclusive, never "real". Scores depend only on pixels: file size,
// bitrate, container and metadata are never read, and each face is
// resampled to one size before it is measured.
package faceswap

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sort"

	pigo "github.com/esimov/pigo/core"
)

// Errors callers can branch on; messages carry the prefix "faceswap: ".
var (
	ErrEmptyImage = errors.New("faceswap: empty image")
	ErrTooLarge   = errors.New("faceswap: image over the pixel limit")
	ErrCascade    = errors.New("faceswap: invalid cascade")
)

// Verdict is the decision for one picture or video.
type Verdict string

// The three verdicts.
const (
	LikelyManipulated Verdict = "likely_manipulated"
	NoEvidence        Verdict = "no_evidence"
	Inconclusive      Verdict = "inconclusive"
)

// Names of the cues in Face.Cues and Track.Cues.
const (
	CueBoundary   = "blend_boundary"
	CueNoise      = "noise_mismatch"
	CueSharpness  = "sharpness_mismatch"
	CueColour     = "colour_mismatch"
	CueResampling = "resampling"
	CueNoiseCorr  = "noise_correlation"
	CueFlicker    = "temporal_flicker"
	CueJitter     = "landmark_jitter"
)

// ImageCues lists the per-face cues in the order of the model's weights.
var ImageCues = []string{CueBoundary, CueNoise, CueSharpness, CueColour, CueResampling, CueNoiseCorr}

// nCues is len(ImageCues).
const nCues = 6

// Defaults of Options.
const (
	DefaultMinFace   = 64
	DefaultMaxPixels = 50_000_000
)

// Options configure a Detector; the zero value is usable.
type Options struct {
	// MinFace is the smallest face side in pixels that is analysed
	// (DefaultMinFace when 0); smaller faces are listed but inconclusive.
	MinFace int
	// MaxPixels bounds width×height of a frame (DefaultMaxPixels when 0).
	MaxPixels int
	// Heatmaps keeps, per face, a map of its strongest cue (Face.Heatmap).
	Heatmaps bool
	// Model replaces the embedded model (used to train a new one).
	Model *Model
}

// Box is a face's square in picture coordinates.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Rect returns b as an image.Rectangle.
func (b Box) Rect() image.Rectangle { return image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H) }

// Cue is one measurement: a score in [0, 1] (higher is more suspicious)
// and a one-line explanation with the measured values.
type Cue struct {
	Score float64 `json:"score"`
	Why   string  `json:"why"`
}

// Face is one detected face and, when it is usable, its cues and combined
// score.
type Face struct {
	Box Box `json:"box"`
	// Detection is pigo's detection strength (higher is a clearer frontal face).
	Detection float64 `json:"detection"`
	// Usable is false for faces too small, too weak (profile) or cut by the
	// frame edge; they have no score.
	Usable bool           `json:"usable"`
	Note   string         `json:"note,omitempty"`
	Score  float64        `json:"score"`
	Cues   map[string]Cue `json:"cues,omitempty"`
	// Track is the video face track the face belongs to (0 for pictures).
	Track int `json:"track,omitempty"`

	raw       []float64
	strongest string
	heat      *image.Gray
}

// Heatmap returns a map of the face's strongest cue in picture coordinates
// (its Bounds lie around the face box; brighter is more suspicious) and the
// cue's name, or nil when Options.Heatmaps was off or the face is unusable.
func (f *Face) Heatmap() (*image.Gray, string) {
	if f.heat == nil {
		return nil, ""
	}
	return f.heat, f.strongest
}

// Frame is the score of one video frame: the highest of its usable faces,
// or −1 when it has none.
type Frame struct {
	T     float64 `json:"t"`
	Score float64 `json:"score"`
	Faces []Face  `json:"faces,omitempty"`
}

// Track is one face followed across video frames.
type Track struct {
	ID     int            `json:"id"`
	Start  float64        `json:"start"`
	End    float64        `json:"end"`
	Frames int            `json:"frames"`
	Score  float64        `json:"score"`
	Cues   map[string]Cue `json:"cues"`

	raw []float64
}

// OperatingPoint states how scores become a verdict.
type OperatingPoint struct {
	Threshold   float64 `json:"threshold"`
	Description string  `json:"description"`
}

// Result is the face-swap evidence for one picture or video.
type Result struct {
	Verdict        Verdict        `json:"verdict"`
	Score          float64        `json:"score"`
	Reason         string         `json:"reason"`
	OperatingPoint OperatingPoint `json:"operating_point"`
	Faces          []Face         `json:"faces"`
	Frames         []Frame        `json:"frames,omitempty"`
	Tracks         []Track        `json:"tracks,omitempty"`
}

// Detector analyses pictures and videos; it is safe for concurrent use.
type Detector struct {
	o       Options
	cascade *pigo.Pigo
	model   *Model
}

// New returns a Detector with the embedded cascade and model.
func New(o Options) (*Detector, error) {
	if o.MinFace <= 0 {
		o.MinFace = DefaultMinFace
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	c, err := ParseCascade(facefinder)
	if err != nil {
		return nil, err
	}
	m := o.Model
	if m == nil {
		m = &defaultModel
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &Detector{o: o, cascade: c, model: m}, nil
}

// checkFrame bounds a frame's size before anything is allocated for it.
func (d *Detector) checkFrame(img image.Image) error {
	if img == nil {
		return fmt.Errorf("%w: no image", ErrEmptyImage)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return fmt.Errorf("%w: %d×%d pixels", ErrEmptyImage, b.Dx(), b.Dy())
	}
	if int64(b.Dx())*int64(b.Dy()) > int64(d.o.MaxPixels) {
		return fmt.Errorf("%w: %d×%d is over %d pixels", ErrTooLarge, b.Dx(), b.Dy(), d.o.MaxPixels)
	}
	return nil
}

// Detection geometry: frames are searched at about detectSide pixels on
// their longer side; pigo scores below minQuality are not faces, and below
// frontalQuality they are too weak or turned (profile) to analyse.
const (
	detectSide     = 720
	minQuality     = 2
	frontalQuality = 5
)

// faces finds face boxes in picture coordinates, strongest first.
func (d *Detector) faces(img image.Image) []Face {
	b := img.Bounds()
	k := max(1, int(math.Round(float64(max(b.Dx(), b.Dy()))/detectSide)))
	pix, w, h := lumaDown(img, k)
	if w < 24 || h < 24 {
		return nil
	}
	minSize := max(20, d.o.MinFace/(2*k))
	maxSize := min(w, h)
	if minSize > maxSize {
		return nil
	}
	dets := d.cascade.RunCascade(pigo.CascadeParams{
		MinSize: minSize, MaxSize: maxSize, ShiftFactor: 0.1, ScaleFactor: 1.1,
		ImageParams: pigo.ImageParams{Pixels: pix, Rows: h, Cols: w, Dim: w},
	}, 0)
	dets = d.cascade.ClusterDetections(dets, 0.2)
	sort.Slice(dets, func(i, j int) bool { return dets[i].Q > dets[j].Q })
	var out []Face
	for _, det := range dets {
		if float64(det.Q) < minQuality {
			continue
		}
		s := det.Scale * k
		f := Face{
			Box:       Box{X: b.Min.X + det.Col*k - s/2, Y: b.Min.Y + det.Row*k - s/2, W: s, H: s},
			Detection: math.Round(float64(det.Q)*100) / 100,
		}
		switch {
		case s < d.o.MinFace:
			f.Note = fmt.Sprintf("face of %d px is under the %d px minimum", s, d.o.MinFace)
		case float64(det.Q) < frontalQuality:
			f.Note = fmt.Sprintf("weak detection (%.1f < %d): turned away, occluded or not a face", det.Q, frontalQuality)
		case !image.Rect(f.Box.X-s/8, f.Box.Y-s/8, f.Box.X+s+s/8, f.Box.Y+s+s/8).In(b):
			f.Note = "face is cut by the frame edge"
		default:
			f.Usable = true
		}
		out = append(out, f)
		if len(out) == maxFaces {
			break
		}
	}
	return out
}

// maxFaces bounds the faces analysed per frame.
const maxFaces = 8

// AnalyzeImage finds the faces in img and scores each usable one.
func (d *Detector) AnalyzeImage(ctx context.Context, img image.Image) (*Result, error) {
	if err := d.checkFrame(img); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	faces := d.faces(img)
	for i := range faces {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if faces[i].Usable {
			d.scoreFace(img, &faces[i])
		}
	}
	r := &Result{Faces: faces, Score: -1}
	for _, f := range faces {
		if f.Usable && f.Score > r.Score {
			r.Score = f.Score
		}
	}
	d.decide(r, len(faces), "face")
	return r, nil
}

// decide sets the verdict from r.Score (−1 when nothing was scored).
func (d *Detector) decide(r *Result, found int, what string) {
	r.OperatingPoint = OperatingPoint{Threshold: d.model.Threshold, Description: d.model.Description}
	switch {
	case r.Score < 0 && found == 0:
		r.Verdict, r.Score = Inconclusive, 0
		r.Reason = "no face found: nothing to measure (this is not evidence that the content is real)"
	case r.Score < 0:
		r.Verdict, r.Score = Inconclusive, 0
		r.Reason = fmt.Sprintf("%d face(s) found but none usable (too small, turned away or cut off)", found)
	case r.Score >= d.model.Threshold:
		r.Verdict = LikelyManipulated
		r.Reason = fmt.Sprintf("highest %s score %.2f is at or above the operating threshold %.2f", what, r.Score, d.model.Threshold)
	default:
		r.Verdict = NoEvidence
		r.Reason = fmt.Sprintf("highest %s score %.2f is below the operating threshold %.2f; swaps by modern neural tools can still pass", what, r.Score, d.model.Threshold)
	}
}

// scoreFace measures the cues of a usable face and combines them.
func (d *Detector) scoreFace(img image.Image, f *Face) {
	m := measure(img, f.Box, d.o.Heatmaps)
	f.raw = m.scores[:]
	f.Cues = make(map[string]Cue, len(ImageCues))
	best := -1.0
	for i, name := range ImageCues {
		f.Cues[name] = Cue{Score: round3(m.scores[i]), Why: m.why[i]}
		if m.scores[i] > best {
			best, f.strongest = m.scores[i], name
		}
	}
	f.Score = round3(d.model.image(m.scores[:]))
	if d.o.Heatmaps {
		f.heat = m.heatmap(f.strongest)
	}
}

// CueVector returns the face's cue scores in the order of ImageCues (nil
// for an unusable face); training tools read it.
func (f *Face) CueVector() []float64 { return append([]float64(nil), f.raw...) }

// CueVector returns the track's features in the order of TrackFeatures.
func (t *Track) CueVector() []float64 { return append([]float64(nil), t.raw...) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
