package png

import (
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/aigcmark/aigcmark/label"
	labelexif "github.com/aigcmark/aigcmark/label/exif"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// write is Format.Write. A first pass reads the structure and finds the XMP
// chunk, if any; the second copies the chunks, checking every CRC, with
// these changes:
//
//   - the first iTXt XML:com.adobe.xmp chunk gets the label (and the
//     digital source type opts asks for) through opts.Set, in place; it is
//     written uncompressed (a compressed one is decompressed), keeping its
//     language tag and translated keyword;
//   - without one, a new uncompressed iTXt XMP chunk goes right after IHDR;
//   - further XMP iTXt chunks lose their TC260:AIGC properties (xmp.Drop);
//   - tEXt, zTXt and iTXt chunks with keyword AIGC are left out: their label
//     moves into the XMP chunk;
//   - an eXIf chunk whose UserComment holds a label has the comment blanked
//     in place (same length, so no EXIF offset moves).
//
// Bytes after IEND, if any, are copied unchanged.
func write(dst io.Writer, src io.ReadSeeker, l label.Label, opts xmp.Options) error {
	s, err := scan(src)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(dst, Signature); err != nil {
		return err
	}
	buf := make([]byte, 32<<10)
	end, err := walk(src, s.size, func(c chunk) error {
		if isText(c.typ) {
			kw, err := readKeyword(src, c)
			if err != nil {
				return err
			}
			switch {
			case isAIGC(kw):
				return nil // moved into XMP
			case c.typ == "iTXt" && kw == KeywordXMP:
				t, err := readText(src, c)
				if err != nil {
					return err
				}
				var packet []byte
				if c.off == s.xmpOff {
					packet, err = opts.Set(t.value, l)
				} else {
					vals, ferr := xmp.Find(t.value)
					if ferr == nil && len(vals) == 0 {
						return copyChunk(dst, src, c, buf)
					}
					packet, err = xmp.Drop(t.value)
				}
				if err != nil {
					return label.Corrupt(name, c.off, "%s %q: %v", c, kw, err)
				}
				_, err = dst.Write(appendChunk(nil, "iTXt", itxt(KeywordXMP, t.lang, t.translated, packet)))
				return err
			}
		}
		if s.exif[c.off] {
			// The label moves into XMP: blank the UserComment in place, so
			// no EXIF offset moves.
			data, err := readChunk(src, c, label.MaxMetadata)
			if err != nil {
				return err
			}
			if _, err := labelexif.BlankLabels(data); err != nil {
				return err
			}
			_, err = dst.Write(appendChunk(nil, "eXIf", data))
			return err
		}
		if err := copyChunk(dst, src, c, buf); err != nil {
			return err
		}
		if c.typ == "IHDR" && s.xmpOff < 0 {
			_, err := dst.Write(appendChunk(nil, "iTXt", itxt(KeywordXMP, nil, nil, opts.New(l))))
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if end < s.size {
		if _, err := src.Seek(end, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.CopyN(dst, src, s.size-end); err != nil {
			return err
		}
	}
	return nil
}

// copyChunk copies chunk c from src to dst unchanged, streaming its data
// through a CRC, and fails if the stored CRC does not match.
func copyChunk(dst io.Writer, src io.ReadSeeker, c chunk, buf []byte) error {
	if _, err := src.Seek(c.off, io.SeekStart); err != nil {
		return err
	}
	var h [8]byte
	if _, err := io.ReadFull(src, h[:]); err != nil {
		return label.Truncated(name, c.off, c.String())
	}
	if _, err := dst.Write(h[:]); err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	crc.Write(h[4:8])
	n, err := io.CopyBuffer(io.MultiWriter(dst, crc), io.LimitReader(src, c.n), buf)
	if err != nil {
		return err
	}
	if n < c.n {
		return label.Truncated(name, c.off, c.String())
	}
	var sum [4]byte
	if _, err := io.ReadFull(src, sum[:]); err != nil {
		return label.Truncated(name, c.off, c.String())
	}
	if stored := binary.BigEndian.Uint32(sum[:]); stored != crc.Sum32() {
		return badCRC(c, stored, crc.Sum32())
	}
	_, err = dst.Write(sum[:])
	return err
}
