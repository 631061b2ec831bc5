package benchdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAndFind(t *testing.T) {
	p := filepath.Join(t.TempDir(), "B.md")
	s := Faceswap
	if s.Find(p) != "" {
		t.Fatal("a section from a missing file")
	}
	// Appended when absent, replaced in place when present.
	os.WriteFile(p, []byte("# head\n\ntail\n"), 0o644)
	if err := s.Write(p, s.Begin+"\nold\n"+s.End+"\n"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, append(mustRead(t, p), "\nafter\n"...), 0o644)
	if err := s.Write(p, s.Begin+"\nnew\n"+s.End+"\n"); err != nil {
		t.Fatal(err)
	}
	got := string(mustRead(t, p))
	if strings.Contains(got, "old") || !strings.HasPrefix(got, "# head") || !strings.HasSuffix(got, "after\n") ||
		strings.Count(got, s.Begin) != 1 {
		t.Errorf("file %q", got)
	}
	if f := s.Find(p); f != s.Begin+"\nnew\n"+s.End {
		t.Errorf("found %q", f)
	}
	if Watermark.Find(p) != "" {
		t.Error("found a section the file does not have")
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
