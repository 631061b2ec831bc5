package picture_test

import (
	"bytes"
	"context"
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
