package label

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var sample = Label{Label: "1", ContentProducer: "001191110108MA01KP2T5U10000", ProduceID: "20250901-0001",
	ContentPropagator: "001191110108MA01KP2T5U10000", PropagateID: "20250901-0001"}

func TestJSONFormsKeepStandardOrder(t *testing.T) {
	want := `{"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"20250901-0001","ReservedCode1":"","ContentPropagator":"001191110108MA01KP2T5U10000","PropagateID":"20250901-0001","ReservedCode2":""}`
	if got := string(sample.JSON()); got != want {
		t.Fatalf("JSON() =\n%s\nwant\n%s", got, want)
	}
	if got := string(sample.WrappedJSON()); got != `{"AIGC":`+want+`}` {
		t.Fatalf("WrappedJSON() = %s", got)
	}
	// No HTML escaping, and quotes and backslashes escaped as JSON requires.
	l := Label{ContentProducer: `a<b>&"c\`}
	if got := string(l.JSON()); !strings.Contains(got, `"a<b>&\"c\\"`) {
		t.Fatalf("escaping: %s", got)
	}
	var back Label
	if err := json.Unmarshal(l.JSON(), &back); err != nil || back != l {
		t.Fatalf("encoding/json reads back %+v, %v", back, err)
	}
}

func TestParse(t *testing.T) {
	bare := string(sample.JSON())
	tests := []struct {
		name    string
		in      string
		want    Label
		wrapped bool
		codes   []string
		err     bool
	}{
		{"bare", bare, sample, false, nil, false},
		{"wrapped", `{"AIGC":` + bare + `}`, sample, true, nil, false},
		{"bom and NULs", "\xef\xbb\xbf " + bare + "\x00\x00", sample, false, nil, false},
		{"wrapped as string", `{"AIGC":` + jsonString(bare) + `}`, sample, true, nil, false},
		{"number label", `{"Label":1,"ContentProducer":"p","ProduceID":"i","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}`,
			Label{Label: "1", ContentProducer: "p", ProduceID: "i"}, false, []string{"not-string"}, false},
		{"missing and unknown", `{"Label":"2","Producer":"x"}`, Label{Label: "2"}, false, []string{"unknown-key", "missing-key"}, false},
		{"case", `{"label":"3","contentproducer":"p","ProduceID":"","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}`,
			Label{Label: "3", ContentProducer: "p"}, false, []string{"key-case", "key-case"}, false},
		{"order", `{"ContentProducer":"p","Label":"1","ProduceID":"","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}`,
			Label{Label: "1", ContentProducer: "p"}, false, []string{"key-order"}, false},
		{"duplicate", `{"Label":"1","Label":"2","ContentProducer":"p","ProduceID":"","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}`,
			Label{Label: "2", ContentProducer: "p"}, false, []string{"duplicate-key"}, false},
		{"not an object", `["Label"]`, Label{}, false, nil, true},
		{"trailing text", bare + `x`, Label{}, false, nil, true},
		{"empty", ``, Label{}, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, wrapped, ps, err := Parse([]byte(tt.in))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if l != tt.want || wrapped != tt.wrapped {
				t.Fatalf("got %+v wrapped=%v, want %+v wrapped=%v", l, wrapped, tt.want, tt.wrapped)
			}
			var codes []string
			for _, p := range ps {
				codes = append(codes, p.Code)
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Fatalf("problems %v, want codes %v", ps, tt.codes)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestValidate(t *testing.T) {
	codes := func(ps []Problem) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Code+":"+p.Severity.String())
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name string
		l    Label
		mode Mode
		want string
	}{
		{"valid", sample, Strict, ""},
		{"name as producer", Label{Label: "2", ContentProducer: "ExampleAI", ProduceID: "x"}, Strict, ""},
		{"bad label", Label{Label: "4", ContentProducer: "p", ProduceID: "x"}, Lenient, "label-value:error"},
		{"no producer", Label{Label: "1", ProduceID: "x"}, Lenient, "no-producer:error"},
		// A platform's own label for a suspected upload: producer unknown.
		{"platform's case 3", Label{Label: "3", ContentPropagator: "q", PropagateID: "y"}, Strict, "no-producer:warning"},
		{"unknown producer of AI content", Label{Label: "1", ContentPropagator: "q", PropagateID: "y"}, Strict, "no-producer:error,no-produce-id:error"},
		{"space strict", Label{Label: "1", ContentProducer: "Example AI", ProduceID: "x"}, Strict, "charset:error"},
		{"space lenient", Label{Label: "1", ContentProducer: "Example AI", ProduceID: "x"}, Lenient, "charset:warning"},
		{"chinese", Label{Label: "1", ContentProducer: "p", ProduceID: "编号1"}, Lenient, "charset:warning"},
		{"quote allowed", Label{Label: "1", ContentProducer: `a"b`, ProduceID: "x"}, Strict, ""},
		{"backslash", Label{Label: "1", ContentProducer: `a\b`, ProduceID: "x"}, Strict, "charset:error"},
		{"empty id", Label{Label: "1", ContentProducer: "p"}, Strict, "no-produce-id:error"},
		{"half propagation", Label{Label: "1", ContentProducer: "p", ProduceID: "x", ContentPropagator: "q"}, Strict, "half-propagation:warning"},
		{"bad code length", Label{Label: "1", ContentProducer: "00119111010800000000000", ProduceID: "x"}, Strict, "provider-code:warning"},
		{"bad check char", Label{Label: "1", ContentProducer: "001191110108MA01KP2T5X10000", ProduceID: "x"}, Strict, "provider-code:warning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codes(Validate(tt.l, tt.mode)); got != tt.want {
				t.Fatalf("Validate = %q, want %q (%v)", got, tt.want, Validate(tt.l, tt.mode))
			}
		})
	}
}

func TestCheckProviderCode(t *testing.T) {
	for code, ok := range map[string]bool{
		"001191110108MA01KP2T5U10000": true,  // the guide's example layout, check char valid
		"002191110108MA01KP2T5U20000": true,  // individual, distribution
		"ExampleAI":                   true,  // a name, not a code
		"001191110108MA01KP2T5U30000": false, // service type 3
		"011191110108MA01KP2T5U10000": false, // version 01
		"00119111010IMA01KP2T5U10000": false, // I is outside the credit-code alphabet
	} {
		if msg := CheckProviderCode(code); (msg == "") != ok {
			t.Errorf("CheckProviderCode(%q) = %q, want ok=%v", code, msg, ok)
		}
	}
}

func TestNewIDUniqueOrderedAndClean(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		id := newIDAt(time.UnixMilli(int64(1750000000000 + i)))
		if len(id) != 32 || badChars(id) != "" || seen[id] || id <= prev {
			t.Fatalf("id %d = %q (prev %q)", i, id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestWithPropagationDefaults(t *testing.T) {
	l := Label{Label: "1", ContentProducer: "p", ProduceID: "i"}.WithPropagationDefaults()
	if l.ContentPropagator != "p" || l.PropagateID != "i" {
		t.Fatalf("%+v", l)
	}
	l = Label{Label: "1", ContentProducer: "p", ProduceID: "i", ContentPropagator: "q", PropagateID: "j"}.WithPropagationDefaults()
	if l.ContentPropagator != "q" || l.PropagateID != "j" {
		t.Fatalf("explicit propagation overwritten: %+v", l)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample.JSON())
	f.Add(sample.WrappedJSON())
	f.Add([]byte(`{"AIGC":"{\"Label\":\"1\"}"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, _, _, err := Parse(data)
		if err != nil {
			return
		}
		_ = Validate(l, Strict)
		back, _, _, err := Parse(l.JSON())
		if err != nil || back != l {
			t.Fatalf("JSON() of a parsed label does not parse back: %v\n%+v\n%+v", err, l, back)
		}
	})
}

func TestReview(t *testing.T) {
	a := Found{Carrier: CarrierXMP, Where: "APP1", Label: sample}
	b := Found{Carrier: CarrierEXIF, Where: "APP1 Exif", Label: sample}
	c := b
	c.Label.Label = "3"
	bad := NewFound(CarrierRIFFChunk, "AIGC chunk", 12, []byte("not json"))
	tests := []struct {
		name  string
		found []Found
		want  string
	}{
		{"none", nil, "no-label:error"},
		{"one", []Found{a}, ""},
		{"duplicate", []Found{a, b}, "duplicate-label:warning"},
		{"conflict", []Found{a, c}, "conflicting-labels:error"},
		{"bad json", []Found{bad}, "bad-json:error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s []string
			for _, p := range Review(tt.found, Strict) {
				s = append(s, p.Code+":"+p.Severity.String())
			}
			if got := strings.Join(s, ","); got != tt.want {
				t.Fatalf("Review = %q, want %q", got, tt.want)
			}
		})
	}
}
