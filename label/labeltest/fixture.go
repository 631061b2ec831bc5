package labeltest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

// A Check is a package's own test of an output: out was written from in.
type Check func(t *testing.T, in, out []byte)

// Fixtures runs a subtest for every committed sample in the fixtures
// folder dir: Read must succeed, and writing l must give exactly l in
// carrier (WriteRead). check, when not nil, then compares input and output.
func Fixtures(t *testing.T, f label.Format, dir string, l label.Label, carrier string, check Check) {
	t.Helper()
	for _, p := range fixtures.All(dir) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in := ReadFile(t, p)
			Read(t, f, in)
			out := WriteRead(t, f, in, l, carrier)
			if check != nil {
				check(t, in, out)
			}
		})
	}
}

// LabeledFixtures runs a subtest for every file in fixtures/labeled (files
// other tools labeled) whose name ends in one of exts. Read must find
// exactly one label, well formed, with Label "1" and the ProduceID
// "20250901-…" the fixture generator writes; writing l must then give
// exactly l in carrier (WriteRead). check, when not nil, then compares
// input and output.
func LabeledFixtures(t *testing.T, f label.Format, l label.Label, carrier string, check Check, exts ...string) {
	t.Helper()
	for _, p := range withExt(fixtures.All("labeled"), exts) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in := ReadFile(t, p)
			found := Read(t, f, in)
			if len(found) != 1 || found[0].Label.Label != "1" || len(found[0].Problems) != 0 ||
				!strings.HasPrefix(found[0].Label.ProduceID, "20250901-") {
				t.Fatalf("Read of a labeled file found %+v", found)
			}
			out := WriteRead(t, f, in, l, carrier)
			if check != nil {
				check(t, in, out)
			}
		})
	}
}

// BadFixtures runs a subtest for every file in fixtures/bad (corrupt
// files) whose name ends in one of exts: Read and Write must both fail
// with an error matching label.ErrCorrupt.
func BadFixtures(t *testing.T, f label.Format, exts ...string) {
	t.Helper()
	for _, p := range withExt(fixtures.All("bad"), exts) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in := ReadFile(t, p)
			if _, err := f.Read(bytes.NewReader(in)); !errors.Is(err, label.ErrCorrupt) {
				t.Errorf("Read = %v, want a corrupt-file error", err)
			}
			if err := f.Write(io.Discard, bytes.NewReader(in), label.Label{Label: "1"}); !errors.Is(err, label.ErrCorrupt) {
				t.Errorf("Write = %v, want a corrupt-file error", err)
			}
		})
	}
}

func withExt(paths, exts []string) []string {
	var out []string
	for _, p := range paths {
		for _, e := range exts {
			if strings.EqualFold(filepath.Ext(p), e) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// SmallFixtures returns the contents of every committed sample, in any
// folder, under 256 KiB that f sniffs: plain, labeled and corrupt ones.
func SmallFixtures(f label.Format) [][]byte {
	var out [][]byte
	for _, p := range fixtures.All("") {
		if st, err := os.Stat(p); err != nil || st.Size() > 256<<10 {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && f.Sniff(b[:min(len(b), label.SniffLen)]) {
			out = append(out, b)
		}
	}
	return out
}

// SeedFixtures adds SmallFixtures(format) to the fuzz corpus.
func SeedFixtures(f *testing.F, format label.Format) {
	for _, b := range SmallFixtures(format) {
		f.Add(b)
	}
}
