package visible

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// Found is an explicit label found in a picture's pixels by Locate.
type Found struct {
	// Position is the corner or edge the label sits at.
	Position Position
	// Plate is the dark plate behind the text. Where the picture around
	// the plate is as dark as the plate itself, that side cannot be seen
	// and is estimated from the ink box and the padding Render uses.
	Plate image.Rectangle
	// Edges is how many of the plate's four sides were seen in the pixels.
	Edges int
	// Ink is the bounding box of the text's ink: pixels at least halfway
	// from the plate's brightness to the text's.
	Ink image.Rectangle
	// InkHeight is Ink's height as a fraction of the picture's shortest
	// side: what GB 45438-2025 clause 5 asks to be at least 0.05.
	InkHeight float64
}

// Locate thresholds, in 8-bit sRGB.
const (
	brightLuma   = 160 // text pixels are at least this bright...
	brightChroma = 90  // ...and this close to grey
	darkMax      = 100 // plate pixels have no channel above this (the plate keeps ≤ 71)
	workingShort = 720 // the search runs on a copy whose shortest side is at most this
)

// Locate looks for an explicit label drawn by this package — bright text
// on a plate that darkens the picture, at one of the eight positions — and
// measures it from the pixels alone. It reads the text's shape, not its
// words: light text on a dark box at a corner or edge of a picture (a
// caption on a black band, say) can be reported as well. The tests find
// labels of sizes 0.05 to 0.15 at every position on white, black, noise,
// gradient and busy backgrounds after JPEG at quality 75, and nothing on
// such pictures without a label. Pictures are searched at a scale whose
// shortest side is at most 720 pixels and measured at full resolution.
func Locate(img image.Image) (Found, bool) {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	short := min(W, H)
	if short < 2*MinInkPixels {
		return Found{}, false
	}
	pix := newPixels(img)
	f := (short + workingShort - 1) / workingShort
	wk := pix.downscale(f)

	var best Found
	ok := false
	for _, c := range wk.lineCandidates() {
		found, good := pix.measure(c, f)
		if good && (!ok || found.Ink.Dx()*found.Ink.Dy() > best.Ink.Dx()*best.Ink.Dy()) {
			best, ok = found, true
		}
	}
	if ok {
		best.Plate = best.Plate.Add(b.Min)
		best.Ink = best.Ink.Add(b.Min)
	}
	return best, ok
}

// pixels reads RGB rows of an image, relative to its bounds.
type pixels struct {
	img  image.Image
	w, h int
}

func newPixels(img image.Image) *pixels {
	return &pixels{img: img, w: img.Bounds().Dx(), h: img.Bounds().Dy()}
}

// row fills dst with R, G, B of pixels x0..x1-1 of row y.
func (p *pixels) row(y, x0, x1 int, dst []uint8) {
	b := p.img.Bounds()
	y += b.Min.Y
	switch m := p.img.(type) {
	case *image.YCbCr:
		for x := x0; x < x1; x++ {
			yi, ci := m.YOffset(x+b.Min.X, y), m.COffset(x+b.Min.X, y)
			r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			dst[0], dst[1], dst[2] = r, g, bl
			dst = dst[3:]
		}
	case *image.NRGBA:
		s := m.Pix[m.PixOffset(x0+b.Min.X, y):]
		for i := 0; i < x1-x0; i++ {
			dst[3*i], dst[3*i+1], dst[3*i+2] = s[4*i], s[4*i+1], s[4*i+2]
		}
	case *image.RGBA:
		s := m.Pix[m.PixOffset(x0+b.Min.X, y):]
		for i := 0; i < x1-x0; i++ {
			dst[3*i], dst[3*i+1], dst[3*i+2] = s[4*i], s[4*i+1], s[4*i+2]
		}
	case *image.Gray:
		s := m.Pix[m.PixOffset(x0+b.Min.X, y):]
		for i := 0; i < x1-x0; i++ {
			dst[3*i], dst[3*i+1], dst[3*i+2] = s[i], s[i], s[i]
		}
	default:
		for x := x0; x < x1; x++ {
			r, g, bl, _ := p.img.At(x+b.Min.X, y).RGBA()
			dst[0], dst[1], dst[2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			dst = dst[3:]
		}
	}
}

// plane holds, per pixel, the luma and the largest and smallest channel.
type plane struct {
	w, h         int
	luma, mx, mn []uint8
}

func (q *plane) bright(i int) bool { return q.luma[i] >= brightLuma && q.mx[i]-q.mn[i] <= brightChroma }
func (q *plane) dark(i int) bool   { return q.mx[i] <= darkMax }

func luma(r, g, b int) uint8 { return uint8((299*r + 587*g + 114*b + 500) / 1000) }

// downscale averages f×f blocks into a plane.
func (p *pixels) downscale(f int) *plane {
	q := &plane{w: p.w / f, h: p.h / f}
	n := q.w * q.h
	q.luma, q.mx, q.mn = make([]uint8, n), make([]uint8, n), make([]uint8, n)
	rowBuf := make([]uint8, 3*q.w*f)
	sum := make([]int, 3*q.w)
	for y := 0; y < q.h; y++ {
		clear(sum)
		for dy := 0; dy < f; dy++ {
			p.row(y*f+dy, 0, q.w*f, rowBuf)
			for x := 0; x < q.w*f; x++ {
				o := 3 * (x / f)
				sum[o] += int(rowBuf[3*x])
				sum[o+1] += int(rowBuf[3*x+1])
				sum[o+2] += int(rowBuf[3*x+2])
			}
		}
		d := f * f
		for x := 0; x < q.w; x++ {
			r, g, b := (sum[3*x]+d/2)/d, (sum[3*x+1]+d/2)/d, (sum[3*x+2]+d/2)/d
			i := y*q.w + x
			q.luma[i] = luma(r, g, b)
			q.mx[i] = uint8(max(r, g, b))
			q.mn[i] = uint8(min(r, g, b))
		}
	}
	return q
}

// component is a connected set of bright pixels.
type component struct {
	r image.Rectangle
	n int
}

// components labels the 8-connected components of bright pixels and
// returns those that could be part of a glyph: not touching the border, at
// least 3 pixels high, at most half the picture.
func (q *plane) components() []component {
	seen := make([]bool, q.w*q.h)
	var out []component
	var stack []int
	for start := range seen {
		if seen[start] || !q.bright(start) {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		c := component{r: image.Rect(start%q.w, start/q.w, start%q.w+1, start/q.w+1)}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%q.w, i/q.w
			c.n++
			c.r = c.r.Union(image.Rect(x, y, x+1, y+1))
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= q.w || ny >= q.h {
						continue
					}
					j := ny*q.w + nx
					if !seen[j] && q.bright(j) {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
		}
		if c.r.Min.X == 0 || c.r.Min.Y == 0 || c.r.Max.X == q.w || c.r.Max.Y == q.h {
			continue
		}
		if c.r.Dy() >= 3 && c.n >= 3 && c.r.Dy() <= q.h/2 && c.r.Dx() <= q.w/2 {
			out = append(out, c)
		}
	}
	return out
}

// candidate is a text line found at the working scale.
type candidate struct {
	r      image.Rectangle // the union of its components
	parts  int
	glyphs []glyphBox
}

// lineCandidates groups glyph components into lines and keeps the lines
// that look like light text on a dark plate. Parts stacked one above the
// other (日 under 知) first join into glyphs; glyphs then join into a line
// when their vertical extents overlap by half the smaller height and the
// gap between them is at most 0.4 of the larger height. Inside a line the
// gaps are narrow, while the plate's padding (PadX, 0.5 of the ink height)
// keeps the text apart from whatever lies beyond the plate, unless that is
// much taller than the text (see line).
func (q *plane) lineCandidates() []candidate {
	var comps []component
	for _, c := range q.components() {
		// Glyph parts sit on the plate: most pixels around them are dark.
		if q.ringDark(c.r, 2) >= 0.55 {
			comps = append(comps, c)
		}
	}
	stacked := func(a, b image.Rectangle) bool {
		overlapX := min(a.Max.X, b.Max.X) - max(a.Min.X, b.Min.X)
		gapY := max(a.Min.Y, b.Min.Y) - min(a.Max.Y, b.Max.Y)
		// Parts of one glyph have similar widths.
		similar := 4*max(a.Dx(), b.Dx()) <= 9*min(a.Dx(), b.Dx())
		return similar && 2*overlapX >= min(a.Dx(), b.Dx()) && gapY <= max(1, min(a.Dy(), b.Dy())/4)
	}
	rects := make([]image.Rectangle, len(comps))
	for i, c := range comps {
		rects[i] = c.r
	}
	var glyphs []glyphBox
	for _, idx := range cluster(rects, 0, stacked) {
		g := glyphBox{r: comps[idx[0]].r}
		for _, i := range idx {
			g.r = g.r.Union(comps[i].r)
			g.parts = append(g.parts, comps[i].r)
		}
		glyphs = append(glyphs, g)
	}
	maxH := 0
	rects = rects[:0]
	for _, g := range glyphs {
		maxH = max(maxH, g.r.Dy())
		rects = append(rects, g.r)
	}
	var out []candidate
	for _, idx := range cluster(rects, max(2, 2*maxH/5), beside) {
		l := make([]glyphBox, len(idx))
		for k, i := range idx {
			l[k] = glyphs[i]
		}
		if c, ok := q.line(l); ok {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if a.r.Min.Y != b.r.Min.Y {
			return a.r.Min.Y - b.r.Min.Y
		}
		return a.r.Min.X - b.r.Min.X
	})
	return out
}

// beside reports whether two glyphs sit side by side on one line: their
// vertical extents overlap by half the smaller height and the gap between
// them is at most 0.4 of the larger height.
func beside(a, b image.Rectangle) bool {
	gap := max(a.Min.X, b.Min.X) - min(a.Max.X, b.Max.X)
	overlapY := min(a.Max.Y, b.Max.Y) - max(a.Min.Y, b.Min.Y)
	return gap <= max(2, 2*max(a.Dy(), b.Dy())/5) && 2*overlapY >= min(a.Dy(), b.Dy())
}

// glyphBox is a glyph: components stacked one above the other.
type glyphBox struct {
	r     image.Rectangle
	parts []image.Rectangle
}

// cluster groups the rectangles for which together holds, transitively,
// and returns the groups as index lists. Pairs are only tried when their x
// ranges come within reach of each other.
func cluster(rs []image.Rectangle, reach int, together func(a, b image.Rectangle) bool) [][]int {
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return rs[a].Min.X - rs[b].Min.X })
	parent := make([]int, len(rs))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for k, i := range order {
		a := rs[i]
		for _, j := range order[k+1:] {
			if rs[j].Min.X > a.Max.X+reach {
				break
			}
			if together(a, rs[j]) {
				if ri, rj := find(i), find(j); ri != rj {
					parent[ri] = rj
				}
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for _, i := range order {
		r := find(i)
		if groups[r] == nil {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([][]int, len(roots))
	for k, r := range roots {
		out[k] = groups[r]
	}
	return out
}

// line checks a group of glyphs. When the whole group fails, it tries
// again with only the glyphs inside the line's band (between the median top
// and bottom of its glyphs) — dropping, say, a bright shape beside the
// plate that joined the line — and those parts of the other glyphs that fit
// the band.
func (q *plane) line(g []glyphBox) (candidate, bool) {
	parts := 0
	for _, b := range g {
		parts += len(b.parts)
	}
	if parts < 3 {
		return candidate{}, false
	}
	c := candidate{r: g[0].r, parts: parts}
	for _, b := range g[1:] {
		c.r = c.r.Union(b.r)
	}
	c.glyphs = g
	if q.plausible(c) {
		return c, true
	}
	// The line's band: the median top and bottom of its glyphs.
	tops, bottoms := make([]int, len(g)), make([]int, len(g))
	for i, b := range g {
		tops[i], bottoms[i] = b.r.Min.Y, b.r.Max.Y
	}
	slices.Sort(tops)
	slices.Sort(bottoms)
	top, bottom := tops[len(g)/2], bottoms[len(g)/2]
	slack := max(1, (bottom-top)/5)
	band := image.Rect(math.MinInt32, top-slack, math.MaxInt32, bottom+slack)
	var inBand []glyphBox
	var rest []image.Rectangle
	for _, b := range g {
		if b.r.In(band) {
			inBand = append(inBand, b)
		} else {
			rest = append(rest, b.parts...)
		}
	}
	if len(rest) == 0 {
		return candidate{}, false
	}
	// Without the glyphs that left the band, the rest may fall apart:
	// group again and try each piece, largest first.
	rects := make([]image.Rectangle, len(inBand))
	for i, b := range inBand {
		rects[i] = b.r
	}
	var pieces []candidate
	for _, idx := range cluster(rects, max(2, 2*(bottom-top+2*slack)/5), beside) {
		var c candidate
		for _, i := range idx {
			c.r = c.r.Union(inBand[i].r)
			c.parts += len(inBand[i].parts)
			c.glyphs = append(c.glyphs, inBand[i])
		}
		reach := 2 * (bottom - top) / 5
		near := image.Rect(c.r.Min.X-reach, band.Min.Y, c.r.Max.X+reach, band.Max.Y)
		for _, p := range rest {
			if p.Min.Y >= near.Min.Y && p.Max.Y <= near.Max.Y && p.Overlaps(near) {
				c.r = c.r.Union(p)
				c.parts++
			}
		}
		if c.parts >= 3 {
			pieces = append(pieces, c)
		}
	}
	slices.SortFunc(pieces, func(a, b candidate) int { return b.r.Dx() - a.r.Dx() })
	for _, c := range pieces {
		if q.plausible(c) {
			return c, true
		}
	}
	return candidate{}, false
}

// plausible checks a line at the working scale: several glyphs as tall as
// the line, wider than high, a ring of dark plate around it and a mix of
// text and plate inside.
func (q *plane) plausible(l candidate) bool {
	h := l.r.Dy()
	if l.parts < 3 || h < 5 || l.r.Dx() < 3*h/2 {
		return false
	}
	// Text: at least three glyphs nearly as tall as the line (a label
	// has four characters or more), not specks of light.
	tall := 0
	for _, g := range l.glyphs {
		if 5*g.r.Dy() >= 3*h {
			tall++
		}
	}
	if tall < 3 {
		return false
	}
	r1 := max(1, int(math.Round(0.1*float64(h))))
	r2 := max(r1+1, int(math.Round(0.22*float64(h))))
	outer := l.r.Inset(-r2)
	inner := l.r.Inset(-r1)
	if !outer.In(image.Rect(0, 0, q.w, q.h)) {
		return false
	}
	total := outer.Dx()*outer.Dy() - inner.Dx()*inner.Dy()
	budget := total * 8 / 100 // pixels of the ring that may be other than dark
	brightBudget := total / 100
	for y := outer.Min.Y; y < outer.Max.Y; y++ {
		for x := outer.Min.X; x < outer.Max.X; x++ {
			if image.Pt(x, y).In(inner) {
				x = inner.Max.X - 1
				continue
			}
			i := y*q.w + x
			if q.dark(i) {
				continue
			}
			if budget--; budget < 0 {
				return false
			}
			if q.bright(i) {
				if brightBudget--; brightBudget < 0 {
					return false
				}
			}
		}
	}
	var nb, nd int
	for y := l.r.Min.Y; y < l.r.Max.Y; y++ {
		for x := l.r.Min.X; x < l.r.Max.X; x++ {
			i := y*q.w + x
			switch {
			case q.bright(i):
				nb++
			case q.dark(i):
				nd++
			}
		}
	}
	area := l.r.Dx() * l.r.Dy()
	return nb*100 >= 8*area && nb*100 <= 80*area && nd*100 >= 15*area
}

// measure refines a candidate at full resolution: the ink box, the plate
// and the position. It reports false when the line is not at one of the
// eight positions.
func (p *pixels) measure(c candidate, f int) (Found, bool) {
	h := c.r.Dy()
	r1 := max(1, int(math.Round(0.1*float64(h))))
	region := image.Rect(c.r.Min.X*f, c.r.Min.Y*f, c.r.Max.X*f, c.r.Max.Y*f).
		Inset(-r1 * f).Intersect(image.Rect(0, 0, p.w, p.h))
	rw := region.Dx()
	ys := make([]uint8, rw*region.Dy())
	buf := make([]uint8, 3*rw)
	var darkSum, darkN int
	var hist [256]int
	for y := region.Min.Y; y < region.Max.Y; y++ {
		p.row(y, region.Min.X, region.Max.X, buf)
		for x := 0; x < rw; x++ {
			r, g, b := int(buf[3*x]), int(buf[3*x+1]), int(buf[3*x+2])
			v := luma(r, g, b)
			ys[(y-region.Min.Y)*rw+x] = v
			hist[v]++
			if max(r, g, b) <= darkMax {
				darkSum += int(v)
				darkN++
			}
		}
	}
	if darkN == 0 {
		return Found{}, false
	}
	// The text level: the 99th percentile of the region's brightness.
	text, n := 255, 0
	for ; text > 0; text-- {
		if n += hist[text]; n*100 >= len(ys) {
			break
		}
	}
	plateLevel := darkSum / darkN
	if text-plateLevel < 60 {
		return Found{}, false
	}
	thr := uint8((plateLevel + text + 1) / 2)
	var ink image.Rectangle
	for y := 0; y < region.Dy(); y++ {
		row := ys[y*rw : (y+1)*rw]
		first := slices.IndexFunc(row, func(v uint8) bool { return v >= thr })
		if first < 0 {
			continue
		}
		last := rw - 1
		for row[last] < thr {
			last--
		}
		ink = ink.Union(image.Rect(first, y, last+1, y+1))
	}
	ink = ink.Add(region.Min)
	if ink.Dy() < MinInkPixels/2 {
		return Found{}, false
	}
	plate, edges := p.plate(ink)
	pos, ok := p.position(plate)
	if !ok {
		return Found{}, false
	}
	return Found{
		Position:  pos,
		Plate:     plate,
		Edges:     edges,
		Ink:       ink,
		InkHeight: float64(ink.Dy()) / float64(min(p.w, p.h)),
	}, true
}

// plate finds the plate's sides around the ink box. Render pads the ink
// by PadX and PadY of its height, so each side is looked for near there:
// the first line outward that is no longer plate — mostly not dark, or
// much brighter than the line inside it (the plate keeps 28 % of the
// picture, so leaving it multiplies the brightness by about 3.6 unless the
// picture is black there). A side not seen that way (a black picture, or
// one that changes right at the plate's edge) is put at the padding. It
// returns the plate and the number of sides seen.
func (p *pixels) plate(ink image.Rectangle) (image.Rectangle, int) {
	H := float64(ink.Dy())
	nomX := int(math.Ceil(PadX * H))
	nomY := int(math.Ceil(PadY * H))
	tol := max(2, int(math.Ceil(0.25*H)))
	buf := make([]uint8, 3*max(ink.Dx(), ink.Dy()))
	row := func(y int) []uint8 {
		p.row(y, ink.Min.X, ink.Max.X, buf)
		return buf[:3*ink.Dx()]
	}
	col := func(x int) []uint8 {
		for y := ink.Min.Y; y < ink.Max.Y; y++ {
			p.row(y, x, x+1, buf[3*(y-ink.Min.Y):])
		}
		return buf[:3*ink.Dy()]
	}
	edges := 0
	// side returns the outermost plate line at about nom lines from the
	// ink's edge line from, going in direction step.
	side := func(from, step, nom, bound int, line func(int) []uint8) int {
		first := max(1, nom-tol)
		prevAt := from + step*(first-1)
		if prevAt < 0 || prevAt >= bound {
			return from + step*nom
		}
		_, prev := lineStats(line(prevAt))
		for n := first; n <= nom+tol; n++ {
			at := from + step*n
			if at < 0 || at >= bound {
				break
			}
			dark, level := lineStats(line(at))
			if dark < 0.6 || level > 1.8*prev+6 {
				edges++
				return at - step
			}
			prev = level
		}
		return from + step*nom
	}
	top := side(ink.Min.Y, -1, nomY, p.h, row)
	bottom := side(ink.Max.Y-1, +1, nomY, p.h, row)
	left := side(ink.Min.X, -1, nomX, p.w, col)
	right := side(ink.Max.X-1, +1, nomX, p.w, col)
	r := image.Rect(left, top, right+1, bottom+1).Intersect(image.Rect(0, 0, p.w, p.h))
	return r, edges
}

// lineStats returns the share of RGB triples with no channel above
// darkMax, and the mean of their largest channels.
func lineStats(rgb []uint8) (dark, level float64) {
	n, d, sum := len(rgb)/3, 0, 0
	for i := 0; i+2 < len(rgb); i += 3 {
		m := max(rgb[i], rgb[i+1], rgb[i+2])
		sum += int(m)
		if m <= darkMax {
			d++
		}
	}
	n = max(n, 1)
	return float64(d) / float64(n), float64(sum) / float64(n)
}

// position names the corner or edge the plate is at, or reports false.
func (p *pixels) position(plate image.Rectangle) (Position, bool) {
	short := min(p.w, p.h)
	tol := max(3, int(0.05*float64(short)))
	axis := func(lo, hi, size int) (int, bool) {
		nearLo, nearHi := lo <= tol, size-hi <= tol
		centred := abs(lo+hi-size) <= 2*max(3, int(0.015*float64(size)))
		switch {
		case nearLo && !nearHi:
			return -1, true
		case nearHi && !nearLo:
			return 1, true
		case centred:
			return 0, true
		}
		return 0, false
	}
	h, okH := axis(plate.Min.X, plate.Max.X, p.w)
	v, okV := axis(plate.Min.Y, plate.Max.Y, p.h)
	if !okH || !okV {
		return 0, false
	}
	return positionAt(h, v)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ringDark is the share of the pixels just outside r (at distance 1 to d)
// that are dark.
func (q *plane) ringDark(r image.Rectangle, d int) float64 {
	outer := r.Inset(-d).Intersect(image.Rect(0, 0, q.w, q.h))
	var n, k int
	for y := outer.Min.Y; y < outer.Max.Y; y++ {
		for x := outer.Min.X; x < outer.Max.X; x++ {
			if image.Pt(x, y).In(r) {
				x = r.Max.X - 1
				continue
			}
			n++
			if q.dark(y*q.w + x) {
				k++
			}
		}
	}
	return float64(k) / float64(max(n, 1))
}
