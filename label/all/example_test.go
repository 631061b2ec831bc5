package all_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/all"
)

// Label a file and read the label back.
func Example() {
	src, err := os.Open(fixtures.Path("wav/pcm16.wav"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	format, err := all.Sniff(src, src.Name())
	if err != nil {
		fmt.Println(err)
		return
	}
	l := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "0001"}
	var out bytes.Buffer
	if err := format.Write(&out, src, l.WithPropagationDefaults()); err != nil {
		fmt.Println(err)
		return
	}
	found, err := format.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(format.Name(), found[0].Carrier, found[0].Label.ProduceID, len(label.Review(found, label.Strict)))
	// Output: wav riff-chunk 0001 0
}
