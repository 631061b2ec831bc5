package exif

import (
	"bytes"
	"encoding/binary"

	"github.com/aigcmark/aigcmark/label"
)

// TIFF field types whose values are single bytes: BYTE, ASCII, UNDEFINED.
// UserComment is UNDEFINED; writers that use the other two are tolerated.
const (
	typeByte      = 1
	typeASCII     = 2
	typeShort     = 3
	typeLong      = 4
	typeUndefined = 7
	typeIFD       = 13
)

// comments walks the TIFF structure of block — IFD0, the IFDs chained after
// it, and the Exif sub-IFDs they point to — and returns every UserComment.
// Offsets in errors are base plus the offset in the block.
func comments(block []byte, base int64) ([]comment, error) {
	if len(block) < 8 {
		return nil, label.Truncated("exif", base, "TIFF header")
	}
	order := tiffOrder(block)
	if order == nil {
		return nil, label.Corrupt("exif", base, "no TIFF header (starts % x)", block[:4])
	}
	w := walker{block: block, base: base, order: order, visited: map[uint32]bool{}}
	next := order.Uint32(block[4:])
	// IFD0 and its chain. A bad next-IFD pointer past IFD0 ends the chain
	// without an error: those IFDs hold thumbnails, never the label, and
	// cameras are known to leave junk there.
	for i := 0; next != 0; i++ {
		if i > 0 && (w.visited[next] || int64(next) > int64(len(block))-2 || next < 8) {
			break
		}
		n, err := w.ifd(next, true)
		if err != nil {
			return nil, err
		}
		next = n
	}
	return w.found, nil
}

// tiffOrder returns the byte order the TIFF header at the start of block
// names, or nil if block does not start with one.
func tiffOrder(block []byte) binary.ByteOrder {
	switch {
	case bytes.HasPrefix(block, []byte("II*\x00")):
		return binary.LittleEndian
	case bytes.HasPrefix(block, []byte("MM\x00*")):
		return binary.BigEndian
	}
	return nil
}

// Orientation returns the Orientation (TagOrientation, 1..8) of IFD0 in
// the TIFF structure block — an EXIF block after any "Exif\x00\x00"
// header — or 1 when block holds no valid one. A malformed block is not
// an error: viewers then show the picture as stored, and so does the
// caller. Only IFD0's entries are read, each checked against the block's
// end.
func Orientation(block []byte) int {
	order := tiffOrder(block)
	if order == nil || len(block) < 8 {
		return 1
	}
	off := int64(order.Uint32(block[4:]))
	if off < 8 || off+2 > int64(len(block)) {
		return 1
	}
	end := off + 2 + 12*int64(order.Uint16(block[off:]))
	for e := off + 2; e < end && e+12 <= int64(len(block)); e += 12 {
		if order.Uint16(block[e:]) != TagOrientation {
			continue
		}
		typ, count := order.Uint16(block[e+2:]), order.Uint32(block[e+4:])
		if v := int(order.Uint16(block[e+8:])); typ == typeShort && count == 1 && v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

type walker struct {
	block   []byte
	base    int64
	order   binary.ByteOrder
	visited map[uint32]bool
	found   []comment
}

// ifd reads the IFD at off, collects its UserComments, descends into Exif
// sub-IFDs when top is set, and returns the next-IFD pointer (0 if none).
func (w *walker) ifd(off uint32, top bool) (uint32, error) {
	b := w.block
	at := w.base + int64(off)
	if w.visited[off] {
		return 0, nil // a loop: every IFD is read once
	}
	if len(w.visited) >= maxIFDs {
		return 0, label.Corrupt("exif", at, "more than %d IFDs", maxIFDs)
	}
	w.visited[off] = true
	if off < 8 || int64(off)+2 > int64(len(b)) {
		return 0, label.Corrupt("exif", w.base, "IFD offset %d outside the %d-byte block", off, len(b))
	}
	count := int64(w.order.Uint16(b[off:]))
	end := int64(off) + 2 + 12*count
	if end > int64(len(b)) {
		return 0, label.Corrupt("exif", at, "IFD claims %d entries (%d bytes), %d bytes remain", count, 12*count, int64(len(b))-int64(off)-2)
	}
	var subs []uint32
	for e := int64(off) + 2; e < end; e += 12 {
		tag := w.order.Uint16(b[e:])
		typ := w.order.Uint16(b[e+2:])
		cnt := w.order.Uint32(b[e+4:])
		val := w.order.Uint32(b[e+8:])
		switch tag {
		case TagExifIFD:
			if !top || cnt != 1 || (typ != typeLong && typ != typeIFD) {
				continue
			}
			subs = append(subs, val)
		case TagUserComment:
			if typ != typeUndefined && typ != typeByte && typ != typeASCII {
				continue
			}
			voff := int64(val)
			if cnt <= 4 {
				voff = e + 8
			}
			if voff+int64(cnt) > int64(len(b)) {
				return 0, label.Corrupt("exif", w.base+e, "UserComment of %d bytes at offset %d runs past the %d-byte block", cnt, voff, len(b))
			}
			w.found = append(w.found, w.comment(int(voff), int(cnt)))
		}
	}
	var next uint32
	if end+4 <= int64(len(b)) {
		next = w.order.Uint32(b[end:])
	}
	for _, s := range subs {
		if _, err := w.ifd(s, false); err != nil {
			return 0, err
		}
	}
	return next, nil
}

// comment describes the UserComment value in block[off:off+n].
func (w *walker) comment(off, n int) comment {
	c := comment{off: off, n: n, textOff: off}
	if n < 8 {
		return c // no room for a code: read the bytes as text
	}
	code := w.block[off : off+8]
	switch {
	case bytes.Equal(code, codeASCII), bytes.Equal(code, codeJIS), bytes.Equal(code, codeUndefined):
		// JIS X 0208 leaves ASCII alone, so JSON reads the same.
		c.textOff = off + 8
	case bytes.Equal(code, codeUnicode):
		c.textOff = off + 8
		c.unicode = true
		c.order = w.order
		t := w.block[off+8 : off+n]
		if len(t) >= 2 {
			switch {
			case t[0] == 0xFE && t[1] == 0xFF, t[0] == 0 && t[1] != 0:
				c.order = binary.BigEndian
			case t[0] == 0xFF && t[1] == 0xFE, t[0] != 0 && t[1] == 0:
				c.order = binary.LittleEndian
			}
		}
	}
	return c
}
