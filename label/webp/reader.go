package webp

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/aigcmark/aigcmark/label"
	labelexif "github.com/aigcmark/aigcmark/label/exif"
	"github.com/aigcmark/aigcmark/label/riff"
	"github.com/aigcmark/aigcmark/label/xmp"
)

const name = "webp"

// Chunk ids.
const (
	idVP8  = "VP8 "
	idVP8L = "VP8L"
	idVP8X = "VP8X"
	idXMP  = "XMP "
	idICCP = "ICCP"
	idEXIF = "EXIF"
	idALPH = "ALPH"
	idANIM = "ANIM"
	idANMF = "ANMF"
)

// VP8X flags.
const (
	flagAnim  = 1 << 1
	flagXMP   = 1 << 2
	flagEXIF  = 1 << 3
	flagAlpha = 1 << 4
	flagICC   = 1 << 5
)

// file is a walked WebP file.
type file struct {
	rd     *riff.Reader
	chunks []riff.Chunk
	found  []label.Found
	xmp    map[int][]byte // XMP packets, by index in chunks
	exif   map[int][]byte // EXIF chunks whose UserComment holds a label, by index
	vp8x   []byte         // the VP8X data; nil for a simple file
	width  int            // canvas size
	height int
	alpha  bool // a simple VP8L file's alpha_is_used bit
}

// scan walks r's chunks and checks the structure.
func scan(r io.ReadSeeker) (*file, error) {
	rd, err := riff.NewReader(r, name)
	if err != nil {
		return nil, err
	}
	if rd.Header.ID != "RIFF" || rd.Header.Form != "WEBP" {
		return nil, label.Corrupt(name, 0, "not a WebP file (%q form %q)", rd.Header.ID, rd.Header.Form)
	}
	f := &file{rd: rd, xmp: map[int][]byte{}, exif: map[int][]byte{}}
	var loaded int64
	image := -1 // index of the first VP8 or VP8L chunk
	err = rd.Walk(func(c riff.Chunk) error {
		i := len(f.chunks)
		f.chunks = append(f.chunks, c)
		if i == 0 && c.ID != idVP8 && c.ID != idVP8L && c.ID != idVP8X {
			return label.Corrupt(name, c.Offset, "first chunk is %q, not VP8, VP8L or VP8X", c.ID)
		}
		switch c.ID {
		case idVP8X:
			if i != 0 {
				return label.Corrupt(name, c.Offset, "VP8X chunk is not the first chunk")
			}
			if c.Size != 10 {
				return label.Corrupt(name, c.Offset, "VP8X chunk has %d bytes, not 10", c.Size)
			}
			d, err := rd.ReadData(c, 10)
			if err != nil {
				return err
			}
			f.vp8x = d
			f.width = 1 + int(uint24(d[4:7]))
			f.height = 1 + int(uint24(d[7:10]))
			if int64(f.width)*int64(f.height) > 1<<32-1 {
				return label.Corrupt(name, c.Offset, "VP8X canvas %dx%d is over 2^32-1 pixels", f.width, f.height)
			}
		case idVP8, idVP8L:
			if image < 0 {
				image = i
			}
		case idEXIF:
			loaded += c.Size
			if loaded > label.MaxMetadata {
				return label.Unsupported(name, c.Offset, "metadata chunks hold more than %d bytes", label.MaxMetadata)
			}
			d, err := rd.ReadData(c, label.MaxMetadata)
			if err != nil {
				return err
			}
			block, skip := exifBlock(d)
			found, err := labelexif.Labels(block, c.Offset+8+int64(skip), "EXIF chunk UserComment")
			if err != nil {
				return err
			}
			if len(found) > 0 {
				f.exif[i] = d
				f.found = append(f.found, found...)
			}
		case idXMP:
			loaded += c.Size
			if loaded > label.MaxMetadata {
				return label.Unsupported(name, c.Offset, "XMP chunks hold more than %d bytes", label.MaxMetadata)
			}
			d, err := rd.ReadData(c, label.MaxMetadata)
			if err != nil {
				return err
			}
			f.xmp[i] = d
			vals, err := xmp.Find(d)
			if err != nil && bytes.Contains(d, []byte(xmp.Property)) {
				return label.Corrupt(name, c.Offset, "XMP chunk: %v", err)
			}
			for _, v := range vals {
				f.found = append(f.found, label.NewFound(label.CarrierXMP, "XMP chunk", c.Offset, []byte(v.Text)))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(f.chunks) == 0 {
		return nil, label.Corrupt(name, 12, "no chunks")
	}
	if f.vp8x != nil && f.vp8x[0]&flagAnim != 0 {
		return f, nil // frames live in ANMF chunks, each with its own size
	}
	if image < 0 {
		return nil, label.Corrupt(name, 12, "no VP8 or VP8L image chunk")
	}
	img := f.chunks[image]
	head, err := rd.ReadHead(img, 10)
	if err != nil {
		return nil, err
	}
	w, h, alpha, msg := imageSize(img.ID, head)
	if msg != "" {
		return nil, label.Corrupt(name, img.Offset, "%s chunk: %s", img.ID, msg)
	}
	if f.vp8x == nil {
		f.width, f.height, f.alpha = w, h, alpha
	} else if w != f.width || h != f.height {
		return nil, label.Corrupt(name, img.Offset, "%s image is %dx%d, VP8X canvas is %dx%d", img.ID, w, h, f.width, f.height)
	}
	return f, nil
}

// imageSize reads the size of the image from the first bytes of a VP8 or
// VP8L chunk, and a VP8L image's alpha_is_used bit. It returns a message
// saying what is wrong when the header is bad.
func imageSize(id string, d []byte) (w, h int, alpha bool, msg string) {
	if id == idVP8 {
		// RFC 6386 section 9.1: a 3-byte frame tag whose low bit is 0 for
		// a key frame, the start code 9D 01 2A, then 14-bit width and
		// height each with a 2-bit scale above.
		switch {
		case len(d) < 10:
			return 0, 0, false, "frame header is truncated"
		case d[0]&1 != 0:
			return 0, 0, false, "first frame is not a key frame"
		case d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a:
			return 0, 0, false, "bad key frame start code"
		}
		w = int(binary.LittleEndian.Uint16(d[6:8]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(d[8:10]) & 0x3fff)
		if w == 0 || h == 0 {
			return 0, 0, false, "image size is zero"
		}
		return w, h, false, ""
	}
	// WebP lossless bitstream specification section 3.2: the signature
	// 0x2F, then 14 bits width-1, 14 bits height-1, 1 bit alpha_is_used
	// and a 3-bit version that must be 0, little-endian.
	switch {
	case len(d) < 5:
		return 0, 0, false, "header is truncated"
	case d[0] != 0x2f:
		return 0, 0, false, "bad signature"
	}
	v := binary.LittleEndian.Uint32(d[1:5])
	if v>>29 != 0 {
		return 0, 0, false, "unknown version"
	}
	return 1 + int(v&0x3fff), 1 + int(v>>14&0x3fff), v>>28&1 == 1, ""
}

// exifBlock returns the TIFF structure of an EXIF chunk and how many bytes
// precede it: the container specification has the TIFF header first, but
// some writers keep JPEG's "Exif\0\0" prefix.
func exifBlock(d []byte) ([]byte, int) {
	if bytes.HasPrefix(d, []byte("Exif\x00\x00")) {
		return d[6:], 6
	}
	return d, 0
}

func uint24(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

func putUint24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
