// Package labeltest holds the helpers the container packages' tests share:
// writing and reading a label back, running the external tools used as
// independent oracles (exiftool, ffmpeg, ffprobe, metaflac), walking the
// committed fixtures, and the bodies of the fuzz targets.
//
// It imports package testing and is meant to be imported from _test.go
// files only. It knows no container: it works on any label.Format.
package labeltest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

// Write streams in through f.Write with the label l and returns the
// output; an error is fatal.
func Write(t testing.TB, f label.Format, in []byte, l label.Label) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := f.Write(&out, bytes.NewReader(in), l); err != nil {
		t.Fatalf("%s: Write: %v", f.Name(), err)
	}
	return out.Bytes()
}

// Read returns the labels f.Read finds in b; an error is fatal.
func Read(t testing.TB, f label.Format, b []byte) []label.Found {
	t.Helper()
	found, err := f.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: Read: %v", f.Name(), err)
	}
	return found
}

// RequireOne reads b and fails unless it carries exactly one label: l,
// stored as the bare JSON l.JSON() without problems, in carrier (any
// carrier when carrier is ""). It returns that label.
func RequireOne(t testing.TB, f label.Format, b []byte, l label.Label, carrier string) label.Found {
	t.Helper()
	return WantOne(t, Read(t, f, b), l, carrier)
}

// WantOne is RequireOne for labels already read: it fails unless found
// is exactly one label, l, as bare JSON without problems, in carrier (any
// carrier when carrier is "").
func WantOne(t testing.TB, found []label.Found, l label.Label, carrier string) label.Found {
	t.Helper()
	if msg := checkOne(found, l, carrier); msg != "" {
		t.Fatal(msg)
	}
	return found[0]
}

// WriteRead writes l into in, checks the output with RequireOne and
// returns it.
func WriteRead(t testing.TB, f label.Format, in []byte, l label.Label, carrier string) []byte {
	t.Helper()
	out := Write(t, f, in, l)
	RequireOne(t, f, out, l, carrier)
	return out
}

// checkOne returns what is wrong with found as the labels of a file
// written with l, or "". The label is compared with l as its JSON reads
// back, so that a string that is not valid UTF-8 (which JSON cannot hold)
// compares equal to what was written.
func checkOne(found []label.Found, l label.Label, carrier string) string {
	if len(found) != 1 {
		return fmt.Sprintf("found %d labels, want 1: %+v", len(found), found)
	}
	want := l
	if p, _, _, err := label.Parse(l.JSON()); err == nil {
		want = p
	}
	g := found[0]
	if g.Label != want || g.Raw != string(l.JSON()) || g.Wrapped || len(g.Problems) != 0 ||
		carrier != "" && g.Carrier != carrier {
		return fmt.Sprintf("found %+v, want %s as bare JSON in carrier %q", g, l.JSON(), carrier)
	}
	return ""
}

// WriteFile labels the file in into a new file out, file to file (so the
// payload copy can use copy_file_range); an error is fatal.
func WriteFile(t testing.TB, f label.Format, in, out string, l label.Label) {
	t.Helper()
	src, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := f.Write(dst, src, l); err != nil {
		t.Fatalf("%s: Write %s: %v", f.Name(), filepath.Base(in), err)
	}
}

// ReadFile returns the contents of the file p; an error is fatal.
func ReadFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WriteTemp writes data to a file name in a new temporary folder and
// returns its path.
func WriteTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
