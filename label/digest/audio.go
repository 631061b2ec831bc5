package digest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"strconv"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/markdown"
)

// maxBoxes bounds the top-level boxes of an MP4 file.
const maxBoxes = 1 << 16

func sumMP4(d *hasher) error {
	off := int64(0)
	mdats := 0
	for n := 0; off < d.size; n++ {
		if n == maxBoxes {
			return label.Unsupported("mp4", off, "more than %d top-level boxes", maxBoxes)
		}
		var h [16]byte
		if err := d.readAt(off, h[:8], "box header"); err != nil {
			return err
		}
		size := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		hdr := int64(8)
		switch size {
		case 0: // to the end of the file
			size = d.size - off
		case 1:
			if err := d.readAt(off+8, h[8:16], "box size"); err != nil {
				return err
			}
			u := binary.BigEndian.Uint64(h[8:16])
			if u > uint64(d.size) {
				return label.Corrupt("mp4", off, "box %q claims %d bytes, the file has %d", typ, u, d.size)
			}
			size, hdr = int64(u), 16
		}
		if n == 0 && typ != "ftyp" && typ != "moov" && typ != "mdat" && typ != "free" && typ != "wide" && typ != "skip" {
			return label.Corrupt("mp4", 0, "not an MP4 file: first box is %q", typ)
		}
		if size < hdr {
			return label.Corrupt("mp4", off, "box %q has size %d, less than its header", typ, size)
		}
		if size > d.size-off {
			return label.Corrupt("mp4", off, "box %q claims %d bytes, %d remain in the file", typ, size, d.size-off)
		}
		if typ == "mdat" {
			if err := d.part("mdat", off+hdr, size-hdr); err != nil {
				return err
			}
			mdats++
		}
		off += size
	}
	if mdats == 0 {
		return label.Corrupt("mp4", -1, "no media data (mdat box)")
	}
	return nil
}

// id3v2Len returns the length of the ID3v2 tag whose 10-byte header is h,
// or 0 when h is not one.
func id3v2Len(h []byte) int64 {
	if len(h) < 10 || string(h[:3]) != "ID3" || h[3] == 0xFF || h[4] == 0xFF || (h[6]|h[7]|h[8]|h[9])&0x80 != 0 {
		return 0
	}
	n := int64(h[6])<<21 | int64(h[7])<<14 | int64(h[8])<<7 | int64(h[9])
	n += 10
	if h[3] == 4 && h[5]&0x10 != 0 { // footer
		n += 10
	}
	return n
}

// skipID3v2 returns the offset after the ID3v2 tags at off.
func (d *hasher) skipID3v2(off int64) (int64, error) {
	for i := 0; i < 64 && off+10 <= d.size; i++ {
		var h [10]byte
		if err := d.readAt(off, h[:], "ID3v2 header"); err != nil {
			return 0, err
		}
		n := id3v2Len(h[:])
		if n == 0 {
			return off, nil
		}
		if n > d.size-off {
			return 0, label.Corrupt(d.format, off, "ID3v2 tag claims %d bytes, %d remain in the file", n, d.size-off)
		}
		off += n
	}
	return off, nil
}

func sumMP3(d *hasher) error {
	start, err := d.skipID3v2(0)
	if err != nil {
		return err
	}
	// Zero bytes after the tags: padding some writers leave outside them.
	if start > 0 {
		var b [4096]byte
		for start < d.size {
			k := min(int64(len(b)), d.size-start)
			if err := d.readAt(start, b[:k], "audio"); err != nil {
				return err
			}
			t := bytes.TrimLeft(b[:k], "\x00")
			start += k - int64(len(t))
			if len(t) > 0 {
				break
			}
		}
	}
	end := d.size
	for i := 0; i < 8; i++ {
		var t [32]byte
		switch {
		case end-start >= 128 && d.at(end-128, t[:3]) == "TAG":
			end -= 128
		case end-start >= 32 && d.at(end-32, t[:8]) == "APETAGEX":
			if err := d.readAt(end-32, t[:], "APE tag footer"); err != nil {
				return err
			}
			n := int64(binary.LittleEndian.Uint32(t[12:16]))
			if binary.LittleEndian.Uint32(t[20:24])&(1<<31) != 0 {
				n += 32
			}
			if n < 32 || n > end-start {
				return label.Corrupt("mp3", end-32, "APE tag claims %d bytes", n)
			}
			end -= n
		case end-start >= 15 && d.at(end-9, t[:9]) == "LYRICS200":
			n, err := strconv.ParseInt(d.at(end-15, t[:6]), 10, 64)
			if err != nil || n+15 > end-start {
				return label.Corrupt("mp3", end-15, "Lyrics3v2 tag has a bad size")
			}
			end -= n + 15
		case end-start >= 20 && d.at(end-10, t[:10]) != "" && string(t[:3]) == "3DI":
			t[0], t[1], t[2] = 'I', 'D', '3'
			n := id3v2Len(t[:10])
			if n == 0 || n > end-start {
				return label.Corrupt("mp3", end-10, "appended ID3v2 tag has a bad size")
			}
			end -= n
		default:
			i = 8
		}
	}
	if end-start < 4 {
		return label.Corrupt("mp3", start, "no MPEG audio")
	}
	var h [2]byte
	if err := d.readAt(start, h[:], "audio"); err != nil {
		return err
	}
	if h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return label.Corrupt("mp3", start, "no MPEG audio frame header where the audio starts")
	}
	return d.part("audio", start, end-start)
}

// at reads len(b) bytes at off and returns them as a string, or "" when it
// cannot.
func (d *hasher) at(off int64, b []byte) string {
	if d.readAt(off, b, "") != nil {
		return ""
	}
	return string(b)
}

func sumFLAC(d *hasher) error {
	off, err := d.skipID3v2(0)
	if err != nil {
		return err
	}
	if d.at(off, make([]byte, 4)) != "fLaC" {
		return label.Corrupt("flac", off, "not a FLAC stream: no fLaC marker")
	}
	off += 4
	for n := 0; ; n++ {
		var h [4]byte
		if err := d.readAt(off, h[:], "metadata block header"); err != nil {
			return err
		}
		typ := h[0] & 0x7f
		size := int64(h[1])<<16 | int64(h[2])<<8 | int64(h[3])
		if size > d.size-off-4 {
			return label.Corrupt("flac", off, "metadata block claims %d bytes, %d remain", size, d.size-off-4)
		}
		if n == 0 {
			if typ != 0 || size != 34 {
				return label.Corrupt("flac", off, "first metadata block is not a 34-byte STREAMINFO")
			}
			if err := d.part("STREAMINFO", off+4, size); err != nil {
				return err
			}
		} else if typ == 127 {
			return label.Corrupt("flac", off, "metadata block type 127 is invalid")
		}
		off += 4 + size
		if h[0]&0x80 != 0 {
			break
		}
	}
	return d.part("frames", off, d.size-off)
}

func sumMarkdown(d *hasher) error {
	limit := int64(markdown.MaxFrontMatter) + 1
	head := make([]byte, min(d.size, limit))
	if err := d.readAt(0, head, "text"); err != nil {
		return err
	}
	final := d.size < limit
	p := 0
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		p = 3
	}
	start := int64(p)
	if text, next, ok := line(head, p, final); ok && fence(text, "---") && next > p+len(text) {
		for q := next; ; {
			text, nq, ok := line(head, q, final)
			if !ok {
				return label.Corrupt("markdown", 0, "front matter opened at line 1 is not closed (or longer than %d bytes)", markdown.MaxFrontMatter)
			}
			if nq > markdown.MaxFrontMatter {
				return label.Corrupt("markdown", 0, "front matter is longer than the limit of %d bytes", markdown.MaxFrontMatter)
			}
			if fence(text, "---") || fence(text, "...") {
				start = int64(nq)
				break
			}
			if nq == q+len(text) { // last line, no end of line
				return label.Corrupt("markdown", 0, "front matter opened at line 1 is not closed")
			}
			q = nq
		}
	}
	return d.part("body", start, d.size-start)
}

// line returns the line at p without its line ending, and where the next
// starts; ok is false when there is no complete line at p.
func line(head []byte, p int, final bool) (text []byte, next int, ok bool) {
	if p >= len(head) {
		return nil, 0, false
	}
	i := bytes.IndexByte(head[p:], '\n')
	if i < 0 {
		if !final {
			return nil, 0, false
		}
		return head[p:], len(head), true
	}
	text = head[p : p+i]
	return bytes.TrimSuffix(text, []byte("\r")), p + i + 1, true
}

func fence(text []byte, f string) bool { return string(bytes.TrimRight(text, " \t")) == f }

// Ogg.

const (
	maxOggStreams = 64
	maxIdentPkt   = 4096
)

type oggStream struct {
	index   int
	codec   string
	headers int // number of header packets, once known
	comment int // index of the comment header packet
	n       int // packets completed
	h       hash.Hash
	size    int64
	ident   []byte
	done    bool
}

func sumOgg(d *hasher) error {
	in, err := d.stream()
	if err != nil {
		return err
	}
	streams := map[uint32]*oggStream{}
	count := 0
	pages := 0
	var seg [255]byte
	var body [255 * 255]byte
	for {
		at := in.off
		var h [27]byte
		n, err := io.ReadFull(in.br, h[:])
		in.off += int64(n)
		if err == io.EOF && pages > 0 {
			break
		}
		if err != nil {
			return label.Truncated("ogg", at, "page header")
		}
		if string(h[:4]) != "OggS" || h[4] != 0 {
			return label.Corrupt("ogg", at, "no Ogg page (capture pattern OggS, version 0)")
		}
		pages++
		flags := h[5]
		serial := binary.LittleEndian.Uint32(h[14:18])
		lacing := seg[:h[26]]
		if err := in.full(lacing, "lacing table"); err != nil {
			return err
		}
		st := streams[serial]
		if st == nil || st.done && flags&2 != 0 {
			if flags&2 == 0 {
				return label.Corrupt("ogg", at, "page of stream %08x before its first page", serial)
			}
			if count == maxOggStreams {
				return label.Unsupported("ogg", at, "more than %d logical streams", maxOggStreams)
			}
			st = &oggStream{index: count, h: sha256.New()}
			count++
			streams[serial] = st
		}
		total := 0
		for _, l := range lacing {
			total += int(l)
		}
		b := body[:total]
		if err := in.full(b, "page body"); err != nil {
			return err
		}
		if flags&1 == 0 && st.size > 0 {
			return label.Corrupt("ogg", at, "stream %08x: a packet is left unfinished", serial)
		}
		p := 0
		for _, l := range lacing {
			if err := st.feed(b[p:p+int(l)], at); err != nil {
				return err
			}
			p += int(l)
			if l < 255 {
				if err := st.end(d, at); err != nil {
					return err
				}
			}
		}
		if flags&4 != 0 {
			st.done = true
		}
	}
	if count == 0 {
		return label.Corrupt("ogg", 0, "no logical stream")
	}
	return nil
}

// feed adds bytes to the packet in progress.
func (st *oggStream) feed(b []byte, at int64) error {
	if st.n == 0 {
		if len(st.ident)+len(b) > maxIdentPkt {
			return label.Unsupported("ogg", at, "identification header packet over %d bytes", maxIdentPkt)
		}
		st.ident = append(st.ident, b...)
	}
	st.h.Write(b)
	st.size += int64(len(b))
	return nil
}

// end completes the packet in progress.
func (st *oggStream) end(d *hasher, at int64) error {
	defer func() { st.n++; st.size = 0; st.h.Reset() }()
	i := st.n
	if i == 0 {
		if err := st.identify(at); err != nil {
			return err
		}
		if st.codec == "FLAC" {
			st.ident = st.ident[17:51] // STREAMINFO
		}
		d.oggPacket(st.index, int64(len(st.ident)), sha256.Sum256(st.ident))
		st.ident = nil
		return nil
	}
	if i == st.comment || st.codec == "FLAC" && i < st.headers {
		return nil
	}
	var sum [sha256.Size]byte
	st.h.Sum(sum[:0])
	d.oggPacket(st.index, st.size, sum)
	return nil
}

// oggPacket hashes one packet of stream index: its length and SHA-256.
func (d *hasher) oggPacket(index int, size int64, sum [sha256.Size]byte) {
	var b [4 + 8 + sha256.Size]byte
	binary.BigEndian.PutUint32(b[:4], uint32(index))
	binary.BigEndian.PutUint64(b[4:12], uint64(size))
	copy(b[12:], sum[:])
	d.partBytes("packet", b[:])
}

// identify finds the codec from the identification packet.
func (st *oggStream) identify(at int64) error {
	p := st.ident
	switch {
	case bytes.HasPrefix(p, []byte("\x01vorbis")):
		st.codec, st.headers, st.comment = "Vorbis", 3, 1
	case bytes.HasPrefix(p, []byte("OpusHead")):
		st.codec, st.headers, st.comment = "Opus", 2, 1
	case bytes.HasPrefix(p, []byte("\x80theora")):
		st.codec, st.headers, st.comment = "Theora", 3, 1
	case bytes.HasPrefix(p, []byte("\x7fFLAC")):
		if len(p) < 51 || string(p[9:13]) != "fLaC" {
			return label.Corrupt("ogg", at, "FLAC identification packet is malformed")
		}
		n := int(binary.BigEndian.Uint16(p[7:9]))
		if n == 0 {
			return label.Unsupported("ogg", at, "FLAC stream does not give its number of header packets")
		}
		st.codec, st.headers, st.comment = "FLAC", 1+n, -1
	default:
		return label.Unsupported("ogg", at, "unknown codec in stream %d (not Vorbis, Opus, Theora or FLAC)", st.index)
	}
	return nil
}
