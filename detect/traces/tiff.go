package traces

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// exifField is one textual EXIF field.
type exifField struct {
	name string // "Software", "UserComment", …
	text string
}

// exifNames are the textual tags read, by tag number (CIPA DC-008 4.6.4,
// and Microsoft's XP tags, UTF-16LE in BYTE arrays).
var exifNames = map[uint16]string{
	0x010E: "ImageDescription",
	0x010F: "Make",
	0x0110: "Model",
	0x0131: "Software",
	0x013B: "Artist",
	0x8298: "Copyright",
	0x9286: "UserComment",
	0x9C9C: "XPComment",
	0x9C9D: "XPAuthor",
}

const (
	tagExifIFD = 0x8769
	maxIFDs    = 16
)

// exifFields walks IFD0, its chain and the Exif sub-IFD of the TIFF
// structure block and returns its textual fields. Every offset is checked
// against the block; a malformed structure gives the fields read so far.
func exifFields(block []byte) []exifField {
	if len(block) < 8 {
		return nil
	}
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(block, []byte("II*\x00")):
		order = binary.LittleEndian
	case bytes.HasPrefix(block, []byte("MM\x00*")):
		order = binary.BigEndian
	default:
		return nil
	}
	var out []exifField
	visited := map[uint32]bool{}
	queue := []uint32{order.Uint32(block[4:])}
	for len(queue) > 0 && len(visited) < maxIFDs {
		off := queue[0]
		queue = queue[1:]
		if off < 8 || visited[off] || int64(off)+2 > int64(len(block)) {
			continue
		}
		visited[off] = true
		count := int64(order.Uint16(block[off:]))
		end := int64(off) + 2 + 12*count
		if end > int64(len(block)) {
			continue
		}
		for e := int64(off) + 2; e < end; e += 12 {
			tag := order.Uint16(block[e:])
			typ := order.Uint16(block[e+2:])
			cnt := int64(order.Uint32(block[e+4:]))
			if tag == tagExifIFD && cnt == 1 && (typ == 4 || typ == 13) {
				queue = append(queue, order.Uint32(block[e+8:]))
				continue
			}
			name, ok := exifNames[tag]
			if !ok || (typ != 1 && typ != 2 && typ != 7) {
				continue
			}
			voff := int64(order.Uint32(block[e+8:]))
			if cnt <= 4 {
				voff = e + 8
			}
			if voff < 0 || cnt > int64(len(block))-voff {
				continue
			}
			v := block[voff : voff+cnt]
			var text string
			switch {
			case tag == 0x9286:
				text = userComment(v, order)
			case tag >= 0x9C9B:
				text = utf16Text(v, binary.LittleEndian)
			default:
				text = string(bytes.TrimRight(v, "\x00"))
			}
			out = append(out, exifField{name: name, text: text})
		}
		if end+4 <= int64(len(block)) {
			if next := order.Uint32(block[end:]); next != 0 {
				queue = append(queue, next)
			}
		}
	}
	return out
}

// userComment decodes a UserComment value: an 8-byte character code and
// the text (CIPA DC-008 4.6.5).
func userComment(v []byte, order binary.ByteOrder) string {
	if len(v) < 8 {
		return string(bytes.Trim(v, "\x00 "))
	}
	code, t := v[:8], v[8:]
	if bytes.Equal(code, []byte("UNICODE\x00")) {
		// A1111 (piexif) writes UTF-16 big-endian whatever the block's
		// order; tell by the zero bytes of ASCII text.
		if len(t) >= 2 {
			switch {
			case t[0] == 0xFE && t[1] == 0xFF, t[0] == 0 && t[1] != 0:
				order = binary.BigEndian
			case t[0] == 0xFF && t[1] == 0xFE, t[0] != 0 && t[1] == 0:
				order = binary.LittleEndian
			}
		}
		return utf16Text(t, order)
	}
	return string(bytes.Trim(t, "\x00 "))
}

// utf16Text decodes UTF-16 text, dropping a byte-order mark and NULs at the
// end.
func utf16Text(v []byte, order binary.ByteOrder) string {
	u := make([]uint16, len(v)/2)
	for i := range u {
		u[i] = order.Uint16(v[2*i:])
	}
	if len(u) > 0 && (u[0] == 0xFEFF) {
		u = u[1:]
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}
