package png

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/aigcmark/aigcmark/label"
	labelexif "github.com/aigcmark/aigcmark/label/exif"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// scanned is what a pass over the chunks learns.
type scanned struct {
	size   int64 // file size
	found  []label.Found
	xmpOff int64          // offset of the first XMP iTXt chunk, -1 if none
	exif   map[int64]bool // offsets of eXIf chunks whose UserComment holds a label
}

// scan walks every chunk, reads the labels and checks every chunk's CRC:
// a platform checking an upload wants to know the file is damaged, and
// PNG files are small enough to read through once.
func scan(r io.ReadSeeker) (*scanned, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	s := &scanned{size: size, xmpOff: -1, exif: map[int64]bool{}}
	_, err = walk(r, size, func(c chunk) error {
		switch {
		case c.typ == "IHDR":
			_, err := readChunk(r, c, 13)
			return err
		case c.typ == "eXIf":
			data, err := readChunk(r, c, label.MaxMetadata)
			if err != nil {
				return err
			}
			found, err := labelexif.Labels(data, c.dataOff(), "eXIf chunk UserComment")
			if err != nil {
				return err
			}
			if len(found) > 0 {
				s.exif[c.off] = true
				s.found = append(s.found, found...)
			}
		case isText(c.typ):
			kw, err := readKeyword(r, c)
			if err != nil {
				return err
			}
			switch {
			case c.typ == "iTXt" && kw == KeywordXMP:
				t, err := readText(r, c)
				if err != nil {
					return err
				}
				vals, err := xmp.Find(t.value)
				if err != nil {
					return label.Corrupt(name, c.off, "%s %q: %v", c, kw, err)
				}
				if s.xmpOff < 0 {
					s.xmpOff = c.off
				}
				for _, v := range vals {
					s.found = append(s.found, label.NewFound(label.CarrierXMP,
						fmt.Sprintf("iTXt chunk %q", kw), c.off, []byte(v.Text)))
				}
			case isAIGC(kw):
				t, err := readText(r, c)
				if err != nil {
					return err
				}
				s.found = append(s.found, label.NewFound(label.CarrierPNGText,
					fmt.Sprintf("%s chunk %q", c.typ, kw), c.off, t.value))
			default:
				return streamCRC(r, c)
			}
		default:
			return streamCRC(r, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// streamCRC checks the CRC of c without holding its data.
func streamCRC(r io.ReadSeeker, c chunk) error {
	if _, err := r.Seek(c.off+4, io.SeekStart); err != nil {
		return err
	}
	h := crc32.NewIEEE()
	if _, err := io.CopyN(h, r, 4+c.n); err != nil {
		return label.Truncated(name, c.off, c.String())
	}
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return label.Truncated(name, c.off, c.String())
	}
	if got := binary.BigEndian.Uint32(sum[:]); got != h.Sum32() {
		return badCRC(c, got, h.Sum32())
	}
	return nil
}

// readText reads, checks and parses a textual chunk.
func readText(r io.ReadSeeker, c chunk) (text, error) {
	data, err := readChunk(r, c, label.MaxMetadata)
	if err != nil {
		return text{}, err
	}
	return parseText(c, data)
}
