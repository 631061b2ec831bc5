package riff

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Part is one chunk of the file RewriteParts writes: a chunk copied from the
// source or given anew (Out), or, when Fill is set, a new chunk of Size
// bytes whose data Fill writes while the file is written — so that a chunk
// of any size (the audio of a WAV file) can be produced without holding it.
type Part struct {
	Out
	Size int64
	Fill func(w io.Writer) error
}

// Stream returns the Part for a new chunk of size bytes that fill writes.
func Stream(id string, size int64, fill func(w io.Writer) error) Part {
	return Part{Out: Out{ID: id}, Size: size, Fill: fill}
}

// Parts returns out as Parts.
func Parts(out []Out) []Part {
	p := make([]Part, len(out))
	for i, o := range out {
		p[i] = Part{Out: o}
	}
	return p
}

// len returns the number of bytes p takes in the output.
func (p Part) len() int64 {
	if p.Fill != nil {
		return Len(p.Size)
	}
	return p.Out.Len()
}

// RewriteParts is Rewrite for parts that may be streamed: it writes to dst a
// file with rd's header and form type and the chunks parts, then the bytes
// that followed rd's last chunk. A streamed part's Fill must write exactly
// Size bytes; its pad byte is added after it. RF64 and BW64 sources give an
// Unsupported error.
func (rd *Reader) RewriteParts(dst io.Writer, parts []Part) error {
	if !rd.done {
		return fmt.Errorf("riff: RewriteParts called before the chunks were walked")
	}
	if rd.Header.Is64() {
		return label.Unsupported(rd.format, 0, "rewriting the sample data of an %s file is not supported", rd.Header.ID)
	}
	return rd.rewrite(dst, parts)
}

// writeFilled writes the streamed chunk p: header, Fill's data, pad byte.
func writeFilled(dst io.Writer, p Part) error {
	var h [8]byte
	copy(h[:4], p.ID)
	binary.LittleEndian.PutUint32(h[4:], uint32(p.Size))
	if _, err := dst.Write(h[:]); err != nil {
		return err
	}
	lw := &limitWriter{w: dst, left: p.Size}
	if err := p.Fill(lw); err != nil {
		return err
	}
	if lw.left != 0 {
		return fmt.Errorf("riff: chunk %q: %d of its %d bytes were written", p.ID, p.Size-lw.left, p.Size)
	}
	if p.Size%2 == 1 {
		_, err := dst.Write([]byte{0})
		return err
	}
	return nil
}

// limitWriter passes at most left bytes to w and fails on more.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, fmt.Errorf("riff: streamed chunk data exceeds its declared size by %d bytes", int64(len(p))-l.left)
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	return n, err
}
