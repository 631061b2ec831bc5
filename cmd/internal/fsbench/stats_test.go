package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aigcmark/aigcmark/detect/faceswap"
)

func TestAUC(t *testing.T) {
	for _, c := range []struct {
		real, fake []float64
		want       float64
	}{
		{[]float64{0.1, 0.2}, []float64{0.8, 0.9}, 1},
		{[]float64{0.8, 0.9}, []float64{0.1, 0.2}, 0},
		{[]float64{0.5}, []float64{0.5}, 0.5},
		{[]float64{0.1, 0.6}, []float64{0.5, 0.9}, 0.75},
	} {
		if got := auc(c.real, c.fake); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("auc(%v, %v) = %v, want %v", c.real, c.fake, got, c.want)
		}
	}
	lo, hi := bootstrapAUC([]float64{0.1, 0.6, 0.3, 0.2}, []float64{0.5, 0.9, 0.7, 0.4}, 500, rand.New(rand.NewPCG(1, 1)))
	if !(lo <= 0.875 && 0.875 <= hi && lo >= 0 && hi <= 1 && lo < hi) {
		t.Errorf("bootstrap interval [%v, %v] does not hold the AUC 0.875", lo, hi)
	}
}

func TestThresholdKeepsFalseFlags(t *testing.T) {
	real := make([]float64, 100)
	for i := range real {
		real[i] = float64(i) / 100
	}
	th := thresholdFor(real, 0.05)
	if r := rateAtOrAbove(real, th); r > 0.05 || r < 0.04 {
		t.Errorf("threshold %v flags %v of the reals, want 5 %%", th, r)
	}
}

func TestFitLogisticSeparates(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var x [][]float64
	var y []bool
	for i := 0; i < 200; i++ {
		pos := i%2 == 0
		v := 0.2 + 0.1*rng.NormFloat64()
		if pos {
			v += 0.5
		}
		x = append(x, []float64{v, rng.Float64()})
		y = append(y, pos)
	}
	b, w := fitLogistic(x, y)
	if w[0] <= 3*math.Abs(w[1]) {
		t.Errorf("weights %v (bias %v): the informative feature should dominate", w, b)
	}
}

func TestCueAUCs(t *testing.T) {
	n := len(faceswap.ImageCues)
	vec := func(v float64) []float64 {
		x := make([]float64, n)
		x[0], x[1] = v, 1-v
		return x
	}
	set := []sample{
		{Faces: [][]float64{vec(0.1), vec(0.2)}, IsSwp: []bool{false, false}},
		{Fake: true, Faces: [][]float64{vec(0.9), vec(0.05)}, IsSwp: []bool{true, false}}, // the second face is not the swapped one
		{Fake: true, Faces: [][]float64{vec(0.8)}, IsSwp: []bool{true}},
	}
	got := cueAUCs(set)
	if len(got) != n || got[0] != 1 || got[1] != 0 || got[2] != 0.5 {
		t.Errorf("cueAUCs = %v, want 1, 0, then 0.5 for constant cues", got)
	}
}
