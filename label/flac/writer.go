package flac

import (
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/vorbis"
)

// outBlock is a block of the output: either new bytes or a range of src.
type outBlock struct {
	typ    byte
	length int64
	body   []byte // new body; nil means copy length bytes from src at from
	zeros  bool   // body is length zero bytes (resized padding)
	from   int64
}

// Write copies src to dst with l as the only AIGC entry of the
// VORBIS_COMMENT block. The first VORBIS_COMMENT block gets AIGC=l.JSON()
// in place of its first AIGC entry (further AIGC entries, also in any
// further VORBIS_COMMENT block, are dropped); a file without one gets a new
// block (vendor "aigcmark") right after STREAMINFO. When a PADDING block can
// absorb the change in size it is resized so that the audio frames stay
// where they were. Every other byte is copied.
func (Format) Write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	s, err := scan(src)
	if err != nil {
		return err
	}
	value := l.JSON()
	var out []outBlock
	var oldLen, newLen int64 // of the metadata blocks, headers included
	primary := false
	for i, b := range s.blocks {
		ob := outBlock{typ: b.typ, length: b.length, from: b.offset + 4}
		if b.comment != nil {
			switch {
			case !primary:
				ob.body = b.comment.WithLabel(value).Bytes()
				primary = true
			case len(b.comment.Labels()) > 0:
				ob.body = b.comment.WithoutLabels().Bytes()
			}
			if ob.body != nil {
				ob.length = int64(len(ob.body))
			}
		}
		out = append(out, ob)
		oldLen += 4 + b.length
		newLen += 4 + ob.length
		if i == 0 && !hasComment(s) {
			body := vorbis.New().WithLabel(value).Bytes()
			out = append(out, outBlock{typ: typeVorbisComment, length: int64(len(body)), body: body})
			newLen += 4 + int64(len(body))
		}
	}
	if delta := newLen - oldLen; delta != 0 {
		for i := range out {
			p := &out[i]
			if p.typ != typePadding {
				continue
			}
			if n := p.length - delta; n >= 0 && n <= maxBlockLen {
				p.length, p.zeros = n, true
				break
			}
			if p.length+4 == delta {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
	}
	if _, err := dst.Write(magic); err != nil {
		return err
	}
	for i, b := range out {
		if b.length > maxBlockLen {
			return label.Unsupported(name, -1, "the new %s block would be %d bytes, over the 24-bit limit", typeName(b.typ), b.length)
		}
		hdr := [4]byte{b.typ, byte(b.length >> 16), byte(b.length >> 8), byte(b.length)}
		if i == len(out)-1 {
			hdr[0] |= 0x80
		}
		if _, err := dst.Write(hdr[:]); err != nil {
			return err
		}
		switch {
		case b.zeros:
			if _, err := dst.Write(make([]byte, b.length)); err != nil {
				return err
			}
		case b.body != nil:
			if _, err := dst.Write(b.body); err != nil {
				return err
			}
		default:
			if err := copyRange(dst, src, b.from, b.length); err != nil {
				return err
			}
		}
	}
	return copyRange(dst, src, s.audio, s.size-s.audio)
}

func hasComment(s *stream) bool {
	for _, b := range s.blocks {
		if b.comment != nil {
			return true
		}
	}
	return false
}

// copyRange copies n bytes of src starting at off to dst, straight from src
// so that *os.File to *os.File copies use copy_file_range.
func copyRange(dst io.Writer, src io.ReadSeeker, off, n int64) error {
	if _, err := src.Seek(off, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.CopyN(dst, src, n); err != nil {
		if err == io.EOF {
			return label.Truncated(name, off, "file")
		}
		return err
	}
	return nil
}
