package flac

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

func seeds(f *testing.F) {
	c := vorbis.New()
	c.Entries = append(c.Entries, []byte("TITLE=x"), append([]byte("AIGC="), testLabel.JSON()...))
	f.Add(synth([][]byte{streamInfo}, frame))
	f.Add(synth([][]byte{streamInfo}, nil))
	f.Add(synth([][]byte{streamInfo, blk(typeVorbisComment, c.Bytes()), blk(typePadding, make([]byte, 64))}, frame))
	f.Add(synth([][]byte{streamInfo, blk(typeSeekTable, make([]byte, 18)), blk(typeVorbisComment, c.Bytes())}, frame))
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
