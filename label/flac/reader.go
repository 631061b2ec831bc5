package flac

import (
	"errors"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

// block is one metadata block.
type block struct {
	offset  int64 // of the 4-byte header
	typ     byte
	length  int64 // of the body
	last    bool
	comment *vorbis.Comment // parsed body of a VORBIS_COMMENT block
}

// stream is the metadata of a FLAC file.
type stream struct {
	blocks []block
	audio  int64 // offset of the first audio frame (end of the metadata)
	size   int64 // file size
}

// Read returns the labels in the file's VORBIS_COMMENT block(s).
func (Format) Read(r io.ReadSeeker) ([]label.Found, error) {
	s, err := scan(r)
	if err != nil {
		return nil, err
	}
	var out []label.Found
	for _, b := range s.blocks {
		if b.comment != nil {
			out = append(out, b.comment.Found("VORBIS_COMMENT block", b.offset)...)
		}
	}
	return out, nil
}

// scan walks the metadata blocks, parsing VORBIS_COMMENT blocks and seeking
// over the others, and checks that audio frames (or the end of the file)
// follow the last one.
func scan(r io.ReadSeeker) (*stream, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, label.Truncated(name, 0, "stream marker")
	}
	if string(hdr[:]) != string(magic) {
		return nil, label.Corrupt(name, 0, "stream marker is %q, not \"fLaC\"", hdr[:])
	}
	s := &stream{size: size}
	pos := int64(4)
	for i := 0; ; i++ {
		if i == maxBlocks {
			return nil, label.Unsupported(name, pos, "more than %d metadata blocks", maxBlocks)
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, label.Truncated(name, pos, fmt.Sprintf("metadata block %d header", i))
		}
		b := block{
			offset: pos,
			typ:    hdr[0] & 0x7f,
			last:   hdr[0]&0x80 != 0,
			length: int64(hdr[1])<<16 | int64(hdr[2])<<8 | int64(hdr[3]),
		}
		pos += 4
		switch {
		case b.typ == typeInvalid:
			return nil, label.Corrupt(name, b.offset, "metadata block %d has the invalid type 127", i)
		case i == 0 && b.typ != typeStreamInfo:
			return nil, label.Corrupt(name, b.offset, "first metadata block is %s, not STREAMINFO", typeName(b.typ))
		case i == 0 && b.length != 34:
			return nil, label.Corrupt(name, b.offset, "STREAMINFO block is %d bytes long, not 34", b.length)
		case i > 0 && b.typ == typeStreamInfo:
			return nil, label.Corrupt(name, b.offset, "metadata block %d is a second STREAMINFO", i)
		}
		if b.length > size-pos {
			return nil, label.Corrupt(name, b.offset, "metadata block %d (%s) claims %d bytes, %d remain",
				i, typeName(b.typ), b.length, size-pos)
		}
		if b.typ == typeVorbisComment {
			body, err := label.ReadAtMost(r, b.length, label.MaxMetadata)
			if err != nil {
				return nil, label.Truncated(name, b.offset, "VORBIS_COMMENT block")
			}
			c, _, err := vorbis.Parse(body)
			if err != nil {
				var ve *vorbis.Error
				if errors.As(err, &ve) {
					return nil, label.Corrupt(name, pos+int64(ve.Offset), "VORBIS_COMMENT block: %s", ve.Msg)
				}
				return nil, err
			}
			b.comment = c
		} else if _, err := r.Seek(b.length, io.SeekCurrent); err != nil {
			return nil, err
		}
		pos += b.length
		s.blocks = append(s.blocks, b)
		if b.last {
			break
		}
	}
	s.audio = pos
	// The audio frames must follow: a frame header starts with the 14-bit
	// sync code 0b11111111111110, a reserved 0 bit and the blocking
	// strategy bit. An empty stream may end right here.
	if pos == size {
		return s, nil
	}
	var sync [2]byte
	if _, err := r.Seek(pos, io.SeekStart); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, sync[:]); err != nil {
		return nil, label.Truncated(name, pos, "first audio frame header")
	}
	if sync[0] != 0xff || sync[1]&0xfe != 0xf8 {
		return nil, label.Corrupt(name, pos, "no frame sync after the last metadata block (found %#02x %#02x)", sync[0], sync[1])
	}
	return s, nil
}
