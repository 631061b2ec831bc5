// Package vorbis parses and builds the Vorbis comment structure that FLAC
// (the VORBIS_COMMENT metadata block) and Ogg (the Vorbis "\x03vorbis",
// Opus "OpusTags", Theora and FLAC comment packets) carry, and finds the
// AIGC label in it: an entry AIGC=<json>.
//
// The structure (https://xiph.org/vorbis/doc/v-comment.html) is a
// little-endian 32-bit vendor length, the vendor string, a 32-bit entry
// count, then each entry as a 32-bit length and "NAME=value" bytes. Entry
// names are case-insensitive ASCII. The Vorbis framing bit that follows the
// structure in the Vorbis codec's own packet is the caller's business.
//
// Entries are kept as raw bytes, so that Build writes every entry it was not
// asked to change byte for byte.
package vorbis

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/aigcmark/aigcmark/label"
)

// Name is the entry name of the label.
const Name = "AIGC"

// DefaultVendor is the vendor string of comment structures this package
// creates from nothing.
const DefaultVendor = "aigcmark"

// Comment is a parsed Vorbis comment structure.
type Comment struct {
	Vendor  []byte
	Entries [][]byte // raw "NAME=value" entries, in file order
}

// Error is a malformed comment structure. Offset is relative to the start
// of the structure; callers add the structure's position in the file.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("vorbis comment: %s (at byte %d)", e.Msg, e.Offset)
}

// Parse reads a comment structure from the start of b and returns it with
// the number of bytes it used; bytes after the structure are not looked at.
// Every count and length is checked against the bytes that remain before
// anything is allocated.
func Parse(b []byte) (*Comment, int, error) {
	p := 0
	u32 := func(what string) (uint32, error) {
		if len(b)-p < 4 {
			return 0, &Error{p, fmt.Sprintf("%s is truncated: %d of 4 bytes", what, len(b)-p)}
		}
		v := binary.LittleEndian.Uint32(b[p:])
		p += 4
		return v, nil
	}
	n, err := u32("vendor length")
	if err != nil {
		return nil, 0, err
	}
	if uint64(n) > uint64(len(b)-p) {
		return nil, 0, &Error{p - 4, fmt.Sprintf("vendor string claims %d bytes, %d remain", n, len(b)-p)}
	}
	c := &Comment{Vendor: b[p : p+int(n)]}
	p += int(n)
	count, err := u32("comment count")
	if err != nil {
		return nil, 0, err
	}
	// Every entry takes at least its 4-byte length.
	if uint64(count)*4 > uint64(len(b)-p) {
		return nil, 0, &Error{p - 4, fmt.Sprintf("comment count %d needs at least %d bytes, %d remain", count, uint64(count)*4, len(b)-p)}
	}
	c.Entries = make([][]byte, 0, count)
	for i := uint32(0); i < count; i++ {
		n, err := u32(fmt.Sprintf("length of comment %d", i))
		if err != nil {
			return nil, 0, err
		}
		if uint64(n) > uint64(len(b)-p) {
			return nil, 0, &Error{p - 4, fmt.Sprintf("comment %d claims %d bytes, %d remain", i, n, len(b)-p)}
		}
		c.Entries = append(c.Entries, b[p:p+int(n)])
		p += int(n)
	}
	return c, p, nil
}

// New returns an empty comment structure with vendor DefaultVendor.
func New() *Comment { return &Comment{Vendor: []byte(DefaultVendor)} }

// EntryName returns the name part of a raw entry (before the first '='),
// and the value after it; an entry without '=' is all name.
func EntryName(e []byte) (name, value []byte) {
	if i := bytes.IndexByte(e, '='); i >= 0 {
		return e[:i], e[i+1:]
	}
	return e, nil
}

// IsLabel reports whether the raw entry is named AIGC, in any ASCII case.
func IsLabel(e []byte) bool {
	name, _ := EntryName(e)
	return bytes.EqualFold(name, []byte(Name)) && bytes.IndexByte(e, '=') >= 0
}

// Labels returns the values of the AIGC entries, in order.
func (c *Comment) Labels() [][]byte {
	var out [][]byte
	for _, e := range c.Entries {
		if IsLabel(e) {
			_, v := EntryName(e)
			out = append(out, v)
		}
	}
	return out
}

// Found returns a label.Found (carrier label.CarrierVorbisComment) for each
// AIGC entry, all with the given where and offset.
func (c *Comment) Found(where string, offset int64) []label.Found {
	var out []label.Found
	for _, v := range c.Labels() {
		out = append(out, label.NewFound(label.CarrierVorbisComment, where, offset, v))
	}
	return out
}

// WithLabel returns a copy of c whose only AIGC entry is AIGC=value: the
// first existing AIGC entry is replaced where it stands and any further ones
// are dropped; with none, the entry is appended. Other entries and the
// vendor are kept byte for byte and in order.
func (c *Comment) WithLabel(value []byte) *Comment {
	entry := append([]byte(Name+"="), value...)
	out := &Comment{Vendor: c.Vendor, Entries: make([][]byte, 0, len(c.Entries)+1)}
	done := false
	for _, e := range c.Entries {
		if !IsLabel(e) {
			out.Entries = append(out.Entries, e)
			continue
		}
		if !done {
			out.Entries = append(out.Entries, entry)
			done = true
		}
	}
	if !done {
		out.Entries = append(out.Entries, entry)
	}
	return out
}

// WithoutLabels returns a copy of c without its AIGC entries, for a second
// comment structure in a file whose label moves to the primary one.
func (c *Comment) WithoutLabels() *Comment {
	out := &Comment{Vendor: c.Vendor}
	for _, e := range c.Entries {
		if !IsLabel(e) {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// Len returns the encoded size of c.
func (c *Comment) Len() int {
	n := 8 + len(c.Vendor)
	for _, e := range c.Entries {
		n += 4 + len(e)
	}
	return n
}

// Append appends the encoded structure to dst and returns the result.
func (c *Comment) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c.Vendor)))
	dst = append(dst, c.Vendor...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c.Entries)))
	for _, e := range c.Entries {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e)))
		dst = append(dst, e...)
	}
	return dst
}

// Bytes returns the encoded structure.
func (c *Comment) Bytes() []byte { return c.Append(make([]byte, 0, c.Len())) }
