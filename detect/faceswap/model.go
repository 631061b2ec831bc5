package faceswap

import (
	"fmt"
	"math"
)

// TrackFeatures lists the inputs of the track model: the track's mean
// picture cues, then its two temporal cues.
var TrackFeatures = append(append([]string(nil), ImageCues...), CueFlicker, CueJitter)

// Model combines cue scores into one score with two logistic regressions,
// one per face in a picture or frame and one per video face track, and
// holds the operating thresholds. The embedded model (modelweights.go) is
// fitted on the TRAIN split of the generated set by
// `go run ./cmd/internal/fsbench -train`.
type Model struct {
	ImageBias      float64   `json:"image_bias"`
	ImageWeights   []float64 `json:"image_weights"`
	TrackBias      float64   `json:"track_bias"`
	TrackWeights   []float64 `json:"track_weights"`
	Threshold      float64   `json:"threshold"`
	TrackThreshold float64   `json:"track_threshold"`
	Description    string    `json:"description"`
	// CueAUC is, per picture cue (in the order of ImageCues), the AUC of
	// that cue alone on the TRAIN split (swapped faces against the faces
	// of real pictures, all blends and JPEG tiers); for reports only.
	CueAUC []float64 `json:"cue_auc,omitempty"`
}

func (m *Model) check() error {
	if len(m.ImageWeights) != len(ImageCues) || len(m.TrackWeights) != len(TrackFeatures) {
		return fmt.Errorf("faceswap: model has %d picture and %d track weights, want %d and %d",
			len(m.ImageWeights), len(m.TrackWeights), len(ImageCues), len(TrackFeatures))
	}
	for _, v := range append(append([]float64{m.ImageBias, m.TrackBias, m.Threshold, m.TrackThreshold}, m.ImageWeights...), m.TrackWeights...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("faceswap: model has a non-finite parameter")
		}
	}
	return nil
}

func (m *Model) image(x []float64) float64 { return logistic(m.ImageBias, m.ImageWeights, x) }
func (m *Model) track(x []float64) float64 { return logistic(m.TrackBias, m.TrackWeights, x) }

func logistic(b float64, w, x []float64) float64 {
	z := b
	for i := range w {
		z += w[i] * x[i]
	}
	return 1 / (1 + math.Exp(-z))
}

// ImageScore combines picture cue scores (in the order of ImageCues).
func (m *Model) ImageScore(x []float64) float64 { return m.image(x) }

// TrackScore combines track features (in the order of TrackFeatures).
func (m *Model) TrackScore(x []float64) float64 { return m.track(x) }

// DefaultModel returns a copy of the embedded model.
func DefaultModel() Model {
	m := defaultModel
	m.ImageWeights = append([]float64(nil), m.ImageWeights...)
	m.TrackWeights = append([]float64(nil), m.TrackWeights...)
	m.CueAUC = append([]float64(nil), m.CueAUC...)
	return m
}
