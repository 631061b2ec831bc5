package gif

import (
	"bytes"
	"fmt"
	"io"
	"sort"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// edit replaces the bytes [off, end) of the source with data; off == end
// inserts.
type edit struct {
	off, end int64
	data     []byte
}

// write streams src to dst with the edits that put l in the XMP packet,
// written with opts.
func (lay *layout) write(dst io.Writer, src io.ReadSeeker, l label.Label, opts xmp.Options) error {
	var edits []edit
	if lay.version != "89a" {
		edits = append(edits, edit{3, 6, []byte("89a")})
	}
	primary := false
	for _, b := range lay.blocks {
		if !b.xmp || primary && b.labels == 0 {
			continue
		}
		var p []byte
		var err error
		if !primary {
			p, err = opts.Set(b.packet, l)
		} else {
			// A second XMP extension with a label: its label goes, so
			// that the file keeps exactly one.
			p, err = xmp.Drop(b.packet)
		}
		if err != nil {
			return &label.FormatError{Format: "gif", Offset: b.off, Msg: "cannot update the XMP packet", Err: err}
		}
		primary = true
		ext, err := extension(p, b.off)
		if err != nil {
			return err
		}
		edits = append(edits, edit{b.off, b.end, ext})
	}
	if !primary {
		ext, err := extension(opts.New(l), -1)
		if err != nil {
			return err
		}
		at := lay.first
		for _, b := range lay.blocks {
			if b.intro != introExtension || b.label != extApplication && b.label != extComment {
				break
			}
			at = b.end
		}
		edits = append(edits, edit{at, at, ext})
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].off < edits[j].off })

	pos := int64(0)
	for _, e := range edits {
		if err := copyRange(dst, src, pos, e.off-pos); err != nil {
			return err
		}
		if _, err := dst.Write(e.data); err != nil {
			return err
		}
		pos = e.end
	}
	return copyRange(dst, src, pos, lay.size-pos)
}

// extension returns the XMP application extension carrying packet; off is
// the offset of the extension it replaces, for errors.
func extension(packet []byte, off int64) ([]byte, error) {
	// A NUL would end the sub-block walk of decoders inside the packet.
	if i := bytes.IndexByte(packet, 0); i >= 0 {
		return nil, label.Unsupported("gif", off, "XMP packet holds a NUL byte at %d, which GIF cannot carry", i)
	}
	if len(packet)+len(magic) > label.MaxMetadata {
		return nil, label.Unsupported("gif", off, "XMP packet of %d bytes is too large", len(packet))
	}
	ext := make([]byte, 0, 3+len(xmpID)+len(packet)+len(magic)+1)
	ext = append(ext, introExtension, extApplication, byte(len(xmpID)))
	ext = append(ext, xmpID...)
	ext = append(ext, packet...)
	ext = append(ext, magic...)
	return append(ext, 0), nil
}

// copyRange copies n bytes of src, from offset off, to dst, straight from
// src so that file-to-file copies can use copy_file_range.
func copyRange(dst io.Writer, src io.ReadSeeker, off, n int64) error {
	if n == 0 {
		return nil
	}
	if _, err := src.Seek(off, io.SeekStart); err != nil {
		return err
	}
	c, err := io.CopyN(dst, src, n)
	if err == io.EOF {
		return fmt.Errorf("gif: source ended after %d of %d bytes at offset %d (file changed while copying?): %w", c, n, off, io.ErrUnexpectedEOF)
	}
	return err
}
