package mp3

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Tag header flags.
const (
	flagUnsync       = 0x80
	flagExtended     = 0x40 // in ID3v2.2: compression
	flagExperimental = 0x20
	flagFooter       = 0x10 // ID3v2.4 only
)

// Frame format flags (the second flag byte).
const (
	f3Compressed = 0x80
	f3Encrypted  = 0x40
	f3Grouped    = 0x20

	f4Grouped    = 0x40
	f4Compressed = 0x08
	f4Encrypted  = 0x04
	f4Unsync     = 0x02
	f4DataLength = 0x01
)

// maxTag is the largest size an ID3v2 header can state (28 bits).
const maxTag = 1<<28 - 1

// maxTags bounds how many consecutive tags a file may start with.
const maxTags = 16

// tag is one ID3v2 tag. Offsets inside it ("body" offsets) count from the
// first byte after the ten-byte header.
type tag struct {
	r     io.ReadSeeker
	off   int64 // file offset of the header
	ver   byte  // major version: 2, 3 or 4
	rev   byte
	flags byte
	size  int64  // size field of the header: the tag without header and footer
	buf   []byte // the body without unsynchronisation, when the whole tag was unsynchronised (2.2, 2.3)
	start int64  // body offset of the first frame, after any extended header
	end   int64  // body offset where frames must end
	skip  bool   // an ID3v2.2 compressed tag: no frames can be read
}

// total returns the size of the whole tag in the file.
func (t *tag) total() int64 {
	n := 10 + t.size
	if t.footer() {
		n += 10
	}
	return n
}

func (t *tag) footer() bool { return t.ver == 4 && t.flags&flagFooter != 0 }

// fileOffset returns the file offset of body offset off. For a tag that
// was unsynchronised as a whole it is approximate.
func (t *tag) fileOffset(off int64) int64 { return t.off + 10 + off }

func (t *tag) String() string { return fmt.Sprintf("ID3v2.%d tag", t.ver) }

// parseTagHeader parses a ten-byte ID3v2 header (or footer, with "3DI").
func parseTagHeader(b []byte, off int64) (*tag, error) {
	if len(b) < 10 || string(b[:3]) != "ID3" {
		return nil, label.Corrupt(name, off, "no ID3v2 tag header")
	}
	t := &tag{off: off, ver: b[3], rev: b[4], flags: b[5]}
	if t.ver == 0xFF || t.rev == 0xFF {
		return nil, label.Corrupt(name, off, "ID3v2 tag header has version 0x%02x%02x", t.ver, t.rev)
	}
	if t.ver < 2 || t.ver > 4 {
		return nil, label.Unsupported(name, off, "ID3v2.%d tag", t.ver)
	}
	size, ok := syncsafe(b[6:10])
	if !ok {
		return nil, label.Corrupt(name, off, "ID3v2 tag size % x is not a syncsafe integer", b[6:10])
	}
	t.size = size
	return t, nil
}

// syncsafe decodes a big-endian integer of 7-bit bytes.
func syncsafe(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c&0x80 != 0 {
			return 0, false
		}
		n = n<<7 | int64(c)
	}
	return n, true
}

func putSyncsafe(b []byte, n int64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(n & 0x7f)
		n >>= 7
	}
}

// init reads what precedes the frames: for a tag unsynchronised as a
// whole (ID3v2.2, 2.3) the body is loaded and decoded; an extended header
// is skipped.
func (t *tag) init() error {
	t.end = t.size
	if t.ver == 2 && t.flags&flagExtended != 0 {
		t.skip = true // ID3v2.2 compression: no scheme was ever defined
		return nil
	}
	if t.ver < 4 && t.flags&flagUnsync != 0 {
		if t.size > label.MaxMetadata {
			return label.Unsupported(name, t.off, "unsynchronised %s of %d bytes is over the limit of %d", t, t.size, label.MaxMetadata)
		}
		if _, err := t.r.Seek(t.off+10, io.SeekStart); err != nil {
			return err
		}
		b, err := label.ReadAtMost(t.r, t.size, label.MaxMetadata)
		if err != nil {
			return label.Truncated(name, t.off, t.String())
		}
		t.buf = deunsync(b)
		t.end = int64(len(t.buf))
	}
	if t.ver >= 3 && t.flags&flagExtended != 0 {
		var h [4]byte
		if err := t.readAt(h[:], 0); err != nil {
			return label.Truncated(name, t.off+10, "ID3v2 extended header")
		}
		var n int64
		if t.ver == 3 {
			n = int64(binary.BigEndian.Uint32(h[:])) + 4
		} else {
			var ok bool
			if n, ok = syncsafe(h[:]); !ok || n < 6 {
				return label.Corrupt(name, t.off+10, "ID3v2.4 extended header size % x is invalid", h)
			}
		}
		if n > t.end {
			return label.Corrupt(name, t.off+10, "ID3v2 extended header claims %d bytes, the tag has %d", n, t.end)
		}
		t.start = n
	}
	return nil
}

// readAt reads len(p) bytes at body offset off.
func (t *tag) readAt(p []byte, off int64) error {
	if off < 0 || off+int64(len(p)) > t.end {
		return io.ErrUnexpectedEOF
	}
	if t.buf != nil {
		copy(p, t.buf[off:])
		return nil
	}
	if _, err := t.r.Seek(t.fileOffset(off), io.SeekStart); err != nil {
		return err
	}
	_, err := io.ReadFull(t.r, p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// frame is one frame's header.
type frame struct {
	id    string
	off   int64 // body offset of the frame header
	hdr   int64 // header length: 6 in ID3v2.2, 10 later
	n     int64 // data length, after the header
	flags uint16
}

// headerLen returns the frame header length of the tag's version.
func (t *tag) headerLen() int64 {
	if t.ver == 2 {
		return 6
	}
	return 10
}

// frames calls fn for every frame of the tag, in order, stopping at the
// padding. Every frame must fit in the tag.
func (t *tag) frames(fn func(fr frame) error) error {
	if t.skip {
		return nil
	}
	hl := t.headerLen()
	idLen := 4
	if t.ver == 2 {
		idLen = 3
	}
	var h [10]byte
	for pos := t.start; t.end-pos >= hl; {
		if err := t.readAt(h[:hl], pos); err != nil {
			return label.Truncated(name, t.fileOffset(pos), "ID3v2 frame header")
		}
		if h[0] == 0 {
			return nil // padding
		}
		if !validID(h[:idLen]) {
			return label.Corrupt(name, t.fileOffset(pos), "%s has a frame with the invalid id %q", t, h[:idLen])
		}
		fr := frame{id: string(h[:idLen]), off: pos, hdr: hl}
		rest := t.end - pos - hl
		switch t.ver {
		case 2:
			fr.n = int64(h[3])<<16 | int64(h[4])<<8 | int64(h[5])
		case 3:
			fr.n = int64(binary.BigEndian.Uint32(h[4:8]))
			fr.flags = binary.BigEndian.Uint16(h[8:10])
		case 4:
			fr.n = t.size24(pos, h[4:8])
			fr.flags = binary.BigEndian.Uint16(h[8:10])
		}
		if fr.n > rest {
			return label.Corrupt(name, t.fileOffset(pos), "%s frame %s claims %d bytes, %d remain in the tag", t, fr.id, fr.n, rest)
		}
		if err := fn(fr); err != nil {
			return err
		}
		pos += hl + fr.n
	}
	return nil
}

// size24 decodes the size of an ID3v2.4 frame at pos. The standard says
// syncsafe, but some writers (old iTunes) put plain 32-bit sizes in 2.4
// tags: when the bytes are not syncsafe, or the plain reading leads to a
// frame while the syncsafe one leads to padding or nowhere, the plain
// reading is used.
func (t *tag) size24(pos int64, b []byte) int64 {
	plain := int64(binary.BigEndian.Uint32(b))
	safe, ok := syncsafe(b)
	if !ok {
		return plain
	}
	if safe != plain && t.next(pos+10+plain) > t.next(pos+10+safe) {
		return plain
	}
	return safe
}

// next rates body offset pos as the start of what follows a frame: 2 for
// a frame header, 1 for the end of the tag or padding, 0 for anything else.
func (t *tag) next(pos int64) int {
	switch {
	case pos > t.end:
		return 0
	case t.end-pos < 10:
		return 1
	}
	var id [4]byte
	if t.readAt(id[:], pos) != nil {
		return 0
	}
	switch {
	case id[0] == 0:
		return 1
	case validID(id[:]):
		return 2
	}
	return 0
}

func validID(id []byte) bool {
	for _, c := range id {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// deunsync reverses unsynchronisation: every 0xFF 0x00 becomes 0xFF.
func deunsync(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xFF, 0x00}) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0xFF && i+1 < len(b) && b[i+1] == 0 {
			i++
		}
	}
	return out
}
