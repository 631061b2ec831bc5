package visible

import (
	"image"
	"testing"
)

// BenchmarkRender draws the default label for a 1080p frame from scratch
// (a new Renderer each time, so nothing is cached).
func BenchmarkRender(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Style{}).Render(1920, 1080); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDrawOver is the per-frame cost for video: the cached overlay
// composited onto a 1080p NRGBA frame in place. Bytes are the frame's.
func BenchmarkDrawOver(b *testing.B) {
	r, err := Style{}.Renderer()
	if err != nil {
		b.Fatal(err)
	}
	frame := noise(1920, 1080, 1, false)
	b.SetBytes(int64(len(frame.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		o, err := r(1920, 1080)
		if err != nil {
			b.Fatal(err)
		}
		DrawOver(frame, o)
	}
}

// BenchmarkDrawOverRGBA is DrawOver on a premultiplied RGBA frame.
func BenchmarkDrawOverRGBA(b *testing.B) {
	o, err := Style{}.Render(1920, 1080)
	if err != nil {
		b.Fatal(err)
	}
	frame := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	copy(frame.Pix, noise(1920, 1080, 1, false).Pix)
	b.SetBytes(int64(len(frame.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		DrawOver(frame, o)
	}
}

// BenchmarkRenderDrawOver is Render (uncached) plus DrawOver on 1080p: the
// cost for one still image.
func BenchmarkRenderDrawOver(b *testing.B) {
	frame := noise(1920, 1080, 1, false)
	b.SetBytes(int64(len(frame.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		o, err := Style{}.Render(1920, 1080)
		if err != nil {
			b.Fatal(err)
		}
		DrawOver(frame, o)
	}
}

// BenchmarkRender8K draws the label for a 7680×4320 picture.
func BenchmarkRender8K(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Style{Size: 0.1}).Render(7680, 4320); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocate finds the label in a labeled 1080p JPEG-decoded frame.
func BenchmarkLocate(b *testing.B) {
	o, err := Style{}.Render(1920, 1080)
	if err != nil {
		b.Fatal(err)
	}
	img := jpegRoundTrip(b, Composite(shapes(1920, 1080, 4), o), 85)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Locate(img); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkLocateNoise is Locate's worst case: 1080p of grey noise.
func BenchmarkLocateNoise(b *testing.B) {
	img := noise(1920, 1080, 3, true)
	b.ReportAllocs()
	for b.Loop() {
		Locate(img)
	}
}
