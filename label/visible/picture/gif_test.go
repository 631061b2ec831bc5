package picture_test

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// compose plays the GIF g as browsers do and returns what each frame
// shows: the canvas starts transparent; a frame draws its opaque pixels;
// after it, disposal 2 clears its rectangle to transparent and disposal 3
// restores what was there before it.
func compose(g *gif.GIF) []*image.NRGBA {
	r := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	canvas := image.NewNRGBA(r)
	var out []*image.NRGBA
	for i, f := range g.Image {
		before := image.NewNRGBA(r)
		copy(before.Pix, canvas.Pix)
		b := f.Rect.Intersect(r)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if c := color.NRGBAModel.Convert(f.Palette[f.ColorIndexAt(x, y)]).(color.NRGBA); c.A != 0 {
					canvas.SetNRGBA(x, y, c)
				}
			}
		}
		shown := image.NewNRGBA(r)
		copy(shown.Pix, canvas.Pix)
		out = append(out, shown)
		switch g.Disposal[i] {
		case gif.DisposalBackground:
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					canvas.SetNRGBA(x, y, color.NRGBA{})
				}
			}
		case gif.DisposalPrevious:
			canvas = before
		}
	}
	return out
}

func decodeGIF(t testing.TB, b []byte) *gif.GIF {
	t.Helper()
	g, err := gif.DecodeAll(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gif.DecodeAll: %v", err)
	}
	return g
}

// checkGIF checks every frame of the labeled GIF out against the input
// in, as composed by compose: the same delays, disposal methods and loop
// count, each frame's rectangle at least the input's, and each shown
// frame the same outside the label and showing the label (most of its
// pixels changed where the input shows something, its marker at its
// left).
func checkGIF(t *testing.T, in, out []byte) {
	t.Helper()
	gi, go_ := decodeGIF(t, in), decodeGIF(t, out)
	if len(go_.Image) != len(gi.Image) || go_.LoopCount != gi.LoopCount && len(gi.Image) > 1 {
		t.Fatalf("%d frames, loop %d; input %d, %d", len(go_.Image), go_.LoopCount, len(gi.Image), gi.LoopCount)
	}
	for i := range gi.Image {
		if go_.Delay[i] != gi.Delay[i] || go_.Disposal[i] != gi.Disposal[i] || !gi.Image[i].Rect.In(go_.Image[i].Rect) {
			t.Errorf("frame %d: delay %d, disposal %d, %v; input %d, %d, %v", i,
				go_.Delay[i], go_.Disposal[i], go_.Image[i].Rect, gi.Delay[i], gi.Disposal[i], gi.Image[i].Rect)
		}
	}
	l := cornerRect(gi.Config.Width, gi.Config.Height)
	a, b := compose(gi), compose(go_)
	for i := range a {
		if n, p := outsideDiffs(a[i], b[i], l); n > 0 {
			t.Errorf("frame %d: %d pixels outside the label differ, first at %v", i, n, p)
		}
		changed, shown := 0, 0
		for y := l.Min.Y; y < l.Max.Y; y++ {
			for x := l.Min.X; x < l.Max.X; x++ {
				if b[i].NRGBAAt(x, y).A != 0 {
					shown++
				}
				if b[i].NRGBAAt(x, y) != a[i].NRGBAAt(x, y) {
					changed++
				}
			}
		}
		if shown < l.Dx()*l.Dy()*3/4 || changed < shown/2 {
			t.Errorf("frame %d: label %v shows %d pixels, %d changed", i, l, shown, changed)
		}
		if m := markerBox(b[i], l); m.Empty() || m.Min.X != l.Min.X {
			t.Errorf("frame %d: marker at %v in label %v", i, m, l)
		}
	}
}

// TestGIFFixtures labels the GIF fixtures: three frames with local
// palettes, a sub-rectangle that is cleared after it, transparency; and a
// GIF87a still.
func TestGIFFixtures(t *testing.T) {
	for _, f := range fixtures.All("gif") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in := labeltest.ReadFile(t, f)
			out, info := run(t, in, picture.Options{})
			if info.Frames != len(decodeGIF(t, in).Image) || !info.Lossless {
				t.Errorf("Info = %+v", info)
			}
			checkGIF(t, in, out)
		})
	}
}

// TestGIFFramesFFmpeg decodes the animated fixture and its labeled output
// with ffmpeg, an independent compositor: each frame shows the label and
// is the same outside it.
func TestGIFFramesFFmpeg(t *testing.T) {
	in := labeltest.ReadFile(t, fixtures.Path("gif/animated.gif"))
	out, _ := run(t, in, picture.Options{})
	g := decodeGIF(t, in)
	w, h := g.Config.Width, g.Config.Height
	frames := func(b []byte) []*image.NRGBA {
		raw := labeltest.RunTool(t, "ffmpeg", "-nostdin", "-v", "error", "-i", labeltest.WriteTemp(t, "f.gif", b), "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgba", "-")
		var fs []*image.NRGBA
		for len(raw) >= 4*w*h {
			m := image.NewNRGBA(image.Rect(0, 0, w, h))
			copy(m.Pix, raw[:4*w*h])
			fs = append(fs, m)
			raw = raw[4*w*h:]
		}
		return fs
	}
	a, b := frames(in), frames(out)
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("ffmpeg decoded %d and %d frames, want 3", len(a), len(b))
	}
	l := cornerRect(w, h)
	for i := range a {
		if n, p := outsideDiffs(a[i], b[i], l); n > 0 {
			t.Errorf("frame %d: %d pixels outside the label differ, first at %v", i, n, p)
		}
		if _, n := changedBox(a[i], b[i]); n < l.Dx()*l.Dy()/2 {
			t.Errorf("frame %d: %d label pixels changed", i, n)
		}
	}
}

// solidPalette returns n colours and, with tr, a transparent last entry.
func solidPalette(base color.RGBA, n int, tr bool) color.Palette {
	var p color.Palette
	for i := 0; i < n; i++ {
		p = append(p, color.RGBA{base.R + uint8(i*5), base.G - uint8(i*3), base.B + uint8(i*7), 255})
	}
	if tr {
		p[n-1] = color.RGBA{}
	}
	return p
}

func gifFrame(r image.Rectangle, pal color.Palette, f func(x, y int) int) *image.Paletted {
	m := image.NewPaletted(r, pal)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.SetColorIndex(x, y, uint8(f(x, y)))
		}
	}
	return m
}

// TestGIFDisposal labels animations whose frames clear and restore parts
// of the label's corner, draw transparent pixels over it, and carry full
// palettes: every shown frame must still be the input's with the label.
func TestGIFDisposal(t *testing.T) {
	const w, h = 64, 48
	l := cornerRect(w, h)
	global := solidPalette(color.RGBA{40, 200, 60, 255}, 16, false)
	withT := solidPalette(color.RGBA{200, 60, 30, 255}, 8, true)
	full := make(color.Palette, 256)
	for i := range full {
		full[i] = color.RGBA{uint8(i), uint8(i * 7), uint8(255 - i), 255}
	}
	stripes := func(n int) func(x, y int) int { return func(x, y int) int { return (x + 2*y) % n } }
	holes := func(x, y int) int { // transparent every third pixel
		if (x+y)%3 == 0 {
			return 7
		}
		return x % 7
	}
	overL := image.Rect(l.Min.X-4, l.Min.Y-3, l.Min.X+l.Dx()/2, l.Max.Y-1) // covers part of the label
	away := image.Rect(2, 2, 20, 14)
	cases := map[string]*gif.GIF{
		"background over the label": {
			Image: []*image.Paletted{
				gifFrame(image.Rect(0, 0, w, h), global, stripes(16)),
				gifFrame(overL, withT, holes),
				gifFrame(away, global, stripes(5)),
				gifFrame(overL.Add(image.Pt(-3, -2)), global, stripes(9)),
			},
			Delay:    []int{10, 20, 30, 40},
			Disposal: []byte{gif.DisposalNone, gif.DisposalBackground, gif.DisposalNone, gif.DisposalBackground},
		},
		"previous": {
			Image: []*image.Paletted{
				gifFrame(image.Rect(0, 0, w, h), global, stripes(16)),
				gifFrame(overL, withT, holes),
				gifFrame(overL.Add(image.Pt(2, 1)), global, stripes(3)),
				gifFrame(away, withT, holes),
			},
			Delay:    []int{5, 5, 5, 5},
			Disposal: []byte{gif.DisposalPrevious, gif.DisposalPrevious, gif.DisposalNone, gif.DisposalPrevious},
		},
		"transparent start": { // the canvas outside the first frame stays transparent
			Image: []*image.Paletted{
				gifFrame(image.Rect(0, 0, w/2, h/2), withT, holes),
				gifFrame(image.Rect(w/2, h/2, w, h), withT, holes),
			},
			Delay:    []int{10, 10},
			Disposal: []byte{gif.DisposalNone, gif.DisposalBackground},
		},
		"full palettes": {
			Image: []*image.Paletted{
				gifFrame(image.Rect(0, 0, w, h), full, stripes(256)),
				gifFrame(overL, full, stripes(200)),
			},
			Delay:    []int{10, 10},
			Disposal: []byte{gif.DisposalNone, gif.DisposalBackground},
		},
	}
	for name, g := range cases {
		t.Run(name, func(t *testing.T) {
			g.Config = image.Config{ColorModel: global, Width: w, Height: h}
			var b bytes.Buffer
			if err := gif.EncodeAll(&b, g); err != nil {
				t.Fatal(err)
			}
			out, _ := run(t, b.Bytes(), picture.Options{})
			if name == "transparent start" || name == "full palettes" {
				checkGIFLoose(t, b.Bytes(), out, name == "full palettes")
				return
			}
			checkGIF(t, b.Bytes(), out)
		})
	}
}

// checkGIFLoose is checkGIF for pictures where the label cannot be fully
// shown or exactly coloured: over a transparent canvas the label's
// half-transparent pixels stay transparent, and with full palettes the
// label takes the nearest colours (outside it, nothing may change).
func checkGIFLoose(t *testing.T, in, out []byte, fullPalette bool) {
	t.Helper()
	gi, go_ := decodeGIF(t, in), decodeGIF(t, out)
	l := cornerRect(gi.Config.Width, gi.Config.Height)
	a, b := compose(gi), compose(go_)
	for i := range a {
		if n, p := outsideDiffs(a[i], b[i], l); n > 0 {
			t.Errorf("frame %d: %d pixels outside the label differ, first at %v", i, n, p)
		}
		if _, n := changedBox(a[i], b[i]); n < l.Dx()*l.Dy()/3 {
			t.Errorf("frame %d: %d label pixels changed", i, n)
		}
	}
	if fullPalette {
		for i, f := range go_.Image {
			if len(f.Palette) > 256 {
				t.Errorf("frame %d has %d colours", i, len(f.Palette))
			}
		}
	}
}

// TestGIFMetadata checks that comment and application extensions (XMP
// included) are carried over, the loop extension rewritten once, and that
// exiftool reads them.
func TestGIFMetadata(t *testing.T) {
	g := &gif.GIF{
		Image:     []*image.Paletted{gifFrame(image.Rect(0, 0, 40, 30), solidPalette(color.RGBA{9, 99, 199, 255}, 4, false), func(x, y int) int { return x % 4 })},
		Delay:     []int{0},
		LoopCount: -1,
	}
	g.Image = append(g.Image, g.Image[0])
	g.Delay = append(g.Delay, 50)
	g.LoopCount = 3
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	magic := []byte{1}
	for i := 0xFF; i >= 0; i-- {
		magic = append(magic, byte(i))
	}
	xmpExt := append([]byte("\x21\xff\x0bXMP DataXMP"), `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>GIF Maker</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`...)
	xmpExt = append(append(xmpExt, magic...), 0)
	comment := []byte("\x21\xfe\x0ba GIF note.\x00")
	in := b.Bytes()
	at := 13 + 19 // header, loop extension
	if in[10]&0x80 != 0 {
		at += 3 << (in[10]&7 + 1) // global colour table
	}
	if string(in[at-16:at-5]) != "NETSCAPE2.0" {
		t.Fatalf("no loop extension at %d", at-19)
	}
	in = append(append(append(append([]byte{}, in[:at]...), comment...), xmpExt...), in[at:]...)
	out, info := run(t, in, picture.Options{})
	if k := strings.Join(info.Kept, ","); k != "comment,XMP" {
		t.Errorf("Info.Kept = %s", k)
	}
	if !bytes.Contains(out, append(append([]byte{}, comment...), xmpExt...)) {
		t.Error("the extensions are not carried over together and unchanged")
	}
	if n := bytes.Count(out, []byte("NETSCAPE2.0")); n != 1 {
		t.Errorf("%d loop extensions", n)
	}
	if got := decodeGIF(t, out).LoopCount; got != 3 {
		t.Errorf("loop count %d", got)
	}
	p := filepath.Join(t.TempDir(), "out.gif")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	tags := labeltest.ExiftoolTags(t, p)
	if c := strings.TrimSpace(labeltest.Exiftool(t, "-s3", "-Comment", p)); c != "a GIF note." {
		t.Errorf("exiftool Comment = %q", c)
	}
	if tags["XMP-dc:Creator"] != "GIF Maker" {
		t.Errorf("exiftool XMP-dc:Creator = %q", tags["XMP-dc:Creator"])
	}
}
