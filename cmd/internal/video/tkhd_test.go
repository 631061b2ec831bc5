package video

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

func fixtureMoov(t testing.TB) (int64, []byte) {
	f, err := os.Open(fixtures.Path("mp4/faststart.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	off, moov, err := readMoov(f)
	if err != nil {
		t.Fatal(err)
	}
	return off, moov
}

func TestSetDisplayMatrix(t *testing.T) {
	src, err := os.ReadFile(fixtures.Path("mp4/faststart.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.mp4")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	// A quarter turn: a = 0, b = 1, c = -1, d = 0 in 16.16, w = 1 in 2.30.
	m := [9]int32{0, 1 << 16, 0, -1 << 16, 0, 0, 0, 0, 1 << 30}
	if err := setDisplayMatrix(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(src) {
		t.Fatalf("size changed from %d to %d", len(src), len(got))
	}
	off, moov := fixtureMoov(t)
	at, err := videoMatrixOffset(moov)
	if err != nil {
		t.Fatal(err)
	}
	base := int(off) + at
	for i := range got {
		if i >= base && i < base+36 {
			if v := int32(binary.BigEndian.Uint32(got[base+(i-base)/4*4:])); v != m[(i-base)/4] {
				t.Fatalf("matrix entry %d is %d, want %d", (i-base)/4, v, m[(i-base)/4])
			}
			continue
		}
		if got[i] != src[i] {
			t.Fatalf("byte %d outside the matrix changed", i)
		}
	}
}

func TestVideoMatrixOffsetRefuses(t *testing.T) {
	_, moov := fixtureMoov(t)
	for name, p := range map[string][]byte{
		"empty":     nil,
		"short box": {0, 0, 0, 20, 't', 'r', 'a', 'k'},
		"cut":       moov[:150],
	} {
		if _, err := videoMatrixOffset(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzVideoMatrixOffset(f *testing.F) {
	_, moov := fixtureMoov(f)
	f.Add(moov)
	f.Fuzz(func(t *testing.T, p []byte) {
		at, err := videoMatrixOffset(p)
		if err == nil && (at < 0 || at+36 > len(p)) {
			t.Fatalf("matrix at %d in %d bytes", at, len(p))
		}
	})
}
