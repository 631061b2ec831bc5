package webp

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// fuzzSeeds adds the hand-built test files, labeled and not, and the small
// fixtures.
func fuzzSeeds(f *testing.F) {
	for _, tc := range handBuilt() {
		f.Add(tc.data)
		f.Add(labeltest.Write(f, Format{}, tc.data, label2))
	}
	labeltest.SeedFixtures(f, Format{})
}

func FuzzRead(f *testing.F) {
	fuzzSeeds(f)
	labeltest.FuzzRead(f, Format{})
}

func FuzzRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	labeltest.FuzzRoundTrip(f, Format{}, label1, label.CarrierXMP)
}
