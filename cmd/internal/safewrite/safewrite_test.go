package safewrite

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitReplacesAndDiscardLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sub", "a.txt")
	f, err := Create(target, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := f.Commit(true); err != nil {
		t.Fatal(err)
	}
	f.Discard() // no-op after commit
	b, err := os.ReadFile(target)
	st, _ := os.Stat(target)
	if err != nil || string(b) != "new" || st.Mode().Perm() != 0o640 {
		t.Fatalf("target = %q, %v, mode %v", b, err, st.Mode())
	}

	g, err := Create(target, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	g.WriteString("half-written")
	g.Discard()
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatalf("discard changed the target: %q", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(target))
	if len(ents) != 1 {
		t.Fatalf("leftovers: %v", ents)
	}
}
