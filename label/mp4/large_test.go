package mp4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/labeltest"
)

// vfile is a sparse file in memory: data parts and zeros between them. It
// is an io.ReadSeeker to read from and an io.Writer (with a ReadFrom that
// skips zeros) to write to, so that tests can handle files of many GiB.
type vfile struct {
	parts []vpart // sorted, not overlapping
	size  int64
	pos   int64
}

type vpart struct {
	off  int64
	data []byte
}

// at adds data at offset off.
func (v *vfile) at(off int64, data []byte) {
	v.parts = append(v.parts, vpart{off, data})
	sort.Slice(v.parts, func(i, j int) bool { return v.parts[i].off < v.parts[j].off })
	v.size = max(v.size, off+int64(len(data)))
}

func (v *vfile) Read(p []byte) (int, error) {
	if v.pos >= v.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), v.size-v.pos))
	p = p[:n]
	clear(p)
	for _, x := range v.parts {
		lo, hi := max(x.off, v.pos), min(x.off+int64(len(x.data)), v.pos+int64(n))
		if lo < hi {
			copy(p[lo-v.pos:], x.data[lo-x.off:hi-x.off])
		}
	}
	v.pos += int64(n)
	return n, nil
}

func (v *vfile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += v.pos
	case io.SeekEnd:
		off += v.size
	}
	if off < 0 {
		return 0, errors.New("negative seek")
	}
	v.pos = off
	return off, nil
}

func (v *vfile) Write(p []byte) (int, error) {
	v.at(v.size, bytes.Clone(p))
	return len(p), nil
}

// ReadFrom copies from another vfile without touching its zeros.
func (v *vfile) ReadFrom(r io.Reader) (int64, error) {
	lr, ok := r.(*io.LimitedReader)
	if !ok {
		return io.Copy(struct{ io.Writer }{v}, r)
	}
	src, ok := lr.R.(*vfile)
	if !ok {
		return io.Copy(struct{ io.Writer }{v}, r)
	}
	start, n := src.pos, min(lr.N, src.size-src.pos)
	base := v.size
	for _, x := range src.parts {
		lo, hi := max(x.off, start), min(x.off+int64(len(x.data)), start+n)
		if lo < hi {
			v.at(base+lo-start, x.data[lo-x.off:hi-x.off])
		}
	}
	v.size = base + n
	src.pos += n
	lr.N -= n
	return n, nil
}

// TestCo64 moves moov in front of a 4 GiB mdat: the stco table whose last
// chunk no longer fits 32 bits becomes a co64, the other stays an stco,
// and both move by moov's growth.
func TestCo64(t *testing.T) {
	stco := func(offs ...uint32) []byte {
		p := append(u32(0), u32(uint32(len(offs)))...)
		for _, o := range offs {
			p = append(p, u32(o)...)
		}
		return mkbox("stco", p)
	}
	trak := func(tables ...[]byte) []byte {
		return mkbox("trak", mkbox("mdia", mkbox("minf", mkbox("stbl", tables...))))
	}
	ftyp := mkbox("ftyp", []byte("isom"), u32(0), []byte("isom"))
	// The offsets depend on moov's size, which does not depend on them.
	moovLen := len(mkbox("moov", trak(stco(0, 0)), trak(stco(0))))
	data := int64(len(ftyp) + moovLen + 16)
	high := uint32(0xFFFFFFF0)
	moov := mkbox("moov", trak(stco(uint32(data), high)), trak(stco(uint32(data)+100)))
	mdatSize := int64(high) + 1000 - data + 16
	src := &vfile{}
	src.at(0, ftyp)
	src.at(int64(len(ftyp)), moov)
	hdr := append(append(u32(1), "mdat"...), binary.BigEndian.AppendUint64(nil, uint64(mdatSize))...)
	src.at(int64(len(ftyp)+len(moov)), hdr)
	src.at(src.size+mdatSize-16-4, []byte("tail"))

	dst := &vfile{}
	if err := (Format{}).Write(dst, src, testLabel); err != nil {
		t.Fatal(err)
	}
	f, err := scan(dst)
	if err != nil {
		t.Fatal(err)
	}
	labeltest.WantOne(t, f.found, testLabel, label.CarrierMP4Keys)
	delta := f.boxes[f.moov].size - int64(len(moov))
	if dst.size != src.size+delta {
		t.Errorf("output is %d bytes, want %d", dst.size, src.size+delta)
	}
	tables, err := offsetTables(f.tree)
	if err != nil || len(tables) != 2 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	if tables[0].typ != "co64" || tables[1].typ != "stco" {
		t.Fatalf("tables are %s and %s, want co64 and stco", tables[0].typ, tables[1].typ)
	}
	p0, p1 := tables[0].payload(), tables[1].payload()
	if got := binary.BigEndian.Uint64(p0[8:]); got != uint64(data+delta) {
		t.Errorf("co64[0] = %d, want %d", got, data+delta)
	}
	if got := binary.BigEndian.Uint64(p0[16:]); got != uint64(high)+uint64(delta) {
		t.Errorf("co64[1] = %d, want %d", got, uint64(high)+uint64(delta))
	}
	if got := binary.BigEndian.Uint32(p1[8:]); int64(got) != data+100+delta {
		t.Errorf("stco[0] = %d, want %d", got, data+100+delta)
	}
	tail := make([]byte, 4)
	dst.Seek(-4, io.SeekEnd)
	io.ReadFull(dst, tail)
	if string(tail) != "tail" {
		t.Errorf("the media data did not follow: %q", tail)
	}
}

// TestMoovTooLarge checks the metadata bound on moov.
func TestMoovTooLarge(t *testing.T) {
	src := &vfile{}
	src.at(0, mkbox("ftyp", []byte("isom"), u32(0)))
	src.at(16, append(u32(label.MaxMetadata+9), "moov"...))
	src.size = 16 + label.MaxMetadata + 9
	_, err := Format{}.Read(src)
	if !errors.Is(err, label.ErrUnsupported) || !strings.Contains(err.Error(), "moov box of") {
		t.Errorf("err = %v, want unsupported moov size", err)
	}
}

// TestLarge labels ~300 MB files (a real small movie whose mdat is
// extended by a sparse hole), with moov after and before the media, and
// checks that memory stays bounded and the media is intact.
func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large file test skipped with -short")
	}
	const extra = 300 << 20
	for _, base := range []string{"plain.mp4", "faststart.mp4"} {
		t.Run(base, func(t *testing.T) {
			in := bigMovie(t, media(t, base), extra)
			src, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			out := filepath.Join(t.TempDir(), "big-out.mp4")
			dst, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			if err := (Format{}).Write(dst, src, testLabel); err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			dst.Close()
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("labeled %d MB in %v, %d KB allocated", (extra>>20)+1, elapsed, alloc>>10)
			if alloc > 4<<20 {
				t.Errorf("Write allocated %d bytes for a %d-byte file", alloc, extra)
			}
			labeltest.WantOne(t, readFile(t, out), testLabel, label.CarrierMP4Keys)
			if got := ffprobeTag(t, out, "AIGC"); got != string(testLabel.JSON()) {
				t.Errorf("ffprobe AIGC = %q", got)
			}
			if a, b := frameMD5(t, in), frameMD5(t, out); a != b {
				t.Errorf("decoded frames differ")
			}
			if a, b := mdatDigests(t, in), mdatDigests(t, out); strings.Join(a, ",") != strings.Join(b, ",") {
				t.Errorf("mdat payloads differ")
			}
		})
	}
}

// bigMovie writes a copy of the movie at path whose mdat is extra bytes
// longer (a hole after the real media, so no chunk offset changes).
func bigMovie(t *testing.T, path string, extra int64) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "big.mp4")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pos int64
	for _, b := range walk(t, path) {
		box := data[b[1] : b[1]+b[2]]
		if string(box[4:8]) == "mdat" {
			if binary.BigEndian.Uint32(box) == 1 {
				t.Fatal("64-bit mdat")
			}
			box = bytes.Clone(box)
			binary.BigEndian.PutUint32(box, uint32(int64(len(box))+extra))
			if _, err := f.WriteAt(box, pos); err != nil {
				t.Fatal(err)
			}
			pos += int64(len(box)) + extra
			continue
		}
		if _, err := f.WriteAt(box, pos); err != nil {
			t.Fatal(err)
		}
		pos += int64(len(box))
	}
	if err := f.Truncate(pos); err != nil {
		t.Fatal(err)
	}
	return out
}
