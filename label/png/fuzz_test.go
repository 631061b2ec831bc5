package png

import (
	"bytes"
	"image"
	gopng "image/png"
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// seeds returns small synthetic PNGs for the fuzz corpus, with each
// carrier.
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
	return out
}

func FuzzRead(f *testing.F) {
	seed(f)
	labeltest.FuzzRead(f, Format{})
}

func FuzzRoundTrip(f *testing.F) {
	seed(f)
	labeltest.FuzzRoundTrip(f, Format{}, testLabel, label.CarrierXMP)
}

// seed adds seeds() and the small fixtures to the fuzz corpus.
func seed(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	labeltest.SeedFixtures(f, Format{})
}
