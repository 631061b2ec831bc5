package picture_test

import (
	"bytes"
	"context"
	"image"
	"io"
	"testing"

	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// BenchmarkLabelJPEG1080p labels a 1920×1080 JPEG (quality 85) with a
// 480×135 overlay: decode, composite, re-encode. Bytes are the input's.
func BenchmarkLabelJPEG1080p(b *testing.B) {
	in := encodeJPEG(b, pattern(1920, 1080, 1), 85)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := bytes.NewReader(in)
	for b.Loop() {
		r.Reset(in)
		if _, err := picture.Label(context.Background(), io.Discard, r, corner, picture.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLabelWebPAnimated labels a 320×240 lossy animation (quality
// 80) of 8 frames, half of them partial: decode, compose, re-encode every
// frame. Bytes are the input's.
func BenchmarkLabelWebPAnimated(b *testing.B) {
	a := testAnim{w: 320, h: 240}
	for i := range 8 {
		f := testFrame{m: pattern(320, 240, uint32(i)), ms: 100, lossy: 80}
		if i%2 == 1 {
			f.m, f.at = alphaPattern(120, 90, uint32(i)), image.Pt(24*i, 12*i)
		}
		a.frames = append(a.frames, f)
	}
	in := a.bytes(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := bytes.NewReader(in)
	for b.Loop() {
		r.Reset(in)
		if _, err := picture.Label(context.Background(), io.Discard, r, corner, picture.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
