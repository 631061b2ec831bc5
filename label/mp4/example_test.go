package mp4_test

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/mp4"
)

// box returns an MP4 box of type typ holding the payload parts.
func box(typ string, parts ...[]byte) []byte {
	p := bytes.Join(parts, nil)
	return append(binary.BigEndian.AppendUint32(nil, uint32(8+len(p))), append([]byte(typ), p...)...)
}

func ExampleFormat_Write() {
	// A movie reduced to its boxes: ftyp, an empty mdat, moov.
	movie := bytes.Join([][]byte{
		box("ftyp", []byte("isom\x00\x00\x02\x00isom")),
		box("mdat"),
		box("moov", box("mvhd", make([]byte, 100))),
	}, nil)

	l := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "v-42"}
	var out bytes.Buffer
	if err := (mp4.Format{}).Write(&out, bytes.NewReader(movie), l); err != nil {
		fmt.Println(err)
		return
	}
	found, err := mp4.Format{}.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range found {
		fmt.Println(f.Carrier, f.Where)
		fmt.Println(f.Raw)
	}
	// Output:
	// mp4-keys moov/udta/meta (keys "AIGC")
	// {"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"v-42","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}
}
