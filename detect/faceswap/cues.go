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
)

// measurement holds the cue scores of one face and what the heatmap needs.
type measurement struct {
	scores [5]float64
	why    [5]string

	w                  *window
	gm, lap, res       []float32
	sigmaOut, sharpOut float64
	cbOut, crOut       float64
}

// measure computes the five picture cues for the face in box.
func measure(img image.Image, box Box, keep bool) *measurement {
	px := float64(box.W) / faceSide
	cx, cy := float64(box.X)+float64(box.W)/2, float64(box.Y)+float64(box.H)/2
	w := cut(img, cx-winSide/2*px, cy-winSide/2*px, px, winSide)
	m := &measurement{w: w}
	n := winSide
	gx, gy := make([]float32, n*n), make([]float32, n*n)
	m.gm, m.lap = make([]float32, n*n), make([]float32, n*n)
	gc := make([]float32, n*n)
	for y := 1; y < n-1; y++ {
		for x := 1; x < n-1; x++ {
			k := y*n + x
			gx[k] = (w.y[k+1] - w.y[k-1]) / 2
			gy[k] = (w.y[k+n] - w.y[k-n]) / 2
			m.gm[k] = float32(math.Hypot(float64(gx[k]), float64(gy[k])))
			m.lap[k] = 4*w.y[k] - w.y[k-1] - w.y[k+1] - w.y[k-n] - w.y[k+n]
			gc[k] = (abs32(w.cb[k+1]-w.cb[k-1]) + abs32(w.cb[k+n]-w.cb[k-n]) +
				abs32(w.cr[k+1]-w.cr[k-1]) + abs32(w.cr[k+n]-w.cr[k-n])) / 2
		}
	}
	b1 := blur3(w.y, n)
	b2 := blur3(b1, n)
	m.res = make([]float32, n*n)
	res2 := make([]float32, n*n)
	for k := range m.res {
		m.res[k] = w.y[k] - b1[k]
		res2[k] = b1[k] - b2[k]
	}
	okIn := func(x, y int) bool { return x >= 1 && y >= 1 && x < n-1 && y < n-1 && w.ok[y*n+x] }

	// Radial profiles along nAngles rays from the face centre.
	var pg, py, pcb, pcr [nAngles][nRho]float64
	var valid [nAngles][nRho]bool
	for a := 0; a < nAngles; a++ {
		th := 2 * math.Pi * float64(a) / nAngles
		c, s := math.Cos(th), math.Sin(th)
		nx, ny := c/axX, s/axY
		nl := math.Hypot(nx, ny)
		nx, ny = nx/nl, ny/nl
		for r := 0; r < nRho; r++ {
			rho := rhoMin + float64(r)*rhoStep
			x := int(math.Round(winSide/2 + rho*axX*c))
			y := int(math.Round(winSide/2 + rho*axY*s))
			if !okIn(x, y) {
				continue
			}
			k := y*n + x
			valid[a][r] = true
			pg[a][r] = math.Abs(float64(gx[k])*nx+float64(gy[k])*ny) + float64(gc[k])
			py[a][r], pcb[a][r], pcr[a][r] = float64(b1[k]), float64(w.cb[k]), float64(w.cr[k])
		}
	}

	// Cue 1: a closed ring of gradient along a hull-shaped ellipse.
	bestB, bestKX, bestKY := math.Inf(-1), 1.0, 1.0
	ratios := make([]float64, 0, nAngles)
	for kx := 0.8; kx <= 1.301; kx += 0.05 {
		for ky := 0.8; ky <= 1.301; ky += 0.05 {
			ratios = ratios[:0]
			for a := 0; a < nAngles; a++ {
				th := 2 * math.Pi * float64(a) / nAngles
				rho := 1 / math.Hypot(math.Cos(th)/kx, math.Sin(th)/ky)
				i0 := int(math.Round((rho - rhoMin) / rhoStep))
				if i0-8 < 0 || i0+8 >= nRho {
					continue
				}
				peak, side, cnt, bad := 0.0, 0.0, 0, false
				for i := i0 - 2; i <= i0+2; i++ {
					if !valid[a][i] {
						bad = true
						break
					}
					peak = math.Max(peak, pg[a][i])
				}
				for d := 4; d <= 8 && !bad; d++ {
					for _, i := range []int{i0 - d, i0 + d} {
						if valid[a][i] {
							side += pg[a][i]
							cnt++
						}
					}
				}
				if bad || cnt < 6 {
					continue
				}
				ratios = append(ratios, math.Log((peak+2)/(side/float64(cnt)+2)))
			}
			if len(ratios) < nAngles/2 {
				continue
			}
			if md := median(ratios); md > bestB {
				bestB, bestKX, bestKY = md, kx, ky
			}
		}
	}
	if math.IsInf(bestB, -1) {
		m.set(0, 0, "blend boundary: too little of the face hull lies inside the picture")
	} else {
		m.set(0, squash(bestB-0.45, 0.5), fmt.Sprintf("gradient along a face-hull ellipse is %.2f× its neighbourhood on the typical ray (ring at %.2f×%.2f of the face)",
			math.Exp(bestB), bestKX, bestKY))
	}

	// Block statistics inside the face and around it.
	type blk struct {
		rho, std, spec, sharp, grad float64
	}
	var in, out []blk
	for by := 0; by+blockSz <= n; by += blockSz {
		for bx := 0; bx+blockSz <= n; bx += blockSz {
			var s1, s2, q1, gsum, lsum float64
			full := true
			for y := by; y < by+blockSz && full; y++ {
				for x := bx; x < bx+blockSz; x++ {
					if !okIn(x, y) {
						full = false
						break
					}
					k := y*n + x
					r := float64(m.res[k])
					s1 += r * r
					q1 += float64(res2[k]) * float64(res2[k])
					gsum += float64(m.gm[k])
					lsum += math.Abs(float64(m.lap[k]))
					s2 += r
				}
			}
			if !full {
				continue
			}
			np := float64(blockSz * blockSz)
			dx := (float64(bx) + blockSz/2 - winSide/2) / axX
			dy := (float64(by) + blockSz/2 - winSide/2) / axY
			b := blk{rho: math.Hypot(dx, dy), std: math.Sqrt(math.Max(s1/np-(s2/np)*(s2/np), 0)),
				spec: math.Sqrt((s1 + 1e-3) / (q1 + 1e-3)), grad: gsum / np, sharp: lsum / (gsum + np)}
			switch {
			case b.rho < 0.7:
				in = append(in, b)
			case b.rho > 1.35 && b.rho < 2.3:
				out = append(out, b)
			}
		}
	}
	if len(in) < 6 || len(out) < 6 {
		m.set(1, 0, "noise: too few measurable blocks inside or around the face")
		m.set(2, 0, "sharpness: too few measurable blocks inside or around the face")
	} else {
		// Cue 2: noise level and noise spectrum on the flattest blocks.
		stdIn, stdOut := quantile(field(in, func(b blk) float64 { return b.std }), 0.25), quantile(field(out, func(b blk) float64 { return b.std }), 0.25)
		flat := func(bs []blk, limit float64) []float64 {
			var v []float64
			for _, b := range bs {
				if b.std <= limit {
					v = append(v, b.spec)
				}
			}
			return v
		}
		specIn := median(flat(in, quantile(field(in, func(b blk) float64 { return b.std }), 0.5)))
		specOut := median(flat(out, quantile(field(out, func(b blk) float64 { return b.std }), 0.5)))
		m.sigmaOut = stdOut
		lvl := math.Abs(math.Log((stdIn + 0.25) / (stdOut + 0.25)))
		spc := math.Abs(math.Log(specIn / specOut))
		m.set(1, squash(lvl+0.5*spc-0.15, 0.6), fmt.Sprintf("noise σ %.2f inside the face vs %.2f around it; fine/coarse noise ratio %.2f vs %.2f",
			stdIn, stdOut, specIn, specOut))

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
		m.set(3, squash(q-2, 6), fmt.Sprintf("colour/brightness step across the face edge is %.1f (8-bit units) even where it is smallest", q))
	}

	// Cue 5: resampling traces at native resolution.
	m.resampling(img, box)
	if !keep {
		m.w, m.gm, m.lap, m.res = nil, nil, nil, nil
	}
	return m
}

// resampling compares the spectral balance (Laplacian energy per unit of
// gradient energy) of the face with patches around it at the picture's
// own resolution: a face scaled up from a smaller source has lost its
// finest detail, one scaled down is unnaturally crisp.
func (m *measurement) resampling(img image.Image, box Box) {
	b := img.Bounds()
	at := sampler(img)
	s := box.W
	q := min(max(int(0.4*float64(s)), 16), 128)
	cx, cy := box.X+s/2, box.Y+s/2
	ratio := func(x0, y0 int) (float64, bool) {
		r := image.Rect(x0-1, y0-1, x0+q+1, y0+q+1)
		if !r.In(b) {
			return 0, false
		}
		p := make([]float64, (q+2)*(q+2))
		for y := 0; y < q+2; y++ {
			for x := 0; x < q+2; x++ {
				v, _, _ := at(x0-1+x, y0-1+y)
				p[y*(q+2)+x] = float64(v)
			}
		}
		var el, eg float64
		st := q + 2
		for y := 1; y <= q; y++ {
			for x := 1; x <= q; x++ {
				k := y*st + x
				l := 4*p[k] - p[k-1] - p[k+1] - p[k-st] - p[k+st]
				gx, gy := p[k+1]-p[k], p[k+st]-p[k]
				el += l * l
				eg += gx*gx + gy*gy
			}
		}
		return (el + 1) / (eg + 1), true
	}
	rin, ok := ratio(cx-q/2, cy-q/2+s/20)
	var outs []float64
	for _, o := range [][2]float64{{-1.05, 0}, {1.05, 0}, {0, -0.95}, {-1.05, 1.1}, {1.05, 1.1}} {
		if r, ok := ratio(cx+int(o[0]*float64(s))-q/2, cy+int(o[1]*float64(s))-q/2); ok {
			outs = append(outs, r)
		}
	}
	if !ok || len(outs) == 0 {
		m.set(4, 0, "resampling: no room around the face to compare with")
		return
	}
	rout := median(outs)
	v := math.Abs(math.Log(rin / rout))
	m.set(4, squash(v-0.15, 0.5), fmt.Sprintf("fine-detail balance %.2f in the face vs %.2f around it (resampled faces differ)", rin, rout))
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
	case CueNoise, CueResampling:
		for k := range v {
			v[k] = abs32(m.res[k])
		}
		v = blur3(blur3(v, n), n)
		ref = m.sigmaOut
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
