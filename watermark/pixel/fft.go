package pixel

import (
	"math"
	"math/bits"
	"math/cmplx"
)

// fft performs an in-place radix-2 FFT of x (len a power of two); inverse
// selects the unscaled inverse transform.
func fft(x []complex128, inverse bool) {
	n := len(x)
	if n <= 1 {
		return
	}
	shift := 64 - uint(bits.TrailingZeros(uint(n)))
	for i := 0; i < n; i++ {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if j > i {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		half := size >> 1
		step := cmplx.Rect(1, sign*2*math.Pi/float64(size))
		// Twiddles for this stage, computed once.
		tw := twiddles(half, step)
		for start := 0; start < n; start += size {
			a := x[start : start+half]
			b := x[start+half : start+size]
			for k := range a {
				t := b[k] * tw[k]
				b[k] = a[k] - t
				a[k] += t
			}
		}
	}
}

func twiddles(half int, step complex128) []complex128 {
	tw := make([]complex128, half)
	ang := cmplx.Phase(step)
	for k := range tw {
		s, c := math.Sincos(ang * float64(k))
		tw[k] = complex(c, s)
	}
	return tw
}

// fft2 transforms a w×h row-major array in place (w, h powers of two).
func fft2(x []complex128, w, h int, inverse bool) {
	for y := 0; y < h; y++ {
		fft(x[y*w:(y+1)*w], inverse)
	}
	col := make([]complex128, h)
	for xi := 0; xi < w; xi++ {
		for y := 0; y < h; y++ {
			col[y] = x[y*w+xi]
		}
		fft(col, inverse)
		for y := 0; y < h; y++ {
			x[y*w+xi] = col[y]
		}
	}
}

func nextPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}
