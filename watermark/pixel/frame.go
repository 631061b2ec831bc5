package pixel

import (
	"fmt"
	"image"
	"math"

	"github.com/aigcmark/aigcmark/watermark"
)

// A FrameMarker adds the mark to the 8-bit luma planes of video frames of
// one size, in place. It draws the same tile pattern Embed draws on an
// image of that size, so Detect and an Accumulator read both alike; what
// differs is the strength, which is computed cheaply per frame:
//
//   - texture is the luma deviation inside blocks of about two chips
//     (8×8 pixels at 1080p), one pass of integer sums;
//   - the amplitude of a block follows Embed's rule, g·(2 + σ) capped at
//     1 + 0.5·σ levels, with g solved per frame on the block statistics
//     for the target PSNR, and is interpolated bilinearly between block
//     centres;
//   - a block keeps the amplitude it had in the previous frame unless the
//     new one differs by more than 12 %: on a static scene (codec noise
//     included) every frame gets the identical mark, so nothing flickers.
//
// Build one per video with NewFrameMarker (it renders the pattern once);
// MarkLuma keeps that per-block state, so a FrameMarker must see the
// frames of one video in order and is not safe for concurrent use.
type FrameMarker struct {
	w, h   int
	pat    []float32 // unit pattern per pixel, as embedDelta renders it
	bs     int       // block side in pixels
	bw, bh int       // blocks per row and column
	pe     []float32 // mean pattern² per block
	cur    []float32 // amplitude in effect per block (full-range levels)
	have   bool      // cur holds a previous frame's amplitudes
	sd     []float32 // scratch: block deviations
	rowAmp []float32 // scratch: block amplitudes of one pixel row
	pixAmp []float32 // scratch: amplitude of every pixel of one row
	target float64   // rms delta for the PSNR, full-range levels
}

// hysteresis is the relative change under which a block keeps its
// previous amplitude.
const hysteresis = 0.12

// NewFrameMarker prepares the mark carrying payload under key for w×h
// frames. opts.PSNR sets the target luma PSNR (0 means DefaultPSNR).
func NewFrameMarker(w, h int, key watermark.Key, payload watermark.Payload, opts Options) (*FrameMarker, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("pixel: frame size %dx%d", w, h)
	}
	if err := checkSize(image.Rect(0, 0, w, h)); err != nil {
		return nil, err
	}
	c := videoChipSize(w, h)
	pat := newTile(key).pattern(watermark.Encode(key, payload))
	m := &FrameMarker{w: w, h: h, pat: renderPattern(w, h, c, pat)}
	r := max(2, int(math.Round(c)))
	m.bs = max(8, 2*r)
	m.bw, m.bh = (w+m.bs-1)/m.bs, (h+m.bs-1)/m.bs
	nb := m.bw * m.bh
	m.pe = make([]float32, nb)
	m.cur = make([]float32, nb)
	m.sd = make([]float32, nb)
	m.rowAmp = make([]float32, m.bw)
	m.pixAmp = make([]float32, w)
	cnt := make([]float32, nb)
	for y := 0; y < h; y++ {
		by := y / m.bs * m.bw
		for x, v := range m.pat[y*w : (y+1)*w] {
			m.pe[by+x/m.bs] += v * v
			cnt[by+x/m.bs]++
		}
	}
	for i := range m.pe {
		m.pe[i] /= cnt[i]
	}
	m.target = 255 * math.Pow(10, -opts.psnr()/20)
	return m, nil
}

// Size returns the frame size the marker was built for.
func (m *FrameMarker) Size() (w, h int) { return m.w, m.h }

// MarkLuma adds the mark to the w×h luma plane y (8-bit samples, rows
// stride bytes apart), in place. fullRange tells whether the samples span
// 0–255 (else 16–235, and the mark is scaled by 219/255 so that it has the
// same size on screen). A sample is never pushed past the nominal range
// further than it already was.
func (m *FrameMarker) MarkLuma(y []byte, stride int, fullRange bool) error {
	if stride < m.w {
		return fmt.Errorf("pixel: luma stride %d under the frame width %d", stride, m.w)
	}
	if need := (m.h-1)*stride + m.w; len(y) < need {
		return fmt.Errorf("pixel: luma plane of %d bytes, a %dx%d plane with stride %d needs %d", len(y), m.w, m.h, stride, need)
	}
	m.blockDeviation(y, stride)
	m.updateAmplitudes()
	scale := float32(1)
	lo, hi := float32(0), float32(255)
	if !fullRange {
		scale, lo, hi = 219.0/255, 16, 235
	}
	bs := m.bs
	for yy := 0; yy < m.h; yy++ {
		// Block amplitudes interpolated to this row, then along it.
		v := (float32(yy)+0.5)/float32(bs) - 0.5
		j0 := int(math.Floor(float64(v)))
		fy := v - float32(j0)
		j1 := min(j0+1, m.bh-1)
		j0 = max(j0, 0)
		c0 := m.cur[j0*m.bw : (j0+1)*m.bw]
		c1 := m.cur[j1*m.bw : (j1+1)*m.bw]
		for i := range m.rowAmp {
			m.rowAmp[i] = scale * (c0[i] + fy*(c1[i]-c0[i]))
		}
		m.interpolateRow()
		row := y[yy*stride : yy*stride+m.w]
		pr := m.pat[yy*m.w : (yy+1)*m.w]
		for x, s := range row {
			o := float32(s)
			n := o + m.pixAmp[x]*pr[x]
			if n > hi {
				n = max(hi, o)
			} else if n < lo {
				n = min(lo, o)
			}
			row[x] = uint8(n + 0.5)
		}
	}
	return nil
}

// interpolateRow fills pixAmp from rowAmp: constant before the first block
// centre and after the last, linear between centres.
func (m *FrameMarker) interpolateRow() {
	bs := m.bs
	half := bs / 2
	a := m.rowAmp
	out := m.pixAmp
	x := 0
	for ; x < min(half, m.w); x++ {
		out[x] = a[0]
	}
	step := 1 / float32(bs)
	for k := 0; k+1 < len(a) && x < m.w; k++ {
		d := (a[k+1] - a[k]) * step
		v := a[k] + d*(float32(x-(k*bs+half))+0.5)
		end := min((k+1)*bs+half, m.w)
		for ; x < end; x++ {
			out[x] = v
			v += d
		}
	}
	for ; x < m.w; x++ {
		out[x] = a[len(a)-1]
	}
}

// blockDeviation measures the luma deviation of every block.
func (m *FrameMarker) blockDeviation(y []byte, stride int) {
	bs := m.bs
	for by := 0; by < m.bh; by++ {
		y0, y1 := by*bs, min((by+1)*bs, m.h)
		for bx := 0; bx < m.bw; bx++ {
			x0, x1 := bx*bs, min((bx+1)*bs, m.w)
			var s, sq uint32
			for yy := y0; yy < y1; yy++ {
				for _, v := range y[yy*stride+x0 : yy*stride+x1] {
					s += uint32(v)
					sq += uint32(v) * uint32(v)
				}
			}
			n := float64((y1 - y0) * (x1 - x0))
			mean := float64(s) / n
			m.sd[by*m.bw+bx] = float32(math.Sqrt(math.Max(0, float64(sq)/n-mean*mean)))
		}
	}
}

// updateAmplitudes solves the frame's gain for the PSNR target and
// updates the blocks whose amplitude moved by more than the hysteresis.
func (m *FrameMarker) updateAmplitudes() {
	amp := func(g, sd float32) float32 {
		return min(g*(maskFloor+min(sd, maskCap)), flatMax+texGain*sd)
	}
	mse := func(g float32) float64 {
		var s float64
		for i, sd := range m.sd {
			a := amp(g, sd)
			s += float64(a * a * m.pe[i])
		}
		return s / float64(len(m.sd))
	}
	t2 := m.target * m.target
	lo, hi := float32(0), float32(2)
	for it := 0; it < 24; it++ {
		mid := (lo + hi) / 2
		if mse(mid) < t2 {
			lo = mid
		} else {
			hi = mid
		}
	}
	for i, sd := range m.sd {
		a := amp(lo, sd)
		if c := m.cur[i]; !m.have || math.Abs(float64(a-c)) > hysteresis*float64(c)+0.01 {
			m.cur[i] = a
		}
	}
	m.have = true
}

// renderPattern renders the tile chips pat (tileChips² values) over a
// w×h picture with chip size c by bilinear interpolation. Embed and the
// frame marker both draw with it, so images and video frames carry the
// same mark.
func renderPattern(w, h int, c float64, pat []float64) []float32 {
	type ax struct {
		i0, i1 int
		f      float32
	}
	axis := func(n int) []ax {
		a := make([]ax, n)
		for i := range a {
			u := (float64(i)+0.5)/c - 0.5
			f := math.Floor(u)
			i0 := ((int(f) % tileChips) + tileChips) % tileChips
			a[i] = ax{i0, (i0 + 1) % tileChips, float32(u - f)}
		}
		return a
	}
	cols, rows := axis(w), axis(h)
	pf := make([]float32, len(pat))
	for i, v := range pat {
		pf[i] = float32(v)
	}
	out := make([]float32, w*h)
	for yy := 0; yy < h; yy++ {
		rw := rows[yy]
		r0 := pf[rw.i0*tileChips : (rw.i0+1)*tileChips]
		r1 := pf[rw.i1*tileChips : (rw.i1+1)*tileChips]
		fy := rw.f
		o := out[yy*w : (yy+1)*w]
		for xx := range o {
			cl := cols[xx]
			a := r0[cl.i0] + cl.f*(r0[cl.i1]-r0[cl.i0])
			b := r1[cl.i0] + cl.f*(r1[cl.i1]-r1[cl.i0])
			o[xx] = a + fy*(b-a)
		}
	}
	return out
}
