package visible

import (
	"image"
	"math"
	"slices"
	"sync"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/vector"
)

// Label defaults and limits.
const (
	// DefaultText is the label text when Style.Text is empty.
	DefaultText = "AI生成"
	// DefaultSize is the text height when Style.Size is zero, as a
	// fraction of the picture's shortest side.
	DefaultSize = 0.06
	// MinSize is the smallest size accepted: GB 45438-2025 clause 5 asks
	// for text at least 5 % of the shortest side high.
	MinSize = 0.05
	// MaxSize is the largest size accepted.
	MaxSize = 0.5
	// MinInkPixels is the least ink height drawn, whatever the size: text
	// any smaller is not legible, so small pictures get a relatively
	// larger label (or ErrNoFit).
	MinInkPixels = 8
	// PlateAlpha is the opacity of the black plate behind the text
	// (184/255 = 72 %). The plate keeps at most 28 % of the picture under
	// it (sRGB value 255 becomes 71, relative luminance 0.063), so white
	// text on it has a WCAG contrast ratio of at least 9.3:1 on any
	// picture: white, black or busy.
	PlateAlpha = 184
	// MarginFraction is the gap between the plate and the picture's
	// edges, as a fraction of the shortest side (at least one pixel).
	MarginFraction = 0.02
	// PadX and PadY are the plate's padding around the ink, as fractions
	// of the ink height.
	PadX = 0.5
	PadY = 0.3
	// MaxSide bounds the picture sizes Render accepts.
	MaxSide = 1 << 16
	// maxMaskPixels bounds the memory one rendering takes.
	maxMaskPixels = 1 << 25
)

// Style says how to draw an explicit label. The zero value draws
// DefaultText at DefaultSize in the bottom-right corner with the embedded
// font.
type Style struct {
	// Text is the label text; it must pass CheckText. Empty means
	// DefaultText.
	Text string
	// Size is the least height of the text's ink (the bounding box of the
	// pixels it draws) as a fraction of the picture's shortest side.
	// Zero means DefaultSize; values under MinSize or over MaxSize are
	// refused.
	Size float64
	// Position is the corner or edge the label sits at.
	Position Position
	// Font draws the text; nil means DefaultFont().
	Font *Font
}

func (s Style) withDefaults() Style {
	if s.Text == "" {
		s.Text = DefaultText
	}
	if s.Size == 0 {
		s.Size = DefaultSize
	}
	if s.Font == nil {
		s.Font = DefaultFont()
	}
	return s
}

// Validate reports whether the style can be drawn: the text rule, the size
// range, the position and the font's coverage of the text.
func (s Style) Validate() error {
	_, err := s.Renderer()
	return err
}

// Renderer checks the style and returns a Renderer for it. The Renderer is
// safe for concurrent use and keeps the overlays of the last few picture
// sizes it drew: the overlays it returns are shared and must not be
// modified.
func (s Style) Renderer() (Renderer, error) {
	s = s.withDefaults()
	if err := CheckText(s.Text); err != nil {
		return nil, err
	}
	if math.IsNaN(s.Size) || s.Size < MinSize || s.Size > MaxSize {
		return nil, newError(ErrSize, "label size %g is outside %g..%g (a fraction of the picture's shortest side; GB 45438-2025 asks for at least 0.05)", s.Size, MinSize, MaxSize)
	}
	if !s.Position.valid() {
		return nil, newError(ErrPosition, "invalid position %d; use one of %s", int(s.Position), positionList())
	}
	l, err := s.Font.layout(s.Text)
	if err != nil {
		return nil, err
	}
	r := &renderer{style: s, line: l, cache: map[image.Point]Overlay{}}
	return r.render, nil
}

// Render draws the label for a picture of w×h pixels (as the viewer sees
// it).
func (s Style) Render(w, h int) (Overlay, error) {
	r, err := s.Renderer()
	if err != nil {
		return Overlay{}, err
	}
	return r(w, h)
}

type renderer struct {
	style Style
	line  *line
	mu    sync.Mutex
	cache map[image.Point]Overlay
}

const cacheSizes = 8

func (r *renderer) render(w, h int) (Overlay, error) {
	key := image.Pt(w, h)
	r.mu.Lock()
	o, ok := r.cache[key]
	r.mu.Unlock()
	if ok {
		return o, nil
	}
	o, err := r.draw(w, h)
	if err != nil {
		return Overlay{}, err
	}
	r.mu.Lock()
	if len(r.cache) >= cacheSizes {
		clear(r.cache)
	}
	r.cache[key] = o
	r.mu.Unlock()
	return o, nil
}

// draw renders the overlay for a w×h picture.
func (r *renderer) draw(w, h int) (Overlay, error) {
	s := r.style
	if w <= 0 || h <= 0 || w > MaxSide || h > MaxSide {
		return Overlay{}, newError(ErrNoFit, "picture size %d×%d is outside 1..%d", w, h, MaxSide)
	}
	short := min(w, h)
	target := max(int(math.Ceil(s.Size*float64(short)-1e-9)), MinInkPixels)
	margin := max(1, int(math.Round(MarginFraction*float64(short))))
	if target > short {
		return Overlay{}, r.noFit(w, h, target, target, margin)
	}
	// Refuse early when even the ink box at the estimated scale cannot fit.
	l := r.line
	scale := float64(target) / (l.maxY - l.minY)
	est := (l.maxX - l.minX) * scale
	if est > float64(w) {
		return Overlay{}, r.noFit(w, h, int(est), target, margin)
	}
	if est*float64(target)*2 > maxMaskPixels {
		return Overlay{}, newError(ErrNoFit, "label %q at size %g on a %d×%d picture would be larger than %d pixels", s.Text, s.Size, w, h, maxMaskPixels/2)
	}
	mask, ink, err := l.sized(target, scale)
	if err != nil {
		return Overlay{}, err
	}
	hgt := solidHeight(mask)
	padX := max(2, int(math.Ceil(PadX*float64(hgt))))
	padY := max(2, int(math.Ceil(PadY*float64(hgt))))
	pw, ph := ink.Dx()+2*padX, ink.Dy()+2*padY
	if pw+2*margin > w || ph+2*margin > h {
		return Overlay{}, r.noFit(w, h, pw, ph, margin)
	}
	img := image.NewNRGBA(image.Rect(0, 0, pw, ph))
	for y := 0; y < ph; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*pw]
		my := y - padY + ink.Min.Y
		for x := 0; x < pw; x++ {
			mx := x - padX + ink.Min.X
			c := uint32(0)
			if image.Pt(mx, my).In(mask.Rect) {
				c = uint32(mask.Pix[(my-mask.Rect.Min.Y)*mask.Stride+mx-mask.Rect.Min.X])
			}
			// White text of coverage c over the plate: alpha c + A(1-c),
			// colour c / alpha (non-premultiplied).
			a := c*255 + PlateAlpha*(255-c) // alpha × 255
			v := uint8(0)
			if c > 0 {
				v = uint8((c*255*255 + a/2) / a)
			}
			p := row[4*x : 4*x+4]
			p[0], p[1], p[2], p[3] = v, v, v, uint8((a+127)/255)
		}
	}
	var at image.Point
	switch s.Position.horizontal() {
	case -1:
		at.X = margin
	case 0:
		at.X = (w - pw) / 2
	default:
		at.X = w - margin - pw
	}
	switch s.Position.vertical() {
	case -1:
		at.Y = margin
	case 0:
		at.Y = (h - ph) / 2
	default:
		at.Y = h - margin - ph
	}
	return Overlay{Image: img, At: at}, nil
}

func (r *renderer) noFit(w, h, pw, ph, margin int) error {
	return newError(ErrNoFit, "label %q at size %g needs about %d×%d pixels plus a %d-pixel margin, the picture is %d×%d; use a shorter text or a larger picture",
		r.style.Text, r.style.Size, pw, ph, margin, w, h)
}

// sized rasterizes the line so that its solid ink height (rows with a pixel
// at least half covered) is at least target pixels, starting from scale
// (pixels per font unit). It returns the coverage mask and the bounding box
// of every pixel with any coverage.
func (l *line) sized(target int, scale float64) (*image.Alpha, image.Rectangle, error) {
	for range 40 {
		// Measure the letters without punctuation, whose brackets reach
		// higher and lower than the characters.
		got := solidHeight(l.rasterize(scale, true))
		if got >= target {
			mask := l.rasterize(scale, false)
			return mask, inkBounds(mask), nil
		}
		// Grow by the shortfall, at least 1 %.
		scale *= max(1.01, (float64(target)+0.25)/float64(max(got, 1)))
	}
	return nil, image.Rectangle{}, newError(ErrFont, "cannot size the text to %d pixels of ink", target)
}

// rasterize draws the line at scale pixels per font unit into a coverage
// mask with a 2-pixel border, the top of the ink box on a pixel boundary.
// letters leaves out punctuation, symbols and spaces, unless that would
// leave nothing.
func (l *line) rasterize(scale float64, letters bool) *image.Alpha {
	const border = 2
	w := int(math.Ceil((l.maxX-l.minX)*scale)) + 2*border
	h := int(math.Ceil((l.maxY-l.minY)*scale)) + 2*border
	ox, oy := border-l.minX*scale, border-l.minY*scale
	z := vector.NewRasterizer(w, h)
	letters = letters && slices.ContainsFunc(l.glyphs, func(g glyph) bool { return g.letter })
	for _, g := range l.glyphs {
		if letters && !g.letter {
			continue
		}
		open := false
		pt := func(p [3]fixedPoint, i int) (float32, float32) {
			return float32(ox + (g.x+p[i].x)*scale), float32(oy + p[i].y*scale)
		}
		for _, s := range g.segs {
			a := toPoints(s)
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				if open {
					z.ClosePath()
				}
				z.MoveTo(pt(a, 0))
				open = true
			case sfnt.SegmentOpLineTo:
				z.LineTo(pt(a, 0))
			case sfnt.SegmentOpQuadTo:
				bx, by := pt(a, 0)
				cx, cy := pt(a, 1)
				z.QuadTo(bx, by, cx, cy)
			case sfnt.SegmentOpCubeTo:
				bx, by := pt(a, 0)
				cx, cy := pt(a, 1)
				dx, dy := pt(a, 2)
				z.CubeTo(bx, by, cx, cy, dx, dy)
			}
		}
		if open {
			z.ClosePath()
		}
	}
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	z.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	return mask
}

type fixedPoint struct{ x, y float64 }

// toPoints converts a segment's 26.6 font-unit arguments to float units.
func toPoints(s sfnt.Segment) [3]fixedPoint {
	var a [3]fixedPoint
	for i, p := range s.Args {
		a[i] = fixedPoint{float64(p.X) / 64, float64(p.Y) / 64}
	}
	return a
}

// solidHeight counts the rows between the first and last row holding a
// pixel at least half covered.
func solidHeight(m *image.Alpha) int {
	top, bottom := -1, -1
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		row := m.Pix[(y-m.Rect.Min.Y)*m.Stride : (y-m.Rect.Min.Y)*m.Stride+m.Rect.Dx()]
		for _, c := range row {
			if c >= 128 {
				if top < 0 {
					top = y
				}
				bottom = y
				break
			}
		}
	}
	if top < 0 {
		return 0
	}
	return bottom - top + 1
}

// inkBounds is the bounding box of the pixels with any coverage.
func inkBounds(m *image.Alpha) image.Rectangle {
	r := image.Rectangle{}
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		row := m.Pix[(y-m.Rect.Min.Y)*m.Stride : (y-m.Rect.Min.Y)*m.Stride+m.Rect.Dx()]
		first := slices.IndexFunc(row, func(c uint8) bool { return c > 0 })
		if first < 0 {
			continue
		}
		last := len(row) - 1
		for row[last] == 0 {
			last--
		}
		r = r.Union(image.Rect(first, y, last+1, y+1).Add(image.Pt(m.Rect.Min.X, 0)))
	}
	return r
}
