package gif

import (
	"bytes"
	"os"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
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
	for _, p := range fixtures.All("gif") {
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
