package xmp

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

var ai = label.Label{Label: "1", ContentProducer: "a<b&c", ProduceID: "x"}

const iptcDecl = ` xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"`

// packetWith returns a packet whose one rdf:Description has the attributes
// attrs and the content body.
func packetWith(attrs, body string) []byte {
	return []byte(`<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""` + attrs + `>` + body + `</rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
}

// texts returns the Text of each value.
func texts(vs []Value) []string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Text)
	}
	return s
}

// check fails unless p carries exactly the label l and the source types
// want.
func check(t *testing.T, p []byte, l label.Label, want ...string) {
	t.Helper()
	labels, err := Find(p)
	if err != nil || len(labels) != 1 || labels[0].Text != string(l.JSON()) {
		t.Fatalf("labels %q, %v\n%s", texts(labels), err, p)
	}
	types, err := SourceTypes(p)
	if err != nil || !slices.Equal(texts(types), want) {
		t.Fatalf("source types %q, %v, want %q\n%s", texts(types), err, want, p)
	}
}

func TestOptionsNew(t *testing.T) {
	check(t, Options{}.New(ai), ai, TrainedAlgorithmicMedia)
	if got := (Options{NoSourceType: true}).New(ai); !bytes.Equal(got, New(string(ai.JSON()))) {
		t.Errorf("NoSourceType: New = %s", got)
	}
	for _, code := range []string{"2", "3", ""} {
		l := ai
		l.Label = code
		check(t, Options{}.New(l), l)
	}
}

func TestOptionsSet(t *testing.T) {
	dc := packetWith(` xmlns:dc="http://purl.org/dc/elements/1.1/"`, `<dc:creator><rdf:Seq><rdf:li>Jane</rdf:li></rdf:Seq></dc:creator>`)
	out, err := Options{}.Set(dc, ai)
	if err != nil {
		t.Fatal(err)
	}
	check(t, out, ai, TrainedAlgorithmicMedia)
	// One new description holds both, and removing it gives back the
	// original.
	i := bytes.Index(out, []byte(`  <rdf:Description rdf:about="" xmlns:TC260`))
	j := bytes.LastIndex(out, []byte("</rdf:Description>\n"))
	if i < 0 || j < i || bytes.Count(out[i:j], []byte("<rdf:Description")) != 1 {
		t.Fatalf("new description not where expected:\n%s", out)
	}
	back := append(append([]byte{}, out[:i]...), out[j+len("</rdf:Description>\n "):]...)
	if !bytes.Equal(back, dc) {
		t.Fatalf("other bytes changed:\n%s", back)
	}

	// Relabeling keeps one of each, and the same label changes nothing.
	other := ai
	other.ProduceID = "y"
	again, err := Options{}.Set(out, other)
	if err != nil {
		t.Fatal(err)
	}
	check(t, again, other, TrainedAlgorithmicMedia)
	if same, err := (Options{}).Set(again, other); err != nil || !bytes.Equal(same, again) {
		t.Fatalf("relabel with the same label changed the packet: %v\n%s", err, same)
	}

	// A packet labeled before, without a source type, gets one.
	old, err := Set(dc, string(other.JSON()))
	if err != nil {
		t.Fatal(err)
	}
	relabeled, err := Options{}.Set(old, ai)
	if err != nil {
		t.Fatal(err)
	}
	check(t, relabeled, ai, TrainedAlgorithmicMedia)

	// Off, and for labels other than "1": the label alone, and nothing
	// removed.
	for _, tc := range []struct {
		o Options
		l label.Label
	}{{Options{NoSourceType: true}, ai}, {Options{}, label.Label{Label: "3", ContentProducer: "p"}}} {
		got, err := tc.o.Set(dc, tc.l)
		if err != nil {
			t.Fatal(err)
		}
		check(t, got, tc.l)
		if got, err = tc.o.Set(out, tc.l); err != nil {
			t.Fatal(err)
		}
		check(t, got, tc.l, TrainedAlgorithmicMedia)
	}

	// Without rdf:RDF there is nowhere to put a source type: the label
	// alone, no error.
	bare := []byte(`<a xmlns:t="http://www.tc260.org.cn/ns/AIGC/1.0/" t:AIGC='x'/>`)
	got, err := Options{}.Set(bare, ai)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, ai)
	if _, err := (Options{}).Set([]byte("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"), ai); err != ErrNoRDF {
		t.Fatalf("no rdf: err = %v", err)
	}
	check(t, mustSet(t, nil), ai, TrainedAlgorithmicMedia)
}

func mustSet(t *testing.T, p []byte) []byte {
	t.Helper()
	out, err := Options{}.Set(p, ai)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSetSourceTypeKeepsValues: a value already there is never replaced,
// whatever it is; an empty one is filled.
func TestSetSourceTypeKeepsValues(t *testing.T) {
	const capture = SourceTypeScheme + "digitalCapture"
	for _, tc := range []struct {
		name, attrs, body string
		want              []string // the source types after SetSourceType
		same              bool     // the packet must not change
	}{
		{"element, AI term", iptcDecl, `<Iptc4xmpExt:DigitalSourceType>` + SourceTypeScheme + `compositeSynthetic</Iptc4xmpExt:DigitalSourceType>`,
			[]string{SourceTypeScheme + "compositeSynthetic"}, true},
		{"attribute, digitalCapture", iptcDecl + ` Iptc4xmpExt:DigitalSourceType="` + capture + `"`, "", []string{capture}, true},
		{"resource", iptcDecl, `<Iptc4xmpExt:DigitalSourceType rdf:resource="` + capture + `"/>`, []string{capture}, true},
		{"bare code", iptcDecl, `<Iptc4xmpExt:DigitalSourceType>digitalCapture</Iptc4xmpExt:DigitalSourceType>`, []string{"digitalCapture"}, true},
		{"own prefix", ` xmlns:ie="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" ie:DigitalSourceType="x-custom"`, "", []string{"x-custom"}, true},
		{"two values", iptcDecl, `<Iptc4xmpExt:DigitalSourceType/><Iptc4xmpExt:DigitalSourceType>` + capture + `</Iptc4xmpExt:DigitalSourceType>`,
			[]string{"", capture}, true},
		{"empty resource", iptcDecl, `<Iptc4xmpExt:DigitalSourceType rdf:resource=""/>`, []string{""}, true},
		{"empty element", iptcDecl, `<Iptc4xmpExt:DigitalSourceType/>`, []string{TrainedAlgorithmicMedia}, false},
		{"blank element", iptcDecl, `<Iptc4xmpExt:DigitalSourceType> </Iptc4xmpExt:DigitalSourceType>`, []string{TrainedAlgorithmicMedia}, false},
		{"empty attribute", iptcDecl + ` Iptc4xmpExt:DigitalSourceType=''`, "", []string{TrainedAlgorithmicMedia}, false},
		{"prefix bound elsewhere", ` xmlns:Iptc4xmpExt="http://example.com/other/"`, `<Iptc4xmpExt:DigitalSourceType>z</Iptc4xmpExt:DigitalSourceType>`,
			[]string{TrainedAlgorithmicMedia}, false},
		{"none", "", "", []string{TrainedAlgorithmicMedia}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := packetWith(tc.attrs, tc.body)
			out, err := SetSourceType(in, TrainedAlgorithmicMedia)
			if err != nil {
				t.Fatal(err)
			}
			types, err := SourceTypes(out)
			if err != nil || !slices.Equal(texts(types), tc.want) {
				t.Fatalf("source types %q, %v, want %q\n%s", texts(types), err, tc.want, out)
			}
			if tc.same != bytes.Equal(in, out) {
				t.Fatalf("changed = %v, want %v\n%s", !bytes.Equal(in, out), !tc.same, out)
			}
			if strings.Contains(tc.name, "elsewhere") && !bytes.Contains(out, []byte(">z<")) {
				t.Fatalf("the other namespace's property went:\n%s", out)
			}
		})
	}
}

func TestConfigure(t *testing.T) {
	if f := Configure(plain{}, Options{NoSourceType: true}); f != (plain{}) {
		t.Errorf("Configure changed a format whose label is not in XMP: %#v", f)
	}
	f := Configure(configurable{}, Options{NoSourceType: true})
	if c, ok := f.(configurable); !ok || !c.o.NoSourceType {
		t.Errorf("Configure = %#v", f)
	}
}

type plain struct{ label.Format }

type configurable struct {
	label.Format
	o Options
}

func (c configurable) WithXMP(o Options) label.Format { c.o = o; return c }

// FuzzOptionsSet: whatever the packet, Options.Set gives exactly one label,
// keeps every source type the packet stated, adds one only when there was
// none, and is idempotent.
func FuzzOptionsSet(f *testing.F) {
	f.Add([]byte(photoshop))
	f.Add(New(labelJSON))
	f.Add(Options{}.New(ai))
	f.Add(packetWith(iptcDecl+` Iptc4xmpExt:DigitalSourceType="digitalCapture"`, ""))
	f.Add(packetWith(iptcDecl, `<Iptc4xmpExt:DigitalSourceType/>`))
	f.Add(packetWith(iptcDecl, `<Iptc4xmpExt:DigitalSourceType rdf:resource="`+TrainedAlgorithmicMedia+`"/>`))
	f.Add([]byte(`<a xmlns:t="http://www.tc260.org.cn/ns/AIGC/1.0/" t:AIGC='x'/>`))
	f.Fuzz(func(t *testing.T, p []byte) {
		before, err := SourceTypes(p)
		if err != nil {
			return
		}
		if _, err := Set(p, labelJSON); err != nil {
			return
		}
		out, err := Options{}.Set(p, ai)
		if err != nil {
			t.Fatalf("Set works but Options.Set fails: %v", err)
		}
		labels, err := Find(out)
		if err != nil || len(labels) != 1 || labels[0].Text != string(ai.JSON()) {
			t.Fatalf("labels %q, %v\n%q", texts(labels), err, out)
		}
		after, err := SourceTypes(out)
		if err != nil {
			t.Fatalf("output unparsable: %v\n%q", err, out)
		}
		var had, kept []string
		for _, v := range before {
			if v.Text != "" {
				had = append(had, v.Text)
			}
		}
		for _, v := range after {
			if v.Text != "" {
				kept = append(kept, v.Text)
			}
		}
		switch {
		case len(had) > 0 && !slices.Equal(had, kept):
			t.Fatalf("source types %q became %q\n%q", had, kept, out)
		case len(had) == 0 && len(kept) > 1, len(kept) == 1 && len(had) == 0 && kept[0] != TrainedAlgorithmicMedia:
			t.Fatalf("source types %q from none\n%q", kept, out)
		}
		again, err := Options{}.Set(out, ai)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v\n%q\n%q", err, out, again)
		}
	})
}
