package ogg

import (
	"encoding/binary"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// Page header type flags.
const (
	flagContinued = 0x01
	flagBOS       = 0x02
	flagEOS       = 0x04
)

const (
	headerLen  = 27
	maxSegs    = 255
	maxPageLen = headerLen + maxSegs + maxSegs*255
)

// page is one Ogg page; raw holds all its bytes.
type page struct {
	offset  int64
	flags   byte
	granule uint64
	serial  uint32
	seq     uint32
	lacing  []byte // the segment table
	body    []byte
	raw     []byte
}

// crcTable is the table of Ogg's CRC-32: polynomial 0x04C11DB7, not
// reflected, initial value 0, no final XOR.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for j := 0; j < 8; j++ {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func crc(c uint32, b []byte) uint32 {
	for _, x := range b {
		c = c<<8 ^ crcTable[byte(c>>24)^x]
	}
	return c
}

// pageCRC computes the checksum of a whole page, taking its CRC field as 0.
func pageCRC(raw []byte) uint32 {
	c := crc(0, raw[:22])
	c = crc(c, []byte{0, 0, 0, 0})
	return crc(c, raw[26:])
}

// readPage reads the page at offset off from r into buf (grown as needed)
// and checks it. At the clean end of the stream it returns io.EOF.
func readPage(r io.Reader, off int64, buf []byte) (*page, error) {
	if cap(buf) < maxPageLen {
		buf = make([]byte, maxPageLen)
	}
	buf = buf[:headerLen]
	n, err := io.ReadFull(r, buf)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		if n >= 4 && string(buf[:4]) != string(capture) {
			return nil, label.Corrupt(name, off, "no page capture pattern \"OggS\" (found %q)", buf[:4])
		}
		return nil, label.Truncated(name, off, "page header")
	}
	if string(buf[:4]) != string(capture) {
		return nil, label.Corrupt(name, off, "no page capture pattern \"OggS\" (found %q)", buf[:4])
	}
	if buf[4] != 0 {
		return nil, label.Unsupported(name, off, "page has stream structure version %d", buf[4])
	}
	nsegs := int(buf[26])
	buf = buf[:headerLen+nsegs]
	if _, err := io.ReadFull(r, buf[headerLen:]); err != nil {
		return nil, label.Truncated(name, off, "page segment table")
	}
	bodyLen := 0
	for _, v := range buf[headerLen:] {
		bodyLen += int(v)
	}
	hl := headerLen + nsegs
	buf = buf[:hl+bodyLen]
	if _, err := io.ReadFull(r, buf[hl:]); err != nil {
		return nil, label.Truncated(name, off, "page body")
	}
	p := &page{
		offset:  off,
		flags:   buf[5],
		granule: binary.LittleEndian.Uint64(buf[6:]),
		serial:  binary.LittleEndian.Uint32(buf[14:]),
		seq:     binary.LittleEndian.Uint32(buf[18:]),
		lacing:  buf[headerLen:hl],
		body:    buf[hl:],
		raw:     buf,
	}
	if got, want := pageCRC(buf), binary.LittleEndian.Uint32(buf[22:]); got != want {
		return nil, label.Corrupt(name, off, "page CRC is %08x, the page's bytes give %08x", want, got)
	}
	return p, nil
}

// buildPage returns the bytes of a page with the given fields, segments and
// body, with its CRC.
func buildPage(flags byte, granule uint64, serial, seq uint32, lacing, body []byte) []byte {
	b := make([]byte, headerLen, headerLen+len(lacing)+len(body))
	copy(b, capture)
	b[5] = flags
	binary.LittleEndian.PutUint64(b[6:], granule)
	binary.LittleEndian.PutUint32(b[14:], serial)
	binary.LittleEndian.PutUint32(b[18:], seq)
	b[26] = byte(len(lacing))
	b = append(b, lacing...)
	b = append(b, body...)
	binary.LittleEndian.PutUint32(b[22:], pageCRC(b))
	return b
}

// renumber sets the sequence number of a page and recomputes its CRC.
func renumber(raw []byte, seq uint32) {
	binary.LittleEndian.PutUint32(raw[18:], seq)
	binary.LittleEndian.PutUint32(raw[22:], pageCRC(raw))
}
