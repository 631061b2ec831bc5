package picture

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestOrientationMaps checks that toStored undoes toViewer for every
// orientation and pixel, and that viewer coordinates stay in the viewer's
// picture.
func TestOrientationMaps(t *testing.T) {
	const w, h = 5, 3
	for o := 1; o <= 8; o++ {
		vw, vh := viewerSize(o, w, h)
		seen := map[image.Point]bool{}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				vx, vy := toViewer(o, w, h, x, y)
				if vx < 0 || vy < 0 || vx >= vw || vy >= vh || seen[image.Pt(vx, vy)] {
					t.Fatalf("o=%d: (%d,%d) shows at (%d,%d) of %dx%d, or twice", o, x, y, vx, vy, vw, vh)
				}
				seen[image.Pt(vx, vy)] = true
				if sx, sy := toStored(o, w, h, vx, vy); sx != x || sy != y {
					t.Fatalf("o=%d: (%d,%d) → (%d,%d) → (%d,%d)", o, x, y, vx, vy, sx, sy)
				}
			}
		}
	}
}

// TestOver checks the 16-bit non-premultiplied "over" against floating
// point.
func TestOver(t *testing.T) {
	for i := 0; i < 20000; i++ {
		s := color.NRGBA{uint8(i * 7), uint8(i * 13), uint8(i * 29), uint8(i * 31 / 7)}
		dr, dg, db, da := uint32(i*977)&0xFFFF, uint32(i*1237)&0xFFFF, uint32(i*331)&0xFFFF, uint32(i*4099)&0xFFFF
		r, g, b, a := over(s, dr, dg, db, da)
		sa, dA := float64(s.A)/255, float64(da)/0xFFFF
		oa := sa + dA*(1-sa)
		mix := func(sc uint8, dc uint32) float64 {
			if oa == 0 {
				return float64(dc)
			}
			return (float64(sc)*257*sa + float64(dc)*dA*(1-sa)) / oa
		}
		for k, v := range [][2]float64{{float64(r), mix(s.R, dr)}, {float64(g), mix(s.G, dg)}, {float64(b), mix(s.B, db)}, {float64(a), oa * 0xFFFF}} {
			if math.Abs(v[0]-v[1]) > 1 {
				t.Fatalf("%v over (%d,%d,%d,%d): channel %d is %v, want %.1f", s, dr, dg, db, da, k, v[0], v[1])
			}
		}
	}
}

// TestQuantizer checks that the palette keeps its entries, takes the
// colours that fit, and summarises the rest in the room left.
func TestQuantizer(t *testing.T) {
	pal := color.Palette{color.RGBA{1, 2, 3, 255}, color.RGBA{}}
	want := map[color.NRGBA]int{}
	for i := 0; i < 1000; i++ {
		want[color.NRGBA{uint8(i), uint8(i / 4), uint8(i * 3), 255}]++
	}
	q := newQuantizer(pal, want)
	if len(q.pal) != maxPalette || q.pal[0] != pal[0] || q.pal[1] != pal[1] {
		t.Fatalf("palette of %d, starting %v", len(q.pal), q.pal[:2])
	}
	for c := range want {
		if i := q.index(c); q.rgba[i].A == 0 {
			t.Fatalf("%v maps to a transparent entry", c)
		}
	}
	small := map[color.NRGBA]int{{9, 9, 9, 255}: 3, {1, 2, 3, 255}: 1}
	q = newQuantizer(pal, small)
	if len(q.pal) != 3 || q.index(color.NRGBA{9, 9, 9, 255}) != 2 || q.index(color.NRGBA{1, 2, 3, 255}) != 0 {
		t.Errorf("palette %v", q.pal)
	}
}

// FuzzParsers feeds any bytes to every parser of the package: the format
// walkers, the VP8 header reader and the ALPH repair. None may panic;
// each bounds what it allocates.
func FuzzParsers(f *testing.F) {
	for _, dir := range []string{"jpeg", "png", "gif", "webp", "bad", "labeled"} {
		paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "fixtures", dir, "*"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("\x10\x02\x00\x9d\x01\x2a\x10\x00\x10\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = walkJPEG(bufio.NewReader(bytes.NewReader(b)))
		_, _ = walkPNG(bufio.NewReader(bytes.NewReader(b)))
		_, _ = walkGIF(bufio.NewReader(bytes.NewReader(b)))
		_, _ = walkWebP(bytes.NewReader(b))
		if q, ok := estimateVP8Quality(b); ok && (q < 0 || q > 100) {
			t.Fatalf("quality %d", q)
		}
		if out, err := fixALPH(b, 16, 16); err == nil && len(out) > len(b) {
			t.Fatalf("fixALPH grew %d bytes to %d", len(b), len(out))
		}
	})
}
