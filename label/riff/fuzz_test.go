package riff

import (
	"bytes"
	"io"
	"testing"
)

// FuzzRewrite walks any input and, when the walk succeeds, copies every
// chunk with Rewrite: the output must walk to the same chunk ids and sizes.
func FuzzRewrite(f *testing.F) {
	even := chunk("abcd", []byte("12"))
	odd := chunk("odd ", []byte("123"))
	good := file("TEST", even, odd)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(append([]byte(nil), good...), "tail"...))
	f.Add(file("TEST", []byte("odd \x03\x00\x00\x00123"), even))
	f.Add(rf64([]byte("abcde")))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, cs, err := walkAll(b)
		if err != nil {
			return
		}
		outs := make([]Out, len(cs))
		for i, c := range cs {
			outs[i] = Copy(c)
		}
		var out bytes.Buffer
		if err := rd.Rewrite(&out, outs); err != nil {
			return
		}
		_, cs2, err := walkAll(out.Bytes())
		if err != nil {
			t.Fatalf("walk of Rewrite's output: %v", err)
		}
		if len(cs2) != len(cs) {
			t.Fatalf("%d chunks, then %d", len(cs), len(cs2))
		}
		for i := range cs {
			if cs[i].ID != cs2[i].ID || cs[i].Size != cs2[i].Size {
				t.Fatalf("chunk %d: %+v, then %+v", i, cs[i], cs2[i])
			}
		}
	})
}

// walkAll reads every chunk of b, independently of Rewrite.
func walkAll(b []byte) (*Reader, []Chunk, error) {
	rd, err := NewReader(bytes.NewReader(b), "test")
	if err != nil {
		return nil, nil, err
	}
	var cs []Chunk
	for {
		c, err := rd.Next()
		if err == io.EOF {
			return rd, cs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		cs = append(cs, c)
	}
}
