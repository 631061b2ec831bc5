package ogg

import (
	"bytes"
	"os"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

func seeds(f *testing.F) {
	c := vorbis.New()
	c.Entries = append(c.Entries, []byte("TITLE=x"), append([]byte("AIGC="), otherLabel.JSON()...))
	f.Add(synthOpus(c))
	f.Add(synthOpus(vorbis.New()))
	for _, p := range fixtures.All("ogg") {
		if b, err := os.ReadFile(p); err == nil && len(b) < 256<<10 {
			f.Add(b)
		}
	}
}

func FuzzRead(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Format{}.Read(bytes.NewReader(b))
	})
}

func FuzzRoundTrip(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := (Format{}).Read(bytes.NewReader(b)); err != nil {
			return
		}
		var out bytes.Buffer
		if err := (Format{}).Write(&out, bytes.NewReader(b), testLabel); err != nil {
			if _, ok := err.(*label.FormatError); !ok {
				t.Fatalf("Write: %v", err)
			}
			return
		}
		found, err := Format{}.Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("Read after Write: %v", err)
		}
		if len(found) != 1 || found[0].Label != testLabel {
			t.Fatalf("Read after Write: %d labels: %+v", len(found), found)
		}
	})
}
