package traces

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
)

// Kinds of metadata block.
const (
	kindText = iota // a PNG text chunk: key and value
	kindEXIF        // a TIFF structure
	kindXMP         // an XMP packet
)

// block is one piece of metadata a container holds.
type block struct {
	kind  int
	src   string // for text: "png-text", "jpeg COM", "gif comment"
	key   string // PNG text keyword
	data  []byte
	where string // "tEXt chunk at offset 33"
}

// budget counts the metadata bytes held for one file.
type budget struct {
	format string
	used   int64
}

func (b *budget) take(off, n int64) error {
	if n < 0 || b.used+n > maxTotal {
		return corrupt(b.format, off, "metadata over %d bytes", maxTotal)
	}
	b.used += n
	return nil
}

// collect sniffs r and returns its metadata blocks.
func collect(r io.ReadSeeker) ([]block, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 12)
	n, _ := io.ReadFull(r, head)
	head = head[:n]
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return pngBlocks(r, size)
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8}):
		return jpegBlocks(r)
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return webpBlocks(r)
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return gifBlocks(r)
	case len(head) >= 8 && isBoxType(head[4:8]):
		return mp4Blocks(r, size)
	}
	return nil, ErrUnknownFormat
}

// pngBlocks returns the text, eXIf and XMP chunks of a PNG file. CRCs are
// not checked: label/png does that; here a damaged chunk is still evidence.
func pngBlocks(r io.ReadSeeker, size int64) ([]block, error) {
	const f = "png"
	bud := &budget{format: f}
	var out []block
	off := int64(8)
	for range 1 << 16 {
		if size-off < 12 {
			return out, truncated(f, off, "chunk")
		}
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return out, err
		}
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return out, truncated(f, off, "chunk header")
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		if n > size-off-12 {
			return out, corrupt(f, off, "%q chunk claims %d bytes, %d remain", typ, n, size-off-12)
		}
		switch typ {
		case "IEND":
			return out, nil
		case "tEXt", "zTXt", "iTXt", "eXIf":
			if err := bud.take(off, n); err != nil {
				return out, err
			}
			data, err := label.ReadAtMost(r, n, maxTotal)
			if err != nil {
				return out, truncated(f, off, typ+" chunk")
			}
			where := fmt.Sprintf("%s chunk at offset %d", typ, off)
			if typ == "eXIf" {
				out = append(out, block{kind: kindEXIF, data: data, where: where})
				break
			}
			key, val, err := pngText(typ, data)
			if err != nil {
				return out, corrupt(f, off, "%s chunk: %v", typ, err)
			}
			if extra := int64(len(val)) - n; extra > 0 { // decompressed text
				if err := bud.take(off, extra); err != nil {
					return out, err
				}
			}
			if typ == "iTXt" && key == "XML:com.adobe.xmp" {
				out = append(out, block{kind: kindXMP, data: val, where: where})
			} else {
				out = append(out, block{kind: kindText, src: "png-text", key: key, data: val, where: where})
			}
		}
		off += 12 + n
	}
	return out, corrupt(f, off, "more than %d chunks", 1<<16)
}

// pngText parses the data of a tEXt, zTXt or iTXt chunk into keyword and
// value (decompressed, bounded).
func pngText(typ string, data []byte) (string, []byte, error) {
	nul := bytes.IndexByte(data, 0)
	if nul < 1 || nul > 79 {
		return "", nil, fmt.Errorf("no valid keyword")
	}
	key, data := string(data[:nul]), data[nul+1:]
	switch typ {
	case "zTXt":
		if len(data) < 1 {
			return key, nil, fmt.Errorf("%q: no compression method", key)
		}
		v, err := inflate(data[1:])
		return key, v, err
	case "iTXt":
		if len(data) < 2 {
			return key, nil, fmt.Errorf("%q: truncated", key)
		}
		flag := data[0]
		rest := data[2:]
		for range 2 { // language tag, translated keyword
			i := bytes.IndexByte(rest, 0)
			if i < 0 {
				return key, nil, fmt.Errorf("%q: unterminated header", key)
			}
			rest = rest[i+1:]
		}
		if flag == 1 {
			v, err := inflate(rest)
			return key, v, err
		}
		return key, rest, nil
	}
	return key, data, nil
}

// inflate decompresses zlib data, at most maxTotal bytes.
func inflate(data []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("bad compressed text: %v", err)
	}
	defer zr.Close()
	v, err := io.ReadAll(io.LimitReader(zr, maxTotal+1))
	if err != nil {
		return nil, fmt.Errorf("bad compressed text: %v", err)
	}
	if len(v) > maxTotal {
		return nil, fmt.Errorf("text decompresses to more than %d bytes", maxTotal)
	}
	return v, nil
}

var (
	headerXMP  = []byte("http://ns.adobe.com/xap/1.0/\x00")
	headerExif = []byte("Exif\x00")
)

// jpegBlocks returns the EXIF and XMP APP1 segments and COM segments before
// the first SOS.
func jpegBlocks(r io.ReadSeeker) ([]block, error) {
	const f = "jpeg"
	br := bufio.NewReader(r)
	pos := int64(2)
	if _, err := br.Discard(2); err != nil {
		return nil, truncated(f, 0, "SOI")
	}
	bud := &budget{format: f}
	var out []block
	for range 1 << 16 {
		at := pos
		m, err := br.ReadByte()
		if err != nil {
			return out, truncated(f, at, "marker")
		}
		pos++
		if m != 0xFF {
			return out, corrupt(f, at, "expected a marker, found 0x%02X", m)
		}
		for m == 0xFF { // fill bytes
			if m, err = br.ReadByte(); err != nil {
				return out, truncated(f, at, "marker")
			}
			pos++
		}
		switch {
		case m == 0xD9 || m == 0xDA: // EOI, SOS: the header ends
			return out, nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7) || m == 0x00:
			continue // standalone markers
		}
		var lb [2]byte
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			return out, truncated(f, at, "segment length")
		}
		n := int64(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return out, corrupt(f, at, "segment length %d", n+2)
		}
		pos += 2 + n
		if m != 0xE1 && m != 0xFE {
			if _, err := br.Discard(int(n)); err != nil {
				return out, truncated(f, at, "segment")
			}
			continue
		}
		if err := bud.take(at, n); err != nil {
			return out, err
		}
		p, err := label.ReadAtMost(br, n, 0xFFFF)
		if err != nil {
			return out, truncated(f, at, "segment")
		}
		switch {
		case m == 0xFE:
			out = append(out, block{kind: kindText, src: "jpeg COM", key: "Comment", data: p, where: fmt.Sprintf("COM segment at offset %d", at)})
		case bytes.HasPrefix(p, headerExif) && len(p) >= 6:
			out = append(out, block{kind: kindEXIF, data: p[6:], where: fmt.Sprintf("APP1 Exif segment at offset %d", at)})
		case bytes.HasPrefix(p, headerXMP):
			out = append(out, block{kind: kindXMP, data: p[len(headerXMP):], where: fmt.Sprintf("APP1 XMP segment at offset %d", at)})
		}
	}
	return out, corrupt(f, pos, "more than %d segments", 1<<16)
}

// webpBlocks returns the EXIF and XMP chunks of a WebP file.
func webpBlocks(r io.ReadSeeker) ([]block, error) {
	const f = "webp"
	rd, err := riff.NewReader(r, f)
	if err != nil {
		return nil, err
	}
	bud := &budget{format: f}
	var out []block
	err = rd.Walk(func(c riff.Chunk) error {
		if c.ID != "EXIF" && c.ID != "XMP " {
			return nil
		}
		if err := bud.take(c.Offset, c.Size); err != nil {
			return err
		}
		d, err := rd.ReadData(c, maxTotal)
		if err != nil {
			return err
		}
		where := fmt.Sprintf("%q chunk at offset %d", c.ID, c.Offset)
		if c.ID == "EXIF" {
			out = append(out, block{kind: kindEXIF, data: bytes.TrimPrefix(d, []byte("Exif\x00\x00")), where: where})
		} else {
			out = append(out, block{kind: kindXMP, data: d, where: where})
		}
		return nil
	})
	return out, err
}

// gifBlocks returns the XMP application extensions and comment extensions
// of a GIF file, skipping image data sub-block by sub-block.
func gifBlocks(r io.ReadSeeker) ([]block, error) {
	const f = "gif"
	br := bufio.NewReader(r)
	var pos int64
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		_, err := io.ReadFull(br, b)
		pos += int64(n)
		return b, err
	}
	// subs reads sub-blocks; with keep it returns their bytes, length bytes
	// included (the XMP extension's raw form).
	bud := &budget{format: f}
	subs := func(at int64, keep bool) ([]byte, error) {
		var raw []byte
		for {
			n, err := br.ReadByte()
			if err != nil {
				return nil, truncated(f, at, "sub-blocks")
			}
			pos++
			if n == 0 {
				return raw, nil
			}
			if keep {
				if err := bud.take(at, int64(n)+1); err != nil {
					return nil, err
				}
				raw = append(raw, n)
				b, err := read(int(n))
				if err != nil {
					return nil, truncated(f, at, "sub-block")
				}
				raw = append(raw, b...)
			} else {
				if _, err := br.Discard(int(n)); err != nil {
					return nil, truncated(f, at, "sub-block")
				}
				pos += int64(n)
			}
		}
	}
	h, err := read(13)
	if err != nil {
		return nil, truncated(f, 0, "header")
	}
	if h[10]&0x80 != 0 {
		n := 3 << (h[10]&7 + 1)
		if _, err := br.Discard(n); err != nil {
			return nil, truncated(f, 13, "global colour table")
		}
		pos += int64(n)
	}
	var out []block
	for range 1 << 20 {
		at := pos
		intro, err := br.ReadByte()
		if err != nil {
			return out, truncated(f, at, "block")
		}
		pos++
		switch intro {
		case 0x3B:
			return out, nil
		case 0x2C:
			d, err := read(9)
			if err != nil {
				return out, truncated(f, at, "image descriptor")
			}
			if d[8]&0x80 != 0 {
				n := 3 << (d[8]&7 + 1)
				if _, err := br.Discard(n); err != nil {
					return out, truncated(f, at, "local colour table")
				}
				pos += int64(n)
			}
			if _, err := read(1); err != nil {
				return out, truncated(f, at, "image data")
			}
			if _, err := subs(at, false); err != nil {
				return out, err
			}
		case 0x21:
			lb, err := read(1)
			if err != nil {
				return out, truncated(f, at, "extension")
			}
			switch lb[0] {
			case 0xFF:
				raw, err := subs(at, true)
				if err != nil {
					return out, err
				}
				if len(raw) >= 12 && raw[0] == 11 && string(raw[1:12]) == "XMP DataXMP" {
					out = append(out, block{kind: kindXMP, data: raw[12:], where: fmt.Sprintf("XMP application extension at offset %d", at)})
				}
			case 0xFE:
				raw, err := subs(at, true)
				if err != nil {
					return out, err
				}
				out = append(out, block{kind: kindText, src: "gif", key: "Comment", data: unblock(raw), where: fmt.Sprintf("comment extension at offset %d", at)})
			default:
				if _, err := subs(at, false); err != nil {
					return out, err
				}
			}
		default:
			return out, corrupt(f, at, "unknown block type 0x%02X", intro)
		}
	}
	return out, corrupt(f, pos, "too many blocks")
}

// unblock removes the length bytes from raw sub-blocks.
func unblock(raw []byte) []byte {
	var out []byte
	for len(raw) > 0 {
		n := int(raw[0])
		raw = raw[1:]
		n = min(n, len(raw))
		out = append(out, raw[:n]...)
		raw = raw[n:]
	}
	return out
}

// xmpUUID is the extended type of the uuid box that carries XMP.
var xmpUUID = []byte{0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC}

// isBoxType reports whether t looks like a top-level ISO BMFF box type.
func isBoxType(t []byte) bool {
	switch string(t) {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot", "uuid":
		return true
	}
	return false
}

// maxMoov bounds the moov box read into memory.
const maxMoov = 32 << 20

// mp4Blocks returns the XMP packets of an ISO BMFF file: top-level uuid
// boxes of the XMP type, and the XMP packets inside moov (udta XMP_ or
// uuid, meta items), found by their xmpmeta element. mdat is never read.
func mp4Blocks(r io.ReadSeeker, size int64) ([]block, error) {
	const f = "mp4"
	bud := &budget{format: f}
	var out []block
	off := int64(0)
	for range 1 << 16 {
		if off >= size {
			return out, nil
		}
		if size-off < 8 {
			return out, truncated(f, off, "box header")
		}
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return out, err
		}
		var h [16]byte
		if _, err := io.ReadFull(r, h[:8]); err != nil {
			return out, truncated(f, off, "box header")
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		hdr := int64(8)
		switch n {
		case 0:
			n = size - off
		case 1:
			if _, err := io.ReadFull(r, h[8:16]); err != nil {
				return out, truncated(f, off, "box header")
			}
			n = int64(binary.BigEndian.Uint64(h[8:16]))
			hdr = 16
		}
		if n < hdr || n > size-off {
			return out, corrupt(f, off, "%q box claims %d bytes, %d remain", typ, n, size-off)
		}
		if typ == "moov" || typ == "uuid" {
			if err := bud.take(off, n-hdr); err != nil {
				return out, err
			}
			p, err := label.ReadAtMost(r, n-hdr, maxMoov)
			if err != nil {
				return out, truncated(f, off, typ+" box")
			}
			if typ == "uuid" {
				if len(p) >= 16 && bytes.Equal(p[:16], xmpUUID) {
					out = append(out, block{kind: kindXMP, data: p[16:], where: fmt.Sprintf("uuid XMP box at offset %d", off)})
				}
			} else {
				for i, pk := range packets(p) {
					out = append(out, block{kind: kindXMP, data: pk, where: fmt.Sprintf("XMP packet %d in moov at offset %d", i+1, off)})
				}
			}
		}
		off += n
	}
	return out, corrupt(f, off, "more than %d boxes", 1<<16)
}

// packets returns the x:xmpmeta elements in b.
func packets(b []byte) [][]byte {
	var out [][]byte
	for len(out) < 64 {
		i := bytes.Index(b, []byte("<x:xmpmeta"))
		if i < 0 {
			return out
		}
		b = b[i:]
		j := bytes.Index(b, []byte("</x:xmpmeta>"))
		if j < 0 {
			return out
		}
		j += len("</x:xmpmeta>")
		out = append(out, b[:j])
		b = b[j:]
	}
	return out
}
