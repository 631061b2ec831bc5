package all

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

// folderFormat is the format each fixture folder holds.
var folderFormat = map[string]string{
	"jpeg": "jpeg", "png": "png", "webp": "webp", "gif": "gif", "mp4": "mp4",
	"wav": "wav", "mp3": "mp3", "flac": "flac", "ogg": "ogg", "markdown": "markdown",
}

func TestDetectEveryFixtureByItsBytes(t *testing.T) {
	n := 0
	for folder, want := range folderFormat {
		for _, p := range fixtures.All(folder) {
			head := readHead(t, p)
			// The name lies: detection must not care, except that text needs
			// a Markdown name or front matter.
			name := "upload.bin"
			if want == "markdown" {
				name = "notes.md"
			}
			f, err := Detect(head, name)
			if err != nil || f.Name() != want {
				t.Errorf("%s: Detect = %v, %v; want %s", p, f, err, want)
			}
			n++
		}
	}
	if n < 25 {
		t.Fatalf("only %d fixtures found", n)
	}
}

func TestDetectText(t *testing.T) {
	tests := []struct {
		name, head string
		want       string
	}{
		{"notes.md", "# Title\n", "markdown"},
		{"NOTES.MARKDOWN", "text", "markdown"},
		{"readme.txt", "plain words", "markdown"},
		{"post.html", "---\ntitle: x\n---\nbody", "markdown"}, // front matter counts whatever the name
		{"meta.json", `{"seed": 1}`, ""},                      // a sidecar is not labeled as Markdown
		{"data.csv", "a,b\n1,2\n", ""},
		{"binary.md", "\x00\x01\x02", ""},
	}
	for _, tt := range tests {
		f, err := Detect([]byte(tt.head), tt.name)
		got := ""
		if err == nil {
			got = f.Name()
		} else if !errors.Is(err, label.ErrUnknownFormat) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("Detect(%q, %q) = %q, want %q", tt.head, tt.name, got, tt.want)
		}
	}
}

func TestNamesAreUniqueAndFound(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Formats() {
		if seen[f.Name()] || ByName(f.Name()) == nil {
			t.Errorf("format %q duplicated or not found by name", f.Name())
		}
		seen[f.Name()] = true
	}
	if ByName("tiff") != nil {
		t.Error("ByName found a format that is not registered")
	}
}

func TestSniffLeavesReaderAtStart(t *testing.T) {
	p := fixtures.Path("png/palette.png")
	f, err := os.Open(p)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	format, err := Sniff(f, "x.dat")
	if err != nil || format.Name() != "png" {
		t.Fatalf("Sniff = %v, %v", format, err)
	}
	if _, err := format.Read(f); err != nil {
		t.Fatalf("Read after Sniff: %v", err)
	}
}

func readHead(t testing.TB, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b[:min(len(b), label.SniffLen)]
}

// FuzzDetectReadWrite runs whatever format the bytes look like through
// Read, Write and Read again: no panic, and a successful write carries
// exactly the label written.
func FuzzDetectReadWrite(f *testing.F) {
	for _, p := range fixtures.All("") {
		if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
			b, _ := os.ReadFile(p)
			f.Add(b, filepath.Base(p))
		}
	}
	l := label.Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "fuzz"}.WithPropagationDefaults()
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		format, err := Detect(data[:min(len(data), label.SniffLen)], name)
		if err != nil {
			return
		}
		if _, err := format.Read(bytes.NewReader(data)); err != nil {
			return
		}
		var out bytes.Buffer
		if err := format.Write(&out, bytes.NewReader(data), l); err != nil {
			return
		}
		found, err := format.Read(bytes.NewReader(out.Bytes()))
		if err != nil || len(found) != 1 || found[0].Label != l {
			t.Fatalf("%s: after Write, Read = %+v, %v", format.Name(), found, err)
		}
	})
}
