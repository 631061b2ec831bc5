package faceswap

import (
	"fmt"
	"image"
	"math"
	"slices"
)

// Canonical geometry: every face is resampled so that its box is faceSide
// pixels wide, centred in a winSide window. The face hull is modelled as an
// ellipse of half-axes axX×axY around the box centre; the cues search
// scaled versions of it because real swap masks vary.
const (
	faceSide = 128
	winSide  = 320
	axX      = 0.40 * faceSide
	axY      = 0.52 * faceSide
	nAngles  = 48
	rhoMin   = 0.4
	rhoStep  = 0.025
	nRho     = 57 // rhoMin … 1.8
	blockSz  = 8
	// The seam search: ellipses of seamMin…seamMax times the hull on each
	// axis, each against the parallel ellipses seamOff inside and outside
	// it, sampled at seamAngles points averaged over arcs of seamArc.
	seamMin, seamMax, seamStep, seamOff = 0.8, 1.1, 0.05, 0.12
	seamAngles, seamArc                 = 192, 8
	// noiseGrid is the number of native-resolution noise samples per face
	// side (every few pixels on large faces; neighbours stay native).
	noiseGrid = 80
)

// measurement holds the cue scores of one face and what the heatmap needs.
type measurement struct {
	scores [nCues]float64
	why    [nCues]string

	w            *window
	gm, lap, res []float32
	sharpOut     float64
	cbOut, crOut float64
}

// measure computes the picture cues (in the order of ImageCues) for the
// face in box.
func measure(img image.Image, box Box, keep bool) *measurement {
	px := float64(box.W) / faceSide
	cx, cy := float64(box.X)+float64(box.W)/2, float64(box.Y)+float64(box.H)/2
	w := cut(img, cx-winSide/2*px, cy-winSide/2*px, px, winSide)
	m := &measurement{w: w}
	n := winSide
	gx, gy := make([]float32, n*n), make([]float32, n*n)
	m.gm, m.lap = make([]float32, n*n), make([]float32, n*n)
	for y := 1; y < n-1; y++ {
		for x := 1; x < n-1; x++ {
			k := y*n + x
			gx[k] = (w.y[k+1] - w.y[k-1]) / 2
			gy[k] = (w.y[k+n] - w.y[k-n]) / 2
			m.gm[k] = float32(math.Hypot(float64(gx[k]), float64(gy[k])))
			m.lap[k] = 4*w.y[k] - w.y[k-1] - w.y[k+1] - w.y[k-n] - w.y[k+n]
		}
	}
	b1 := blur3(w.y, n)
	m.res = make([]float32, n*n)
	for k := range m.res {
		m.res[k] = w.y[k] - b1[k]
	}
	cb1, cr1 := blur3(w.cb, n), blur3(w.cr, n)
	okIn := func(x, y int) bool { return x >= 1 && y >= 1 && x < n-1 && y < n-1 && w.ok[y*n+x] }

	// Radial profiles along nAngles rays from the face centre.
	var py, pcb, pcr [nAngles][nRho]float64
	var valid [nAngles][nRho]bool
	for a := 0; a < nAngles; a++ {
		th := 2 * math.Pi * float64(a) / nAngles
		c, s := math.Cos(th), math.Sin(th)
		for r := 0; r < nRho; r++ {
			rho := rhoMin + float64(r)*rhoStep
			x := int(math.Round(winSide/2 + rho*axX*c))
			y := int(math.Round(winSide/2 + rho*axY*s))
			if !okIn(x, y) {
				continue
			}
			k := y*n + x
			valid[a][r] = true
			py[a][r], pcb[a][r], pcr[a][r] = float64(b1[k]), float64(w.cb[k]), float64(w.cr[k])
		}
	}

	// Cue 1: a seam along a hull-shaped ellipse around the face. The
	// signed step across the ellipse (luma and chroma) is averaged over
	// short arcs: a pasted edge keeps its sign along the arc and survives,
	// skin texture and noise average out. It is compared with the same
	// measure on parallel ellipses just inside and just outside, where a
	// real face's features and contour give as much.
	bestB, bestKX, bestKY := math.Inf(-1), 1.0, 1.0
	for kx := seamMin; kx <= seamMax+1e-9; kx += seamStep {
		for ky := seamMin; ky <= seamMax+1e-9; ky += seamStep {
			on, ok := m.arcSteps(w, b1, cb1, cr1, kx, ky)
			if !ok {
				continue
			}
			in, ok1 := m.arcSteps(w, b1, cb1, cr1, kx-seamOff, ky-seamOff)
			out, ok2 := m.arcSteps(w, b1, cb1, cr1, kx+seamOff, ky+seamOff)
			if !ok1 || !ok2 {
				continue
			}
			if v := math.Log((on + 1) / (math.Max(in, out) + 1)); v > bestB {
				bestB, bestKX, bestKY = v, kx, ky
			}
		}
	}
	if math.IsInf(bestB, -1) {
		m.set(0, 0, "blend boundary: too little of the face hull lies inside the picture")
	} else {
		m.set(0, squash(bestB-0.1, 0.5), fmt.Sprintf("a steady step across a ring at %.2f×%.2f of the face hull is %.2f× that on rings just inside and outside it",
			bestKX, bestKY, math.Exp(bestB)))
	}

	// Block statistics inside the face and around it.
	type blk struct {
		rho, sharp, grad float64
	}
	var in, out []blk
	for by := 0; by+blockSz <= n; by += blockSz {
		for bx := 0; bx+blockSz <= n; bx += blockSz {
			var gsum, lsum float64
			full := true
			for y := by; y < by+blockSz && full; y++ {
				for x := bx; x < bx+blockSz; x++ {
					if !okIn(x, y) {
						full = false
						break
					}
					k := y*n + x
					gsum += float64(m.gm[k])
					lsum += math.Abs(float64(m.lap[k]))
				}
			}
			if !full {
				continue
			}
			np := float64(blockSz * blockSz)
			dx := (float64(bx) + blockSz/2 - winSide/2) / axX
			dy := (float64(by) + blockSz/2 - winSide/2) / axY
			b := blk{rho: math.Hypot(dx, dy), grad: gsum / np, sharp: lsum / (gsum + np)}
			switch {
			case b.rho < 0.7:
				in = append(in, b)
			case b.rho > 1.35 && b.rho < 2.3:
				out = append(out, b)
			}
		}
	}
	if len(in) < 6 || len(out) < 6 {
		m.set(2, 0, "sharpness: too few measurable blocks inside or around the face")
	} else {
		// Cue 3: edge sharpness (Laplacian per unit gradient) on the most
		// textured blocks.
		sharp := func(bs []blk) float64 {
			lim := quantile(field(bs, func(b blk) float64 { return b.grad }), 0.7)
			var v []float64
			for _, b := range bs {
				if b.grad >= lim {
					v = append(v, b.sharp)
				}
			}
			return median(v)
		}
		shIn, shOut := sharp(in), sharp(out)
		m.sharpOut = shOut
		m.set(2, squash(math.Abs(math.Log((shIn+0.05)/(shOut+0.05)))-0.2, 0.5),
			fmt.Sprintf("edge sharpness %.2f inside the face vs %.2f around it", shIn, shOut))
	}

	// Cue 4: colour and brightness step across the hull found by cue 1,
	// taken where it is smallest (where skin meets skin in a real face).
	var steps []float64
	var sumCb, sumCr, cntOut float64
	for a := 0; a < nAngles; a++ {
		th := 2 * math.Pi * float64(a) / nAngles
		rho := 1 / math.Hypot(math.Cos(th)/bestKX, math.Sin(th)/bestKY)
		i0 := int(math.Round((rho - rhoMin) / rhoStep))
		var iy, icb, icr, oy, ocb, ocr, ni, no float64
		for d := 3; d <= 8; d++ {
			if i := i0 - d; i >= 0 && i < nRho && valid[a][i] {
				iy, icb, icr, ni = iy+py[a][i], icb+pcb[a][i], icr+pcr[a][i], ni+1
			}
			if i := i0 + d; i >= 0 && i < nRho && valid[a][i] {
				oy, ocb, ocr, no = oy+py[a][i], ocb+pcb[a][i], ocr+pcr[a][i], no+1
			}
		}
		if ni < 3 || no < 3 {
			continue
		}
		dC := math.Hypot(icb/ni-ocb/no, icr/ni-ocr/no)
		steps = append(steps, dC+0.25*math.Abs(iy/ni-oy/no))
		sumCb, sumCr, cntOut = sumCb+ocb/no, sumCr+ocr/no, cntOut+1
	}
	if len(steps) < nAngles/3 {
		m.set(3, 0, "colour: too little of the face edge lies inside the picture")
	} else {
		m.cbOut, m.crOut = sumCb/cntOut, sumCr/cntOut
		q := quantile(steps, 0.25)
		m.set(3, squash(q-2, 15), fmt.Sprintf("colour/brightness step across the face edge is %.1f (8-bit units) even where it is smallest", q))
	}

	// Cues 2, 5 and 6 at native resolution.
	m.nativeNoise(img, box)
	if !keep {
		m.w, m.gm, m.lap, m.res = nil, nil, nil, nil
	}
	return m
}

func (m *measurement) set(i int, score float64, why string) {
	m.scores[i] = math.Round(score*1000) / 1000
	m.why[i] = why
}

// heatmap draws the named cue as a grey map in picture coordinates.
func (m *measurement) heatmap(cue string) *image.Gray {
	w := m.w
	if w == nil {
		return nil
	}
	n := winSide
	v := make([]float32, n*n)
	ref := 0.0
	switch cue {
	case CueBoundary:
		copy(v, m.gm)
		ref = float64(median32(m.gm))
	case CueNoise, CueResampling, CueNoiseCorr:
		for k := range v {
			v[k] = abs32(m.res[k])
		}
		v = blur3(blur3(v, n), n)
		// The typical residual of the window: the cue itself is measured
		// at the picture's resolution, in other units.
		ref = float64(median32(v))
	case CueSharpness:
		for k := range v {
			v[k] = abs32(m.lap[k]) / (m.gm[k] + 1)
		}
		v = blur3(blur3(v, n), n)
		ref = m.sharpOut
	default:
		for k := range v {
			v[k] = float32(math.Hypot(float64(w.cb[k])-m.cbOut, float64(w.cr[k])-m.crOut))
		}
		ref = 4
	}
	side := int(math.Round(float64(n) * w.px))
	org := image.Pt(int(math.Round(w.x0)), int(math.Round(w.y0)))
	r := image.Rectangle{Min: org, Max: org.Add(image.Pt(side, side))}
	g := image.NewGray(r)
	for y := 0; y < side; y++ {
		j := min(int(float64(y)/w.px), n-1)
		for x := 0; x < side; x++ {
			i := min(int(float64(x)/w.px), n-1)
			k := j*n + i
			if !w.ok[k] {
				continue
			}
			h := math.Abs(math.Log((float64(v[k]) + 0.5) / (ref + 0.5)))
			g.Pix[y*g.Stride+x] = uint8(math.Min(h/2, 1) * 255)
		}
	}
	return g
}

// squash maps an excess x ≥ 0 to [0, 1) with scale s; x ≤ 0 maps to 0.
func squash(x, s float64) float64 {
	if x <= 0 || math.IsNaN(x) {
		return 0
	}
	return 1 - math.Exp(-x/s)
}

func field[T any](xs []T, f func(T) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

func median(xs []float64) float64 { return quantile(xs, 0.5) }

func median32(xs []float32) float32 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// nativeNoise measures the noise inside the face and around it at the
// picture's own resolution, where resampling has not yet mixed it: on the
// flattest pixels of each region, the level (mean absolute Laplacian) and
// the correlation of neighbouring Laplacians, which is −0.4 for white
// sensor noise and rises when a face was interpolated from another
// picture (its noise is smoothed and correlated). Pixels are visited on a
// grid of about noiseGrid points per face side so the cost does not grow
// with the face.
func (m *measurement) nativeNoise(img image.Image, box Box) {
	b := img.Bounds()
	at := sampler(img)
	s := float64(box.W)
	cx, cy := float64(box.X)+s/2, float64(box.Y)+s/2
	ax, ay := 0.40*s, 0.52*s
	st := max(1, box.W/noiseGrid)
	type pt struct{ g, l, ln float64 }
	var in, out []pt
	x0, x1 := max(b.Min.X+2, int(cx-2*ax)), min(b.Max.X-3, int(cx+2*ax))
	y0, y1 := max(b.Min.Y+2, int(cy-2*ay)), min(b.Max.Y-3, int(cy+2*ay))
	lum := func(x, y int) float64 {
		v, _, _ := at(x, y)
		return float64(v)
	}
	for y := y0; y <= y1; y += st {
		dy := (float64(y) - cy) / ay
		for x := x0; x <= x1; x += st {
			dx := (float64(x) - cx) / ax
			rho := math.Hypot(dx, dy)
			inner := rho < 0.65
			if !inner && (rho < 1.25 || rho > 2) {
				continue
			}
			p, l, r, u, d := lum(x, y), lum(x-1, y), lum(x+1, y), lum(x, y-1), lum(x, y+1)
			r2, ru, rd := lum(x+2, y), lum(x+1, y-1), lum(x+1, y+1)
			q := pt{
				g:  math.Abs(r2-lum(x-2, y)) + math.Abs(lum(x, y+2)-lum(x, y-2)),
				l:  4*p - l - r - u - d,
				ln: 4*r - p - r2 - ru - rd,
			}
			if inner {
				in = append(in, q)
			} else {
				out = append(out, q)
			}
		}
	}
	// Noise is measured on pixels equally flat inside and outside (a
	// gradient limit shared by both regions), so that a face merely more
	// textured than its surroundings does not read as noisier; when one
	// region has too few such pixels, on its own flattest ones.
	gs := func(ps []pt) []float64 {
		g := make([]float64, len(ps))
		for i, p := range ps {
			g[i] = p.g
		}
		return g
	}
	stats := func(ps []pt, lim, limC float64) (float64, float64, bool) {
		var sa, n, sll, sln, nc float64
		for _, p := range ps {
			if p.g > lim {
				continue
			}
			sa += math.Abs(p.l)
			n++
			if p.g <= limC {
				sll += p.l * p.l
				sln += p.l * p.ln
				nc++
			}
		}
		if n < 50 || nc < 30 {
			return 0, 0, false
		}
		return sa / n, sln / (sll + 1e-9), true
	}
	var sIn, cIn, sOut, cOut float64
	ok1, ok2 := len(in) >= 250, len(out) >= 250
	if ok1 && ok2 {
		all := append(gs(in), gs(out)...)
		lim, limC := quantile(all, 0.3), quantile(all, 0.2)
		sIn, cIn, ok1 = stats(in, lim, limC)
		sOut, cOut, ok2 = stats(out, lim, limC)
		if !ok1 || !ok2 {
			gi, gu := gs(in), gs(out)
			sIn, cIn, ok1 = stats(in, quantile(gi, 0.4), quantile(gi, 0.25))
			sOut, cOut, ok2 = stats(out, quantile(gu, 0.4), quantile(gu, 0.25))
		}
	}
	// Fine-detail balance on the most textured pixels: Laplacian per unit
	// of 2-px gradient. A face scaled up from a smaller source lost its
	// finest detail; one scaled down is unnaturally crisp.
	detail := func(ps []pt) (float64, bool) {
		if len(ps) < 250 {
			return 0, false
		}
		lim := quantile(gs(ps), 0.7)
		var sl, sg float64
		for _, p := range ps {
			if p.g >= lim {
				sl += math.Abs(p.l)
				sg += p.g
			}
		}
		return (sl + 1) / (sg + 1), true
	}
	dIn, okI := detail(in)
	dOut, okO := detail(out)
	if okI && okO {
		m.set(4, squash(math.Abs(math.Log(dIn/dOut))-0.1, 0.5), fmt.Sprintf("fine-detail balance %.2f in the face vs %.2f around it on the most textured pixels, at the picture's resolution (resampled faces differ)", dIn, dOut))
	} else {
		m.set(4, 0, "resampling: too few pixels inside or around the face")
	}
	if !ok1 || !ok2 {
		m.set(1, 0, "noise: too few pixels inside or around the face")
		m.set(5, 0, "noise correlation: too few pixels inside or around the face")
		return
	}
	m.set(1, squash(math.Abs(math.Log((sIn+0.5)/(sOut+0.5)))-0.1, 1.5),
		fmt.Sprintf("noise level %.2f inside the face vs %.2f around it, at the picture's resolution on the flattest pixels", sIn, sOut))
	m.set(5, squash(math.Abs(cIn-cOut)-0.04, 0.2),
		fmt.Sprintf("neighbouring noise correlation %.2f inside the face vs %.2f around it (−0.40 for untouched sensor noise; resampling raises it)", cIn, cOut))
}

// arcSteps returns the median, over arcs of seamArc of seamAngles points
// on the ellipse of kx×ky times the hull, of the magnitude of the
// arc-averaged signed step across it (luma and chroma, 8-bit units), and
// false when too little of the ellipse lies inside the picture.
func (m *measurement) arcSteps(w *window, y, cb, cr []float32, kx, ky float64) (float64, bool) {
	n := w.n
	val := func(p []float32, fx, fy float64) (float64, bool) {
		x, yy := int(fx), int(fy)
		if x < 0 || yy < 0 || x+1 >= n || yy+1 >= n {
			return 0, false
		}
		k := yy*n + x
		if !w.ok[k] || !w.ok[k+1+n] {
			return 0, false
		}
		ax, ay := float32(fx-float64(x)), float32(fy-float64(yy))
		return float64((1-ax)*(1-ay)*p[k] + ax*(1-ay)*p[k+1] + (1-ax)*ay*p[k+n] + ax*ay*p[k+n+1]), true
	}
	const d = 1.5 // pixels to either side of the ellipse
	var arcs []float64
	var sy, sb, sr float64
	cnt, bad := 0, false
	for i := 0; i < seamAngles; i++ {
		th := 2 * math.Pi * float64(i) / seamAngles
		c, s := math.Cos(th), math.Sin(th)
		ex, ey := kx*axX*c, ky*axY*s
		// Outward normal of the ellipse at this point.
		nx, ny := c/(kx*axX), s/(ky*axY)
		nl := math.Hypot(nx, ny)
		nx, ny = nx/nl, ny/nl
		px, py := winSide/2+ex, winSide/2+ey
		var st [3]float64
		for j, p := range [][]float32{y, cb, cr} {
			a, ok1 := val(p, px+d*nx, py+d*ny)
			b, ok2 := val(p, px-d*nx, py-d*ny)
			if !ok1 || !ok2 {
				bad = true
			}
			st[j] = a - b
		}
		sy, sb, sr = sy+st[0], sb+st[1], sr+st[2]
		cnt++
		if cnt == seamArc {
			if !bad {
				arcs = append(arcs, (math.Abs(sy)+math.Abs(sb)+math.Abs(sr))/seamArc)
			}
			sy, sb, sr, cnt, bad = 0, 0, 0, 0, false
		}
	}
	if len(arcs) < seamAngles/seamArc/2 {
		return 0, false
	}
	return median(arcs), true
}
