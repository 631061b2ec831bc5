package mp3

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkWrite relabels a 64 MiB file, file to file, as the CLI does:
// the audio goes through io.CopyN between two *os.File (copy_file_range).
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "in.mp3")
	f, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	f.Write(cat(id3(3, 0, cat(fr(3, "TIT2", 0, text(0, "t")), pad(100))), audio(1)))
	const size = 64 << 20
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		in, err := os.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, "out.mp3"))
		if err != nil {
			b.Fatal(err)
		}
		if err := (Format{}).Write(out, in, testLabel); err != nil {
			b.Fatal(err)
		}
		in.Close()
		out.Close()
	}
}
