package labeltest

import (
	"bytes"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

// FuzzRead is the body of a FuzzRead target: no input makes Sniff or Read
// panic.
func FuzzRead(f *testing.F, format label.Format) {
	f.Fuzz(func(t *testing.T, in []byte) {
		format.Sniff(in)
		_, _ = format.Read(bytes.NewReader(in))
	})
}

// FuzzRoundTrip is the body of a FuzzRoundTrip target: RoundTrip with l
// on every input.
func FuzzRoundTrip(f *testing.F, format label.Format, l label.Label, carrier string) {
	f.Fuzz(func(t *testing.T, in []byte) { RoundTrip(t, format, in, l, carrier) })
}

// RoundTrip checks the contract of Write on one input: when Read accepts
// in, Write either fails with a *label.FormatError or writes a file that
// reads as exactly one label, l, in carrier (any carrier when carrier is
// "").
func RoundTrip(t *testing.T, format label.Format, in []byte, l label.Label, carrier string) {
	t.Helper()
	if _, err := format.Read(bytes.NewReader(in)); err != nil {
		return
	}
	var out bytes.Buffer
	if err := format.Write(&out, bytes.NewReader(in), l); err != nil {
		if _, ok := err.(*label.FormatError); !ok {
			t.Fatalf("Write: %v is not a *label.FormatError", err)
		}
		return
	}
	found, err := format.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("Read of Write's output: %v\n%q", err, head(out.Bytes()))
	}
	if msg := checkOne(found, l, carrier); msg != "" {
		t.Fatalf("Read of Write's output: %s\n%q", msg, head(out.Bytes()))
	}
}

// head returns the start of b, for failure messages.
func head(b []byte) []byte { return b[:min(len(b), 4096)] }
