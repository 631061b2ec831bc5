package jpeg

import (
	"fmt"
	"io"
	"sort"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/exif"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// edit replaces the bytes [off, end) of the source with data; off == end
// inserts.
type edit struct {
	off, end int64
	data     []byte
}

// write streams src to dst with the edits that put l in the XMP packet,
// written with opts, and blank labels elsewhere.
func (lay *layout) write(dst io.Writer, src io.ReadSeeker, l label.Label, opts xmp.Options) error {
	var edits []edit
	primary := -1
	for i, s := range lay.segs {
		switch {
		case s.kind == kindXMP && primary < 0:
			primary = i
			p, err := opts.Set(s.payload, l)
			if err != nil {
				return &label.FormatError{Format: "jpeg", Offset: s.off, Msg: "cannot update the XMP packet in APP1 segment", Err: err}
			}
			seg, err := xmpSegment(p, s.off)
			if err != nil {
				return err
			}
			edits = append(edits, edit{s.off, s.end, seg})
		case s.kind == kindXMP && s.labels > 0:
			// A second standard XMP segment (not allowed, but seen): its
			// label goes, so that the file keeps exactly one.
			p, err := xmp.Drop(s.payload)
			if err != nil {
				return &label.FormatError{Format: "jpeg", Offset: s.off, Msg: "cannot update the XMP packet in APP1 segment", Err: err}
			}
			seg, err := xmpSegment(p, s.off)
			if err != nil {
				return err
			}
			edits = append(edits, edit{s.off, s.end, seg})
		case s.kind == kindExif && s.labels > 0:
			block := append([]byte(nil), s.payload...)
			if _, err := exif.BlankLabels(block); err != nil {
				return &label.FormatError{Format: "jpeg", Offset: s.off, Msg: "bad EXIF block in APP1 segment", Err: err}
			}
			edits = append(edits, edit{s.dataOff, s.dataOff + int64(len(block)), block})
		}
	}
	if primary < 0 {
		seg, err := xmpSegment(opts.New(l), -1)
		if err != nil {
			return err
		}
		at := int64(2) // after SOI, and after the APP0 and APP1 Exif segments that lead
		for _, s := range lay.segs {
			if s.marker != markerAPP0 && !(s.marker == markerAPP1 && s.kind == kindExif) {
				break
			}
			at = s.end
		}
		edits = append(edits, edit{at, at, seg})
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].off < edits[j].off })
	// The offsets of a multi-picture (MPF) index count from its own APP2
	// segment to the images after EOI: a size change after that segment
	// would break them.
	for _, s := range lay.segs {
		if s.kind != kindMPF {
			continue
		}
		for _, e := range edits {
			if e.off > s.off && int64(len(e.data)) != e.end-e.off {
				return label.Unsupported("jpeg", s.off, "the XMP segment follows a multi-picture (MPF) index whose offsets it would move")
			}
		}
	}

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

// xmpSegment returns the APP1 segment carrying packet; off is the offset of
// the segment it replaces, for errors.
func xmpSegment(packet []byte, off int64) ([]byte, error) {
	n := len(headerXMP) + len(packet)
	if n > maxPayload {
		return nil, label.Unsupported("jpeg", off, "XMP packet of %d bytes does not fit in one APP1 segment (at most %d); extended XMP is not written", len(packet), maxPayload-len(headerXMP))
	}
	seg := make([]byte, 0, 4+n)
	seg = append(seg, 0xFF, markerAPP1, byte((n+2)>>8), byte(n+2))
	seg = append(seg, headerXMP...)
	return append(seg, packet...), nil
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
		return fmt.Errorf("jpeg: source ended after %d of %d bytes at offset %d (file changed while copying?): %w", c, n, off, io.ErrUnexpectedEOF)
	}
	return err
}
