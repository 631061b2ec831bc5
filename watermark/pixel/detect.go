package pixel

import (
	"image"
	"math"
	"sort"

	"github.com/aigcmark/aigcmark/watermark"
)

// Analysis is everything Analyze measured; Detect returns its Result.
type Analysis struct {
	Result watermark.Result
	// Candidate is the decoded payload of the strongest synchronisation
	// candidate, even when its check failed (for measuring bit accuracy).
	Candidate watermark.Payload
	// SyncZ is the z-score of the strongest sync correlation peak.
	SyncZ float64
	// Period is the tile period found, in input pixels, and Angle the
	// rotation of its first lattice vector in degrees.
	Period, Angle float64
	// v1, v2 are the lattice vectors used, in work pixels, and peak the
	// synchronisation peak decoded (or the strongest).
	v1, v2 [2]float64
	peak   syncPeak
}

// Detect looks for a mark made with key. It returns watermark.ErrNotFound
// (with the measured Result) when none is found at opts.MaxFalseAlarm, and
// watermark.ErrTooSmall for images under MinSide.
func Detect(img image.Image, key watermark.Key, opts Options) (watermark.Result, error) {
	a, err := Analyze(img, key, opts)
	if err != nil {
		return watermark.Result{}, err
	}
	if !a.Result.Found {
		return a.Result, watermark.ErrNotFound
	}
	return a.Result, nil
}

// Analyze runs the detector and returns its measurements.
func Analyze(img image.Image, key watermark.Key, opts Options) (Analysis, error) {
	if err := checkSize(img.Bounds()); err != nil {
		return Analysis{}, err
	}
	y := lumaOf(img)
	t := newTile(key)
	// Scaling the short side to workSide brings the chip to about 2 pixels
	// whatever resizing the image went through.
	s := math.Min(1, workSide/float64(min(y.w, y.h)))
	return analyzeAt(y, s, t, key, opts), nil
}

// analyzeAt runs the detector on the luma scaled by s. The lattices tried
// are the one the autocorrelation reveals and the lattice the embedder
// would have used at this very size (right whenever the geometry was not
// changed, and for small images also after crops, which keep the chip size);
// the second keeps unscaled images readable when the autocorrelation is
// too weak, as on small pictures. FrameMarker draws a coarser chip than
// Embed, so its lattice is tried as well: a still taken from a marked
// video is read. And the best square lattice aligned with the axes is
// tried, whatever its period: a picture cropped or shifted keeps its chip
// while its size, and so the embedder's lattice at that size, changes.
func analyzeAt(y *plane, s float64, t *tile, key watermark.Key, opts Options) Analysis {
	ww := max(1, int(math.Round(float64(y.w)*s)))
	wh := max(1, int(math.Round(float64(y.h)*s)))
	ps := []float64{tileChips * chipSize(y.w, y.h) * s}
	if v := videoChipSize(y.w, y.h); v != chipSize(y.w, y.h) {
		ps = append(ps, tileChips*v*s)
	}
	return analyzeWork(whiten(y.resize(ww, wh)), ps, s, t, key, opts, true)
}

// analyzeWork runs sync and decoding on a whitened plane, the picture
// scaled by s. The lattices tried are the autocorrelation's, then with
// axis findAxisLattice's, then the square lattices of the embedder's tile
// periods ps; every one counts in the false-alarm probability.
func analyzeWork(work *plane, ps []float64, s float64, t *tile, key watermark.Key, opts Options, axis bool) Analysis {
	var lattices [][2][2]float64
	for _, p := range ps {
		lattices = append(lattices, [2][2]float64{{p, 0}, {0, p}})
	}
	hyp := float64(1 + len(ps))
	c := autocorr(work)
	if axis {
		hyp++
		if v1, v2, _, ok := findAxisLattice(c); ok {
			lattices = append([][2][2]float64{{v1, v2}}, lattices...)
		}
	}
	if v1, v2, ok := findLattice(c); ok {
		lattices = append([][2][2]float64{{v1, v2}}, lattices...)
	}
	best := Analysis{Result: watermark.Result{FalseAlarm: 1}}
	for i, l := range lattices {
		v1, v2 := l[0], l[1]
		an := Analysis{
			Period: math.Hypot(v1[0], v1[1]) / s,
			Angle:  math.Atan2(v1[1], v1[0]) * 180 / math.Pi,
			v1:     v1, v2: v2,
		}
		an.Result, an.Candidate, an.SyncZ, an.peak = syncAndDecode(foldTile(work, v1, v2), t, key, opts, hyp)
		if i == 0 || an.Result.Found && !best.Result.Found || an.Result.Found == best.Result.Found && an.SyncZ > best.SyncZ {
			best = an
		}
		if an.Result.Found {
			break
		}
	}
	return best
}

// whiten removes the host's low frequencies and clips outliers so that
// edges do not dominate the correlations.
func whiten(pl *plane) *plane {
	m := pl.boxMean(whitenRadius)
	out := newPlane(pl.w, pl.h)
	for i, v := range pl.p {
		out.p[i] = v - m.p[i]
	}
	// Local normalisation: divide by the local mean absolute deviation so
	// that busy texture does not drown the mark where it is faint.
	ab := newPlane(pl.w, pl.h)
	var sa float64
	for i, v := range out.p {
		ab.p[i] = float32(math.Abs(float64(v)))
		sa += float64(ab.p[i])
	}
	floor := float32(0.5 + 0.25*sa/float64(len(out.p)))
	la := ab.boxMean(4)
	for i, v := range out.p {
		x := v / (la.p[i] + floor)
		out.p[i] = max(-2.5, min(2.5, x))
	}
	// Silence perfectly flat areas (the fill of a rotated or padded
	// picture, an erased block) and a margin around them: their long
	// straight borders would otherwise draw ridges in the autocorrelation.
	flat := newPlane(pl.w, pl.h)
	for y := 1; y < pl.h-1; y++ {
		for x := 1; x < pl.w-1; x++ {
			i := y*pl.w + x
			c := pl.p[i]
			if abs32(pl.p[i-1]-c) < 0.05 && abs32(pl.p[i+1]-c) < 0.05 &&
				abs32(pl.p[i-pl.w]-c) < 0.05 && abs32(pl.p[i+pl.w]-c) < 0.05 {
				flat.p[i] = 1
			}
		}
	}
	near := flat.boxMean(3)
	for i, v := range near.p {
		if v > 0.2 {
			out.p[i] = 0
		}
	}
	return out
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// acf is an autocorrelation normalised by the overlap count at each lag.
type acf struct {
	w, h   int // FFT size
	dw, dh int // data size inside
	a      []float64
}

func autocorr(pl *plane) *acf {
	dw, dh := min(pl.w, 1024), min(pl.h, 1024)
	x0, y0 := (pl.w-dw)/2, (pl.h-dh)/2
	fw, fh := nextPow2(dw), nextPow2(dh)
	buf := make([]complex128, fw*fh)
	var mean float64
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			mean += float64(pl.p[(y+y0)*pl.w+x+x0])
		}
	}
	mean /= float64(dw * dh)
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			buf[y*fw+x] = complex(float64(pl.p[(y+y0)*pl.w+x+x0])-mean, 0)
		}
	}
	fft2(buf, fw, fh, false)
	for i, v := range buf {
		buf[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	fft2(buf, fw, fh, true)
	a := make([]float64, fw*fh)
	for y := 0; y < fh; y++ {
		dy := y
		if dy > fh/2 {
			dy = fh - y
		}
		for x := 0; x < fw; x++ {
			dx := x
			if dx > fw/2 {
				dx = fw - x
			}
			n := float64((dw - dx) * (dh - dy))
			if n < 1 {
				n = 1
			}
			a[y*fw+x] = real(buf[y*fw+x]) / n
		}
	}
	// Keep only sharp peaks: subtract the local mean (the host's
	// autocorrelation is smooth, the tile's peaks are a few pixels wide).
	// Lag 0 is excluded first, so it does not leak into its neighbours.
	a[0] = a[1]
	ap := &plane{w: fw, h: fh, p: make([]float32, fw*fh)}
	for i, v := range a {
		ap.p[i] = float32(v)
	}
	m := ap.boxMean(acfDetrend)
	var sq float64
	for i := range a {
		a[i] -= float64(m.p[i])
		sq += a[i] * a[i]
	}
	// Scale to unit deviation.
	if sq > 0 {
		inv := 1 / math.Sqrt(sq/float64(len(a)))
		for i := range a {
			a[i] *= inv
		}
	}
	return &acf{w: fw, h: fh, dw: dw, dh: dh, a: a}
}

// at returns the bilinearly interpolated autocorrelation at lag (x, y) and
// whether the lag lies inside the usable range.
func (c *acf) at(x, y float64) (float64, bool) {
	if math.Abs(x) > float64(c.dw)*0.9 || math.Abs(y) > float64(c.dh)*0.9 ||
		math.Abs(x) >= float64(c.w/2-1) || math.Abs(y) >= float64(c.h/2-1) {
		return 0, false
	}
	fx, fy := math.Floor(x), math.Floor(y)
	tx, ty := x-fx, y-fy
	ix, iy := int(fx), int(fy)
	get := func(i, j int) float64 {
		i &= c.w - 1
		j &= c.h - 1
		return c.a[j*c.w+i]
	}
	a := get(ix, iy) + tx*(get(ix+1, iy)-get(ix, iy))
	b := get(ix, iy+1) + tx*(get(ix+1, iy+1)-get(ix, iy+1))
	return a + ty*(b-a), true
}

// latticeScore contrasts the autocorrelation at lattice points with the
// points halfway between them, so that multiples and fractions of the true
// period score low.
func latticeScore(c *acf, v1, v2 [2]float64, order int) float64 {
	// Both lattice vectors must lie inside the usable lags.
	if _, ok := c.at(v1[0], v1[1]); !ok {
		return math.Inf(-1)
	}
	if _, ok := c.at(v2[0], v2[1]); !ok {
		return math.Inf(-1)
	}
	var pos [32]float64
	var neg float64
	var np, nn int
	for i := 0; i <= order; i++ {
		for j := -order; j <= order; j++ {
			if i == 0 && j <= 0 {
				continue
			}
			x := float64(i)*v1[0] + float64(j)*v2[0]
			y := float64(i)*v1[1] + float64(j)*v2[1]
			if v, ok := c.at(x, y); ok && np < len(pos) {
				pos[np] = v
				np++
			}
			if v, ok := c.at(x-0.5*v1[0]-0.5*v2[0], y-0.5*v1[1]-0.5*v2[1]); ok {
				neg += v
				nn++
			}
			if v, ok := c.at(x-0.5*v1[0], y-0.5*v1[1]); ok {
				neg += v
				nn++
			}
		}
	}
	if np < 3 || nn < 2 {
		return math.Inf(-1)
	}
	// A lattice needs peaks at (nearly) all its points: use a low order
	// statistic, so that a ridge (an edge in the image, the border of a
	// rotated picture) that passes through one point does not qualify.
	p := pos[:np]
	sort.Float64s(p)
	low := p[0]
	if np >= 4 {
		low = p[np/4]
	}
	return low - neg/float64(nn)
}

// findLattice searches period and angle of a square lattice, then refines
// the two lattice vectors independently (any affine distortion).
func findLattice(c *acf) (v1, v2 [2]float64, ok bool) {
	pmin := 36.0
	pmax := math.Min(320, 0.85*float64(min(c.dw, c.dh)))
	if pmax <= pmin {
		return v1, v2, false
	}
	type cand struct {
		score  float64
		p, ang float64
	}
	// Candidates: local maxima of the autocorrelation in the cone
	// |y| <= x of lags between pmin and pmax (one of the four rotations of
	// the first lattice vector lies there).
	var peaks []cand
	r := int(math.Ceil(pmax)) + 1
	for y := -r; y <= r; y++ {
		for x := 0; x <= r; x++ {
			if y < -x || y >= x {
				continue
			}
			d := math.Hypot(float64(x), float64(y))
			if d < pmin || d > pmax {
				continue
			}
			v, ok := c.at(float64(x), float64(y))
			if !ok || v <= 0 {
				continue
			}
			isMax := true
			for dy := -1; dy <= 1 && isMax; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if (dx != 0 || dy != 0) && c.a[((y+dy)&(c.h-1))*c.w+((x+dx)&(c.w-1))] > v {
						isMax = false
						break
					}
				}
			}
			if isMax {
				peaks = append(peaks, cand{v, d, math.Atan2(float64(y), float64(x))})
			}
		}
	}
	sort.Slice(peaks, func(i, j int) bool { return peaks[i].score > peaks[j].score })
	if len(peaks) > maxLatticePeaks {
		peaks = peaks[:maxLatticePeaks]
	}
	// Score each candidate as a square lattice; the best wins, except that
	// sub-lattices (multiples, or vectors like 2a+b) score as well as the
	// true lattice, which is handled below.
	top := math.Inf(-1)
	for i := range peaks {
		p := peaks[i]
		sn, cs := math.Sincos(p.ang)
		peaks[i].score = latticeScore(c, [2]float64{p.p * cs, p.p * sn}, [2]float64{-p.p * sn, p.p * cs}, 1)
		top = math.Max(top, peaks[i].score)
	}
	if math.IsInf(top, -1) || top <= 0 {
		return v1, v2, false
	}
	vec := func(cd cand) ([2]float64, [2]float64) {
		sn, cs := math.Sincos(cd.ang)
		return [2]float64{cd.p * cs, cd.p * sn}, [2]float64{-cd.p * sn, cd.p * cs}
	}
	var best cand
	for _, cd := range peaks {
		if cd.score == top {
			best = cd
			break
		}
	}
	// Prefer a smaller lattice that scores nearly as well when the best
	// one is its sub-lattice (its vector is an integer combination).
	b1, _ := vec(best)
	for _, cd := range peaks {
		if cd.score < 0.6*top || cd.p >= best.p-1 {
			continue
		}
		a1, a2 := vec(cd)
		sub := false
		for i := -3; i <= 3 && !sub; i++ {
			for j := -3; j <= 3; j++ {
				if math.Hypot(float64(i)*a1[0]+float64(j)*a2[0]-b1[0], float64(i)*a1[1]+float64(j)*a2[1]-b1[1]) < 3+0.03*best.p {
					sub = true
					break
				}
			}
		}
		if sub {
			best = cd
			b1, _ = vec(best)
		}
	}
	sn, cs := math.Sincos(best.ang)
	v1 = [2]float64{best.p * cs, best.p * sn}
	v2 = [2]float64{-best.p * sn, best.p * cs}
	v1, v2, _ = refineLattice(c, v1, v2)
	return v1, v2, true
}

// refineLattice moves the two lattice vectors independently to the best
// score (any affine distortion) and returns that score.
func refineLattice(c *acf, v1, v2 [2]float64) ([2]float64, [2]float64, float64) {
	cur := latticeScore(c, v1, v2, 2)
	for step := 0.5; step > 0.02; step /= 2 {
		for improved := true; improved; {
			improved = false
			for k := 0; k < 4; k++ {
				for _, d := range []float64{step, -step} {
					a, b := v1, v2
					if k < 2 {
						a[k] += d
					} else {
						b[k-2] += d
					}
					if sc := latticeScore(c, a, b, 2); sc > cur {
						cur, v1, v2, improved = sc, a, b, true
					}
				}
			}
		}
	}
	return v1, v2, cur
}

// findAxisLattice searches the square lattice aligned with the picture's
// axes (video frames are seldom rotated, but often cropped, which changes
// the period the embedder's size implies) over all periods. The search
// uses no key.
func findAxisLattice(c *acf) (v1, v2 [2]float64, score float64, ok bool) {
	pmin := 36.0
	pmax := math.Min(320, 0.85*float64(min(c.dw, c.dh)))
	best, top := 0.0, math.Inf(-1)
	for q := pmin; q <= pmax; q += 0.25 {
		if sc := latticeScore(c, [2]float64{q, 0}, [2]float64{0, q}, 2); sc > top {
			best, top = q, sc
		}
	}
	if math.IsInf(top, -1) || top <= 0 {
		return v1, v2, 0, false
	}
	return [2]float64{best, 0}, [2]float64{0, best}, top, true
}

// foldTile sums the image modulo the lattice into foldBins² bins.
func foldTile(pl *plane, v1, v2 [2]float64) []float64 {
	det := v1[0]*v2[1] - v2[0]*v1[1]
	i11, i12 := v2[1]/det, -v2[0]/det
	i21, i22 := -v1[1]/det, v1[0]/det
	sum := make([]float64, foldBins*foldBins)
	cnt := make([]float64, foldBins*foldBins)
	for y := 0; y < pl.h; y++ {
		fy := float64(y)
		for x := 0; x < pl.w; x++ {
			fx := float64(x)
			a := i11*fx + i12*fy
			b := i21*fx + i22*fy
			a -= math.Floor(a)
			b -= math.Floor(b)
			bx := min(int(a*foldBins), foldBins-1)
			by := min(int(b*foldBins), foldBins-1)
			k := by*foldBins + bx
			sum[k] += float64(pl.p[y*pl.w+x])
			cnt[k]++
		}
	}
	for i := range sum {
		if cnt[i] > 0 {
			sum[i] /= cnt[i]
		}
	}
	return sum
}

// orient applies one of the 8 symmetries of the square to a fold.
func orient(f []float64, o int) []float64 {
	const n = foldBins
	out := make([]float64, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			sx, sy := x, y
			if o&4 != 0 {
				sx, sy = sy, sx
			}
			if o&1 != 0 {
				sx = n - 1 - sx
			}
			if o&2 != 0 {
				sy = n - 1 - sy
			}
			out[y*n+x] = f[sy*n+sx]
		}
	}
	return out
}

// renderBins renders tile chips at fold resolution (chip i peaks at bin
// position 2i + 0.5), matching the embedder's bilinear interpolation.
func renderBins(chips []float64) []float64 {
	const n = foldBins
	out := make([]float64, n*n)
	for by := 0; by < n; by++ {
		v := float64(by)/2 - 0.25
		j0 := int(math.Floor(v))
		fy := v - float64(j0)
		j0m := (j0 + tileChips) % tileChips
		j1 := (j0m + 1) % tileChips
		for bx := 0; bx < n; bx++ {
			u := float64(bx)/2 - 0.25
			i0 := int(math.Floor(u))
			fx := u - float64(i0)
			i0m := (i0 + tileChips) % tileChips
			i1 := (i0m + 1) % tileChips
			a := chips[j0m*tileChips+i0m]*(1-fx) + chips[j0m*tileChips+i1]*fx
			b := chips[j1*tileChips+i0m]*(1-fx) + chips[j1*tileChips+i1]*fx
			out[by*n+bx] = a*(1-fy) + b*fy
		}
	}
	return out
}

type syncPeak struct {
	z      float64
	o      int
	dx, dy int
}

const decodeAttempts = 3

// accLattices is the number of lattices an Accumulator's analysis tries:
// the autocorrelation's, the axis-aligned one and the embedder's.
const accLattices = 3

// whitenRadius is the radius of the local mean removed before detection.
const whitenRadius = 2

// acfDetrend is the radius of the local mean removed from the
// autocorrelation.
const acfDetrend = 4

// maxLatticePeaks bounds the autocorrelation peaks tried as lattice vectors.
const maxLatticePeaks = 64

// syncAndDecode finds the tile's orientation and cyclic offset with the
// keyed sync pattern, then reads and decodes the message.
func syncAndDecode(fold []float64, t *tile, key watermark.Key, opts Options, hyp float64) (watermark.Result, watermark.Payload, float64, syncPeak) {
	const n = foldBins
	tm := renderBins(t.sync)
	tf := make([]complex128, n*n)
	for i, v := range tm {
		tf[i] = complex(v, 0)
	}
	fft2(tf, n, n, false)
	var peaks []syncPeak
	orients := make([][]float64, 8)
	buf := make([]complex128, n*n)
	for o := 0; o < 8; o++ {
		f := orient(fold, o)
		orients[o] = f
		for i, v := range f {
			buf[i] = complex(v, 0)
		}
		fft2(buf, n, n, false)
		for i := range buf {
			buf[i] *= complex(real(tf[i]), -imag(tf[i]))
		}
		fft2(buf, n, n, true)
		var sum, sq float64
		for _, v := range buf {
			sum += real(v)
			sq += real(v) * real(v)
		}
		mean := sum / (n * n)
		sd := math.Sqrt(math.Max(sq/(n*n)-mean*mean, 1e-300))
		// Best two peaks of this orientation.
		for k := 0; k < 2; k++ {
			bi := 0
			for i, v := range buf {
				if real(v) > real(buf[bi]) {
					bi = i
				}
			}
			peaks = append(peaks, syncPeak{(real(buf[bi]) - mean) / sd, o, bi % n, bi / n})
			// Suppress the neighbourhood of this peak.
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					j := ((bi/n+dy+n)%n)*n + (bi%n+dx+n)%n
					buf[j] = complex(math.Inf(-1), 0)
				}
			}
		}
	}
	sort.Slice(peaks, func(i, j int) bool { return peaks[i].z > peaks[j].z })
	tests := 8 * n * n * hyp
	syncFA := func(z float64) float64 { return math.Min(1, tests*watermark.GaussianTail(z)) }

	var first watermark.Payload
	var firstAgree float64
	for k := 0; k < decodeAttempts && k < len(peaks); k++ {
		pk := peaks[k]
		soft := readSoft(orients[pk.o], t, pk.dx, pk.dy)
		p, ok, agree, err := watermark.Decode(key, soft)
		if err != nil {
			continue
		}
		if k == 0 {
			first, firstAgree = p, agree
		}
		if !ok {
			continue
		}
		fa := syncFA(pk.z) * decodeAttempts * hyp * math.Pow(2, -watermark.CheckBits)
		if fa <= opts.maxFalseAlarm() {
			return watermark.Result{Found: true, Payload: p, Confidence: agree, FalseAlarm: fa}, p, peaks[0].z, pk
		}
	}
	return watermark.Result{Confidence: firstAgree, FalseAlarm: syncFA(peaks[0].z)}, first, peaks[0].z, peaks[0]
}

// readSoft reads one soft value per coded bit from an oriented fold whose
// sync peak sits at cyclic offset (dx, dy).
func readSoft(f []float64, t *tile, dx, dy int) []float64 {
	const n = foldBins
	wts := [4]float64{0.25, 0.75, 0.75, 0.25}
	chips := make([]float64, tileArea)
	for j := 0; j < tileChips; j++ {
		for i := 0; i < tileChips; i++ {
			var v float64
			for a := 0; a < 4; a++ {
				by := (2*j - 1 + a + dy + 2*n) % n
				for b := 0; b < 4; b++ {
					bx := (2*i - 1 + b + dx + 2*n) % n
					v += wts[a] * wts[b] * f[by*n+bx]
				}
			}
			chips[j*tileChips+i] = v
		}
	}
	// Remove the sync component (its gain by regression).
	var rs, ss float64
	for i, v := range chips {
		rs += v * t.sync[i]
		ss += t.sync[i] * t.sync[i]
	}
	g := rs / ss
	soft := make([]float64, watermark.CodedBits)
	for i, v := range chips {
		soft[t.bit[i]] += t.pn[i] * (v - g*t.sync[i])
	}
	return soft
}
