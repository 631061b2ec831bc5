package c2pa

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/aigcmark/aigcmark/label"
)

// uuid is a 16-byte JUMBF type.
type uuid [16]byte

func (u uuid) String() string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// c2paType returns the type UUID C2PA builds from a four-character code:
// the code followed by 0011-0010-8000-00AA00389B71 (C2PA 11.1, ISO/IEC
// 19566-5 table B.1).
func c2paType(cc string) uuid {
	var u uuid
	copy(u[:4], cc)
	copy(u[4:], []byte{0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71})
	return u
}

// JUMBF superbox types C2PA uses.
var (
	typeStore      = c2paType("c2pa") // manifest store
	typeManifest   = c2paType("c2ma") // standard manifest
	typeUpdate     = c2paType("c2um") // update manifest
	typeAssertions = c2paType("c2as") // assertion store
	typeClaim      = c2paType("c2cl") // claim
	typeSignature  = c2paType("c2cs") // claim signature
	typeCBOR       = c2paType("cbor") // CBOR content
	typeJSON       = c2paType("json") // JSON content
	typeUUID       = c2paType("uuid") // UUID content
	typeEmbedded   = uuid{0x40, 0xCB, 0x0C, 0x32, 0xBB, 0x8A, 0x48, 0x9D, 0xA7, 0x0B, 0x2A, 0xD6, 0xF4, 0x7F, 0x43, 0x69}
)

// box is one ISO BMFF-style box of a JUMBF structure, held in memory.
type box struct {
	typ  string // four characters
	off  int64  // offset of the header in the store
	data []byte // the payload after the header
}

// Description box toggles (ISO/IEC 19566-5, B.3).
const (
	toggleRequestable = 0x01
	toggleLabel       = 0x02
	toggleID          = 0x04
	toggleHash        = 0x08
	togglePrivate     = 0x10
)

// superbox is a parsed 'jumb' box: its description and the boxes after it.
type superbox struct {
	off     int64
	typ     uuid
	label   string
	content []box
}

// readBoxes splits b, which starts at offset base of the store, into boxes.
func readBoxes(b []byte, base int64) ([]box, error) {
	var out []box
	for off := 0; off < len(b); {
		at := base + int64(off)
		if len(b)-off < 8 {
			return nil, label.Truncated("jumbf", at, fmt.Sprintf("box header (%d bytes left)", len(b)-off))
		}
		size := uint64(binary.BigEndian.Uint32(b[off:]))
		typ := string(b[off+4 : off+8])
		hdr := uint64(8)
		switch size {
		case 0: // to the end of the enclosing box
			size = uint64(len(b) - off)
		case 1:
			if len(b)-off < 16 {
				return nil, label.Truncated("jumbf", at, "box 64-bit size")
			}
			size, hdr = binary.BigEndian.Uint64(b[off+8:]), 16
		}
		if size < hdr {
			return nil, label.Corrupt("jumbf", at, "box %q claims %d bytes, less than its %d-byte header", typ, size, hdr)
		}
		if size > uint64(len(b)-off) {
			return nil, label.Corrupt("jumbf", at, "box %q claims %d bytes, %d remain", typ, size, len(b)-off)
		}
		out = append(out, box{typ: typ, off: at, data: b[off+int(hdr) : off+int(size)]})
		off += int(size)
	}
	return out, nil
}

// parseSuperbox reads a 'jumb' box: its leading 'jumd' description box and
// the content boxes after it.
func parseSuperbox(j box) (superbox, error) {
	s := superbox{off: j.off}
	kids, err := readBoxes(j.data, j.off+8)
	if err != nil {
		return s, err
	}
	if len(kids) == 0 || kids[0].typ != "jumd" {
		return s, label.Corrupt("jumbf", j.off, "superbox does not start with a description box")
	}
	d := kids[0]
	p := d.data
	if len(p) < 17 {
		return s, label.Corrupt("jumbf", d.off, "description box has %d bytes, fewer than 17", len(p))
	}
	copy(s.typ[:], p[:16])
	toggles := p[16]
	p = p[17:]
	if toggles&toggleLabel != 0 {
		end := bytes.IndexByte(p, 0)
		if end < 0 {
			return s, label.Corrupt("jumbf", d.off, "description label is not NUL-terminated")
		}
		s.label, p = string(p[:end]), p[end+1:]
	}
	if toggles&toggleID != 0 {
		if len(p) < 4 {
			return s, label.Truncated("jumbf", d.off, "description ID")
		}
		p = p[4:]
	}
	if toggles&toggleHash != 0 {
		if len(p) < 32 {
			return s, label.Truncated("jumbf", d.off, "description hash")
		}
		p = p[32:]
	}
	if toggles&togglePrivate != 0 {
		if _, err := readBoxes(p, -1); err != nil {
			return s, label.Corrupt("jumbf", d.off, "description private box is malformed")
		}
	}
	s.content = kids[1:]
	return s, nil
}

// superboxes returns the 'jumb' boxes among bs, parsed.
func superboxes(bs []box) ([]superbox, error) {
	var out []superbox
	for _, b := range bs {
		if b.typ != "jumb" {
			continue
		}
		s, err := parseSuperbox(b)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// children parses the superboxes inside s.
func (s superbox) children() ([]superbox, error) { return superboxes(s.content) }

// first returns the data of the first content box of type typ, if any.
func (s superbox) first(typ string) ([]byte, bool) {
	for _, b := range s.content {
		if b.typ == typ {
			return b.data, true
		}
	}
	return nil, false
}
