package png

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// chunk is one chunk's header: where it starts and how long its data is.
type chunk struct {
	off  int64  // offset of the length field
	n    int64  // length of the data
	typ  string // the four-letter type
	last bool   // the chunk is IEND
}

// dataOff returns the offset of the chunk's data.
func (c chunk) dataOff() int64 { return c.off + 8 }

// end returns the offset just past the chunk's CRC.
func (c chunk) end() int64 { return c.off + 12 + c.n }

func (c chunk) String() string { return fmt.Sprintf("%q chunk", c.typ) }

// maxChunk is the largest length the PNG specification allows (2^31-1).
const maxChunk = 1<<31 - 1

// walk checks the signature and calls fn for each chunk in order, from IHDR
// to IEND, leaving r positioned anywhere. It checks that lengths stay within
// the file, that IHDR comes first and that IEND is present, but not CRCs:
// the caller checks those for the chunks it reads or copies. walk returns
// the offset just past IEND.
func walk(r io.ReadSeeker, size int64, fn func(c chunk) error) (int64, error) {
	var sig [8]byte
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := io.ReadFull(r, sig[:]); err != nil {
		return 0, label.Truncated(name, 0, "signature")
	}
	if string(sig[:]) != Signature {
		return 0, label.Corrupt(name, 0, "not a PNG file (bad signature)")
	}
	off := int64(len(Signature))
	for i := 0; ; i++ {
		if off == size {
			return 0, label.Corrupt(name, off, "file ends without an IEND chunk")
		}
		if size-off < 8 {
			return 0, label.Truncated(name, off, "chunk header")
		}
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return 0, err
		}
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return 0, label.Truncated(name, off, "chunk header")
		}
		c := chunk{off: off, n: int64(binary.BigEndian.Uint32(h[:4])), typ: string(h[4:8])}
		if !validType(h[4:8]) {
			return 0, label.Corrupt(name, off, "invalid chunk type %q", c.typ)
		}
		if c.n > maxChunk {
			return 0, label.Corrupt(name, off, "%s claims %d bytes, over the limit of 2^31-1", c, c.n)
		}
		if rest := max(size-off-12, 0); c.n > rest {
			return 0, label.Corrupt(name, off, "%s claims %d bytes, %d remain", c, c.n, rest)
		}
		switch {
		case i == 0 && c.typ != "IHDR":
			return 0, label.Corrupt(name, off, "first chunk is %q, not IHDR", c.typ)
		case i == 0 && c.n != 13:
			return 0, label.Corrupt(name, off, "IHDR chunk has %d bytes, not 13", c.n)
		case i > 0 && c.typ == "IHDR":
			return 0, label.Corrupt(name, off, "second IHDR chunk")
		}
		c.last = c.typ == "IEND"
		if err := fn(c); err != nil {
			return 0, err
		}
		off = c.end()
		if c.last {
			return off, nil
		}
	}
}

// validType reports whether t is four ASCII letters.
func validType(t []byte) bool {
	for _, b := range t {
		if (b < 'A' || b > 'Z') && (b < 'a' || b > 'z') {
			return false
		}
	}
	return true
}

// readChunk reads the data of c (at most limit bytes) and checks its CRC.
func readChunk(r io.ReadSeeker, c chunk, limit int64) ([]byte, error) {
	if c.n > limit {
		return nil, label.Corrupt(name, c.off, "%s has %d bytes, over the limit of %d", c, c.n, limit)
	}
	if _, err := r.Seek(c.dataOff(), io.SeekStart); err != nil {
		return nil, err
	}
	buf, err := label.ReadAtMost(r, c.n+4, limit+4)
	if err != nil {
		return nil, label.Truncated(name, c.off, c.String())
	}
	data, sum := buf[:c.n], binary.BigEndian.Uint32(buf[c.n:])
	h := crc32.NewIEEE()
	h.Write([]byte(c.typ))
	h.Write(data)
	if h.Sum32() != sum {
		return nil, badCRC(c, sum, h.Sum32())
	}
	return data, nil
}

func badCRC(c chunk, stored, computed uint32) error {
	return label.Corrupt(name, c.off, "%s has CRC %08x, its data gives %08x", c, stored, computed)
}

// readKeyword returns the keyword of a text chunk (the bytes before the
// first NUL, at most 79) without checking the CRC. It returns "" when the
// chunk has no NUL in its first 80 bytes.
func readKeyword(r io.ReadSeeker, c chunk) (string, error) {
	n := min(c.n, 80)
	if _, err := r.Seek(c.dataOff(), io.SeekStart); err != nil {
		return "", err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", label.Truncated(name, c.off, c.String())
	}
	for i, b := range buf {
		if b == 0 {
			return string(buf[:i]), nil
		}
	}
	return "", nil
}

// appendChunk appends a chunk of type typ holding data, with its CRC.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	h := crc32.NewIEEE()
	h.Write([]byte(typ))
	h.Write(data)
	return binary.BigEndian.AppendUint32(b, h.Sum32())
}
