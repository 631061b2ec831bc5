package riff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label"
)

// chunk returns a chunk with a zero pad byte when the size is odd.
func chunk(id string, data []byte) []byte { return AppendChunk(nil, id, data) }

// file returns a RIFF file of form holding the chunks, its size field
// computed.
func file(form string, chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00" + form)
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:8], uint32(len(b)-8))
	return b
}

func setSize(b []byte, n int) []byte {
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(b[4:8], uint32(n))
	return b
}

func TestNext(t *testing.T) {
	even := chunk("abcd", []byte("12"))
	odd := chunk("odd ", []byte("123"))
	good := file("TEST", even, odd)
	oddLast := file("TEST", even, odd)
	noPad := oddLast[:len(oddLast)-1] // final pad byte missing, size counts it
	nopadStream := file("TEST", []byte("odd \x03\x00\x00\x00123"), even)
	for _, tc := range []struct {
		name string
		in   []byte
		want []Chunk // nil with err
		tail int64
		err  string
	}{
		{name: "padded", in: good, tail: int64(len(good)),
			want: []Chunk{{"abcd", 12, 2, 0}, {"odd ", 22, 3, 1}}},
		{name: "final pad missing, size counts it", in: noPad, tail: int64(len(noPad)),
			want: []Chunk{{"abcd", 12, 2, 0}, {"odd ", 22, 3, 0}}},
		{name: "final pad missing, size exact", in: setSize(noPad, len(noPad)-8), tail: int64(len(noPad)),
			want: []Chunk{{"abcd", 12, 2, 0}, {"odd ", 22, 3, 0}}},
		{name: "final pad present, size leaves it out", in: setSize(good, len(good)-9), tail: int64(len(good)),
			want: []Chunk{{"abcd", 12, 2, 0}, {"odd ", 22, 3, 1}}},
		{name: "writer that never pads", in: nopadStream, tail: int64(len(nopadStream)),
			want: []Chunk{{"odd ", 12, 3, 0}, {"abcd", 23, 2, 0}}},
		{name: "non-zero pad byte", in: file("TEST", []byte("odd \x03\x00\x00\x00123\xff"), even),
			want: []Chunk{{"odd ", 12, 3, 1}, {"abcd", 24, 2, 0}}, tail: 34},
		{name: "trailing data after the RIFF", in: append(append([]byte(nil), good...), "ID3junk"...),
			want: []Chunk{{"abcd", 12, 2, 0}, {"odd ", 22, 3, 1}}, tail: int64(len(good))},
		{name: "empty", in: file("TEST"), tail: 12},
		{name: "chunk claims 4 GiB", in: file("TEST", even, []byte("big \xfe\xff\xff\xffxx")),
			err: `test: chunk "big " claims 4294967294 bytes, 2 remain (at offset 22)`},
		{name: "RIFF size past the file", in: setSize(good, len(good)),
			err: "test: RIFF header claims 34 bytes, 26 follow it (at offset 4)"},
		{name: "truncated header", in: good[:10], err: "test: RIFF header is truncated (at offset 0)"},
		{name: "truncated chunk header", in: setSize(good[:16], 8), err: "too few for a chunk header"},
		{name: "not RIFF", in: append([]byte("RIFX"), good[4:]...), err: "not a RIFF file"},
		{name: "size too small", in: setSize(good, 2), err: "too small"},
		{name: "RF64 without ds64", in: append([]byte("RF64"), good[4:]...), err: "where the ds64 chunk must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd, got, err := walkAll(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				var fe *label.FormatError
				if !errors.As(err, &fe) || !errors.Is(err, label.ErrCorrupt) {
					t.Errorf("err %T is not a corrupt *label.FormatError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("chunks = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("chunk %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if rd.Tail() != tc.tail {
				t.Errorf("Tail = %d, want %d", rd.Tail(), tc.tail)
			}
		})
	}
}

// TestWalk checks that Walk visits the chunks Next returns, in order, and
// stops at the first error of Next or of visit.
func TestWalk(t *testing.T) {
	in := file("TEST", chunk("abcd", []byte("12")), chunk("odd ", []byte("123")), chunk("last", nil))
	_, want, err := walkAll(in)
	if err != nil {
		t.Fatal(err)
	}
	walk := func(in []byte, stopAt string) ([]Chunk, error) {
		rd, err := NewReader(bytes.NewReader(in), "test")
		if err != nil {
			t.Fatal(err)
		}
		var got []Chunk
		return got, rd.Walk(func(c Chunk) error {
			got = append(got, c)
			if c.ID == stopAt {
				return errStop
			}
			return nil
		})
	}
	got, err := walk(in, "")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Walk visited %+v, %v; want %+v", got, err, want)
	}
	if got, err = walk(in, "odd "); err != errStop || fmt.Sprint(got) != fmt.Sprint(want[:2]) {
		t.Errorf("Walk stopped by visit: visited %+v, %v; want %+v, errStop", got, err, want[:2])
	}
	bad := append([]byte(nil), in...)
	binary.LittleEndian.PutUint32(bad[26:], 0xFFFF) // the second chunk's size
	got, err = walk(bad, "")
	if !errors.Is(err, label.ErrCorrupt) || fmt.Sprint(got) != fmt.Sprint(want[:1]) {
		t.Errorf("Walk over a bad chunk: visited %+v, %v; want %+v and a corrupt error", got, err, want[:1])
	}
}

var errStop = errors.New("stop")

// rf64 returns an RF64 file: ds64, fmt, a data chunk whose size field is
// 0xFFFFFFFF (the real size in ds64), and an extra chunk.
func rf64(data []byte) []byte {
	ds := make([]byte, 28)
	b := []byte("RF64\xff\xff\xff\xffWAVE")
	b = AppendChunk(b, "ds64", ds)
	b = AppendChunk(b, "fmt ", make([]byte, 16))
	b = append(b, "data\xff\xff\xff\xff"...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	b = AppendChunk(b, "xtra", []byte("x"))
	binary.LittleEndian.PutUint64(b[20:28], uint64(len(b)-8))
	binary.LittleEndian.PutUint64(b[28:36], uint64(len(data)))
	binary.LittleEndian.PutUint64(b[36:44], uint64(len(data)/2))
	return b
}

func TestRF64(t *testing.T) {
	in := rf64([]byte("abcde"))
	rd, cs, err := walkAll(in)
	if err != nil {
		t.Fatal(err)
	}
	ids := ""
	for _, c := range cs {
		ids += c.ID + "|"
	}
	if ids != "ds64|fmt |data|xtra|" {
		t.Fatalf("chunks %s", ids)
	}
	if cs[2].Size != 5 || cs[2].Pad != 1 {
		t.Errorf("data chunk %+v, want size 5 from ds64", cs[2])
	}
	if rd.Header.Size != int64(len(in)-8) || rd.DS64.SampleCount != 2 {
		t.Errorf("header %+v ds64 %+v", rd.Header, rd.DS64)
	}

	var out bytes.Buffer
	var outs []Out
	for _, c := range cs {
		outs = append(outs, Copy(c))
	}
	outs = append(outs, New("new!", []byte("odd")))
	if err := rd.Rewrite(&out, outs); err != nil {
		t.Fatal(err)
	}
	want := append([]byte(nil), in...)
	want = AppendChunk(want, "new!", []byte("odd"))
	binary.LittleEndian.PutUint64(want[20:28], uint64(len(want)-8))
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("Rewrite:\n got %x\nwant %x", out.Bytes(), want)
	}
	if _, _, err := walkAll(out.Bytes()); err != nil {
		t.Errorf("output: %v", err)
	}

	bad := append([]byte(nil), in...)
	binary.LittleEndian.PutUint64(bad[28:36], 1<<40)
	if _, _, err := walkAll(bad); err == nil || !strings.Contains(err.Error(), "ds64 data size") {
		t.Errorf("ds64 data size 1 TiB: err = %v", err)
	}
	bad = append([]byte(nil), in...)
	copy(bad[72:76], "junk") // the data chunk, now without a ds64 size
	if _, _, err := walkAll(bad); err == nil || !strings.Contains(err.Error(), `chunk "junk" has size 0xFFFFFFFF`) {
		t.Errorf("unknown chunk of size -1: err = %v", err)
	}
}

func TestRewrite(t *testing.T) {
	even := chunk("abcd", []byte("12"))
	odd := chunk("odd ", []byte("123"))
	good := file("TEST", even, odd)
	for _, tc := range []struct {
		name string
		in   []byte
		add  bool
		want []byte
	}{
		{name: "identity", in: good, want: good},
		{name: "append", in: good, add: true, want: file("TEST", even, odd, chunk("new ", []byte("x")))},
		{name: "missing final pad is added", in: good[:len(good)-1], add: true,
			want: file("TEST", even, odd, chunk("new ", []byte("x")))},
		{name: "trailing bytes kept", in: append(append([]byte(nil), good...), "tail"...), add: true,
			want: append(file("TEST", even, odd, chunk("new ", []byte("x"))), "tail"...)},
		{name: "never-padded writer", in: file("TEST", []byte("odd \x03\x00\x00\x00123"), even),
			want: file("TEST", odd, even)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd, cs, err := walkAll(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var outs []Out
			for _, c := range cs {
				outs = append(outs, Copy(c))
			}
			if tc.add {
				outs = append(outs, New("new ", []byte("x")))
			}
			var b bytes.Buffer
			if err := rd.Rewrite(&b, outs); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), tc.want) {
				t.Errorf("got  %q\nwant %q", b.Bytes(), tc.want)
			}
		})
	}
}

// sparse is a virtual file: head, then zeros up to size.
type sparse struct {
	head      []byte
	size, off int64
}

func (s *sparse) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	n = min(n, s.size-s.off)
	for i := int64(0); i < n; i++ {
		if s.off+i < int64(len(s.head)) {
			p[i] = s.head[s.off+i]
		} else {
			p[i] = 0
		}
	}
	s.off += n
	return int(n), nil
}

func (s *sparse) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += s.off
	case io.SeekEnd:
		off += s.size
	}
	s.off = off
	return off, nil
}

func TestRewriteOver4GiB(t *testing.T) {
	const dataSize = 0xFFFFFFF0 - 4 - 8
	head := []byte("RIFF\xf0\xff\xff\xffWAVEdata")
	head = binary.LittleEndian.AppendUint32(head, dataSize)
	src := &sparse{head: head, size: 8 + 0xFFFFFFF0}
	rd, err := NewReader(src, "wav")
	if err != nil {
		t.Fatal(err)
	}
	c, err := rd.Next()
	if err != nil || c.Size != dataSize {
		t.Fatalf("chunk %+v, %v", c, err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatal(err)
	}
	var b bytes.Buffer
	err = rd.Rewrite(&b, []Out{Copy(c), New("AIGC", make([]byte, 100))})
	if !errors.Is(err, label.ErrUnsupported) || !strings.Contains(err.Error(), "RF64") {
		t.Errorf("err = %v, want Unsupported", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes before failing", b.Len())
	}
}

func TestParseList(t *testing.T) {
	items := append(chunk("INAM", []byte("Title\x00")), chunk("IART", []byte("Art\x00"))...)
	for _, tc := range []struct {
		name string
		data []byte
		ids  string
		same bool // Bytes() gives data back
		err  string
	}{
		{name: "two items", data: append([]byte("INFO"), items...), ids: "INAM|IART|", same: true},
		{name: "odd item padded", data: append([]byte("INFO"), chunk("ICMT", []byte("abc"))...), ids: "ICMT|", same: true},
		{name: "odd item unpadded at end", data: []byte("INFOICMT\x03\x00\x00\x00abc"), ids: "ICMT|"},
		{name: "odd item never padded", data: []byte("INFOICMT\x03\x00\x00\x00abcINAM\x02\x00\x00\x00ab"), ids: "ICMT|INAM|"},
		{name: "zero tail", data: append(append([]byte("INFO"), items...), 0, 0), ids: "INAM|IART|", same: true},
		{name: "no type", data: []byte("IN"), err: "no list type"},
		{name: "item too long", data: []byte("INFOINAM\xff\x00\x00\x00ab"), err: `item "INAM" claims 255 bytes, 2 remain`},
		{name: "junk tail", data: append(append([]byte("INFO"), items...), 'x'), err: "too few for a chunk header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseList(tc.data, 100, "test")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ids := ""
			for _, s := range l.Subs {
				ids += s.ID + "|"
			}
			if ids != tc.ids {
				t.Errorf("items %s, want %s", ids, tc.ids)
			}
			if tc.same && !bytes.Equal(l.Bytes(), tc.data) {
				t.Errorf("Bytes() = %q, want %q", l.Bytes(), tc.data)
			}
			if l2, err := ParseList(l.Bytes(), 100, "test"); err != nil || len(l2.Subs) != len(l.Subs) {
				t.Errorf("re-parse: %v", err)
			}
		})
	}
}
