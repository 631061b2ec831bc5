package riff

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

// TestRewriteParts replaces a chunk by a streamed one of odd size between
// copied chunks: the output walks to the same ids, the streamed data and
// its pad byte are in place, and the header size is right.
func TestRewriteParts(t *testing.T) {
	in := file("TEST", chunk("abcd", []byte("12")), chunk("odd ", []byte("123")), chunk("last", []byte("zz")))
	rd, cs, err := walkAll(in)
	if err != nil {
		t.Fatal(err)
	}
	parts := Parts([]Out{Copy(cs[0])})
	parts = append(parts, Stream("new ", 5, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello")
		return err
	}), Part{Out: Copy(cs[2])})
	var out bytes.Buffer
	if err := rd.RewriteParts(&out, parts); err != nil {
		t.Fatal(err)
	}
	want := file("TEST", chunk("abcd", []byte("12")), chunk("new ", []byte("hello")), chunk("last", []byte("zz")))
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("got %q\nwant %q", out.Bytes(), want)
	}

	for name, fill := range map[string]func(io.Writer) error{
		"short": func(w io.Writer) error { _, err := io.WriteString(w, "hi"); return err },
		"long":  func(w io.Writer) error { _, err := io.WriteString(w, "hello world"); return err },
		"error": func(w io.Writer) error { return errors.New("boom") },
	} {
		rd, _, _ := walkAll(in)
		err := rd.RewriteParts(io.Discard, []Part{Stream("new ", 5, fill)})
		if err == nil {
			t.Errorf("%s fill: no error", name)
		}
	}
	rd64, cs64, err := walkAll(rf64([]byte("abcde")))
	if err != nil {
		t.Fatal(err)
	}
	err = rd64.RewriteParts(io.Discard, Parts([]Out{Copy(cs64[0])}))
	if !errors.Is(err, label.ErrUnsupported) || !strings.Contains(err.Error(), "RF64") {
		t.Errorf("RF64: %v", err)
	}
}
