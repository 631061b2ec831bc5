package c2pa_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/aigcmark/aigcmark/detect/c2pa"
	"github.com/aigcmark/aigcmark/fixtures"
)

// A WAV file without Content Credentials reports no manifest; Find reads
// only the chunk headers.
func ExampleFind() {
	f, err := os.Open(fixtures.Path("wav/pcm16.wav"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	ms, err := c2pa.Find(f)
	fmt.Println(len(ms), err)
	// Output:
	// 0 <nil>
}

func ExampleParse() {
	ms, err := c2pa.Parse(exampleStore)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range ms {
		fmt.Println(m.Label, m.ClaimGenerator, "validated:", m.Validated)
		for _, a := range m.Actions {
			fmt.Println(a.Action, a.SoftwareAgent, a.DigitalSourceType, c2pa.Generative(a.DigitalSourceType))
		}
	}
	_, err = c2pa.Parse(exampleStore[:40])
	fmt.Println(err)
	// Output:
	// urn:uuid:1 DALL·E validated: false
	// c2pa.created DALL·E http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia true
	// jumbf: box "jumb" claims 406 bytes, 40 remain (at offset 0)
}

// exampleStore is a minimal unsigned manifest store: one manifest with a
// claim and a c2pa.actions assertion, both CBOR.
var exampleStore = func() []byte {
	box := func(typ string, p ...[]byte) []byte {
		b := bytes.Join(p, nil)
		n := len(b) + 8
		return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), typ[0], typ[1], typ[2], typ[3]}, b...)
	}
	jumb := func(cc, label string, content ...[]byte) []byte {
		d := append([]byte(cc), 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71, 0x03)
		d = append(append(d, label...), 0)
		return box("jumb", append([][]byte{box("jumd", d)}, content...)...)
	}
	text := func(s string) []byte { return append([]byte{0x60 | byte(len(s))}, s...) } // under 24 bytes
	ltext := func(s string) []byte { return append([]byte{0x78, byte(len(s))}, s...) } // under 256 bytes
	actions := bytes.Join([][]byte{{0xA1}, text("actions"), {0x81, 0xA3},
		text("action"), text("c2pa.created"),
		text("softwareAgent"), text("DALL·E"),
		ltext("digitalSourceType"), ltext("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")}, nil)
	claim := bytes.Join([][]byte{{0xA1}, text("claim_generator"), text("DALL·E")}, nil)
	return jumb("c2pa", "c2pa", jumb("c2ma", "urn:uuid:1",
		jumb("c2as", "c2pa.assertions", jumb("cbor", "c2pa.actions", box("cbor", actions))),
		jumb("c2cl", "c2pa.claim", box("cbor", claim))))
}()
