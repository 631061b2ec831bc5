package digest_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/digest"
	"github.com/aigcmark/aigcmark/label/png"
)

// Labelling a file leaves its content digest unchanged.
func ExampleSum() {
	in, _ := os.ReadFile(fixtures.Path("png/palette.png"))
	before, _ := digest.Sum("png", bytes.NewReader(in))
	var out bytes.Buffer
	_ = png.Format{}.Write(&out, bytes.NewReader(in), label.Label{Label: "1", ContentProducer: "demo"})
	after, _ := digest.Sum("png", bytes.NewReader(out.Bytes()))
	fmt.Println(before == after, len(out.Bytes()) > len(in))
	// Output: true true
}
