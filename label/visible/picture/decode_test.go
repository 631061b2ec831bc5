package picture_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"testing"

	"github.com/aigcmark/aigcmark/label/visible/picture"
)

// Decode shows the picture as the viewer does: a label drawn at the
// viewer's bottom-right is at the bottom-right of what Decode returns, for
// every EXIF orientation.
func TestDecodeOriented(t *testing.T) {
	const w, h = 96, 56
	plain := encodeJPEG(t, pattern(w, h, 7), 95)
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			app1 := jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifBlock(orientationTag(o))...))
			in := afterSOI(plain, app1)
			out, _ := run(t, in, picture.Options{})
			before, err := picture.Decode(context.Background(), bytes.NewReader(in), 0)
			if err != nil {
				t.Fatal(err)
			}
			after, err := picture.Decode(context.Background(), bytes.NewReader(out), 0)
			if err != nil {
				t.Fatal(err)
			}
			vw, vh := w, h
			if o >= 5 {
				vw, vh = h, w
			}
			if b := after.Bounds(); b.Dx() != vw || b.Dy() != vh {
				t.Fatalf("decoded %v, want %dx%d as the viewer sees it", b, vw, vh)
			}
			box, _ := changedBox(before, after)
			want := cornerRect(vw, vh)
			if d := box.Max.Sub(want.Max); d.X < -2 || d.X > 2 || d.Y < -2 || d.Y > 2 {
				t.Errorf("label at %v of the viewer's picture, want near %v", box, want)
			}
		})
	}
}

func TestDecodeRefusesLargeBeforeDecoding(t *testing.T) {
	in := encodeJPEG(t, image.NewGray(image.Rect(0, 0, 300, 200)), 80)
	_, err := picture.Decode(context.Background(), bytes.NewReader(in), 1000)
	if !errors.Is(err, picture.ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}
