package png_test

import (
	"bytes"
	"fmt"
	"image"
	gopng "image/png"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/png"
)

func Example() {
	var in bytes.Buffer
	gopng.Encode(&in, image.NewGray(image.Rect(0, 0, 4, 4)))

	l := label.Label{Label: "1", ContentProducer: "example", ProduceID: "42"}
	var out bytes.Buffer
	if err := (png.Format{}).Write(&out, bytes.NewReader(in.Bytes()), l); err != nil {
		fmt.Println(err)
		return
	}
	found, err := png.Format{}.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range found {
		fmt.Println(f.Carrier, f.Where, f.Raw)
	}
	// Output:
	// xmp iTXt chunk "XML:com.adobe.xmp" {"Label":"1","ContentProducer":"example","ProduceID":"42","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}
}
