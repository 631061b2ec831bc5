package xmp

import (
	"bytes"
	"strings"
	"testing"
)

const labelJSON = `{"Label":"1","ContentProducer":"a<b&c","ProduceID":"x","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}`

func TestNewFindRoundTrip(t *testing.T) {
	p := New(labelJSON)
	vals, err := Find(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 || vals[0].Text != labelJSON {
		t.Fatalf("Find(New) = %+v", vals)
	}
}

const photoshop = `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
   <dc:creator><rdf:Seq><rdf:li>Jane</rdf:li></rdf:Seq></dc:creator>
   <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
                                                                    
<?xpacket end="w"?>`

func TestSetInsertKeepsEverythingElse(t *testing.T) {
	out, err := Set([]byte(photoshop), labelJSON)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := Find(out)
	if err != nil || len(vals) != 1 || vals[0].Text != labelJSON {
		t.Fatalf("Find after insert = %+v, %v", vals, err)
	}
	// Removing the inserted description must give back the original.
	i := bytes.Index(out, []byte("  <rdf:Description rdf:about=\"\" xmlns:TC260"))
	j := bytes.Index(out, []byte("</rdf:Description>\n </rdf:RDF>"))
	if i < 0 || j < 0 {
		t.Fatalf("inserted description not where expected:\n%s", out)
	}
	back := append(append([]byte{}, out[:i]...), out[j+len("</rdf:Description>\n "):]...)
	if string(back) != photoshop {
		t.Fatalf("other bytes changed:\n%s", back)
	}
}

func TestSetReplacesAttributeAndElementForms(t *testing.T) {
	for name, in := range map[string]string{
		"attribute": `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:tc="http://www.tc260.org.cn/ns/AIGC/1.0/" tc:AIGC="{&quot;Label&quot;:&quot;2&quot;}" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/jpeg"/></rdf:RDF></x:xmpmeta>`,
		"element":   `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><TC260:AIGC>{&quot;Label&quot;:&quot;2&quot;}</TC260:AIGC><TC260:AIGC>{"Label":"3"}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>`,
		"alt":       `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><TC260:AIGC><rdf:Alt><rdf:li xml:lang="x-default">{"Label":"2"}</rdf:li></rdf:Alt></TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>`,
	} {
		t.Run(name, func(t *testing.T) {
			vals, err := Find([]byte(in))
			if err != nil || len(vals) == 0 || !strings.Contains(vals[0].Text, `"Label":"2"`) {
				t.Fatalf("Find = %+v, %v", vals, err)
			}
			out, err := Set([]byte(in), labelJSON)
			if err != nil {
				t.Fatal(err)
			}
			vals, err = Find(out)
			if err != nil || len(vals) != 1 || vals[0].Text != labelJSON {
				t.Fatalf("after Set: %+v, %v\n%s", vals, err, out)
			}
			if name == "attribute" && !bytes.Contains(out, []byte(`dc:format="image/jpeg"`)) {
				t.Fatalf("other attribute lost:\n%s", out)
			}
		})
	}
}

func TestSetEmptyAndNoRDF(t *testing.T) {
	out, err := Set(nil, labelJSON)
	if err != nil || !bytes.Equal(out, New(labelJSON)) {
		t.Fatalf("Set(nil) = %q, %v", out, err)
	}
	if _, err := Set([]byte("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"), labelJSON); err != ErrNoRDF {
		t.Fatalf("no rdf: err = %v", err)
	}
}

func TestDropKeepsOtherProperties(t *testing.T) {
	with, err := Set([]byte(photoshop), labelJSON)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Drop(with)
	if err != nil {
		t.Fatal(err)
	}
	if vals, _ := Find(out); len(vals) != 0 {
		t.Fatalf("Drop left %+v", vals)
	}
	if !bytes.Contains(out, []byte("trainedAlgorithmicMedia")) || !bytes.Contains(out, []byte("<rdf:li>Jane</rdf:li>")) {
		t.Fatalf("Drop lost other properties:\n%s", out)
	}
}

func TestNestedPropertiesAreOne(t *testing.T) {
	in := `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><TC260:AIGC>a<TC260:AIGC TC260:AIGC="b">c</TC260:AIGC></TC260:AIGC><TC260:AIGC>d</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>`
	vals, err := Find([]byte(in))
	if err != nil || len(vals) != 2 || vals[0].End > vals[1].Start {
		t.Fatalf("Find = %+v, %v", vals, err)
	}
	out, err := Set([]byte(in), labelJSON)
	if err != nil {
		t.Fatal(err)
	}
	if vals, _ := Find(out); len(vals) != 1 || vals[0].Text != labelJSON {
		t.Fatalf("after Set: %+v\n%s", vals, out)
	}
	if _, err := Drop([]byte(in)); err != nil {
		t.Fatal(err)
	}
}

func FuzzSet(f *testing.F) {
	f.Add([]byte(photoshop))
	f.Add(New(labelJSON))
	f.Add([]byte(`<a xmlns:t="http://www.tc260.org.cn/ns/AIGC/1.0/" t:AIGC='x'/>`))
	f.Fuzz(func(t *testing.T, p []byte) {
		if _, err := Find(p); err != nil {
			return
		}
		out, err := Set(p, labelJSON)
		if err != nil {
			return
		}
		vals, err := Find(out)
		if err != nil {
			t.Fatalf("Set produced unparsable XML: %v\n%q", err, out)
		}
		n := 0
		for _, v := range vals {
			if v.Text == labelJSON {
				n++
			}
		}
		if n != 1 || len(vals) != 1 {
			t.Fatalf("after Set %d values, %d matching\n%q", len(vals), n, out)
		}
	})
}
