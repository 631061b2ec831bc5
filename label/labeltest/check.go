package labeltest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

// Sniff checks f.Sniff on each head of want: it must report the value
// given.
func Sniff(t *testing.T, f label.Format, want map[string]bool) {
	t.Helper()
	for head, w := range want {
		if got := f.Sniff([]byte(head)); got != w {
			t.Errorf("Sniff(%q) = %v, want %v", head, got, w)
		}
	}
}

// Corrupt checks that Read and Write of in both fail with a corrupt-file
// *label.FormatError of f (errors.Is label.ErrCorrupt, the message starting
// with f's name) whose message contains msg.
func Corrupt(t *testing.T, f label.Format, in []byte, msg string) {
	t.Helper()
	_, err := f.Read(bytes.NewReader(in))
	corruptError(t, "Read", f, err, msg)
	corruptError(t, "Write", f, f.Write(io.Discard, bytes.NewReader(in), label.Label{Label: "1"}), msg)
}

// corruptError checks that err, returned by op, is a corrupt-file
// *label.FormatError of f whose message contains msg.
func corruptError(t *testing.T, op string, f label.Format, err error, msg string) {
	t.Helper()
	var fe *label.FormatError
	if !errors.As(err, &fe) || fe.Format != f.Name() || !errors.Is(err, label.ErrCorrupt) {
		t.Fatalf("%s: error %v, want a corrupt %s FormatError", op, err, f.Name())
	}
	if !strings.HasPrefix(err.Error(), f.Name()+": ") || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: error %q does not say %q", op, err, msg)
	}
}
