package riff

import (
	"bytes"
	"encoding/binary"

	"github.com/aigcmark/aigcmark/label"
)

// List is the parsed data of a LIST chunk: its list type ("INFO", "adtl")
// and its sub-chunks.
type List struct {
	Type string
	Subs []Sub
	Tail []byte // zero bytes after the last sub-chunk, too few for another
}

// Sub is one chunk inside a LIST chunk.
type Sub struct {
	ID     string
	Offset int64  // file offset of the sub-chunk's header
	Data   []byte // the data, without header and pad
	Raw    []byte // header, data and pad byte as stored (the pad may be missing)
}

// ParseList parses data, the data of a LIST chunk whose data starts at file
// offset off. Pad bytes are handled as Reader.Next does: a missing pad byte
// after the last sub-chunk, or after every odd sub-chunk of a writer that
// never pads, is tolerated.
func ParseList(data []byte, off int64, format string) (List, error) {
	if len(data) < 4 {
		return List{}, label.Corrupt(format, off-8, "LIST chunk of %d bytes has no list type", len(data))
	}
	l := List{Type: string(data[0:4])}
	for p := 4; p < len(data); {
		rest := data[p:]
		if len(rest) < 8 {
			if len(bytes.Trim(rest, "\x00")) == 0 {
				l.Tail = rest
				break
			}
			return List{}, label.Corrupt(format, off+int64(p), "LIST/%s: %d bytes after the last item are too few for a chunk header", l.Type, len(rest))
		}
		id := string(rest[0:4])
		n := int64(binary.LittleEndian.Uint32(rest[4:8]))
		if n > int64(len(rest)-8) {
			return List{}, label.Corrupt(format, off+int64(p), "LIST/%s item %q claims %d bytes, %d remain", l.Type, id, n, len(rest)-8)
		}
		end := 8 + int(n)
		if n%2 == 1 && end < len(rest) {
			after := rest[end:]
			unpadded := after[0] != 0 && len(after) >= 8 && ValidID(after[0:4]) && !ValidID(after[1:5])
			if !unpadded {
				end++
			}
		}
		l.Subs = append(l.Subs, Sub{ID: id, Offset: off + int64(p), Data: rest[8 : 8+n], Raw: rest[:end]})
		p += end
	}
	return l, nil
}

// Bytes returns the data of a LIST chunk holding l: the list type, each
// sub-chunk as stored (a missing pad byte added), and the tail.
func (l List) Bytes() []byte {
	b := []byte(l.Type)
	for _, s := range l.Subs {
		b = append(b, s.Raw...)
		if len(s.Data)%2 == 1 && len(s.Raw) == 8+len(s.Data) {
			b = append(b, 0)
		}
	}
	return append(b, l.Tail...)
}
