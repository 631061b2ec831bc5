package gif

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

func fuzzSeeds(f *testing.F) {
	small := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff" +
		"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b")
	anim := makeGIF(f, 2)
	for _, s := range [][]byte{
		small, gif87(small), anim,
		insertBefore(f, small, isImageOrGCE, append(comment("c"), xmpExt(f, labeledXMP(f, otherLabel))...)),
		insertBefore(f, anim, isImageOrGCE, xmpExt(f, otherXMP)),
		[]byte("GIF87a\x00\x00\x00\x00\x00\x00\x00\x3b"),
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
