package jpeg

import (
	"bytes"
	"os"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
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
	for _, p := range fixtures.All("jpeg") {
		if st, err := os.Stat(p); err == nil && st.Size() <= 256<<10 {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
}

// FuzzRead checks that no input makes Read panic.
func FuzzRead(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = Format{}.Read(bytes.NewReader(in))
	})
}

// FuzzRoundTrip checks that when Read and Write succeed, the output
// carries exactly the label written.
func FuzzRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	l := label.Label{Label: "1", ContentProducer: "p", ProduceID: "id"}
	f.Fuzz(func(t *testing.T, in []byte) {
		if _, err := (Format{}).Read(bytes.NewReader(in)); err != nil {
			return
		}
		var out bytes.Buffer
		if err := (Format{}).Write(&out, bytes.NewReader(in), l); err != nil {
			return
		}
		fs, err := Format{}.Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("Read of output: %v", err)
		}
		if len(fs) != 1 || fs[0].Label != l {
			t.Fatalf("output has %d labels: %+v", len(fs), fs)
		}
	})
}
