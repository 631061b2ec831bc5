package png

import (
	"bytes"
	"image"
	gopng "image/png"
	"os"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// seeds returns small PNGs for the fuzz corpus: synthetic ones with each
// carrier, and the fixtures under 256 KB.
func seeds() [][]byte {
	var b bytes.Buffer
	gopng.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	base := b.Bytes()
	ihdr, rest := base[8:8+25], base[8+25:]
	with := func(c ...tChunk) []byte {
		out := append([]byte(Signature), ihdr...)
		for _, x := range c {
			out = appendChunk(out, x.typ, x.data)
		}
		return append(out, rest...)
	}
	bare, wrapped := string(oldLabel.JSON()), string(oldLabel.WrappedJSON())
	out := [][]byte{
		base,
		with(textChunk("AIGC", wrapped)),
		with(ztxtChunk("AIGC", bare)),
		with(itxtChunk("AIGC", bare, true)),
		with(itxtChunk(KeywordXMP, string(xmp.New(bare)), false)),
		with(itxtChunk(KeywordXMP, string(xmp.New(bare)), true), textChunk("Title", "x")),
	}
	for _, p := range fixtures.All("png") {
		if st, err := os.Stat(p); err == nil && st.Size() < 256<<10 {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

func FuzzRead(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		Format{}.Read(bytes.NewReader(b))
	})
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := (Format{}).Read(bytes.NewReader(b)); err != nil {
			return
		}
		var out bytes.Buffer
		if err := (Format{}).Write(&out, bytes.NewReader(b), testLabel); err != nil {
			return
		}
		fs, err := Format{}.Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("Read after Write: %v", err)
		}
		if len(fs) != 1 || fs[0].Label != testLabel {
			t.Fatalf("Read after Write found %+v", fs)
		}
	})
}
