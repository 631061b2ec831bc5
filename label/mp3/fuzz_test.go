package mp3

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// seeds returns small synthetic MP3s for the fuzz corpus: tags of each
// version and shape.
func seeds() [][]byte {
	bare := string(oldLabel.JSON())
	out := [][]byte{
		audio(2),
		cat(id3(3, 0, cat(fr(3, "TIT2", 0, text(0, "t")), fr(3, "TXXX", 0, txxxData(encUTF16, "AIGC", bare)), pad(20))), audio(1)),
		cat(id3(3, flagUnsync, unsync(cat(fr(3, "APIC", 0, apic), fr(3, "TXXX", 0, txxxData(encLatin1, "AIGC", bare))))), audio(1)),
		cat(id3(4, flagFooter, cat(fr(4, "TXXX", f4DataLength, cat([]byte{0, 0, 1, 0}, txxxData(encUTF8, "AIGC", bare))))), []byte("3DI\x04\x00\x10\x00\x00\x00\x00"), audio(1)),
		cat(id3(4, flagExtended, cat([]byte{0, 0, 0, 6, 1, 0}, fr(4, "TXXX", 0, txxxData(encUTF16BE, "AIGC", bare)))), audio(1)),
		cat(id3(2, 0, fr(2, "TXX", 0, txxxData(encLatin1, "AIGC", bare))), audio(1)),
	}
	return out
}

func FuzzRead(f *testing.F) {
	seed(f)
	labeltest.FuzzRead(f, Format{})
}

func FuzzRoundTrip(f *testing.F) {
	seed(f)
	labeltest.FuzzRoundTrip(f, Format{}, testLabel, label.CarrierID3)
}

// seed adds seeds() and the small fixtures to the fuzz corpus.
func seed(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	labeltest.SeedFixtures(f, Format{})
}
