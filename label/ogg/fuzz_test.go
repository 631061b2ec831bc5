package ogg

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

func seeds(f *testing.F) {
	c := vorbis.New()
	c.Entries = append(c.Entries, []byte("TITLE=x"), append([]byte("AIGC="), otherLabel.JSON()...))
	f.Add(synthOpus(c))
	f.Add(synthOpus(vorbis.New()))
	labeltest.SeedFixtures(f, Format{})
}

func FuzzRead(f *testing.F) {
	seeds(f)
	labeltest.FuzzRead(f, Format{})
}

func FuzzRoundTrip(f *testing.F) {
	seeds(f)
	labeltest.FuzzRoundTrip(f, Format{}, testLabel, label.CarrierVorbisComment)
}
