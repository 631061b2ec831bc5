package watermark_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/watermark"
)

func testKey(s string) watermark.Key {
	var k watermark.Key
	copy(k[:], s)
	return k
}

func TestLoadKey(t *testing.T) {
	good := bytes.Repeat([]byte{7}, watermark.KeySize)
	k, err := watermark.LoadKey(bytes.NewReader(good))
	if err != nil || !bytes.Equal(k[:], good) {
		t.Fatalf("LoadKey(32 bytes) = %x, %v", k, err)
	}
	for _, n := range []int{0, 31, 33} {
		_, err := watermark.LoadKey(bytes.NewReader(make([]byte, n)))
		if err == nil {
			t.Errorf("LoadKey(%d bytes): no error", n)
		}
	}
	a, err1 := watermark.NewKey()
	b, err2 := watermark.NewKey()
	if err1 != nil || err2 != nil || a == b {
		t.Fatalf("NewKey twice: %x %x %v %v", a, b, err1, err2)
	}
}

func TestPayloadFor(t *testing.T) {
	k := testKey("payload key")
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("001191110108MA01KP2T5U10000/img-0001"))
	want := m.Sum(nil)[:8]
	got := watermark.PayloadFor(k, "001191110108MA01KP2T5U10000", "img-0001")
	if !bytes.Equal(got[:], want) {
		t.Fatalf("PayloadFor = %x, want %x", got, want)
	}
	if watermark.PayloadFor(k, "001191110108MA01KP2T5U10000", "img-0002") == got {
		t.Fatal("different ProduceID gave the same payload")
	}
	if watermark.PayloadFor(testKey("other"), "001191110108MA01KP2T5U10000", "img-0001") == got {
		t.Fatal("different key gave the same payload")
	}
	p, err := watermark.ParsePayload(got.String())
	if err != nil || p != got {
		t.Fatalf("ParsePayload(String()) = %v, %v", p, err)
	}
	for _, bad := range []string{"", "0102", "zz02030405060708", strings.Repeat("0", 17)} {
		if _, err := watermark.ParsePayload(bad); err == nil {
			t.Errorf("ParsePayload(%q): no error", bad)
		}
	}
}

func softFor(cw []byte, r *rand.Rand, sd float64, flip float64) []float64 {
	s := make([]float64, len(cw))
	for i, b := range cw {
		v := -1.0
		if b == 1 {
			v = 1
		}
		if r.Float64() < flip {
			v = -v
		}
		s[i] = v + sd*r.NormFloat64()
	}
	return s
}

func TestCodeCorrectsErrors(t *testing.T) {
	k := testKey("code key")
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		var p watermark.Payload
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		cw := watermark.Encode(k, p)
		if len(cw) != watermark.CodedBits {
			t.Fatalf("codeword length %d, want %d", len(cw), watermark.CodedBits)
		}
		// 3 % confidently wrong bits plus Gaussian noise.
		got, ok, agree, err := watermark.Decode(k, softFor(cw, r, 0.5, 0.03))
		if err != nil || !ok || got != p {
			t.Fatalf("trial %d: Decode = %v ok=%v agree=%.3f err=%v, want %v", i, got, ok, agree, err, p)
		}
		// A scaled copy decodes the same (gain invariance).
		s := softFor(cw, r, 0.3, 0)
		for j := range s {
			s[j] *= 1e-3
		}
		if got, ok, _, _ := watermark.Decode(k, s); !ok || got != p {
			t.Fatalf("trial %d: scaled soft bits decoded to %v ok=%v", i, got, ok)
		}
	}
	if _, _, _, err := watermark.Decode(k, make([]float64, 10)); err == nil {
		t.Fatal("Decode of a short vector: no error")
	}
}

// Noise and words coded under another key must never pass the check.
func TestCheckRejectsNoiseAndWrongKey(t *testing.T) {
	k := testKey("code key")
	r := rand.New(rand.NewPCG(3, 4))
	soft := make([]float64, watermark.CodedBits)
	for i := 0; i < 5000; i++ {
		for j := range soft {
			soft[j] = r.NormFloat64()
		}
		if p, ok, _, _ := watermark.Decode(k, soft); ok {
			t.Fatalf("noise vector %d passed the check as %v", i, p)
		}
	}
	other := testKey("other key")
	for i := 0; i < 200; i++ {
		var p watermark.Payload
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		if _, ok, _, _ := watermark.Decode(other, softFor(watermark.Encode(k, p), r, 0, 0)); ok {
			t.Fatalf("a codeword of another key passed the check (payload %v)", p)
		}
	}
}

func ExamplePayloadFor() {
	var key watermark.Key // use watermark.LoadKey in real code
	p := watermark.PayloadFor(key, "001191110108MA01KP2T5U10000", "img-0001")
	fmt.Println(len(p.String()), "hex digits")
	// Output: 16 hex digits
}
