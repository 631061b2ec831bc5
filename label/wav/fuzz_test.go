package wav

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// fuzzSeeds adds the hand-built test files, labeled and not, and the small
// fixtures.
func fuzzSeeds(f *testing.F) {
	for _, tc := range testFiles() {
		f.Add(tc.data)
		f.Add(labeltest.Write(f, Format{}, tc.data, label2))
	}
	fmtc := fmtChunk(1, 1, 8000, 16, nil)
	data := chunk("data", samples(20, 1, 2, false))
	f.Add(wavFile(fmtc, data, chunk("LIST", cat([]byte("INFO"), chunk("AIGC", label2.JSON())))))
	f.Add(wavFile(fmtc, data, chunk("_PMX", xmpPacket(label2))))
	f.Add(wavFile(fmtc, []byte("data\xf0\xff\xff\xff\x00\x00")))
	labeltest.SeedFixtures(f, Format{})
}

func FuzzRead(f *testing.F) {
	fuzzSeeds(f)
	labeltest.FuzzRead(f, Format{})
}

func FuzzRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	labeltest.FuzzRoundTrip(f, Format{}, label1, label.CarrierRIFFChunk)
}
