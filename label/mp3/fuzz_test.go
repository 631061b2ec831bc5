package mp3

import (
	"bytes"
	"os"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

// seeds returns small MP3s for the fuzz corpus: synthetic tags of each
// version and shape, and the fixtures under 256 KB.
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
	for _, p := range fixtures.All("mp3") {
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
		Format{}.Sniff(b)
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
