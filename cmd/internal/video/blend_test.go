package video

import (
	"image"
	"image/color"
	"testing"

	"github.com/aigcmark/aigcmark/label/visible"
)

func TestYCbCr(t *testing.T) {
	for _, tc := range []struct {
		m         matrix
		r, g, b   uint8
		bits      int
		full      bool
		y, cb, cr int
	}{
		{bt709, 255, 255, 255, 8, false, 235, 128, 128},
		{bt709, 0, 0, 0, 8, false, 16, 128, 128},
		{bt709, 255, 255, 255, 8, true, 255, 128, 128},
		{bt709, 255, 255, 255, 10, false, 940, 512, 512},
		{bt709, 0, 0, 0, 10, true, 0, 512, 512},
		// Pure red: BT.601 and BT.709 give the textbook values.
		{bt601, 255, 0, 0, 8, false, 81, 90, 240},
		{bt709, 255, 0, 0, 8, false, 63, 102, 240},
		{bt601, 0, 0, 255, 8, true, 29, 255, 107},
	} {
		y, cb, cr := tc.m.ycbcr(tc.r, tc.g, tc.b, tc.bits, tc.full)
		if y != tc.y || cb != tc.cb || cr != tc.cr {
			t.Errorf("%s %d-bit full=%v (%d,%d,%d) = %d,%d,%d; want %d,%d,%d", tc.m.name, tc.bits, tc.full,
				tc.r, tc.g, tc.b, y, cb, cr, tc.y, tc.cb, tc.cr)
		}
	}
}

// TestBlendPlanes draws a half-transparent white square on a black 4:2:0
// frame at an odd position and checks the samples.
func TestBlendPlanes(t *testing.T) {
	const w, h = 8, 6
	pf := pixFormats["yuv420p"]
	frame := make([]byte, pf.frameSize(w, h))
	for i := range w * h {
		frame[i] = 16
	}
	for i := w * h; i < len(frame); i++ {
		frame[i] = 128
	}
	img := image.NewNRGBA(image.Rect(0, 0, 3, 3))
	for y := range 3 {
		for x := range 3 {
			img.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 128})
		}
	}
	b, err := newBlender(visible.Overlay{Image: img, At: image.Pt(1, 1)}, orientation{}, w, h, pf, bt709, false)
	if err != nil {
		t.Fatal(err)
	}
	b.apply(frame)
	for y := range h {
		for x := range w {
			want := byte(16)
			if x >= 1 && x < 4 && y >= 1 && y < 4 {
				want = 126 // 16 + (235-16)·128.5/256, rounded
			}
			if got := frame[y*w+x]; got != want {
				t.Errorf("Y(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	// White is neutral: chroma stays 128 wherever it is touched.
	for i := w * h; i < len(frame); i++ {
		if frame[i] != 128 {
			t.Errorf("chroma sample %d = %d, want 128", i-w*h, frame[i])
		}
	}
}

func TestBlenderClipsAndRefuses(t *testing.T) {
	pf := pixFormats["yuv444p10le"]
	img := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	if _, err := newBlender(visible.Overlay{Image: img, At: image.Pt(100, 100)}, orientation{}, 64, 48, pf, bt709, false); err == nil {
		t.Error("an overlay outside the picture was accepted")
	}
	if _, err := newBlender(visible.Overlay{}, orientation{}, 64, 48, pf, bt709, false); err == nil {
		t.Error("an overlay without an image was accepted")
	}
	// Half outside, turned: the part inside is drawn, nothing panics.
	for _, cw := range []int{0, 90, 180, 270} {
		b, err := newBlender(visible.Overlay{Image: img, At: image.Pt(-5, -5)}, orientation{cw}, 64, 48, pf, bt709, false)
		if err != nil {
			t.Fatal(err)
		}
		b.apply(make([]byte, pf.frameSize(64, 48)))
	}
}

func TestOrientation(t *testing.T) {
	const w, h = 4, 3 // stored
	for _, tc := range []struct {
		cw     int
		vx, vy int // the viewer's top-left corner …
		sx, sy int // … is this stored pixel
	}{
		{0, 0, 0, 0, 0},
		{90, 0, 0, 0, h - 1}, // turned clockwise: the stored bottom-left comes to the top-left
		{180, 0, 0, w - 1, h - 1},
		{270, 0, 0, w - 1, 0},
	} {
		sx, sy := orientation{tc.cw}.stored(tc.vx, tc.vy, w, h)
		if sx != tc.sx || sy != tc.sy {
			t.Errorf("cw %d: viewer (%d,%d) → stored (%d,%d), want (%d,%d)", tc.cw, tc.vx, tc.vy, sx, sy, tc.sx, tc.sy)
		}
	}
}

func TestPlanPixels(t *testing.T) {
	for _, tc := range []struct {
		src, rng, pipe, decodeAs string
		full, rgb, filter        bool
	}{
		{"yuv420p", "tv", "yuv420p", "yuv420p", false, false, false},
		{"yuvj420p", "pc", "yuv420p", "yuvj420p", true, false, false},
		{"yuv422p10le", "", "yuv422p10le", "yuv422p10le", false, false, false},
		{"yuv420p", "pc", "yuv420p", "yuv420p", true, false, false},
		{"rgb24", "pc", "yuv444p", "yuv444p", false, true, true},
		{"gbrp10le", "", "yuv444p10le", "yuv444p10le", false, true, true},
		{"yuva444p12le", "tv", "yuv444p10le", "yuv444p10le", false, false, true},
		{"nv12", "tv", "yuv420p", "yuv420p", false, false, true},
		{"yuv410p", "", "yuv420p", "yuv420p", false, false, true},
		{"p010le", "", "yuv420p10le", "yuv420p10le", false, false, true},
		{"yuyv422", "", "yuv422p", "yuv422p", false, false, true},
		{"gray", "", "yuv420p", "yuv420p", false, false, true},
	} {
		p, err := planPixels(tc.src, tc.rng)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if p.pf.name != tc.pipe || p.decodeAs != tc.decodeAs || p.fullRange != tc.full || p.rgb != tc.rgb || (p.filter != "") != tc.filter {
			t.Errorf("%s %s: %+v", tc.src, tc.rng, p)
		}
	}
	if _, err := planPixels("", ""); err == nil {
		t.Error("no pixel format accepted")
	}
}
