package traces

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

// FuzzRead checks that Read never panics on any input, keeps every detail
// within MaxDetail and reports only the two strengths.
func FuzzRead(f *testing.F) {
	png := fixture(f, "png/palette.png")
	jpg := fixture(f, "jpeg/plain.jpg")
	webp := fixture(f, "webp/extended.webp")
	f.Add(withPNG(png, tEXt("parameters", a1111Params), tEXt("prompt", comfyPromptJSON), iTXt("workflow", comfyWorkflowJSON, true)))
	f.Add(withJPEG(jpg, 0xE1, append([]byte("Exif\x00\x00"), tiffBlock([]ifdEntry{ascii(0x0131, "NovelAI")}, []ifdEntry{unicodeComment(a1111Params)})...)))
	f.Add(withWebP(webp, "XMP ", []byte(xmpPacket(`<rdf:Description rdf:about=""`+nsDecl+` Iptc4xmpExt:DigitalSourceType="trainedAlgorithmicMedia"/>`))))
	f.Add(withGIFXMP(fixture(f, "gif/still87a.gif"), xmpPacket("")))
	f.Add(withMP4XMP(fixture(f, "mp4/audio.m4a"), xmpPacket("")))
	for _, p := range fixtures.All("") {
		if ext := filepath.Ext(p); ext == ".png" || ext == ".jpg" || ext == ".webp" || ext == ".gif" || ext == ".mp4" {
			rel, _ := filepath.Rel(fixtures.Dir(), p)
			if b := fixture(f, rel); len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _ := Read(bytes.NewReader(data))
		for _, e := range got {
			if len(e.Detail) > MaxDetail || (e.Strength != Strong && e.Strength != Weak) || e.Source == "" || e.Location == "" {
				t.Fatalf("bad evidence %+v", e)
			}
		}
	})
}
