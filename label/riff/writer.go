package riff

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Out is one chunk of the file Rewrite writes: either a chunk copied from
// the source byte for byte, or a new chunk.
type Out struct {
	Src  *Chunk // the source chunk to copy; nil for a new chunk
	ID   string // id of a new chunk
	Data []byte // data of a new chunk
}

// Copy returns the Out that copies c from the source.
func Copy(c Chunk) Out { return Out{Src: &c} }

// New returns the Out for a new chunk holding data.
func New(id string, data []byte) Out { return Out{ID: id, Data: data} }

// Len returns the number of bytes o takes in the output: header, data and
// pad byte.
func (o Out) Len() int64 {
	n := int64(len(o.Data))
	if o.Src != nil {
		n = o.Src.Size
	}
	return 8 + n + n%2
}

// Len returns the number of bytes a chunk holding n bytes of data takes:
// header, data and pad byte.
func Len(n int64) int64 { return 8 + n + n%2 }

// AppendChunk appends a chunk (header, data and a zero pad byte when the
// size is odd) to b.
func AppendChunk(b []byte, id string, data []byte) []byte {
	b = append(b, id[:4]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// WriteChunk writes a chunk: header, data, and a zero pad byte when the size
// is odd.
func WriteChunk(w io.Writer, id string, data []byte) error {
	if len(id) != 4 {
		return fmt.Errorf("riff: chunk id %q is not four bytes", id)
	}
	if int64(len(data)) > 0xFFFFFFFE {
		return fmt.Errorf("riff: chunk %q of %d bytes is too large", id, len(data))
	}
	var h [8]byte
	copy(h[:4], id)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(data)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if len(data)%2 == 1 {
		_, err := w.Write([]byte{0})
		return err
	}
	return nil
}

// Rewrite writes to dst a file with rd's header and form type and the chunks
// out, then the bytes that followed rd's last chunk (outside the RIFF
// structure) unchanged. rd must have been walked to io.EOF.
//
// The header size is computed from out. A copied chunk keeps every byte,
// its pad byte included; an odd chunk whose pad byte was missing gets a zero
// one, so that the chunks that follow are aligned. Chunk data is copied with
// io.CopyN straight from the source, so that copying between files uses
// copy_file_range.
//
// For RF64 and BW64 files out[0] must copy the ds64 chunk: its RIFF size is
// updated and the header size field set to 0xFFFFFFFF. A plain RIFF file
// that would grow past 4 GiB gives an Unsupported error: converting it to
// RF64 is not implemented.
func (rd *Reader) Rewrite(dst io.Writer, out []Out) error {
	if !rd.done {
		return fmt.Errorf("riff: Rewrite called before the chunks were walked")
	}
	return rd.rewrite(dst, Parts(out))
}

// rewrite is Rewrite and RewriteParts once rd was walked.
func (rd *Reader) rewrite(dst io.Writer, parts []Part) error {
	total := int64(4)
	for _, p := range parts {
		switch {
		case p.Fill != nil && (len(p.ID) != 4 || p.Size < 0 || p.Size > 0xFFFFFFFE):
			return fmt.Errorf("riff: bad streamed chunk %q of %d bytes", p.ID, p.Size)
		case p.Fill == nil && p.Src == nil && (len(p.ID) != 4 || int64(len(p.Data)) > 0xFFFFFFFE):
			return fmt.Errorf("riff: bad new chunk %q of %d bytes", p.ID, len(p.Data))
		}
		total += p.len()
	}
	var h [12]byte
	copy(h[0:4], rd.Header.ID)
	copy(h[8:12], rd.Header.Form)
	if rd.Header.Is64() {
		if len(parts) == 0 || parts[0].Fill != nil || parts[0].Src == nil || parts[0].Src.ID != "ds64" {
			return fmt.Errorf("riff: an %s file must start with its ds64 chunk", rd.Header.ID)
		}
		binary.LittleEndian.PutUint32(h[4:8], sizeUnknown)
	} else {
		if total > 0xFFFFFFFF {
			return label.Unsupported(rd.format, 0, "the output would be %d bytes, over the 4 GiB a RIFF file can hold; writing RF64 is not supported", total+8)
		}
		binary.LittleEndian.PutUint32(h[4:8], uint32(total))
	}
	if _, err := dst.Write(h[:]); err != nil {
		return err
	}
	for i, p := range parts {
		var err error
		switch {
		case p.Fill != nil:
			err = writeFilled(dst, p)
		case p.Src == nil:
			err = WriteChunk(dst, p.ID, p.Data)
		case i == 0 && rd.Header.Is64():
			err = rd.writeDS64(dst, *p.Src, total)
		default:
			err = rd.copyChunk(dst, *p.Src)
		}
		if err != nil {
			return err
		}
	}
	if n := rd.fileSize - rd.pos; n > 0 {
		if _, err := rd.r.Seek(rd.pos, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.CopyN(dst, rd.r, n); err != nil {
			return rd.copyErr(err, rd.pos, "bytes after the last chunk")
		}
	}
	return nil
}

// copyChunk copies c (header, data, pad) from the source to dst.
func (rd *Reader) copyChunk(dst io.Writer, c Chunk) error {
	if _, err := rd.r.Seek(c.Offset, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.CopyN(dst, rd.r, c.End()-c.Offset); err != nil {
		return rd.copyErr(err, c.Offset, fmt.Sprintf("chunk %q", c.ID))
	}
	if c.Size%2 == 1 && c.Pad == 0 {
		_, err := dst.Write([]byte{0})
		return err
	}
	return nil
}

// writeDS64 writes the ds64 chunk c with its RIFF size set to riffSize.
func (rd *Reader) writeDS64(dst io.Writer, c Chunk, riffSize int64) error {
	d, err := rd.ReadData(c, 1<<20)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint64(d[0:8], uint64(riffSize))
	var h [8]byte
	if _, err := rd.r.Seek(c.Offset, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.ReadFull(rd.r, h[:]); err != nil {
		return rd.copyErr(err, c.Offset, "ds64 chunk")
	}
	if _, err := dst.Write(h[:]); err != nil {
		return err
	}
	if _, err := dst.Write(d); err != nil {
		return err
	}
	if c.Size%2 == 1 {
		_, err = dst.Write([]byte{0})
	}
	return err
}

// copyErr turns an early end of the source into a Truncated error.
func (rd *Reader) copyErr(err error, off int64, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return label.Truncated(rd.format, off, what)
	}
	return err
}
