package markdown

import (
	"bytes"
	"os"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

func seeds(f *testing.F) {
	for _, s := range []string{
		"", "# hi\n", "---\ntitle: x\n---\nbody\n", "---\r\nAIGC:\r\n  Label: \"1\"\r\n---\r\n",
		"\ufeff---\nAIGC: {\"Label\":\"1\"}\n...\n", "---\nAIGC: {Label: '1', ContentProducer: x}\n---\n",
		"---\nAIGC: '{\"Label\":\"1\"}'\n---\n", "---\nAIGC: |\n  {\"Label\":\"2\"}\n---\n",
		"---\nAIGC:\n  Label: \"\\u00e9\\x41\\\"\"\n  ContentProducer:\n    n: 1\n---\n", "---\nunclosed\n",
	} {
		f.Add([]byte(s))
	}
	for _, p := range fixtures.All("markdown") {
		if b, err := os.ReadFile(p); err == nil && len(b) < 256<<10 {
			f.Add(b)
		}
	}
}

func FuzzRead(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Format{}.Read(bytes.NewReader(b))
		_ = Format{}.Sniff(b)
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
			t.Fatalf("Read after Write: %v\n%q", err, out.Bytes())
		}
		if len(found) != 1 || found[0].Label != testLabel {
			t.Fatalf("Read after Write: %d labels %+v\n%q", len(found), found, out.Bytes())
		}
	})
}
