package c2pa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
)

// bmffUUID is the extended type of the ISO BMFF box C2PA stores manifests in.
var bmffUUID = uuid{0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81}

const pngSignature = "\x89PNG\r\n\x1a\n"

// maxBoxes bounds the top-level boxes, segments or chunks a walker visits.
const maxBoxes = 1 << 20

// Find looks for C2PA manifest stores in the file r, telling the container
// from its first bytes (JPEG, PNG, ISO BMFF, RIFF or a bare JUMBF store),
// and returns the manifests of every store found, each with where it was.
// A file without C2PA data gives no manifests and no error; a file of no
// known container gives an error matching label.ErrUnknownFormat.
//
// Errors about the container or the store are *label.FormatError values
// matching label.ErrCorrupt or label.ErrUnsupported. Only the metadata is
// read: walkers skip the media payload.
func Find(r io.ReadSeeker) ([]Manifest, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	head := make([]byte, min(size, 16))
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	switch {
	case len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return findJPEG(r, size)
	case bytes.HasPrefix(head, []byte(pngSignature)):
		return findPNG(r, size)
	case len(head) >= 12 && (string(head[:4]) == "RIFF" || string(head[:4]) == "RF64" || string(head[:4]) == "BW64"):
		return findRIFF(r, head)
	case len(head) >= 8 && string(head[4:8]) == "jumb":
		if size > label.MaxMetadata {
			return nil, label.Unsupported("jumbf", 0, "manifest store of %d bytes is over the limit of %d", size, label.MaxMetadata)
		}
		b, err := readAt(r, 0, size, "jumbf", "manifest store")
		if err != nil {
			return nil, err
		}
		return located(b, SourceJUMBF, "a bare JUMBF file", 0)
	case len(head) >= 8 && bmffTop[string(head[4:8])]:
		return findBMFF(r, size)
	}
	return nil, fmt.Errorf("c2pa: %w", label.ErrUnknownFormat)
}

// bmffTop lists box types an ISO BMFF file may start with.
var bmffTop = map[string]bool{"ftyp": true, "styp": true, "moov": true, "mdat": true, "free": true, "skip": true, "wide": true, "uuid": true}

// located parses a store found in a container and marks where it was.
func located(b []byte, source, where string, off int64) ([]Manifest, error) {
	ms, err := parseStore(b)
	if err != nil {
		fe := &label.FormatError{Format: "c2pa", Offset: off, Msg: "manifest store in " + where, Err: err}
		var inner *label.FormatError
		fe.Unsupported = errors.As(err, &inner) && inner.Unsupported
		return nil, fe
	}
	for i := range ms {
		ms[i].Source, ms[i].Where, ms[i].Offset = source, where, off
	}
	return ms, nil
}

// readAt reads n bytes at off (n already bounded by the caller).
func readAt(r io.ReadSeeker, off, n int64, format, what string) ([]byte, error) {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := label.ReadAtMost(r, n, label.MaxMetadata+64)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, label.Truncated(format, off, what)
	}
	return b, err
}

// packet is one APP11 segment of a JUMBF box split over several.
type packet struct {
	seq  uint32
	off  int64  // offset of the segment's marker
	data []byte // the box bytes after the repeated box header
}

// jpegBox gathers the packets of one JUMBF box instance.
type jpegBox struct {
	instance uint16
	off      int64  // offset of its first segment in the file
	header   []byte // LBox, TBox and XLBox from the first packet
	packets  []packet
}

// findJPEG walks the marker segments up to the first SOS and reassembles
// the JUMBF boxes of APP11 segments (ISO/IEC 19566-5 annex D.2): each
// segment holds "JP", a box instance number, a packet sequence number, the
// box header repeated, and the next piece of the box's payload.
func findJPEG(r io.ReadSeeker, size int64) ([]Manifest, error) {
	var (
		boxes []*jpegBox
		kept  int64
		pos   int64 = 2
	)
	for n := 0; ; n++ {
		if n >= maxBoxes {
			return nil, label.Unsupported("jpeg", pos, "more than %d marker segments", maxBoxes)
		}
		if size-pos < 2 {
			break // no SOS: an abbreviated or truncated file; report what was found
		}
		h, err := readAt(r, pos, 2, "jpeg", "marker")
		if err != nil {
			return nil, err
		}
		if h[0] != 0xFF {
			return nil, label.Corrupt("jpeg", pos, "expected a marker, found byte 0x%02X", h[0])
		}
		m := h[1]
		if m == 0xFF { // fill byte
			pos++
			continue
		}
		off := pos
		pos += 2
		if m == 0xDA || m == 0xD9 { // SOS, EOI: APP segments come before
			break
		}
		if m == 0x01 || m >= 0xD0 && m <= 0xD7 || m == 0xD8 {
			continue // standalone markers
		}
		if size-pos < 2 {
			return nil, label.Truncated("jpeg", off, "segment length")
		}
		lb, err := readAt(r, pos, 2, "jpeg", "segment length")
		if err != nil {
			return nil, err
		}
		ln := int64(binary.BigEndian.Uint16(lb))
		if ln < 2 || ln-2 > size-pos-2 {
			return nil, label.Corrupt("jpeg", off, "segment 0xFF%02X has length %d, %d bytes remain", m, ln, size-pos)
		}
		data := pos + 2
		pos += ln
		if m != 0xEB || ln-2 < 8+8 {
			continue
		}
		p, err := readAt(r, data, ln-2, "jpeg", "APP11 segment")
		if err != nil {
			return nil, err
		}
		if string(p[:2]) != "JP" {
			continue
		}
		instance, seq := binary.BigEndian.Uint16(p[2:4]), binary.BigEndian.Uint32(p[4:8])
		p = p[8:]
		hdr := 8
		if binary.BigEndian.Uint32(p) == 1 {
			hdr = 16
			if len(p) < hdr {
				return nil, label.Truncated("jpeg", off, "JUMBF box header in APP11 segment")
			}
		}
		var jb *jpegBox
		for _, b := range boxes {
			if b.instance == instance {
				jb = b
			}
		}
		if jb == nil {
			jb = &jpegBox{instance: instance, off: off, header: p[:hdr]}
			boxes = append(boxes, jb)
		} else if !bytes.Equal(jb.header, p[:hdr]) {
			return nil, label.Corrupt("jpeg", off, "APP11 segment of JUMBF box instance %d repeats a different box header", instance)
		}
		if kept += int64(len(p) - hdr); kept > label.MaxMetadata {
			return nil, label.Unsupported("jpeg", off, "more than %d bytes of JUMBF in APP11 segments", label.MaxMetadata)
		}
		jb.packets = append(jb.packets, packet{seq: seq, off: off, data: p[hdr:]})
	}
	var out []Manifest
	for _, jb := range boxes {
		b, err := jb.assemble()
		if err != nil {
			return nil, err
		}
		if !isStore(b) {
			continue // another kind of JUMBF box
		}
		first, last := jb.packets[0], jb.packets[len(jb.packets)-1]
		where := fmt.Sprintf("APP11 segments %d-%d (JUMBF box instance %d)", first.seq, last.seq, jb.instance)
		if len(jb.packets) == 1 {
			where = fmt.Sprintf("APP11 segment (JUMBF box instance %d)", jb.instance)
		}
		ms, err := located(b, SourceJPEG, where, jb.off)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// assemble puts the packets in sequence order, checks that none is missing
// or repeated and that they add up to the size the box header gives, and
// returns the whole box.
func (jb *jpegBox) assemble() ([]byte, error) {
	sort.SliceStable(jb.packets, func(i, j int) bool { return jb.packets[i].seq < jb.packets[j].seq })
	n := int64(len(jb.header))
	for i, p := range jb.packets {
		if i > 0 && p.seq == jb.packets[i-1].seq {
			return nil, label.Corrupt("jpeg", p.off, "JUMBF box instance %d has two APP11 segments with sequence number %d", jb.instance, p.seq)
		}
		if i > 0 && p.seq != jb.packets[i-1].seq+1 {
			return nil, label.Corrupt("jpeg", p.off, "JUMBF box instance %d lacks APP11 segment %d", jb.instance, jb.packets[i-1].seq+1)
		}
		n += int64(len(p.data))
	}
	want := int64(binary.BigEndian.Uint32(jb.header))
	if want == 1 {
		want = int64(min(binary.BigEndian.Uint64(jb.header[8:]), 1<<62))
	}
	if want != 0 && want != n {
		return nil, label.Corrupt("jpeg", jb.packets[0].off, "JUMBF box instance %d claims %d bytes, its APP11 segments hold %d", jb.instance, want, n)
	}
	b := make([]byte, 0, n)
	b = append(b, jb.header...)
	for _, p := range jb.packets {
		b = append(b, p.data...)
	}
	return b, nil
}

// findPNG walks the chunks and reads each caBX chunk (CRC checked).
func findPNG(r io.ReadSeeker, size int64) ([]Manifest, error) {
	var out []Manifest
	pos := int64(len(pngSignature))
	for n := 0; pos < size; n++ {
		if n >= maxBoxes {
			return nil, label.Unsupported("png", pos, "more than %d chunks", maxBoxes)
		}
		if size-pos < 12 {
			return nil, label.Truncated("png", pos, "chunk")
		}
		h, err := readAt(r, pos, 8, "png", "chunk header")
		if err != nil {
			return nil, err
		}
		ln, typ := int64(binary.BigEndian.Uint32(h)), string(h[4:8])
		if ln > size-pos-12 {
			return nil, label.Corrupt("png", pos, "%q chunk claims %d bytes, %d remain", typ, ln, size-pos-12)
		}
		off := pos
		pos += 12 + ln
		switch typ {
		case "IEND":
			return out, nil
		case "caBX":
			if ln > label.MaxMetadata {
				return nil, label.Unsupported("png", off, "caBX chunk of %d bytes is over the limit of %d", ln, label.MaxMetadata)
			}
			b, err := readAt(r, off+8, ln+4, "png", "caBX chunk")
			if err != nil {
				return nil, err
			}
			data, sum := b[:ln], binary.BigEndian.Uint32(b[ln:])
			crc := crc32.NewIEEE()
			crc.Write(h[4:8])
			crc.Write(data)
			if crc.Sum32() != sum {
				return nil, label.Corrupt("png", off, "caBX chunk has CRC %08x, its data gives %08x", sum, crc.Sum32())
			}
			ms, err := located(data, SourcePNG, "caBX chunk", off)
			if err != nil {
				return nil, err
			}
			out = append(out, ms...)
		}
	}
	return out, nil // no IEND: report what was found
}

// findBMFF walks the top-level boxes and reads each C2PA uuid box: after
// the extended type, a FullBox version and flags, a NUL-terminated purpose
// and, for the purpose "manifest", a 64-bit offset (of any Merkle box)
// followed by the manifest store. Boxes of other purposes ("merkle") hold
// no store and are passed over.
func findBMFF(r io.ReadSeeker, size int64) ([]Manifest, error) {
	var out []Manifest
	for pos, n := int64(0), 0; pos < size; n++ {
		if n >= maxBoxes {
			return nil, label.Unsupported("mp4", pos, "more than %d top-level boxes", maxBoxes)
		}
		if size-pos < 8 {
			return nil, label.Truncated("mp4", pos, "box header")
		}
		h, err := readAt(r, pos, min(size-pos, 32), "mp4", "box header")
		if err != nil {
			return nil, err
		}
		bsize, typ, hdr := uint64(binary.BigEndian.Uint32(h)), string(h[4:8]), int64(8)
		switch bsize {
		case 0:
			bsize = uint64(size - pos)
		case 1:
			if len(h) < 16 {
				return nil, label.Truncated("mp4", pos, "64-bit box size")
			}
			bsize, hdr = binary.BigEndian.Uint64(h[8:]), 16
		}
		if bsize < uint64(hdr) || bsize > uint64(size-pos) {
			return nil, label.Corrupt("mp4", pos, "box %q claims %d bytes, %d remain", typ, bsize, size-pos)
		}
		off := pos
		pos += int64(bsize)
		if typ != "uuid" || int64(bsize) < hdr+16 || uuid(h[hdr:hdr+16]) != bmffUUID {
			continue
		}
		body := int64(bsize) - hdr - 16
		if body > label.MaxMetadata+64 {
			return nil, label.Unsupported("mp4", off, "C2PA uuid box of %d bytes is over the limit of %d", bsize, label.MaxMetadata)
		}
		p, err := readAt(r, off+hdr+16, body, "mp4", "C2PA uuid box")
		if err != nil {
			return nil, err
		}
		if len(p) < 5 {
			return nil, label.Corrupt("mp4", off, "C2PA uuid box has %d bytes after its type, too few for version, flags and purpose", len(p))
		}
		if p[0] != 0 {
			return nil, label.Unsupported("mp4", off, "C2PA uuid box version %d", p[0])
		}
		end := bytes.IndexByte(p[4:], 0)
		if end < 0 {
			return nil, label.Corrupt("mp4", off, "C2PA uuid box purpose is not NUL-terminated")
		}
		purpose, rest := string(p[4:4+end]), p[4+end+1:]
		if purpose != "manifest" {
			continue
		}
		if len(rest) < 8 {
			return nil, label.Truncated("mp4", off, "C2PA uuid box Merkle offset")
		}
		ms, err := located(rest[8:], SourceBMFF, "uuid box (C2PA, purpose manifest)", off)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// findRIFF walks the top-level chunks with label/riff and reads each C2PA
// chunk.
func findRIFF(r io.ReadSeeker, head []byte) ([]Manifest, error) {
	format := "riff"
	switch string(head[8:12]) {
	case "WAVE":
		format = "wav"
	case "WEBP":
		format = "webp"
	case "AVI ":
		format = "avi"
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	rd, err := riff.NewReader(r, format)
	if err != nil {
		return nil, err
	}
	var out []Manifest
	err = rd.Walk(func(c riff.Chunk) error {
		if c.ID != "C2PA" {
			return nil
		}
		b, err := rd.ReadData(c, label.MaxMetadata)
		if err != nil {
			return err
		}
		ms, err := located(b, SourceRIFF, "C2PA chunk", c.Offset)
		if err != nil {
			return err
		}
		out = append(out, ms...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
