package mp3

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aigcmark/aigcmark/label"
)

// Text encodings of ID3v2 text frames.
const (
	encLatin1  = 0 // ISO-8859-1
	encUTF16   = 1 // UTF-16 with a byte-order mark
	encUTF16BE = 2 // ID3v2.4
	encUTF8    = 3 // ID3v2.4
)

// isTXXX reports whether fr is a user-defined text frame.
func isTXXX(fr frame) bool { return fr.id == "TXXX" || fr.id == "TXX" }

// aigc returns the value of fr when it is a TXXX frame whose description
// is AIGC (in any case). Encrypted frames are never labels.
func (t *tag) aigc(fr frame) (string, bool, error) {
	if !isTXXX(fr) {
		return "", false, nil
	}
	data, err := t.content(fr)
	if err != nil || data == nil {
		return "", false, err
	}
	if len(data) == 0 {
		return "", false, nil
	}
	enc := data[0]
	if enc > encUTF8 {
		return "", false, label.Corrupt(name, t.fileOffset(fr.off), "%s frame %s has the unknown text encoding %d", t, fr.id, enc)
	}
	desc, rest := splitString(enc, data[1:])
	if !strings.EqualFold(decode(enc, desc), Description) {
		return "", false, nil
	}
	value, _ := splitString(enc, rest)
	return decode(enc, value), true, nil
}

// where describes the frame for Found.Where.
func (t *tag) where(fr frame) string {
	return fmt.Sprintf("ID3v2.%d %s frame %q", t.ver, fr.id, Description)
}

// content returns the data of fr with the frame flags undone (extra header
// bytes skipped, unsynchronisation reversed, zlib compression inflated), or
// nil for an encrypted frame.
func (t *tag) content(fr frame) ([]byte, error) {
	off := t.fileOffset(fr.off)
	if fr.n > label.MaxMetadata {
		return nil, label.Corrupt(name, off, "%s frame %s has %d bytes, over the limit of %d", t, fr.id, fr.n, label.MaxMetadata)
	}
	data := make([]byte, fr.n)
	if err := t.readAt(data, fr.off+fr.hdr); err != nil {
		return nil, label.Truncated(name, off, "ID3v2 frame "+fr.id)
	}
	var skip int
	var compressed, encrypted, unsync bool
	fl := byte(fr.flags)
	switch t.ver {
	case 3:
		compressed, encrypted = fl&f3Compressed != 0, fl&f3Encrypted != 0
		for _, f := range []struct {
			set bool
			n   int
		}{{compressed, 4}, {encrypted, 1}, {fl&f3Grouped != 0, 1}} {
			if f.set {
				skip += f.n
			}
		}
	case 4:
		compressed, encrypted = fl&f4Compressed != 0, fl&f4Encrypted != 0
		unsync = fl&f4Unsync != 0 || t.flags&flagUnsync != 0
		for _, f := range []struct {
			set bool
			n   int
		}{{fl&f4Grouped != 0, 1}, {encrypted, 1}, {fl&f4DataLength != 0, 4}} {
			if f.set {
				skip += f.n
			}
		}
	}
	if encrypted {
		return nil, nil
	}
	if skip > len(data) {
		return nil, label.Corrupt(name, off, "%s frame %s has %d bytes, too few for its flags", t, fr.id, fr.n)
	}
	data = data[skip:]
	if unsync {
		data = deunsync(data)
	}
	if compressed {
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, label.Corrupt(name, off, "%s frame %s: bad compressed data: %v", t, fr.id, err)
		}
		defer zr.Close()
		v, err := io.ReadAll(io.LimitReader(zr, label.MaxMetadata+1))
		if err != nil {
			return nil, label.Corrupt(name, off, "%s frame %s: bad compressed data: %v", t, fr.id, err)
		}
		if len(v) > label.MaxMetadata {
			return nil, label.Corrupt(name, off, "%s frame %s decompresses to more than %d bytes", t, fr.id, label.MaxMetadata)
		}
		data = v
	}
	return data, nil
}

// splitString splits b after its first string's terminator (one NUL, or
// two at an even offset for UTF-16), returning the string and the rest. A
// string without terminator runs to the end of b.
func splitString(enc byte, b []byte) (s, rest []byte) {
	if enc == encUTF16 || enc == encUTF16BE {
		for i := 0; i+1 < len(b); i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				return b[:i], b[i+2:]
			}
		}
		return b, nil
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// decode returns the text of one string in encoding enc as UTF-8.
func decode(enc byte, b []byte) string {
	switch enc {
	case encUTF16, encUTF16BE:
		order := binary.ByteOrder(binary.BigEndian)
		if enc == encUTF16 && len(b) >= 2 {
			switch {
			case b[0] == 0xFF && b[1] == 0xFE:
				order, b = binary.LittleEndian, b[2:]
			case b[0] == 0xFE && b[1] == 0xFF:
				b = b[2:]
			}
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = order.Uint16(b[2*i:])
		}
		return strings.TrimPrefix(string(utf16.Decode(u)), "\ufeff")
	case encLatin1:
		if utf8.Valid(b) { // UTF-8 in a Latin-1 frame: a common writer bug
			return string(b)
		}
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r)
	}
	return strings.TrimPrefix(string(b), "\ufeff")
}

// txxx returns a TXXX AIGC frame, header included, for a tag of version
// ver (3 or 4) holding value: ISO-8859-1 when value is ASCII, else UTF-16
// with a byte-order mark in 2.3 and UTF-8 in 2.4. In a 2.4 tag marked
// unsynchronised the frame carries the unsynchronisation flag; the frame
// needs no change for it, since it holds no 0xFF byte.
func txxx(ver byte, unsync bool, value []byte) []byte {
	var data []byte
	switch {
	case isASCII(value):
		data = append([]byte{encLatin1}, Description+"\x00"...)
		data = append(data, value...)
	case ver == 3:
		data = []byte{encUTF16}
		data = appendUTF16(data, Description)
		data = append(data, 0, 0)
		data = appendUTF16(data, string(value))
	default:
		data = append([]byte{encUTF8}, Description+"\x00"...)
		data = append(data, value...)
	}
	h := make([]byte, 10, 10+len(data))
	copy(h, "TXXX")
	if ver == 3 {
		binary.BigEndian.PutUint32(h[4:], uint32(len(data)))
	} else {
		putSyncsafe(h[4:8], int64(len(data)))
		if unsync {
			h[9] = f4Unsync
		}
	}
	return append(h, data...)
}

func appendUTF16(b []byte, s string) []byte {
	b = append(b, 0xFF, 0xFE)
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
