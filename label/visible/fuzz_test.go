package visible

import (
	"bytes"
	"image"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"

	"github.com/aigcmark/aigcmark/label/markdown"
)

// FuzzLoadFont parses user fonts: no panic, and a font that parses either
// draws a label inside the picture or returns an error.
func FuzzLoadFont(f *testing.F) {
	f.Add(notoSubset)
	f.Add(goregular.TTF)
	f.Add(goregular.TTF[:4096])
	f.Add(notoSubset[:2048])
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10OTTO"))
	f.Add([]byte("OTTO\x00\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		font, err := LoadFont(data)
		if err != nil {
			return
		}
		_ = font.Name()
		_ = font.Missing("AI生成 Ag")
		for _, text := range []string{"AI生成", "AI合成 Ag"} {
			o, err := Style{Font: font, Text: text}.Render(320, 240)
			if err != nil {
				continue
			}
			if !o.Bounds().In(image.Rect(0, 0, 320, 240)) {
				t.Fatalf("overlay %v outside the picture", o.Bounds())
			}
		}
	})
}

// FuzzPrompt adds prompts to arbitrary text: no panic; the streaming and
// in-memory forms agree; the prompt is there; a front-matter label that
// label/markdown reads before is read the same after, Markdown or not.
func FuzzPrompt(f *testing.F) {
	f.Add("正文\n", uint8(0))
	f.Add("---\ntitle: x\nAIGC:\n  Label: \"1\"\n---\n# T\n", uint8(7))
	f.Add("```go\ncode\n", uint8(5))
	f.Add("\ufeff---\r\na: 1\r\n---\r\nbody", uint8(6))
	f.Add("---\n", uint8(4))
	f.Fuzz(func(t *testing.T, in string, flags uint8) {
		p := PromptOptions{Position: TextPosition(flags % 3), Markdown: flags&4 != 0}
		out, err := AddPromptBytes([]byte(in), p)
		var streamed bytes.Buffer
		serr := AddPrompt(&streamed, &oneByte{strings.NewReader(in)}, p)
		if (err == nil) != (serr == nil) || err == nil && !bytes.Equal(out, streamed.Bytes()) {
			t.Fatalf("AddPromptBytes and AddPrompt disagree: %q, %v / %q, %v", out, err, streamed.Bytes(), serr)
		}
		if err != nil {
			return
		}
		if !bytes.Contains(out, []byte(DefaultPrompt)) {
			t.Fatalf("no prompt in %q", out)
		}
		before, err := markdown.Format{}.Read(strings.NewReader(in))
		if err != nil || len(before) == 0 {
			return
		}
		after, err := markdown.Format{}.Read(bytes.NewReader(out))
		if err != nil || len(after) != len(before) || after[0].Raw != before[0].Raw {
			t.Fatalf("front matter label changed: %v → %v, %v\n%q", before, after, err, out)
		}
	})
}

// FuzzLocate runs Locate on arbitrary small pictures: no panic, and what
// it reports lies inside the picture.
func FuzzLocate(f *testing.F) {
	o, _ := Style{}.Render(120, 90)
	lab := Composite(uniform(120, 90, white), o)
	f.Add(uint8(120), uint8(90), lab.Pix)
	f.Add(uint8(40), uint8(40), noise(40, 40, 1, false).Pix)
	f.Fuzz(func(t *testing.T, w, h uint8, pix []byte) {
		if w == 0 || h == 0 {
			return
		}
		m := image.NewNRGBA(image.Rect(0, 0, int(w), int(h)))
		copy(m.Pix, pix)
		found, ok := Locate(m)
		if ok && (!found.Ink.In(m.Rect) || !found.Plate.In(m.Rect) || found.InkHeight <= 0) {
			t.Fatalf("found %+v in a %dx%d picture", found, w, h)
		}
	})
}
