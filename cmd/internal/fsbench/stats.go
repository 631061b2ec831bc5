package main

import (
	"math"
	"math/rand/v2"
	"slices"
)

// auc is the probability that a random fake scores above a random real
// (ties count half).
func auc(real, fake []float64) float64 {
	if len(real) == 0 || len(fake) == 0 {
		return math.NaN()
	}
	var s float64
	for _, f := range fake {
		for _, r := range real {
			switch {
			case f > r:
				s++
			case f == r:
				s += 0.5
			}
		}
	}
	return s / float64(len(real)*len(fake))
}

// bootstrapAUC returns the 2.5 and 97.5 percentiles of the AUC over n
// resamplings (with replacement) of both classes.
func bootstrapAUC(real, fake []float64, n int, rng *rand.Rand) (float64, float64) {
	if len(real) == 0 || len(fake) == 0 {
		return math.NaN(), math.NaN()
	}
	vals := make([]float64, n)
	r2, f2 := make([]float64, len(real)), make([]float64, len(fake))
	for i := range vals {
		for j := range r2 {
			r2[j] = real[rng.IntN(len(real))]
		}
		for j := range f2 {
			f2[j] = fake[rng.IntN(len(fake))]
		}
		vals[i] = auc(r2, f2)
	}
	slices.Sort(vals)
	return vals[int(0.025*float64(n))], vals[min(int(0.975*float64(n)), n-1)]
}

// fitLogistic fits weights and bias by gradient descent on the mean
// class-balanced log loss with a small L2 penalty.
func fitLogistic(x [][]float64, y []bool) (float64, []float64) {
	d := len(x[0])
	w := make([]float64, d)
	var b float64
	var npos, nneg float64
	for _, v := range y {
		if v {
			npos++
		} else {
			nneg++
		}
	}
	wp, wn := 0.5/math.Max(npos, 1), 0.5/math.Max(nneg, 1)
	const lambda, rate = 1e-2, 2.0
	g := make([]float64, d)
	for it := 0; it < 4000; it++ {
		clear(g)
		var gb float64
		for i, xi := range x {
			z := b
			for j := range w {
				z += w[j] * xi[j]
			}
			p := 1 / (1 + math.Exp(-z))
			t, cw := 0.0, wn
			if y[i] {
				t, cw = 1, wp
			}
			e := cw * (p - t)
			for j := range w {
				g[j] += e * xi[j]
			}
			gb += e
		}
		for j := range w {
			w[j] -= rate * (g[j] + lambda*w[j])
		}
		b -= rate * gb
	}
	return b, w
}

// thresholdFor returns the lowest threshold that flags at most rate of
// the real scores.
func thresholdFor(real []float64, rate float64) float64 {
	s := slices.Clone(real)
	slices.Sort(s)
	if len(s) == 0 {
		return 0.5
	}
	k := int(math.Ceil(float64(len(s)) * (1 - rate)))
	if k >= len(s) {
		return s[len(s)-1] + 1e-3
	}
	// Just above the k-th lowest real score, so at most len−k reals are at or above it.
	return math.Min(s[k-1]+1e-3, 0.999)
}

func rateAtOrAbove(xs []float64, t float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	n := 0
	for _, x := range xs {
		if x >= t {
			n++
		}
	}
	return float64(n) / float64(len(xs))
}
