package jpeg

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

func fuzzSeeds(f *testing.F) {
	base := baseJPEG(f)
	small := []byte("\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x02\x00\xff\xd9")
	for _, s := range [][]byte{
		base, small,
		insertAfterSOI(small, jfif, exifSeg(userComment(string(otherLabel.WrappedJSON()))), xmpSeg(labeledXMP(otherLabel))),
		insertAfterSOI(small, iccSeg, xmpSeg(otherXMP), seg(0xFE, []byte("c"))),
		insertAfterSOI(small, []byte{0xFF, 0xFF, 0xFF, 0xD0}),
		[]byte("\xff\xd8\xff\xd9"),
	} {
		f.Add(s)
	}
	labeltest.SeedFixtures(f, Format{})
}

// FuzzRead checks that no input makes Read panic.
func FuzzRead(f *testing.F) {
	fuzzSeeds(f)
	labeltest.FuzzRead(f, Format{})
}

// FuzzRoundTrip checks that when Read and Write succeed, the output
// carries exactly the label written.
func FuzzRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	labeltest.FuzzRoundTrip(f, Format{}, label.Label{Label: "1", ContentProducer: "p", ProduceID: "id"}, label.CarrierXMP)
}
