package markdown

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

var testLabel = label.Label{
	Label:             "1",
	ContentProducer:   "001191110108MA01KP2T5U10000",
	ProduceID:         "md-0001",
	ContentPropagator: "001191110108MA01KP2T5U10000",
	PropagateID:       "md-0001",
}

const block = `AIGC:
  Label: "1"
  ContentProducer: "001191110108MA01KP2T5U10000"
  ProduceID: "md-0001"
  ReservedCode1: ""
  ContentPropagator: "001191110108MA01KP2T5U10000"
  PropagateID: "md-0001"
  ReservedCode2: ""
`

func write(t *testing.T, in string, l label.Label) string {
	t.Helper()
	var out bytes.Buffer
	if err := (Format{}).Write(&out, strings.NewReader(in), l); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func read(t *testing.T, in string) []label.Found {
	t.Helper()
	found, err := Format{}.Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// TestWriteGolden checks the exact bytes Write produces.
func TestWriteGolden(t *testing.T) {
	body := "# Title\n\nSome *text*.\n---\nmore\n"
	for _, tc := range []struct{ name, in, want string }{
		{"plain", body, "---\n" + block + "---\n" + body},
		{"empty file", "", "---\n" + block + "---\n"},
		{"no final newline", "text", "---\n" + block + "---\ntext"},
		{"crlf plain", crlf(body), crlf("---\n"+block+"---\n") + crlf(body)},
		{"bom", "\ufeff" + body, "\ufeff---\n" + block + "---\n" + body},
		{"existing front matter",
			"---\ntitle: Existing things stay\ntags: [a, b]   # comment\n---\n" + body,
			"---\ntitle: Existing things stay\ntags: [a, b]   # comment\n" + block + "---\n" + body},
		{"closed with dots, no body", "---\ntitle: x\n...", "---\ntitle: x\n" + block + "..."},
		{"empty front matter", "---\n---\n" + body, "---\n" + block + "---\n" + body},
		{"crlf front matter", crlf("---\ntitle: x\n---\n" + body), crlf("---\ntitle: x\n" + block + "---\n" + body)},
		{"bom front matter", "\ufeff---\ntitle: x\n---\n", "\ufeff---\ntitle: x\n" + block + "---\n"},
		{"replace block form",
			"---\ntitle: x\nAIGC:\n  Label: '2'\n  ContentProducer: other # old\n\n  ProduceID: \"9\"\n\n# trailing comment\nauthor: me\n---\n" + body,
			"---\ntitle: x\n" + block + "\n# trailing comment\nauthor: me\n---\n" + body},
		{"replace flow form and drop second",
			"---\nAIGC: {\"Label\":\"2\"}\ntitle: x\naigc:\n  - stray\n---\n",
			"---\n" + block + "title: x\n---\n"},
		{"replace flow over lines",
			"---\nAIGC: {Label: \"2\",\n  ContentProducer: x}\nz: 1\n---\n",
			"---\n" + block + "z: 1\n---\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := write(t, tc.in, testLabel)
			if got != tc.want {
				t.Fatalf("Write:\n got %q\nwant %q", got, tc.want)
			}
			labeltest.RequireOne(t, Format{}, []byte(got), testLabel, label.CarrierFrontMatter)
			// Relabeling gives one label and keeps everything else.
			other := testLabel
			other.Label = "3"
			again := write(t, got, other)
			if f := read(t, again); len(f) != 1 || f[0].Label != other {
				t.Fatalf("relabel: %+v", f)
			}
			if strings.Replace(again, `Label: "3"`, `Label: "1"`, 1) != got {
				t.Errorf("relabel changed other bytes:\n%q\n%q", got, again)
			}
		})
	}
}

func TestRead(t *testing.T) {
	full := `{"Label":"1","ContentProducer":"p","ProduceID":"i","ReservedCode1":"","ContentPropagator":"p","PropagateID":"i","ReservedCode2":""}`
	want := label.Label{Label: "1", ContentProducer: "p", ProduceID: "i", ContentPropagator: "p", PropagateID: "i"}
	for _, tc := range []struct {
		name, in string
		want     label.Label
		problems []string // problem codes expected, in any order
	}{
		{"json flow", "---\nAIGC: " + full + "\n---\n", want, nil},
		{"json flow crlf", crlf("---\nAIGC: " + full + "\n---\n"), want, nil},
		{"quoted json", "---\nAIGC: '" + full + "'\n---\n", want, nil},
		{"double-quoted json", "---\nAIGC: \"" + strings.ReplaceAll(full, `"`, `\"`) + "\"\n---\n", want, nil},
		{"block scalar json", "---\nAIGC: |\n  " + full + "\n---\n", want, nil},
		{"wrapped json", "---\nAIGC: {\"AIGC\":" + full + "}\n---\n", want, nil},
		{"yaml flow", "---\nAIGC: {Label: '1', ContentProducer: p, ProduceID: \"i\", ReservedCode1: , ContentPropagator: p,\n   PropagateID: i, ReservedCode2: ''}\n---\n", want, nil},
		{"block mixed quoting", "---\nAIGC:   # the label\n    Label: '1'\n    ContentProducer: p   # comment\n    ProduceID: \"i\"\n    ReservedCode1:\n    ContentPropagator: 'p'\n    PropagateID: i\n    ReservedCode2: ~\n---\n", want, nil},
		{"quoted key", "---\n\"AIGC\":\n  Label: \"1\"\n  ContentProducer: p\n  ProduceID: i\n  ReservedCode1: \"\"\n  ContentPropagator: p\n  PropagateID: i\n  ReservedCode2: \"\"\n---\n", want, nil},
		{"missing keys", "---\nAIGC:\n  Label: \"1\"\n---\n", label.Label{Label: "1"}, []string{"missing-key"}},
		{"number value", "---\nAIGC: {\"Label\":1}\n---\n", label.Label{Label: "1"}, []string{"not-string", "missing-key"}},
		{"unknown key", "---\nAIGC:\n  Label: \"1\"\n  Extra: x\n---\n", label.Label{Label: "1"}, []string{"unknown-key", "missing-key"}},
		{"nested value", "---\nAIGC:\n  Label: \"1\"\n  ContentProducer:\n    name: x\n---\n", label.Label{Label: "1"}, []string{"front-matter-syntax", "missing-key"}},
		{"unclosed quote", "---\nAIGC:\n  Label: \"1\n---\n", label.Label{}, []string{"front-matter-syntax", "missing-key"}},
		{"garbage", "---\nAIGC: hello world\n---\n", label.Label{}, []string{"bad-json"}},
		{"no value", "---\nAIGC:\ntitle: x\n---\n", label.Label{}, []string{"bad-json", "front-matter-syntax"}},
		{"anchor", "---\nAIGC: &a\n  Label: \"1\"\n---\n", label.Label{}, []string{"bad-json"}},
		{"bad escape", "---\nAIGC:\n  Label: \"\\q\"\n---\n", label.Label{}, []string{"front-matter-syntax", "missing-key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := read(t, tc.in)
			if len(found) != 1 {
				t.Fatalf("found %d labels", len(found))
			}
			f := found[0]
			if f.Label != tc.want || f.Carrier != label.CarrierFrontMatter {
				t.Errorf("label = %+v", f.Label)
			}
			var codes []string
			for _, p := range f.Problems {
				codes = append(codes, p.Code)
			}
			if strings.Join(sorted(codes), ",") != strings.Join(sorted(tc.problems), ",") {
				t.Errorf("problems = %v, want codes %v", f.Problems, tc.problems)
			}
		})
	}
}

func sorted(s []string) []string {
	s = append([]string{}, s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestNoLabel(t *testing.T) {
	for _, in := range []string{"", "# hi\n", "---\ntitle: x\n---\n", "--- not a fence\n", "----\nx\n----\n",
		"---\nnested:\n  AIGC: x\n---\n", "---\nAIGCX: 1\n---\n", "text\n---\nAIGC: x\n---\n"} {
		if f := read(t, in); len(f) != 0 {
			t.Errorf("%q: found %+v", in, f)
		}
	}
}

// TestQuoting checks values with quotes, backslashes and control
// characters survive a write and a read, and that the written strings are
// JSON strings too.
func TestQuoting(t *testing.T) {
	l := testLabel
	l.ReservedCode1 = `a"b\c\"d` + "\ttab\nnl\x01\x7f\u0085\u2028 中文 😀 '#x: y"
	l.ContentPropagator = "#not a comment"
	l.PropagateID = "  spaced  "
	out := write(t, "body\n", l)
	f := read(t, out)
	if len(f) != 1 || f[0].Label != l || len(f[0].Problems) != 0 {
		t.Fatalf("round trip: %+v", f)
	}
	// The value lines, taken as JSON, give the same strings.
	for _, ln := range strings.Split(out, "\n")[2:9] {
		_, v, _ := strings.Cut(ln, ": ")
		var s string
		if err := jsonUnmarshal(v, &s); err != nil {
			t.Errorf("%q is not a JSON string: %v", v, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	big := "---\ntitle: x\n" + strings.Repeat("k: v\n", MaxFrontMatter/5) + "---\nbody\n"
	for _, tc := range []struct{ name, in, want string }{
		{"unclosed", "---\ntitle: x\n\nbody\n", "front matter opened at line 1 is not closed"},
		{"unclosed crlf", "---\r\ntitle: x\r\n", "not closed"},
		{"unclosed bare", "---\n", "not closed"},
		{"too big", big, "limit of 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labeltest.Corrupt(t, Format{}, []byte(tc.in), tc.want)
		})
	}
}

func TestSniff(t *testing.T) {
	labeltest.Sniff(t, Format{}, map[string]bool{
		"# hi":     true,
		"---\n":    true,
		"中文"[:4]:   true, // rune cut at the end
		"":         false,
		"a\x00b":   false,
		"\xff\xfe": false,
		"\xc3(":    false,
	})
}

func TestBodyStreamed(t *testing.T) {
	// A large body is copied unchanged.
	body := strings.Repeat("line of text\n", 200000)
	for _, in := range []string{body, "---\ntitle: x\n---\n" + body} {
		out := write(t, in, testLabel)
		if !strings.HasSuffix(out, body) {
			t.Fatal("body changed")
		}
	}
}

// TestFixtures labels the committed sample Markdown files.
func TestFixtures(t *testing.T) {
	labeltest.Fixtures(t, Format{}, "markdown", testLabel, label.CarrierFrontMatter, nil)
}

// TestLabeledFixtures reads the committed files labeled by other tools and
// relabels them to exactly one label.
func TestLabeledFixtures(t *testing.T) {
	labeltest.LabeledFixtures(t, Format{}, testLabel, label.CarrierFrontMatter, nil, ".md")
}

// TestBadFixtures reads the committed corrupt files.
func TestBadFixtures(t *testing.T) {
	labeltest.BadFixtures(t, Format{}, ".md")
}
