package mp4

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// fuzzSeeds returns small synthetic files and, when present, small samples.
func fuzzSeeds(f *testing.F) [][]byte {
	ftyp := mkbox("ftyp", []byte("isom"), u32(0), []byte("isom"))
	hdlr := mkbox("hdlr", u32(0), u32(0), []byte("mdta"), make([]byte, 13))
	keys := mkbox("keys", u32(0), u32(2), mkbox("mdta", []byte("title")), mkbox("mdta", []byte("AIGC")))
	ilst := mkbox("ilst", mkbox("\x00\x00\x00\x01", dataBox(1, []byte("t"))),
		mkbox("\x00\x00\x00\x02", dataBox(1, []byte(`{"Label":"1"}`))))
	stco := mkbox("stco", u32(0), u32(1), u32(200))
	trak := mkbox("trak", mkbox("mdia", mkbox("minf", mkbox("stbl", stco))))
	moov := mkbox("moov", trak, mkbox("udta", mkbox("meta", u32(0), hdlr, keys, ilst)))
	mdat := mkbox("mdat", make([]byte, 64))
	xmpBox := mkbox("uuid", XMPUUID[:], []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><TC260:AIGC>{}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>`))
	ilstItems := mkbox("moov", mkbox("udta", mkbox("meta", u32(0), mkbox("hdlr", u32(0), u32(0), []byte("mdir"), make([]byte, 13)),
		mkbox("ilst", mkbox("----", mkbox("mean", u32(0), []byte("com.apple.iTunes")), mkbox("name", u32(0), []byte("AIGC")), dataBox(1, []byte("{}"))),
			mkbox("AIGC", dataBox(1, []byte("{}")))))))
	frag := mkbox("moof", mkbox("traf", mkbox("tfhd", u32(1), u32(1), make([]byte, 8))))
	mfra := mkbox("mfra", mkbox("tfra", u32(0x01000000), u32(1), u32(0), u32(1), make([]byte, 19)))
	seeds := [][]byte{
		cat(ftyp, moov, mdat),
		cat(ftyp, mdat, moov),
		cat(ftyp, moov, mkbox("free", make([]byte, 300)), mdat),
		cat(ftyp, xmpBox, moov, mdat),
		cat(ftyp, ilstItems, mdat),
		cat(ftyp, moov, frag, mdat, mfra),
		cat(mkbox("moov", mkbox("meta", hdlr, keys, ilst)), mdat),
	}
	var paths []string
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		for _, n := range []string{"plain.m4a", "labeled-faststart.mov", "frag.mp4"} {
			paths = append(paths, media(f, n))
		}
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Size() < 256<<10 {
			if d, err := os.ReadFile(p); err == nil {
				seeds = append(seeds, d)
			}
		}
	}
	return append(seeds, labeltest.SmallFixtures(Format{})...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	labeltest.FuzzRead(f, Format{})
}

// FuzzRoundTrip fuzzes the label's producer too: a string that is not
// valid UTF-8 must come back as its JSON encoding reads.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "producer")
	}
	f.Fuzz(func(t *testing.T, data []byte, producer string) {
		l := label.Label{Label: "1", ContentProducer: producer, ProduceID: "fuzz"}
		labeltest.RoundTrip(t, Format{}, data, l, label.CarrierMP4Keys)
	})
}
