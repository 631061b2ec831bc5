package c2pa

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func FuzzCBOR(f *testing.F) {
	for _, c := range rfcExamples {
		b, _ := hex.DecodeString(c.hex)
		f.Add(b)
	}
	f.Add(cborOf(map[string]any{"actions": []any{map[string]any{"action": "c2pa.created", "digitalSourceType": iptcTrained}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := maxCBORItems
		v, err := decodeCBOR(b, &n)
		if err == nil && n >= maxCBORItems {
			t.Fatalf("decoded %#v without counting an item", v)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add(sampleStore())
	f.Add(generatedStore())
	f.Add(jumb(typeStore, "c2pa"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := Parse(b)
		if err == nil && len(ms) == 0 {
			t.Fatal("no error and no manifest")
		}
		for _, m := range ms {
			if m.Validated {
				t.Fatal("Validated is true")
			}
		}
	})
}

func FuzzFind(f *testing.F) {
	jpg := readFixture(f, "jpeg/plain.jpg")
	png := readFixture(f, "png/palette.png")
	wav := readFixture(f, "wav/pcm16.wav")
	store := generatedStore()
	f.Add(inJPEG(jpg[:200], app11(store, 1, 200)))
	f.Add(inPNG(png, store))
	f.Add(inWAV(append(wav[:36:36], "data\x00\x00\x00\x00"...), store))
	f.Add(append([]byte("\x00\x00\x00\x10ftypisom\x00\x00\x00\x00"), bmffBox("manifest", store)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		Find(bytes.NewReader(b))
	})
}
