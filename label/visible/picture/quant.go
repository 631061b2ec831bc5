package picture

import (
	"image/color"
	"slices"
)

// maxPalette is the most entries a PNG or GIF palette holds.
const maxPalette = 256

// A quantizer maps the colours of a label, composited onto a paletted
// picture, to palette indices. It starts from the picture's palette, whose
// entries keep their indices (so every pixel outside the label keeps its
// index and colour), and appends the label's colours while there is room:
// all of them when they fit, otherwise a median-cut summary of them. A
// colour without an exact entry gets the nearest one.
type quantizer struct {
	pal   color.Palette
	rgba  []color.NRGBA // pal, non-premultiplied
	exact map[color.NRGBA]int
	near  map[color.NRGBA]int
}

// newQuantizer returns a quantizer for pal extended to hold want (colours
// with their pixel counts) as well as it can. pal is not changed.
func newQuantizer(pal color.Palette, want map[color.NRGBA]int) *quantizer {
	q := &quantizer{exact: map[color.NRGBA]int{}, near: map[color.NRGBA]int{}}
	for _, c := range pal {
		q.add(c)
	}
	var missing []weighted
	for c, n := range want {
		if _, ok := q.exact[c]; !ok {
			missing = append(missing, weighted{c, n})
		}
	}
	// Map iteration order is random: sort so the output is the same on
	// every run.
	slices.SortFunc(missing, func(a, b weighted) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return int(pack(a.c)) - int(pack(b.c))
	})
	free := maxPalette - len(q.pal)
	if len(missing) <= free {
		for _, w := range missing {
			q.add(w.c)
		}
		return q
	}
	for _, c := range medianCut(missing, free) {
		if _, ok := q.exact[c]; !ok {
			q.add(c)
		}
	}
	return q
}

func pack(c color.NRGBA) uint32 {
	return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A)
}

func (q *quantizer) add(c color.Color) {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	if _, ok := q.exact[n]; !ok {
		q.exact[n] = len(q.pal)
	}
	q.pal = append(q.pal, c)
	q.rgba = append(q.rgba, n)
}

// index returns the palette index for c: its own entry, or the nearest
// (by squared distance of premultiplied components and alpha) that is not
// fully transparent unless c is.
func (q *quantizer) index(c color.NRGBA) int {
	if i, ok := q.exact[c]; ok {
		return i
	}
	if i, ok := q.near[c]; ok {
		return i
	}
	best, bestD := 0, -1
	for i, p := range q.rgba {
		if p.A == 0 && c.A != 0 {
			continue // a visible colour never becomes transparent
		}
		if d := distance(c, p); bestD < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	q.near[c] = best
	return best
}

func distance(a, b color.NRGBA) int {
	pm := func(v, alpha uint8) int { return int(v) * int(alpha) / 255 }
	dr := pm(a.R, a.A) - pm(b.R, b.A)
	dg := pm(a.G, a.A) - pm(b.G, b.A)
	db := pm(a.B, a.A) - pm(b.B, b.A)
	da := int(a.A) - int(b.A)
	return dr*dr + dg*dg + db*db + da*da
}

// weighted is a colour and how many pixels have it.
type weighted struct {
	c color.NRGBA
	n int
}

// medianCut summarises cs in at most k colours: it splits the box of
// colours with the widest channel range at the pixel-weighted median of
// that channel until there are k boxes, and returns each box's
// pixel-weighted mean.
func medianCut(cs []weighted, k int) []color.NRGBA {
	if k <= 0 || len(cs) == 0 {
		return nil
	}
	boxes := [][]weighted{cs}
	for len(boxes) < k {
		bi, ch, width := -1, 0, 0
		for i, b := range boxes {
			if len(b) < 2 {
				continue
			}
			for c := 0; c < 4; c++ {
				lo, hi := 255, 0
				for _, w := range b {
					v := channel(w.c, c)
					lo, hi = min(lo, v), max(hi, v)
				}
				if hi-lo > width {
					bi, ch, width = i, c, hi-lo
				}
			}
		}
		if bi < 0 {
			break // every box holds one colour
		}
		b := boxes[bi]
		slices.SortStableFunc(b, func(x, y weighted) int { return channel(x.c, ch) - channel(y.c, ch) })
		total := 0
		for _, w := range b {
			total += w.n
		}
		cut, acc := 1, 0
		for i, w := range b[:len(b)-1] {
			acc += w.n
			cut = i + 1
			if 2*acc >= total {
				break
			}
		}
		boxes[bi] = b[:cut:cut]
		boxes = append(boxes, b[cut:])
	}
	out := make([]color.NRGBA, 0, len(boxes))
	for _, b := range boxes {
		var s [4]int
		n := 0
		for _, w := range b {
			for c := 0; c < 4; c++ {
				s[c] += channel(w.c, c) * w.n
			}
			n += w.n
		}
		out = append(out, color.NRGBA{uint8((s[0] + n/2) / n), uint8((s[1] + n/2) / n), uint8((s[2] + n/2) / n), uint8((s[3] + n/2) / n)})
	}
	return out
}

func channel(c color.NRGBA, i int) int {
	switch i {
	case 0:
		return int(c.R)
	case 1:
		return int(c.G)
	case 2:
		return int(c.B)
	}
	return int(c.A)
}
