package mp3_test

import (
	"bytes"
	"fmt"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/mp3"
)

func Example() {
	// Two silent MPEG-1 layer III frames, without an ID3 tag.
	frame := make([]byte, 417)
	copy(frame, []byte{0xFF, 0xFB, 0x90, 0x64})
	in := append(append([]byte{}, frame...), frame...)

	l := label.Label{Label: "1", ContentProducer: "example", ProduceID: "42"}
	var out bytes.Buffer
	if err := (mp3.Format{}).Write(&out, bytes.NewReader(in), l); err != nil {
		fmt.Println(err)
		return
	}
	found, err := mp3.Format{}.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range found {
		fmt.Println(f.Carrier, f.Where, f.Label.ProduceID)
	}
	fmt.Println(bytes.Equal(out.Bytes()[out.Len()-len(in):], in))
	// Output:
	// id3-txxx ID3v2.4 TXXX frame "AIGC" 42
	// true
}
