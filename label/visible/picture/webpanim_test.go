package picture_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/deepteams/webp/animation"
	xwebp "golang.org/x/image/webp"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
	labelwebp "github.com/aigcmark/aigcmark/label/webp"
)

// appendChunk appends a RIFF chunk (with its pad byte) to b.
func appendChunk(b []byte, id string, data []byte) []byte {
	b = append(b, id...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// riffWebP wraps chunks (whole, as appendChunk writes them) into a WebP
// file.
func riffWebP(chunks []byte) []byte {
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(4+len(chunks)))
	return append(append(b, "WEBP"...), chunks...)
}

func le24(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }

func get24(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// testFrame is one frame of a test animation.
type testFrame struct {
	m       image.Image // its pixels; its size is the frame's
	at      image.Point // its offset on the canvas (even)
	ms      int         // duration
	noBlend bool
	dispose bool
	lossy   int // the quality of a lossy frame; 0 for a lossless one
}

// testAnim is an animated WebP to build.
type testAnim struct {
	w, h           int
	anim           []byte // ANIM data; nil for a white background, looping forever
	frames         []testFrame
	icc, exif, xmp []byte
}

// bytes assembles the animation: VP8X, ICCP, ANIM, one ANMF chunk per
// frame around the chunks deepteams/webp writes for the frame as a still
// picture (its ALPH chunks repaired), EXIF, XMP.
func (a testAnim) bytes(t testing.TB) []byte {
	t.Helper()
	flags := byte(0x02)
	var frames []byte
	for _, f := range a.frames {
		fw, fh := f.m.Bounds().Dx(), f.m.Bounds().Dy()
		still, err := picture.FixALPH(encodeWebP(t, f.m, f.lossy == 0, max(f.lossy, 75)), fw, fh)
		if err != nil {
			t.Fatal(err)
		}
		d := append(append(append(le24(f.at.X/2), le24(f.at.Y/2)...), le24(fw-1)...), le24(fh-1)...)
		d = append(d, le24(f.ms)...)
		var fl byte
		if f.noBlend {
			fl |= 2
		}
		if f.dispose {
			fl |= 1
		}
		d = append(d, fl)
		for _, c := range webpChunks(t, still) {
			switch c.id {
			case "ALPH":
				flags |= 0x10
				d = appendChunk(d, c.id, c.data)
			case "VP8L":
				if c.data[4]&0x10 != 0 {
					flags |= 0x10
				}
				d = appendChunk(d, c.id, c.data)
			case "VP8 ":
				d = appendChunk(d, c.id, c.data)
			}
		}
		frames = appendChunk(frames, "ANMF", d)
	}
	anim := a.anim
	if anim == nil {
		anim = []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0}
	}
	var body []byte
	if a.icc != nil {
		flags |= 0x20
		body = appendChunk(body, "ICCP", a.icc)
	}
	body = appendChunk(body, "ANIM", anim)
	body = append(body, frames...)
	if a.exif != nil {
		flags |= 0x08
		body = appendChunk(body, "EXIF", a.exif)
	}
	if a.xmp != nil {
		flags |= 0x04
		body = appendChunk(body, "XMP ", a.xmp)
	}
	vp8x := append(append([]byte{flags, 0, 0, 0}, le24(a.w-1)...), le24(a.h-1)...)
	return riffWebP(append(appendChunk(nil, "VP8X", vp8x), body...))
}

// webpAnimation is an animated WebP as a viewer plays it.
type webpAnimation struct {
	w, h      int
	flags     byte
	anim      []byte
	rects     []image.Rectangle
	durations []int
	blend     []bool
	dispose   []bool
	codecs    []string // "VP8L", "VP8 " or "VP8 +ALPH"
	alpha     bool     // a frame carries alpha
	shown     []*image.NRGBA
	meta      map[string][]byte
	order     string // the top-level chunk ids
}

// blendOver is libwebp's alpha-blending of non-premultiplied colours
// (anim_decode.c): dst's weight is dst_a·(256-src_a)/256 rounded down, the
// colours are mixed and divided by the 8-bit total alpha through a 2^24
// scale. Over a transparent pixel the source is drawn as it is, as
// libwebp does for key frames.
func blendOver(s, d color.NRGBA) color.NRGBA {
	if s.A == 0 {
		return d
	}
	if s.A == 255 || d.A == 0 {
		return s
	}
	dw := int(d.A) * (256 - int(s.A)) / 256
	a := int(s.A) + dw
	scale := (1 << 24) / a
	mix := func(sc, dc uint8) uint8 { return uint8((int(sc)*int(s.A) + int(dc)*dw) * scale >> 24) }
	return color.NRGBA{mix(s.R, d.R), mix(s.G, d.G), mix(s.B, d.B), uint8(a)}
}

// playWebP plays the animated WebP b as libwebp's WebPAnimDecoder does:
// the canvas starts transparent; each frame, decoded with x/image/webp
// from a still WebP made of its chunks, replaces its rectangle or is
// blended over it; after it is shown, dispose-to-background clears its
// rectangle to transparent. It returns what each frame shows.
func playWebP(t testing.TB, b []byte) *webpAnimation {
	t.Helper()
	cs := webpChunks(t, b)
	if len(cs) < 3 || cs[0].id != "VP8X" || len(cs[0].data) != 10 {
		t.Fatalf("chunks %s: not an extended WebP", chunkIDs(cs))
	}
	a := &webpAnimation{flags: cs[0].data[0], w: get24(cs[0].data[4:]) + 1, h: get24(cs[0].data[7:]) + 1, meta: map[string][]byte{}, order: chunkIDs(cs)}
	canvas := image.NewNRGBA(image.Rect(0, 0, a.w, a.h))
	for _, c := range cs[1:] {
		switch c.id {
		case "ANIM":
			a.anim = c.data
		case "ICCP", "EXIF", "XMP ":
			a.meta[c.id] = c.data
		case "ANMF":
			d := c.data
			if len(d) < 16 {
				t.Fatalf("ANMF chunk of %d bytes", len(d))
			}
			x, y := 2*get24(d), 2*get24(d[3:])
			r := image.Rect(x, y, x+get24(d[6:])+1, y+get24(d[9:])+1)
			if !r.In(canvas.Rect) {
				t.Fatalf("frame %v outside the %dx%d canvas", r, a.w, a.h)
			}
			a.rects = append(a.rects, r)
			a.durations = append(a.durations, get24(d[12:]))
			a.blend = append(a.blend, d[15]&2 == 0)
			a.dispose = append(a.dispose, d[15]&1 != 0)
			var alph, img riffChunk
			for _, s := range webpChunks(t, riffWebP(d[16:])) {
				switch s.id {
				case "ALPH":
					alph = s
				case "VP8 ", "VP8L":
					img = s
				}
			}
			var still []byte
			switch {
			case img.id == "VP8L":
				a.codecs = append(a.codecs, "VP8L")
				a.alpha = a.alpha || img.data[4]&0x10 != 0
				still = riffWebP(appendChunk(nil, "VP8L", img.data))
			case img.id == "VP8 " && alph.id != "":
				a.codecs = append(a.codecs, "VP8 +ALPH")
				a.alpha = true
				vp8x := append(append([]byte{0x10, 0, 0, 0}, le24(r.Dx()-1)...), le24(r.Dy()-1)...)
				still = riffWebP(appendChunk(appendChunk(appendChunk(nil, "VP8X", vp8x), "ALPH", alph.data), "VP8 ", img.data))
			case img.id == "VP8 ":
				a.codecs = append(a.codecs, "VP8 ")
				still = riffWebP(appendChunk(nil, "VP8 ", img.data))
			default:
				t.Fatalf("frame %d has no image chunk", len(a.rects))
			}
			m, err := xwebp.Decode(bytes.NewReader(still))
			if err != nil {
				t.Fatalf("frame %d: x/image/webp: %v", len(a.rects), err)
			}
			if m.Bounds().Size() != r.Size() {
				t.Fatalf("frame %d: %v in a %v frame", len(a.rects), m.Bounds(), r)
			}
			mb := m.Bounds()
			for fy := 0; fy < r.Dy(); fy++ {
				for fx := 0; fx < r.Dx(); fx++ {
					s := nrgbaAt(m, mb.Min.X+fx, mb.Min.Y+fy)
					if a.blend[len(a.blend)-1] {
						s = blendOver(s, canvas.NRGBAAt(r.Min.X+fx, r.Min.Y+fy))
					}
					canvas.SetNRGBA(r.Min.X+fx, r.Min.Y+fy, s)
				}
			}
			shown := image.NewNRGBA(canvas.Rect)
			copy(shown.Pix, canvas.Pix)
			a.shown = append(a.shown, shown)
			if a.dispose[len(a.dispose)-1] {
				for py := r.Min.Y; py < r.Max.Y; py++ {
					for px := r.Min.X; px < r.Max.X; px++ {
						canvas.SetNRGBA(px, py, color.NRGBA{})
					}
				}
			}
		}
	}
	if len(a.shown) == 0 {
		t.Fatalf("chunks %s: no frames", a.order)
	}
	return a
}

// nrgbaAt returns the colour of m, decoded by x/image/webp, at (x, y) as
// libwebp shows it: VP8's Y'CbCr is BT.601 studio range (Rec. 601: Y' =
// 16 + 219·E'y, Cb = 128 + 224·E'cb, with E'cb = (B'-Y')/1.772 and E'cr =
// (R'-Y')/1.402), not the full range image/color assumes.
func nrgbaAt(m image.Image, x, y int) color.NRGBA {
	var yc *image.YCbCr
	a := uint8(255)
	switch m := m.(type) {
	case *image.NYCbCrA:
		yc, a = &m.YCbCr, m.A[m.AOffset(x, y)]
	case *image.YCbCr:
		yc = m
	default:
		return color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
	}
	c := yc.YCbCrAt(x, y)
	ey := (float64(c.Y) - 16) / 219
	ecb, ecr := (float64(c.Cb)-128)/224, (float64(c.Cr)-128)/224
	r := ey + 1.402*ecr
	b := ey + 1.772*ecb
	g := (ey - 0.299*r - 0.114*b) / 0.587
	q := func(v float64) uint8 { return uint8(math.Round(min(max(v, 0), 1) * 255)) }
	return color.NRGBA{q(r), q(g), q(b), a}
}

// isAnimatedWebP reports whether b is a WebP whose VP8X chunk has the
// animation flag.
func isAnimatedWebP(b []byte) bool {
	return len(b) >= 21 && string(b[8:16]) == "WEBPVP8X" && b[20]&2 != 0
}

// withLabel returns m with the corner overlay composited over it, in
// floating point: what the viewer should see.
func withLabel(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	copy(out.Pix, m.Pix)
	ov, _ := corner(m.Rect.Dx(), m.Rect.Dy())
	r := ov.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			s := ov.Image.NRGBAAt(x-ov.At.X, y-ov.At.Y)
			d := m.NRGBAAt(x, y)
			sa, da := float64(s.A)/255, float64(d.A)/255
			a := sa + da*(1-sa)
			if a == 0 {
				continue
			}
			mix := func(sc, dc uint8) uint8 {
				return uint8(math.Round((float64(sc)*sa + float64(dc)*da*(1-sa)) / a))
			}
			out.SetNRGBA(x, y, color.NRGBA{mix(s.R, d.R), mix(s.G, d.G), mix(s.B, d.B), uint8(math.Round(a * 255))})
		}
	}
	return out
}

// nearlySame reports whether a viewer shows a and b alike within tol
// levels per channel (the colour of transparent pixels does not count).
func nearlySame(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	if !d(a.A, b.A) {
		return false
	}
	return a.A == 0 && b.A == 0 || d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// checkAnimatedWebP checks the labeled animation out against its input
// in, both played by playWebP: the canvas, frame count, durations, ANIM
// chunk, disposal and metadata chunks are kept and the VP8X flags say
// what the file holds; lossless frames stay VP8L and lossy ones VP8; and
// every shown frame is the input's with the label over it: outside the
// label exactly (lossless) or at psnr dB or more (lossy, outside the
// macroblocks next to the label); inside it within 1 level of the label
// composited over the input's picture (lossless), and always with the
// label's marker at its left.
func checkAnimatedWebP(t *testing.T, in, out []byte, psnr float64) (a, b *webpAnimation) {
	t.Helper()
	a, b = playWebP(t, in), playWebP(t, out)
	if b.w != a.w || b.h != a.h || len(b.shown) != len(a.shown) || !bytes.Equal(b.anim, a.anim) {
		t.Fatalf("output %dx%d, %d frames, ANIM % x; input %dx%d, %d, % x", b.w, b.h, len(b.shown), b.anim, a.w, a.h, len(a.shown), a.anim)
	}
	for k, v := range a.meta {
		if !bytes.Equal(b.meta[k], v) {
			t.Errorf("%s chunk not kept byte for byte", k)
		}
	}
	wantFlags := byte(0x02)
	for k, f := range map[string]byte{"ICCP": 0x20, "EXIF": 0x08, "XMP ": 0x04} {
		if _, ok := b.meta[k]; ok {
			wantFlags |= f
		}
		if _, ok := a.meta[k]; !ok && b.meta[k] != nil {
			t.Errorf("%s chunk appeared", k)
		}
	}
	if b.alpha || a.flags&0x10 != 0 {
		wantFlags |= 0x10
	}
	if b.flags != wantFlags {
		t.Errorf("VP8X flags %#x, want %#x (chunks %s)", b.flags, wantFlags, b.order)
	}
	l := cornerRect(a.w, a.h)
	lossless := true
	worst := math.Inf(1)
	defer func() {
		if !math.IsInf(worst, 1) {
			t.Logf("lowest PSNR outside the label: %.1f dB", worst)
		}
	}()
	for i := range a.shown {
		if b.durations[i] != a.durations[i] || b.dispose[i] != a.dispose[i] || !a.rects[i].In(b.rects[i]) ||
			b.rects[i].Min.X%2 != 0 || b.rects[i].Min.Y%2 != 0 {
			t.Errorf("frame %d: %v, %d ms, dispose %v; input %v, %d ms, %v", i, b.rects[i], b.durations[i], b.dispose[i], a.rects[i], a.durations[i], a.dispose[i])
		}
		if (a.codecs[i] == "VP8L") != (b.codecs[i] == "VP8L") {
			t.Errorf("frame %d: %s, input %s", i, b.codecs[i], a.codecs[i])
		}
		lossless = lossless && a.codecs[i] == "VP8L"
		want := withLabel(a.shown[i])
		got := b.shown[i]
		if lossless {
			n, worst := 0, image.Point{-1, -1}
			for y := 0; y < a.h; y++ {
				for x := 0; x < a.w; x++ {
					tol := 0
					if (image.Point{x, y}).In(l) {
						tol = 1
					}
					if !nearlySame(got.NRGBAAt(x, y), want.NRGBAAt(x, y), tol) {
						if n == 0 {
							worst = image.Pt(x, y)
						}
						n++
					}
				}
			}
			if n > 0 {
				t.Errorf("frame %d: %d pixels are not the input's with the label (label %v), first at %v: %v, want %v",
					i, n, l, worst, got.NRGBAAt(worst.X, worst.Y), want.NRGBAAt(worst.X, worst.Y))
			}
		} else {
			p := psnrOutside(a.shown[i], got, l.Inset(-16))
			worst = min(worst, p)
			if p < psnr {
				t.Errorf("frame %d: PSNR outside the label %.1f dB, want %.0f", i, p, psnr)
			}
			if p := psnrInside(want, got, l); p < 20 {
				t.Errorf("frame %d: PSNR of the label %.1f dB", i, p)
			}
		}
		if m := markerBox(got, l.Inset(-2)); m.Empty() || m.Min.X-l.Min.X > 2 {
			t.Errorf("frame %d: marker at %v, want at the left of %v", i, m, l)
		}
	}
	return a, b
}

// psnrInside returns the PSNR in dB of b against a over the RGB of the
// pixels inside r that are not transparent in a.
func psnrInside(a, b image.Image, r image.Rectangle) float64 {
	var se float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca, cb := at64(a, x, y), at64(b, x, y)
			if ca.A == 0 {
				continue
			}
			for _, d := range []float64{float64(ca.R) - float64(cb.R), float64(ca.G) - float64(cb.G), float64(ca.B) - float64(cb.B), float64(ca.A) - float64(cb.A)} {
				d /= 257
				se += d * d
			}
			n += 4
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

// solid returns a w×h picture of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

// animations returns test animations on a 96×64 canvas (label at
// (70,54)-(94,62)), lossless frames or lossy ones at quality q.
func animations(q int) map[string]testAnim {
	const w, h = 96, 64
	return map[string]testAnim{
		// An opaque background, then partial frames: blended with alpha
		// away from the label, replacing over it and disposed, blended
		// half over it, disposed.
		"offsets blend dispose": {w: w, h: h, anim: []byte{0x30, 0x20, 0x10, 0xFF, 3, 0}, frames: []testFrame{
			{m: pattern(w, h, 1), ms: 40, lossy: q},
			{m: alphaPattern(40, 30, 2), at: image.Pt(20, 10), ms: 70, lossy: q},
			{m: alphaPattern(50, 28, 3), at: image.Pt(44, 34), ms: 100, noBlend: true, dispose: true, lossy: q},
			{m: pattern(16, 12, 4), at: image.Pt(4, 4), ms: 0, lossy: q},
			{m: alphaPattern(30, 20, 5), at: image.Pt(60, 40), ms: 1000, dispose: true, lossy: q},
			{m: pattern(20, 14, 6), at: image.Pt(10, 40), ms: 1 << 23, lossy: q},
		}},
		// Frames that never cover the label: it lies over a transparent
		// canvas (and is less than opaque there), or over a frame that is
		// disposed of after it.
		"transparent canvas": {w: w, h: h, frames: []testFrame{
			{m: alphaPattern(40, 30, 7), ms: 50, lossy: q},
			{m: alphaPattern(36, 20, 8), at: image.Pt(56, 40), ms: 50, dispose: true, lossy: q},
			{m: pattern(30, 20, 9), at: image.Pt(30, 24), ms: 50, lossy: q},
			{m: solid(20, 10, color.NRGBA{200, 30, 90, 128}), at: image.Pt(74, 52), ms: 50, noBlend: true, lossy: q},
			{m: solid(50, 40, color.NRGBA{10, 200, 90, 60}), at: image.Pt(40, 20), ms: 50, lossy: q},
		}},
		// Full-canvas frames disposed of, and a frame whose rectangle,
		// grown to the label, clears more than the input's.
		"full frames disposed": {w: w, h: h, frames: []testFrame{
			{m: pattern(w, h, 10), ms: 30, dispose: true, lossy: q},
			{m: pattern(w, h, 11), ms: 30, noBlend: true, lossy: q},
			{m: pattern(24, 16, 12), at: image.Pt(2, 2), ms: 30, dispose: true, lossy: q},
			{m: pattern(8, 8, 13), at: image.Pt(40, 30), ms: 30, lossy: q},
			{m: alphaPattern(w, h, 14), ms: 30, lossy: q},
		}},
	}
}

// TestWebPAnimatedLossless labels lossless animations: every shown frame
// must be exactly the input's with the label over it.
func TestWebPAnimatedLossless(t *testing.T) {
	for name, a := range animations(0) {
		t.Run(name, func(t *testing.T) {
			in := a.bytes(t)
			out, info := run(t, in, picture.Options{})
			if info.Format != "webp" || info.Frames != len(a.frames) || !info.Lossless || info.Quality != 0 {
				t.Errorf("Info = %+v", info)
			}
			_, b := checkAnimatedWebP(t, in, out, 0)
			t.Logf("%d → %d bytes, blended %v, rects %v", len(in), len(out), b.blend, b.rects)
		})
	}
}

// TestWebPAnimatedLossy labels lossy animations (frames with and without
// alpha): frames stay lossy at the estimated quality, within 35 dB of the
// input outside the label.
func TestWebPAnimatedLossy(t *testing.T) {
	for name, a := range animations(90) {
		t.Run(name, func(t *testing.T) {
			in := a.bytes(t)
			out, info := run(t, in, picture.Options{})
			if info.Lossless || info.Estimated < 88 || info.Estimated > 92 || info.Quality != info.Estimated {
				t.Errorf("Info = %+v", info)
			}
			checkAnimatedWebP(t, in, out, 35)
			// Relabeling estimates the quality it was written at.
			if _, again := run(t, out, picture.Options{}); again.Estimated < info.Quality-2 || again.Estimated > info.Quality+2 {
				t.Errorf("written at %d, estimated %d", info.Quality, again.Estimated)
			}
		})
	}
	// Options.Quality wins.
	in := animations(90)["offsets blend dispose"].bytes(t)
	out, info := run(t, in, picture.Options{Quality: 40})
	if info.Quality != 40 || info.Estimated < 88 {
		t.Errorf("Info = %+v", info)
	}
	if _, again := run(t, out, picture.Options{}); again.Estimated < 38 || again.Estimated > 42 {
		t.Errorf("written at 40, estimated %d", again.Estimated)
	}
}

// TestWebPAnimatedMixed labels an animation of lossless and lossy frames:
// each keeps its kind.
func TestWebPAnimatedMixed(t *testing.T) {
	a := animations(0)["offsets blend dispose"]
	for i := range a.frames {
		if i%2 == 1 {
			a.frames[i].lossy = 85
		}
	}
	in := a.bytes(t)
	out, info := run(t, in, picture.Options{})
	if info.Lossless || info.Quality < 83 || info.Quality > 87 {
		t.Errorf("Info = %+v", info)
	}
	pa, pb := checkAnimatedWebP(t, in, out, 35)
	t.Logf("codecs %v → %v, blended %v, rects %v", pa.codecs, pb.codecs, pb.blend, pb.rects)
	for i := range pa.shown {
		t.Logf("frame %d: PSNR in the frame %.1f", i, psnrInside(pa.shown[i], pb.shown[i], pa.rects[i]))
	}
}

// TestWebPAnimatedFixture labels fixtures/webp/animated.webp (ffmpeg's
// libwebp_anim, lossy at quality 40, partial frames): against a plain
// re-encode (an invisible label), the label costs nothing outside it.
func TestWebPAnimatedFixture(t *testing.T) {
	in := labeltest.ReadFile(t, fixtures.Path("webp/animated.webp"))
	out, info := run(t, in, picture.Options{})
	if info.Frames != 3 || info.Lossless || info.Estimated < 38 || info.Estimated > 42 {
		t.Errorf("Info = %+v", info)
	}
	var none bytes.Buffer
	if _, err := picture.Label(context.Background(), &none, bytes.NewReader(in), invisible, picture.Options{}); err != nil {
		t.Fatal(err)
	}
	a, b := checkAnimatedWebP(t, in, out, 25)
	plain := playWebP(t, none.Bytes())
	l := cornerRect(a.w, a.h).Inset(-16)
	for i := range a.shown {
		p, want := psnrOutside(a.shown[i], b.shown[i], l), psnrOutside(a.shown[i], plain.shown[i], l)
		t.Logf("frame %d: PSNR outside the label %.1f dB, plain re-encode %.1f dB", i, p, want)
		if p < want-0.5 {
			t.Errorf("frame %d: PSNR outside the label %.1f dB, a plain re-encode %.1f dB", i, p, want)
		}
	}
	t.Logf("%d → %d bytes; frames %v blended %v", len(in), len(out), b.rects, b.blend)
}

// TestWebPAnimatedMetadata checks that ICC, EXIF and XMP chunks are kept
// byte for byte with their flags, and that the EXIF orientation moves
// the label to the viewer's bottom-right corner in every frame.
func TestWebPAnimatedMetadata(t *testing.T) {
	icc := iccOf(t)
	exif := exifBlock(asciiTag(0x010F, "AnimCam"), orientationTag(1))
	xmp := []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Wuhan"/></rdf:RDF></x:xmpmeta>`)
	a := animations(0)["offsets blend dispose"]
	a.icc, a.exif, a.xmp = icc, exif, xmp
	in := a.bytes(t)
	out, info := run(t, in, picture.Options{})
	if strings.Join(info.Kept, ",") != "ICC,EXIF,XMP" {
		t.Errorf("Info.Kept = %v", info.Kept)
	}
	_, b := checkAnimatedWebP(t, in, out, 0)
	if !strings.HasPrefix(b.order, "VP8X,ICCP,ANIM,ANMF") || !strings.HasSuffix(b.order, "ANMF,EXIF,XMP") {
		t.Errorf("chunks %s", b.order)
	}

	// Orientation 6: the viewer's bottom-right is the stored picture's
	// top-right.
	a.exif = exifBlock(orientationTag(6))
	in = a.bytes(t)
	out, info = run(t, in, picture.Options{})
	if info.Orientation != 6 {
		t.Errorf("Info = %+v", info)
	}
	pa, pb := playWebP(t, in), playWebP(t, out)
	for i := range pa.shown {
		box, n := changedBox(pa.shown[i], pb.shown[i])
		if n == 0 || box.Max.X < pa.w-margin-2 || box.Min.Y > margin+2 || box.Dy() <= box.Dx() {
			t.Errorf("frame %d: label at %v in the stored %dx%d picture, want a tall box at the top right", i, box, pa.w, pa.h)
		}
	}
}

// TestWebPAnimatedChain runs what `aigcmark label` does: the explicit
// label, then label/webp's Write; exiftool must read the AIGC label and
// every frame, and the frames still show the label.
func TestWebPAnimatedChain(t *testing.T) {
	fixtures.NeedTool(t, "exiftool")
	for name, in := range map[string][]byte{
		"fixture":  labeltest.ReadFile(t, fixtures.Path("webp/animated.webp")),
		"lossless": animations(0)["transparent canvas"].bytes(t),
	} {
		t.Run(name, func(t *testing.T) {
			explicit, info := run(t, in, picture.Options{})
			var out bytes.Buffer
			if err := (labelwebp.Format{}).Write(&out, bytes.NewReader(explicit), testLabel); err != nil {
				t.Fatalf("webp Write: %v", err)
			}
			labeltest.RequireOne(t, labelwebp.Format{}, out.Bytes(), testLabel, label.CarrierXMP)
			p := filepath.Join(t.TempDir(), "out.webp")
			if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			tags := labeltest.ExiftoolTags(t, p)
			if tags["XMP-TC260:AIGC"] != string(testLabel.JSON()) {
				t.Errorf("exiftool XMP-TC260:AIGC = %q", tags["XMP-TC260:AIGC"])
			}
			a := playWebP(t, in)
			total := 0
			for _, d := range a.durations {
				total += d
			}
			if tags["RIFF:WebP_Flags"] == "" || !strings.Contains(tags["RIFF:WebP_Flags"], "Animation") ||
				tags["RIFF:Duration"] != fmt.Sprintf("%g s", float64(total)/1000) {
				t.Errorf("exiftool WebP_Flags %q, Duration %q; want animation of %d ms", tags["RIFF:WebP_Flags"], tags["RIFF:Duration"], total)
			}
			if n := strings.Count(labeltest.Exiftool(t, "-v", p), "RIFF 'ANMF' chunk"); n != info.Frames || n != len(a.shown) {
				t.Errorf("exiftool sees %d frames, want %d", n, len(a.shown))
			}
			if w := labeltest.Exiftool(t, "-s3", "-Warning", p); strings.TrimSpace(w) != "" {
				t.Errorf("exiftool warns: %s", w)
			}
			b := playWebP(t, out.Bytes())
			l := cornerRect(a.w, a.h)
			for i := range b.shown {
				if m := markerBox(b.shown[i], l.Inset(-2)); m.Empty() {
					t.Errorf("frame %d shows no label after Write", i)
				}
			}
		})
	}
}

// TestWebPAnimatedDecode checks that Decode returns an animation's first
// frame as shown.
func TestWebPAnimatedDecode(t *testing.T) {
	for _, in := range [][]byte{
		labeltest.ReadFile(t, fixtures.Path("webp/animated.webp")),
		animations(0)["transparent canvas"].bytes(t),
	} {
		m, err := picture.Decode(context.Background(), bytes.NewReader(in), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := playWebP(t, in).shown[0]
		if n, p := outsideDiffs(want, m, image.Rectangle{}); n > 0 || m.Bounds() != want.Rect {
			t.Errorf("Decode gives %v, %d pixels differ from the first frame, first at %v", m.Bounds(), n, p)
		}
		out, _ := run(t, in, picture.Options{})
		m, err = picture.Decode(context.Background(), bytes.NewReader(out), 0)
		if err != nil {
			t.Fatal(err)
		}
		if box := markerBox(m, cornerRect(want.Rect.Dx(), want.Rect.Dy()).Inset(-2)); box.Empty() {
			t.Error("Decode of the labeled animation shows no label")
		}
	}
}

// TestWebPAnimatedTooLarge checks that the pixel limit counts every frame
// from the headers, before anything is decoded or rendered.
func TestWebPAnimatedTooLarge(t *testing.T) {
	rendered := false
	r := func(w, h int) (visible.Overlay, error) { rendered = true; return corner(w, h) }
	in := animations(0)["full frames disposed"].bytes(t) // 96×64, frames of 6144+6144+384+64+6144 pixels
	_, err := picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), r, picture.Options{MaxPixels: 18000})
	var tl *picture.TooLargeError
	if !errors.As(err, &tl) || tl.Frames != 5 || tl.Pixels != 18880 || !strings.Contains(err.Error(), "5 frames") {
		t.Fatalf("Label = %v, want a TooLargeError for 5 frames of 18880 pixels", err)
	}
	run(t, in, picture.Options{MaxPixels: 18880})
	if _, err := picture.Decode(context.Background(), bytes.NewReader(in), 6143); !errors.Is(err, picture.ErrTooLarge) {
		t.Errorf("Decode = %v", err)
	}

	// 16384×16384 frames claimed by headers with no pixels behind them.
	tiny := testAnim{w: 16, h: 16, frames: []testFrame{{m: pattern(16, 16, 1), ms: 10}, {m: pattern(16, 16, 2), ms: 10}}}.bytes(t)
	claim := func(side int) []byte {
		b := bytes.Clone(tiny)
		copy(b[bytes.Index(b, []byte("VP8X"))+12:], append(le24(side-1), le24(side-1)...))
		for i := 0; ; {
			k := bytes.Index(b[i:], []byte("ANMF"))
			if k < 0 {
				return b
			}
			i += k + 8
			copy(b[i+6:], append(le24(side-1), le24(side-1)...))
		}
	}
	b := claim(16384)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(b), r, picture.Options{})
	runtime.ReadMemStats(&after)
	if !errors.As(err, &tl) || tl.Width != 16384 {
		t.Errorf("Label = %v, want a TooLargeError", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
		t.Errorf("allocated %d bytes refusing it", a)
	}
	// A canvas within the limit holding more frame pixels than it.
	_, err = picture.Label(context.Background(), &bytes.Buffer{}, bytes.NewReader(claim(8192)), r, picture.Options{})
	if !errors.As(err, &tl) || tl.Frames != 2 || tl.Pixels != 2*8192*8192 {
		t.Errorf("Label = %v, want a TooLargeError for 2 frames", err)
	}
	if rendered {
		t.Error("the renderer was called")
	}
}

// TestWebPAnimatedCorrupt checks that every cut of an animated WebP and
// damaged headers give typed errors, never a panic or an output.
func TestWebPAnimatedCorrupt(t *testing.T) {
	good := animations(0)["offsets blend dispose"].bytes(t)
	lossy := testAnim{w: 32, h: 24, frames: []testFrame{
		{m: alphaPattern(32, 24, 1), ms: 10, lossy: 80},
		{m: pattern(10, 8, 2), at: image.Pt(6, 4), ms: 10, lossy: 80},
	}}.bytes(t)
	for name, in := range map[string][]byte{"lossless": good, "lossy": lossy, "fixture": labeltest.ReadFile(t, fixtures.Path("webp/animated.webp"))} {
		t.Run("cut "+name, func(t *testing.T) {
			step := max(len(in)/151, 1)
			for n := 16; n < len(in)-1; n += step {
				// As cut, and with the RIFF size saying so.
				fixed := bytes.Clone(in[:n])
				binary.LittleEndian.PutUint32(fixed[4:], uint32(n-8))
				for _, b := range [][]byte{in[:n], fixed} {
					var out bytes.Buffer
					_, err := picture.Label(context.Background(), &out, bytes.NewReader(b), corner, picture.Options{})
					var fe *label.FormatError
					if err == nil && n%2 == 0 && &b[0] == &fixed[0] {
						// Cut between chunks: fewer frames, still an animation.
						playWebP(t, out.Bytes())
						continue
					}
					if !errors.As(err, &fe) || out.Len() > 0 {
						t.Errorf("cut at %d: %v (%T), %d bytes written; want a *label.FormatError", n, err, err, out.Len())
					}
					if _, err := picture.Decode(context.Background(), bytes.NewReader(b), 0); !errors.As(err, &fe) {
						t.Errorf("Decode of the cut at %d: %v (%T)", n, err, err)
					}
				}
			}
		})
	}

	// Damaged bytes anywhere: a typed error, or a labeled animation.
	small := testAnim{w: 32, h: 24, frames: []testFrame{
		{m: alphaPattern(32, 24, 3), ms: 10},
		{m: pattern(10, 8, 4), at: image.Pt(20, 14), ms: 10, noBlend: true, dispose: true},
		{m: alphaPattern(12, 8, 5), at: image.Pt(2, 2), ms: 10},
	}}.bytes(t)
	for _, in := range [][]byte{small, lossy} {
		for i := 12; i < len(in); i += max(len(in)/89, 1) {
			b := bytes.Clone(in)
			b[i] ^= 0x55
			var out bytes.Buffer
			_, err := picture.Label(context.Background(), &out, bytes.NewReader(b), corner, picture.Options{})
			var fe *label.FormatError
			switch {
			case err == nil:
				playWebP(t, out.Bytes())
			case !errors.As(err, &fe) && !errors.Is(err, picture.ErrTooLarge):
				t.Errorf("byte %d damaged: %v (%T)", i, err, err)
			}
		}
	}

	first := bytes.Index(good, []byte("ANMF"))
	sub := first + 8 + 16 // the first frame's image chunk
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	put32 := func(b []byte, at int, v uint32) []byte { binary.LittleEndian.PutUint32(b[at:], v); return b }
	cases := map[string]struct {
		in   []byte
		want string
	}{
		"frame outside the canvas": {edit(func(b []byte) []byte { copy(b[first+8:], le24(40)); return b }), "outside the 96x64 canvas"},
		"no animation flag":        {edit(func(b []byte) []byte { b[20] &^= 2; return b }), "without the VP8X animation flag"},
		"no ANIM": {edit(func(b []byte) []byte {
			copy(b[bytes.Index(b, []byte("ANIM")):], "JUNK")
			return b
		}), "without an ANIM chunk"},
		"small ANMF":          {edit(func(b []byte) []byte { return put32(b, first+4, 10) }), ""},
		"sub-chunk overrun":   {edit(func(b []byte) []byte { return put32(b, sub+4, 1<<30) }), "claims"},
		"sub-chunk not image": {edit(func(b []byte) []byte { copy(b[sub:], "JUNK"); return b }), "without a VP8 or VP8L chunk"},
		"frame size mismatch": {edit(func(b []byte) []byte { copy(b[first+8+6:], le24(95-2)); return b }), "frame 1"},
		"bitstream garbage":   {edit(func(b []byte) []byte { copy(b[sub+8+5:], bytes.Repeat([]byte{0xA5}, 40)); return b }), "frame 1"},
		"VP8X too small":      {edit(func(b []byte) []byte { return put32(b, 16, 4) }), ""},
		"image beside frames": {append(bytes.Clone(good[:len(good):len(good)]), appendChunk(nil, "VP8L", webpChunks(t, encodeWebP(t, pattern(4, 4, 1), true, 75))[0].data)...), ""},
		"huge frame bitstream": {func() []byte {
			a := testAnim{w: 16, h: 16, frames: []testFrame{{m: pattern(2, 2, 1), ms: 10}}}.bytes(t)
			i := bytes.Index(a, []byte("VP8L"))
			pad := make([]byte, 2<<20)
			a = append(a[:i+4:i+4], append(binary.LittleEndian.AppendUint32(nil, uint32(len(a)-i-8+len(pad))), append(a[i+8:], pad...)...)...)
			j := bytes.Index(a, []byte("ANMF"))
			binary.LittleEndian.PutUint32(a[j+4:], uint32(len(a)-j-8))
			binary.LittleEndian.PutUint32(a[4:], uint32(len(a)-8))
			return a
		}(), "over the limit"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := tc.in
			if name == "image beside frames" {
				binary.LittleEndian.PutUint32(in[4:], uint32(len(in)-8))
			}
			var out bytes.Buffer
			_, err := picture.Label(context.Background(), &out, bytes.NewReader(in), corner, picture.Options{})
			var fe *label.FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) || out.Len() > 0 {
				t.Errorf("Label = %v, want a *label.FormatError saying %q", err, tc.want)
			}
		})
	}
}

// ffmpegAnimatedWebP encodes ffmpeg's input args with libwebp_anim and
// args: libwebp's WebPAnimEncoder picks sub-rectangles, blending and
// disposal as real files have them.
func ffmpegAnimatedWebP(t testing.TB, input []string, args ...string) []byte {
	t.Helper()
	fixtures.NeedTool(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), "anim.webp")
	labeltest.RunTool(t, "ffmpeg", append(append(append([]string{"-nostdin", "-v", "error"}, input...), "-c:v", "libwebp_anim"), append(args, "-f", "webp", out)...)...)
	return labeltest.ReadFile(t, out)
}

// TestWebPAnimatedLibwebp labels animations libwebp wrote (through
// ffmpeg): lossless and lossy, from a test pattern and from the animated
// GIF fixture with its transparency.
func TestWebPAnimatedLibwebp(t *testing.T) {
	src := []string{"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=8:duration=1"}
	gif := []string{"-i", fixtures.Path("gif/animated.gif")}
	for name, tc := range map[string]struct {
		in   []byte
		psnr float64
	}{
		"testsrc2 lossless": {ffmpegAnimatedWebP(t, src, "-lossless", "1", "-loop", "2"), 0},
		"gif lossless":      {ffmpegAnimatedWebP(t, gif, "-lossless", "1"), 0},
		"testsrc2 q85":      {ffmpegAnimatedWebP(t, src, "-lossless", "0", "-quality", "85"), 35},
		// At 85 a plain re-encode of the GIF's flat colours and sharp
		// edges gives 35.7 dB in its last frame, the labeled one 34.5.
		"gif q90": {ffmpegAnimatedWebP(t, gif, "-lossless", "0", "-quality", "90"), 35},
	} {
		t.Run(name, func(t *testing.T) {
			out, info := run(t, tc.in, picture.Options{})
			if tc.psnr > 0 && (info.Estimated < 83 || info.Estimated > 92) {
				t.Errorf("Info = %+v", info)
			}
			a, b := checkAnimatedWebP(t, tc.in, out, tc.psnr)
			t.Logf("%d frames %v → %v, blended %v → %v; %d → %d bytes", len(a.shown), a.rects, b.rects, a.blend, b.blend, len(tc.in), len(out))
		})
	}
}

// TestWebPAnimatedOracle plays lossless inputs and their labeled outputs
// with deepteams/webp's animation decoder, a port of libwebp's
// WebPAnimDecoder (key frames and all) written by others: each shown
// frame must be the input's outside the label, and show the label.
func TestWebPAnimatedOracle(t *testing.T) {
	play := func(t *testing.T, b []byte) []*image.NRGBA {
		a, err := animation.DecodeBytes(b)
		if err != nil {
			t.Fatalf("deepteams animation: %v", err)
		}
		if err := a.DecodeFrames(); err != nil {
			t.Fatalf("deepteams animation: %v", err)
		}
		d := animation.NewAnimDecoder(a)
		var out []*image.NRGBA
		for d.HasNext() {
			m, _, err := d.NextFrame()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
	cases := map[string][]byte{}
	for name, a := range animations(0) {
		cases[name] = a.bytes(t)
	}
	cases["libwebp gif"] = ffmpegAnimatedWebP(t, []string{"-i", fixtures.Path("gif/animated.gif")}, "-lossless", "1")
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, _ := run(t, in, picture.Options{})
			a, b := play(t, in), play(t, out)
			if len(a) != len(b) || len(a) == 0 {
				t.Fatalf("%d frames, then %d", len(a), len(b))
			}
			l := cornerRect(a[0].Rect.Dx(), a[0].Rect.Dy())
			for i := range a {
				if n, p := outsideDiffs(a[i], b[i], l); n > 0 {
					t.Errorf("frame %d: %d pixels outside the label differ, first at %v", i, n, p)
				}
				want := withLabel(a[i])
				for y := l.Min.Y; y < l.Max.Y; y++ {
					for x := l.Min.X; x < l.Max.X; x++ {
						if !nearlySame(b[i].NRGBAAt(x, y), want.NRGBAAt(x, y), 2) {
							t.Fatalf("frame %d: (%d,%d) is %v, want %v", i, x, y, b[i].NRGBAAt(x, y), want.NRGBAAt(x, y))
						}
					}
				}
			}
		})
	}
}

// TestWebPAnimatedRepaintBound checks that an animation whose tiny frames
// each make the label change (a frame over it, disposed of) is refused
// before it re-encodes the label more than twice the pixel limit.
func TestWebPAnimatedRepaintBound(t *testing.T) {
	a := testAnim{w: 96, h: 64}
	for i := range 80 {
		a.frames = append(a.frames, testFrame{m: pattern(4, 4, uint32(i)), at: image.Pt(80, 56), ms: 10, noBlend: true, dispose: true})
	}
	in := a.bytes(t)
	// 80 frames of 16 pixels and a 96×64 canvas are within 7000 pixels;
	// each output frame covers the 24×8 label: 80×192 > 2×7000.
	var out bytes.Buffer
	_, err := picture.Label(context.Background(), &out, bytes.NewReader(in), corner, picture.Options{MaxPixels: 7000})
	if !errors.Is(err, label.ErrUnsupported) || !strings.Contains(err.Error(), "twice the pixel limit") {
		t.Errorf("Label = %v, want unsupported", err)
	}
	out2, _ := run(t, in, picture.Options{})
	checkAnimatedWebP(t, in, out2, 0)
}
