package visible

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

//go:generate bash font/gen.sh

// notoSubset is Noto Sans CJK SC Bold cut down to the characters listed in
// font/chars.txt (SIL Open Font License 1.1, font/OFL.txt).
//
//go:embed font/NotoSansCJKsc-Bold.subset.otf
var notoSubset []byte

// MaxFontBytes bounds the font files LoadFont accepts.
const MaxFontBytes = 64 << 20

// Font is a parsed TrueType or OpenType (CFF) font. It is safe for
// concurrent use.
type Font struct {
	sf   *sfnt.Font
	name string
	upem fixed.Int26_6 // units per em, as the ppem that makes LoadGlyph return font units
}

var defaultFont = sync.OnceValues(func() (*Font, error) { return LoadFont(notoSubset) })

// DefaultFont returns the embedded font: a subset of Noto Sans CJK SC Bold
// with printable ASCII, CJK and fullwidth punctuation, the label and notice
// wordings and about 1400 common Chinese characters (font/chars.txt lists
// them; font/gen.sh rebuilds the subset).
func DefaultFont() *Font {
	f, err := defaultFont()
	if err != nil {
		panic("visible: the embedded font does not parse: " + err.Error())
	}
	return f
}

// LoadFont parses a TrueType (.ttf) or OpenType (.otf, CFF outlines) font,
// or the first font of a collection (.ttc/.otc). It copies data.
func LoadFont(data []byte) (*Font, error) {
	if len(data) > MaxFontBytes {
		return nil, newError(ErrFont, "font file is %d bytes, more than the limit of %d", len(data), MaxFontBytes)
	}
	data = bytes.Clone(data)
	var (
		sf  *sfnt.Font
		err error
	)
	if bytes.HasPrefix(data, []byte("ttcf")) {
		var c *sfnt.Collection
		if c, err = sfnt.ParseCollection(data); err == nil {
			sf, err = c.Font(0)
		}
	} else {
		sf, err = sfnt.Parse(data)
	}
	if err != nil {
		return nil, &Error{Kind: ErrFont, Msg: "cannot parse the font (TrueType, OpenType or a collection of them expected)", Err: err}
	}
	upem := sf.UnitsPerEm()
	if upem < 16 || upem > 16384 {
		return nil, newError(ErrFont, "font has %d units per em, outside 16..16384", upem)
	}
	f := &Font{sf: sf, upem: fixed.I(int(upem))}
	var b sfnt.Buffer
	for _, id := range []sfnt.NameID{sfnt.NameIDFull, sfnt.NameIDFamily, sfnt.NameIDPostScript} {
		if n, err := sf.Name(&b, id); err == nil && n != "" {
			f.name = n
			break
		}
	}
	if f.name == "" {
		f.name = "unnamed font"
	}
	return f, nil
}

// Name returns the font's full name.
func (f *Font) Name() string { return f.name }

// Missing returns the characters of s the font has no glyph for, each once
// in text order. Spaces count: a font without a space glyph cannot set
// "AI 生成" either.
func (f *Font) Missing(s string) []rune {
	var b sfnt.Buffer
	var missing []rune
	seen := map[rune]bool{}
	for _, r := range s {
		if seen[r] {
			continue
		}
		seen[r] = true
		if x, err := f.sf.GlyphIndex(&b, r); err != nil || x == 0 {
			missing = append(missing, r)
		}
	}
	return missing
}

// glyph is one glyph's outline in font units, Y down, placed on the line.
type glyph struct {
	x      float64 // pen position in font units
	segs   []sfnt.Segment
	letter bool // a letter or digit, not punctuation, a symbol or a space
}

// line is a text laid out in font units with its ink box (from the outline
// points, Y down, baseline at 0).
type line struct {
	glyphs                 []glyph
	minX, minY, maxX, maxY float64
}

// layout sets s left to right on one line, one glyph per character, with
// the font's kerning. It refuses characters without a glyph.
func (f *Font) layout(s string) (*line, error) {
	if m := f.Missing(s); len(m) > 0 {
		return nil, &MissingGlyphsError{Font: f.name, Runes: m}
	}
	var b sfnt.Buffer
	l := &line{}
	first := true
	pen := fixed.Int26_6(0)
	prev := sfnt.GlyphIndex(0)
	for _, r := range s {
		x, err := f.sf.GlyphIndex(&b, r)
		if err != nil {
			return nil, f.glyphError(r, err)
		}
		if prev != 0 {
			if k, err := f.sf.Kern(&b, prev, x, f.upem, font.HintingNone); err == nil {
				pen += k
			} else if !errors.Is(err, sfnt.ErrNotFound) {
				return nil, f.glyphError(r, err)
			}
		}
		segs, err := f.sf.LoadGlyph(&b, x, f.upem, nil)
		if err != nil {
			return nil, f.glyphError(r, err)
		}
		if len(segs) == 0 && !unicode.IsSpace(r) {
			// A glyph without an outline would draw nothing: as bad as tofu.
			return nil, &MissingGlyphsError{Font: f.name, Runes: []rune{r}}
		}
		g := glyph{x: float64(pen) / 64, segs: append([]sfnt.Segment(nil), segs...), letter: unicode.In(r, unicode.L, unicode.N)}
		for _, s := range g.segs {
			n := 1
			switch s.Op {
			case sfnt.SegmentOpQuadTo:
				n = 2
			case sfnt.SegmentOpCubeTo:
				n = 3
			}
			for _, p := range s.Args[:n] {
				px, py := g.x+float64(p.X)/64, float64(p.Y)/64
				if first {
					l.minX, l.maxX, l.minY, l.maxY = px, px, py, py
					first = false
				}
				l.minX, l.maxX = min(l.minX, px), max(l.maxX, px)
				l.minY, l.maxY = min(l.minY, py), max(l.maxY, py)
			}
		}
		l.glyphs = append(l.glyphs, g)
		adv, err := f.sf.GlyphAdvance(&b, x, f.upem, font.HintingNone)
		if err != nil {
			return nil, f.glyphError(r, err)
		}
		pen += adv
		prev = x
	}
	if first {
		return nil, newError(ErrFont, "text %q has no visible glyphs in font %q", s, f.name)
	}
	return l, nil
}

func (f *Font) glyphError(r rune, err error) error {
	return &Error{Kind: ErrFont, Msg: fmt.Sprintf("font %q: glyph for %q (U+%04X)", f.name, r, r), Err: err}
}
