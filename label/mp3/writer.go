package mp3

import (
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// padding is the room left in a new or grown tag for later edits.
const padding = 1024

// write is Format.Write.
//
// A file without a tag gets an ID3v2.4 tag holding only the TXXX AIGC
// frame. Otherwise the first tag is rebuilt: the first TXXX AIGC frame is
// replaced in place (or the new one appended after the last frame), other
// TXXX AIGC frames are left out, and every other frame is copied byte for
// byte, header included. The version is kept. When the new frames fit in
// the old tag the tag keeps its size, its padding absorbing the difference,
// so the audio does not move; otherwise 1024 bytes of padding follow. The
// rebuilt tag has no extended header (its CRC and padding size would no
// longer hold), and an ID3v2.3 tag that was unsynchronised as a whole is
// written without unsynchronisation: its frames are copied as they read
// once decoded. A 2.4 tag keeps its unsynchronisation flag and its frames
// their own flags. Further tags at the start are copied unchanged, unless
// they too hold an AIGC frame, which is then left out in the same way.
func write(dst io.Writer, src io.ReadSeeker, l label.Label) error {
	f, err := open(src)
	if err != nil {
		return err
	}
	value := l.JSON()
	if len(f.tags) == 0 {
		t := &tag{ver: 4}
		if err := t.writeHeader(dst, int64(len(txxx(4, false, value)))+padding); err != nil {
			return err
		}
		if _, err := dst.Write(txxx(4, false, value)); err != nil {
			return err
		}
		if err := writeZeros(dst, padding); err != nil {
			return err
		}
	}
	for i, t := range f.tags {
		var nf []byte
		if i == 0 {
			if t.ver == 2 {
				return label.Unsupported(name, t.off, "cannot relabel an ID3v2.2 tag; convert it to ID3v2.3 first (for example ffmpeg -i in.mp3 -c copy -id3v2_version 3 out.mp3)")
			}
			nf = txxx(t.ver, t.flags&flagUnsync != 0, value)
		} else {
			n := 0
			if err := t.frames(func(fr frame) error {
				_, ok, err := t.aigc(fr)
				if ok {
					n++
				}
				return err
			}); err != nil {
				return err
			}
			if n == 0 {
				if err := copyRange(dst, src, t.off, t.total()); err != nil {
					return err
				}
				continue
			}
			if t.ver == 2 {
				return label.Unsupported(name, t.off, "cannot remove the label from a second, ID3v2.2 tag")
			}
		}
		if err := t.rebuild(dst, nf); err != nil {
			return err
		}
	}
	return copyRange(dst, src, f.audio, f.size-f.audio)
}

// rebuild writes the tag with its TXXX AIGC frames replaced by nf (or
// removed, when nf is nil).
func (t *tag) rebuild(dst io.Writer, nf []byte) error {
	var keep int64
	err := t.frames(func(fr frame) error {
		_, ok, err := t.aigc(fr)
		if !ok {
			keep += fr.hdr + fr.n
		}
		return err
	})
	if err != nil {
		return err
	}
	body := keep + int64(len(nf))
	var pad int64
	switch {
	case t.footer(): // ID3v2.4 forbids padding with a footer
	case body <= t.size:
		pad = t.size - body
	default:
		pad = padding
	}
	if body+pad > maxTag {
		return label.Unsupported(name, t.off, "the new %s would have %d bytes, over the limit of %d", t, body+pad, maxTag)
	}
	out := &tag{ver: t.ver, rev: t.rev, flags: t.flags &^ flagExtended}
	if t.ver < 4 {
		out.flags &^= flagUnsync
	}
	if err := out.writeHeader(dst, body+pad); err != nil {
		return err
	}
	written := nf == nil
	err = t.frames(func(fr frame) error {
		if _, ok, _ := t.aigc(fr); ok {
			if !written {
				written = true
				_, err := dst.Write(nf)
				return err
			}
			return nil
		}
		if t.buf != nil {
			_, err := dst.Write(t.buf[fr.off : fr.off+fr.hdr+fr.n])
			return err
		}
		return copyRange(dst, t.r, t.fileOffset(fr.off), fr.hdr+fr.n)
	})
	if err != nil {
		return err
	}
	if !written {
		if _, err := dst.Write(nf); err != nil {
			return err
		}
	}
	if err := writeZeros(dst, pad); err != nil {
		return err
	}
	if t.footer() {
		return out.writeFooter(dst, body)
	}
	return nil
}

// writeHeader writes a tag header with the given size field.
func (t *tag) writeHeader(dst io.Writer, size int64) error {
	h := []byte{'I', 'D', '3', t.ver, t.rev, t.flags, 0, 0, 0, 0}
	putSyncsafe(h[6:], size)
	_, err := dst.Write(h)
	return err
}

func (t *tag) writeFooter(dst io.Writer, size int64) error {
	h := []byte{'3', 'D', 'I', t.ver, t.rev, t.flags, 0, 0, 0, 0}
	putSyncsafe(h[6:], size)
	_, err := dst.Write(h)
	return err
}

var zeros [4096]byte

func writeZeros(dst io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := dst.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// copyRange copies n bytes at offset off of src to dst, straight from src
// so that file-to-file copies can use copy_file_range.
func copyRange(dst io.Writer, src io.ReadSeeker, off, n int64) error {
	if n == 0 {
		return nil
	}
	if _, err := src.Seek(off, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.CopyN(dst, src, n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return label.Truncated(name, off, "copy")
	}
	return nil
}
