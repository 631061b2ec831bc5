package jpeg_test

import (
	"bytes"
	"fmt"
	"image"
	stdjpeg "image/jpeg"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/jpeg"
)

func ExampleFormat_Write() {
	var src bytes.Buffer
	_ = stdjpeg.Encode(&src, image.NewGray(image.Rect(0, 0, 8, 8)), nil)

	l := label.Label{Label: "1", ContentProducer: "ExampleAI", ProduceID: "42"}
	var dst bytes.Buffer
	if err := (jpeg.Format{}).Write(&dst, bytes.NewReader(src.Bytes()), l); err != nil {
		fmt.Println(err)
		return
	}
	found, err := jpeg.Format{}.Read(bytes.NewReader(dst.Bytes()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range found {
		fmt.Println(f.Carrier, f.Where, f.Raw)
	}
	// Output:
	// xmp XMP in APP1 {"Label":"1","ContentProducer":"ExampleAI","ProduceID":"42","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}
}
