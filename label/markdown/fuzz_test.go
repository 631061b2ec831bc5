package markdown

import (
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
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
	labeltest.SeedFixtures(f, Format{})
}

func FuzzRead(f *testing.F) {
	seeds(f)
	labeltest.FuzzRead(f, Format{})
}

func FuzzRoundTrip(f *testing.F) {
	seeds(f)
	labeltest.FuzzRoundTrip(f, Format{}, testLabel, label.CarrierFrontMatter)
}
