package vorbis

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(build("v", "TITLE=x", `AIGC={"Label":"1"}`))
	f.Add(build(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, n, err := Parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Bytes(), b[:n]) {
			t.Fatal("Bytes() differs from the parsed bytes")
		}
		w := c.WithLabel([]byte("{}"))
		if l := w.Labels(); len(l) != 1 || string(l[0]) != "{}" {
			t.Fatalf("WithLabel: %q", l)
		}
	})
}
