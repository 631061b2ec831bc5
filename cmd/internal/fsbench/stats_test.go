package main

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

func TestWriteSection(t *testing.T) {
	p := filepath.Join(t.TempDir(), "B.md")
	if err := os.WriteFile(p, []byte("# head\n\n"+beginMarker+"\nold\n"+endMarker+"\n\ntail\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeSection(p, beginMarker+"\nnew\n"+endMarker+"\n", beginMarker, endMarker); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	s := string(b)
	if strings.Contains(s, "old") || !strings.Contains(s, "new") || !strings.HasPrefix(s, "# head") || !strings.HasSuffix(s, "tail\n") {
		t.Errorf("got %q", s)
	}
}
