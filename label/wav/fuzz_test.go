package wav

import (
	"bytes"
	"os"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

// fuzzSeeds adds the hand-built test files and the small fixtures.
func fuzzSeeds(f *testing.F) {
	for _, tc := range testFiles() {
		f.Add(tc.data)
		f.Add(write(f, tc.data, label2))
	}
	fmtc := fmtChunk(1, 1, 8000, 16, nil)
	data := chunk("data", samples(20, 1, 2, false))
	f.Add(wavFile(fmtc, data, chunk("LIST", cat([]byte("INFO"), chunk("AIGC", label2.JSON())))))
	f.Add(wavFile(fmtc, data, chunk("_PMX", xmpPacket(label2))))
	f.Add(wavFile(fmtc, []byte("data\xf0\xff\xff\xff\x00\x00")))
	for _, dir := range []string{"wav", "labeled", "bad"} {
		for _, p := range fixtures.All(dir) {
			if st, err := os.Stat(p); err == nil && st.Size() < 256<<10 {
				if b, err := os.ReadFile(p); err == nil && (Format{}).Sniff(b) {
					f.Add(b)
				}
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		(Format{}).Sniff(b)
		(Format{}).Read(bytes.NewReader(b))
	})
}

func FuzzRoundTrip(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := (Format{}).Read(bytes.NewReader(b)); err != nil {
			return
		}
		var out bytes.Buffer
		if err := (Format{}).Write(&out, bytes.NewReader(b), label1); err != nil {
			return
		}
		fs, err := (Format{}).Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("Read of Write's output: %v", err)
		}
		if len(fs) != 1 || fs[0].Label != label1 || fs[0].Carrier != label.CarrierRIFFChunk {
			t.Fatalf("Read of Write's output found %+v", fs)
		}
	})
}
