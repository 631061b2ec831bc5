package digest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
)

// byteReader reads a stream byte by byte and keeps the offset.
type byteReader struct {
	br  *bufio.Reader
	off int64
	fmt string
}

func (b *byteReader) byte(what string) (byte, error) {
	c, err := b.br.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, label.Truncated(b.fmt, b.off, what)
		}
		return 0, err
	}
	b.off++
	return c, nil
}

func (b *byteReader) full(p []byte, what string) error {
	n, err := io.ReadFull(b.br, p)
	b.off += int64(n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return label.Truncated(b.fmt, b.off, what)
		}
		return err
	}
	return nil
}

func (b *byteReader) skip(n int64, what string) error {
	m, err := b.br.Discard(int(min(n, 1<<30)))
	b.off += int64(m)
	if err != nil || int64(m) < n {
		if err == io.EOF || err == nil {
			return label.Truncated(b.fmt, b.off, what)
		}
		return err
	}
	return nil
}

func (d *hasher) stream() (*byteReader, error) {
	if _, err := d.r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &byteReader{br: bufio.NewReaderSize(d.r, 64<<10), fmt: d.format}, nil
}

// sumJPEG hashes the JPEG byte stream from SOI to EOI without APPn and COM
// segments.
func sumJPEG(d *hasher) error {
	in, err := d.stream()
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(d.h, 32<<10)
	var soi [2]byte
	if err := in.full(soi[:], "SOI marker"); err != nil {
		return err
	}
	if soi != [2]byte{0xFF, 0xD8} {
		return label.Corrupt("jpeg", 0, "not a JPEG file: no SOI marker")
	}
	w.Write(soi[:])
	// pending is a marker found at the end of entropy-coded data.
	var pending byte
	for {
		at := in.off
		m := pending
		pending = 0
		if m == 0 {
			c, err := in.byte("marker")
			if err != nil {
				return err
			}
			if c != 0xFF {
				return label.Corrupt("jpeg", at, "expected a marker, found byte 0x%02X", c)
			}
			for c == 0xFF { // fill bytes
				if c, err = in.byte("marker"); err != nil {
					return err
				}
			}
			m = c
		}
		switch {
		case m == 0xD9: // EOI
			w.Write([]byte{0xFF, m})
			return w.Flush()
		case m == 0x01 || m >= 0xD0 && m <= 0xD7: // standalone
			w.Write([]byte{0xFF, m})
			continue
		case m == 0x00 || m == 0xD8:
			return label.Corrupt("jpeg", at, "unexpected marker 0xFF%02X", m)
		}
		var lb [2]byte
		if err := in.full(lb[:], "segment length"); err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint16(lb[:]))
		if n < 2 {
			return label.Corrupt("jpeg", at, "marker 0xFF%02X segment has length %d", m, n)
		}
		if m >= 0xE0 && m <= 0xEF || m == 0xFE { // APPn, COM: metadata
			if err := in.skip(n-2, "metadata segment"); err != nil {
				return err
			}
			continue
		}
		w.Write([]byte{0xFF, m, lb[0], lb[1]})
		if _, err := io.CopyN(w, in.br, n-2); err != nil {
			return label.Truncated("jpeg", at, "marker segment")
		}
		in.off += n - 2
		if m != 0xDA { // not SOS
			continue
		}
		// Entropy-coded data up to the next marker other than RSTn.
		for {
			c, err := in.byte("entropy-coded data")
			if err != nil {
				return err
			}
			if c != 0xFF {
				w.WriteByte(c)
				continue
			}
			c2, err := in.byte("entropy-coded data")
			if err != nil {
				return err
			}
			for c2 == 0xFF {
				if c2, err = in.byte("entropy-coded data"); err != nil {
					return err
				}
			}
			if c2 == 0x00 || c2 >= 0xD0 && c2 <= 0xD7 {
				w.Write([]byte{0xFF, c2})
				continue
			}
			pending = c2
			break
		}
	}
}

// PNG chunks hashed besides the critical ones.
var pngAncillary = map[string]bool{"tRNS": true, "acTL": true, "fcTL": true, "fdAT": true}

func sumPNG(d *hasher) error {
	var sig [8]byte
	if err := d.readAt(0, sig[:], "signature"); err != nil {
		return err
	}
	if string(sig[:]) != "\x89PNG\r\n\x1a\n" {
		return label.Corrupt("png", 0, "not a PNG file: bad signature")
	}
	off := int64(8)
	buf := make([]byte, 32<<10)
	for n := 0; ; n++ {
		var h [8]byte
		if err := d.readAt(off, h[:], "chunk header"); err != nil {
			return err
		}
		size := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:])
		if size > 1<<31-1 {
			return label.Corrupt("png", off, "chunk %q claims %d bytes", typ, size)
		}
		if size+12 > d.size-off {
			return label.Corrupt("png", off, "chunk %q claims %d bytes, %d remain in the file", typ, size, d.size-off-12)
		}
		if n == 0 && typ != "IHDR" {
			return label.Corrupt("png", off, "first chunk is %q, not IHDR", typ)
		}
		// Every chunk's CRC is checked; the hashed ones are hashed on the
		// way (type, length, data).
		hashed := typ[0]&0x20 == 0 || pngAncillary[typ]
		if hashed {
			d.tag(typ, size)
		}
		crc := crc32.NewIEEE()
		crc.Write(h[4:])
		for rest := size; rest > 0; {
			k := min(rest, int64(len(buf)))
			if _, err := io.ReadFull(d.r, buf[:k]); err != nil {
				return label.Truncated("png", off, "chunk "+typ)
			}
			if hashed {
				d.h.Write(buf[:k])
			}
			crc.Write(buf[:k])
			rest -= k
		}
		var c [4]byte
		if _, err := io.ReadFull(d.r, c[:]); err != nil {
			return label.Truncated("png", off, "chunk "+typ)
		}
		if binary.BigEndian.Uint32(c[:]) != crc.Sum32() {
			return label.Corrupt("png", off, "chunk %q has a bad CRC", typ)
		}
		off += size + 12
		if typ == "IEND" {
			return nil
		}
	}
}

func sumWebP(d *hasher) error {
	if _, err := d.r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rd, err := riff.NewReader(d.r, "webp")
	if err != nil {
		return err
	}
	if rd.Header.Form != "WEBP" {
		return label.Corrupt("webp", 8, "RIFF form type is %q, not WEBP", rd.Header.Form)
	}
	frames := 0
	return eachChunk(d, rd, func(c riff.Chunk) error {
		switch c.ID {
		case "VP8 ", "VP8L", "ALPH", "ANIM", "ANMF":
			if c.ID != "ALPH" && c.ID != "ANIM" {
				frames++
			}
			return d.part(c.ID, c.DataOffset(), c.Size)
		}
		return nil
	}, func() error {
		if frames == 0 {
			return label.Corrupt("webp", -1, "no image data (VP8, VP8L or ANMF chunk)")
		}
		return nil
	})
}

func sumWAV(d *hasher) error {
	if _, err := d.r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rd, err := riff.NewReader(d.r, "wav")
	if err != nil {
		return err
	}
	if rd.Header.Form != "WAVE" {
		return label.Corrupt("wav", 8, "RIFF form type is %q, not WAVE", rd.Header.Form)
	}
	var fmtSeen, data bool
	return eachChunk(d, rd, func(c riff.Chunk) error {
		switch c.ID {
		case "fmt ":
			fmtSeen = true
		case "data":
			data = true
		default:
			return nil
		}
		return d.part(c.ID, c.DataOffset(), c.Size)
	}, func() error {
		if !fmtSeen || !data {
			return label.Corrupt("wav", -1, "no fmt or no data chunk")
		}
		return nil
	})
}

// eachChunk calls f for each chunk of rd, then end.
func eachChunk(d *hasher, rd *riff.Reader, f func(riff.Chunk) error, end func() error) error {
	for {
		c, err := rd.Next()
		if err == io.EOF {
			return end()
		}
		if err != nil {
			return err
		}
		// Next leaves d.r anywhere; part seeks.
		if err := f(c); err != nil {
			return err
		}
		if _, err := d.r.Seek(c.End(), io.SeekStart); err != nil {
			return err
		}
	}
}

func sumGIF(d *hasher) error {
	in, err := d.stream()
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(d.h, 32<<10)
	var hdr [13]byte
	if err := in.full(hdr[:], "header"); err != nil {
		return err
	}
	if !bytes.Equal(hdr[:3], []byte("GIF")) || string(hdr[3:6]) != "87a" && string(hdr[3:6]) != "89a" {
		return label.Corrupt("gif", 0, "not a GIF file: bad signature")
	}
	w.Write(hdr[6:]) // logical screen descriptor
	table := func(flags byte) error {
		if flags&0x80 == 0 {
			return nil
		}
		ct := make([]byte, 3<<(flags&7+1))
		if err := in.full(ct, "colour table"); err != nil {
			return err
		}
		w.Write(ct)
		return nil
	}
	if err := table(hdr[10]); err != nil {
		return err
	}
	var blk [256]byte
	subBlocks := func(keep bool) error {
		for {
			n, err := in.byte("data sub-block")
			if err != nil {
				return err
			}
			if err := in.full(blk[:n], "data sub-block"); err != nil {
				return err
			}
			if keep {
				w.WriteByte(n)
				w.Write(blk[:n])
			}
			if n == 0 {
				return nil
			}
		}
	}
	images := 0
	for {
		at := in.off
		intro, err := in.byte("block")
		if err != nil {
			return err
		}
		switch intro {
		case 0x3B: // trailer
			if images == 0 {
				return label.Corrupt("gif", at, "no image")
			}
			w.WriteByte(intro)
			return w.Flush()
		case 0x2C: // image descriptor
			var desc [9]byte
			if err := in.full(desc[:], "image descriptor"); err != nil {
				return err
			}
			w.WriteByte(intro)
			w.Write(desc[:])
			if err := table(desc[8]); err != nil {
				return err
			}
			lzw, err := in.byte("LZW code size")
			if err != nil {
				return err
			}
			w.WriteByte(lzw)
			if err := subBlocks(true); err != nil {
				return err
			}
			images++
		case 0x21: // extension
			lab, err := in.byte("extension label")
			if err != nil {
				return err
			}
			keep := lab == 0xF9 || lab == 0x01 // graphic control, plain text
			if keep {
				w.Write([]byte{intro, lab})
			}
			if err := subBlocks(keep); err != nil {
				return err
			}
		default:
			return label.Corrupt("gif", at, "unknown block introducer 0x%02X", intro)
		}
	}
}
