package picture_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/aigcmark/aigcmark/label/visible"
	"github.com/aigcmark/aigcmark/label/visible/picture"
)

func ExampleLabel() {
	// A 64×48 gray PNG.
	src := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range src.Pix {
		src.Pix[i] = 128
	}
	var in bytes.Buffer
	_ = png.Encode(&in, src)

	// A renderer standing in for label/visible's: a white 16×8 box at the
	// bottom-right corner, 2 pixels from the edges.
	box := func(w, h int) (visible.Overlay, error) {
		m := image.NewNRGBA(image.Rect(0, 0, 16, 8))
		for i := range m.Pix {
			m.Pix[i] = 255
		}
		return visible.Overlay{Image: m, At: image.Pt(w-18, h-10)}, nil
	}

	var out bytes.Buffer
	info, err := picture.Label(context.Background(), &out, bytes.NewReader(in.Bytes()), box, picture.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := png.Decode(&out)
	fmt.Println(info.Format, info.Label, info.Lossless)
	fmt.Printf("%T\n", m)
	fmt.Println(m.At(50, 42).(color.Gray).Y, m.At(10, 10).(color.Gray).Y)
	// Output:
	// png (46,38)-(62,46) true
	// *image.Gray
	// 255 128
}
