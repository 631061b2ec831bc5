package vorbis

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

func build(vendor string, entries ...string) []byte {
	c := &Comment{Vendor: []byte(vendor)}
	for _, e := range entries {
		c.Entries = append(c.Entries, []byte(e))
	}
	return c.Bytes()
}

func TestParseRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vendor  string
		entries []string
	}{
		{"empty", "", nil},
		{"plain", "Lavf61", []string{"title=Song", "ARTIST=Me"}},
		{"label", "x", []string{"title=a", `aigc={"Label":"1"}`, "no-equals", "=empty-name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := build(tc.vendor, tc.entries...)
			trailer := append(append([]byte{}, b...), 1, 2, 3)
			c, n, err := Parse(trailer)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Errorf("used %d bytes, want %d", n, len(b))
			}
			if !bytes.Equal(c.Bytes(), b) || c.Len() != len(b) {
				t.Errorf("Bytes() differs from the input")
			}
		})
	}
}

func TestLabelsAndWithLabel(t *testing.T) {
	in := build("v", "TITLE=t", `aigc={"Label":"2"}`, "AIGCX=no", `AIGC={"Label":"3"}`, "ARTIST=a", "AIGC")
	c, _, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Labels()
	if len(got) != 2 || string(got[0]) != `{"Label":"2"}` || string(got[1]) != `{"Label":"3"}` {
		t.Fatalf("Labels() = %q", got)
	}
	f := c.Found("VORBIS_COMMENT", 8)
	if len(f) != 2 || f[0].Carrier != label.CarrierVorbisComment || f[0].Label.Label != "2" || f[0].Offset != 8 {
		t.Fatalf("Found() = %+v", f)
	}
	w := c.WithLabel([]byte(`{"Label":"1"}`))
	want := build("v", "TITLE=t", `AIGC={"Label":"1"}`, "AIGCX=no", "ARTIST=a", "AIGC")
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatalf("WithLabel:\n got %q\nwant %q", w.Bytes(), want)
	}
	if !bytes.Equal(c.Bytes(), in) {
		t.Fatal("WithLabel changed its receiver")
	}
	if a := New().WithLabel([]byte("{}")); len(a.Entries) != 1 || string(a.Entries[0]) != "AIGC={}" || string(a.Vendor) != DefaultVendor {
		t.Fatalf("New().WithLabel = %+v", a)
	}
	if len(c.WithoutLabels().Labels()) != 0 || len(c.WithoutLabels().Entries) != 4 {
		t.Fatal("WithoutLabels kept a label or dropped another entry")
	}
}

func TestParseBad(t *testing.T) {
	good := build("vendor", "A=b", "C=d")
	huge := binary.LittleEndian.AppendUint32(build("v")[:5], 1<<31)
	huge = append(huge, make([]byte, 10)...)
	for name, b := range map[string][]byte{
		"empty":          nil,
		"short vendor":   good[:3],
		"vendor past":    good[:8],
		"no count":       good[:12],
		"huge count":     huge,
		"entry past end": good[:len(good)-1],
		"vendor 4GiB":    {0xff, 0xff, 0xff, 0xff, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Parse(b)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, want *Error", err)
			}
		})
	}
}
