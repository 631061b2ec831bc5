package fileset

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExpandAndOutside(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"b.jpg", "a/c.png", "a/.hidden.png", ".git/x.jpg", "out/old.jpg"} {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	os.Symlink(root, filepath.Join(root, "a", "loop")) // a link to a folder is not followed
	missing := filepath.Join(root, "missing.jpg")
	files := Expand([]string{root, missing})
	var rels []string
	for _, f := range files {
		rels = append(rels, f.Rel)
	}
	want := []string{"a/c.png", "b.jpg", "out/old.jpg", "missing.jpg"}
	if len(rels) != len(want) {
		t.Fatalf("Expand = %v, want %v", rels, want)
	}
	for i := range want {
		if rels[i] != want[i] {
			t.Fatalf("Expand = %v, want %v", rels, want)
		}
	}
	if files[3].Err == nil || !files[3].Explicit {
		t.Fatalf("missing input: %+v", files[3])
	}
	kept := Outside(files, filepath.Join(root, "out"))
	if len(kept) != 3 || kept[2].Rel != "missing.jpg" {
		t.Fatalf("Outside = %+v", kept)
	}
	if err := CheckDistinct(Expand([]string{filepath.Join(root, "b.jpg"), filepath.Join(root, "out", "old.jpg"), filepath.Join(root, "b.jpg")})); err != nil {
		t.Fatalf("distinct names reported: %v", err)
	}
	os.WriteFile(filepath.Join(root, "a", "b.jpg"), []byte("y"), 0o644)
	if err := CheckDistinct(Expand([]string{filepath.Join(root, "b.jpg"), filepath.Join(root, "a", "b.jpg")})); err == nil {
		t.Fatal("two inputs named b.jpg not reported")
	}
}
