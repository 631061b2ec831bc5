package gif

import (
	"bufio"
	"bytes"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Block introducers and extension labels.
const (
	introExtension = 0x21
	introImage     = 0x2C
	introTrailer   = 0x3B

	extPlainText      = 0x01
	extGraphicControl = 0xF9
	extComment        = 0xFE
	extApplication    = 0xFF
)

// xmpID is the application identifier and authentication code of the XMP
// extension.
const xmpID = "XMP DataXMP"

// magic is the XMP extension's trailer as it appears before the block
// terminator: 0x01, then 0xFF down to 0x00. The terminator 0x00 follows.
var magic = func() []byte {
	b := []byte{0x01}
	for i := 0xFF; i >= 0; i-- {
		b = append(b, byte(i))
	}
	return b
}()

// block is one extension or image of the file.
type block struct {
	intro    byte // introExtension or introImage
	label    byte // extension label
	off, end int64
	xmp      bool   // the XMP application extension
	packet   []byte // its packet
	labels   int    // labels in packet
}

// layout is what parse learns of a file.
type layout struct {
	size    int64
	version string // "87a" or "89a"
	first   int64  // offset of the first block, after the global colour table
	blocks  []block
	trailer int64 // offset of the trailer byte; the rest is copied as is
	found   []label.Found
	kept    int // packet bytes held in memory
}

// walker reads through a buffer and keeps track of the position.
type walker struct {
	br  *bufio.Reader
	pos int64
}

func (w *walker) read(n int) ([]byte, error) {
	b, err := label.ReadAtMost(w.br, int64(n), 1<<16)
	w.pos += int64(len(b))
	return b, err
}

func (w *walker) byte() (byte, error) {
	b, err := w.br.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	w.pos++
	return b, nil
}

func (w *walker) skip(n int) error {
	d, err := w.br.Discard(n)
	w.pos += int64(d)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// subBlocks walks data sub-blocks up to and including the terminator. With
// keep set it returns the bytes walked, terminator excluded, bounded by
// label.MaxMetadata.
func (w *walker) subBlocks(what string, keep bool) ([]byte, error) {
	var kept []byte
	for {
		at := w.pos
		n, err := w.byte()
		if err != nil {
			return nil, label.Truncated("gif", at, what)
		}
		if n == 0 {
			return kept, nil
		}
		if keep {
			if len(kept)+1+int(n) > label.MaxMetadata {
				return nil, label.Unsupported("gif", at, "%s is over %d bytes", what, label.MaxMetadata)
			}
			kept = append(kept, n)
			b, err := w.read(int(n))
			if err != nil {
				return nil, label.Truncated("gif", at, what)
			}
			kept = append(kept, b...)
		} else if err := w.skip(int(n)); err != nil {
			return nil, label.Truncated("gif", at, what)
		}
	}
}

// parse walks every block of the GIF in r and reads the labels in its XMP
// extensions.
func parse(r io.ReadSeeker) (*layout, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	w := &walker{br: bufio.NewReaderSize(r, 64<<10)}
	h, err := w.read(int(min(13, size)))
	if err != nil {
		return nil, err
	}
	if len(h) < 6 || (string(h[:6]) != "GIF87a" && string(h[:6]) != "GIF89a") {
		return nil, label.Corrupt("gif", 0, "not a GIF file (no GIF87a or GIF89a signature)")
	}
	if len(h) < 13 {
		return nil, label.Truncated("gif", 6, "logical screen descriptor")
	}
	lay := &layout{size: size, version: string(h[3:6])}
	if h[10]&0x80 != 0 {
		if err := w.skip(3 << (h[10]&7 + 1)); err != nil {
			return nil, label.Truncated("gif", 13, "global colour table")
		}
	}
	lay.first = w.pos
	for {
		at := w.pos
		intro, err := w.byte()
		if err != nil {
			return nil, label.Corrupt("gif", at, "no trailer (file truncated?)")
		}
		b := block{intro: intro, off: at}
		switch intro {
		case introTrailer:
			lay.trailer = at
			return lay, nil
		case introImage:
			d, err := w.read(9)
			if err != nil {
				return nil, label.Truncated("gif", at, "image descriptor")
			}
			if d[8]&0x80 != 0 {
				if err := w.skip(3 << (d[8]&7 + 1)); err != nil {
					return nil, label.Truncated("gif", at, "local colour table")
				}
			}
			if _, err := w.byte(); err != nil { // LZW minimum code size
				return nil, label.Truncated("gif", at, "image data")
			}
			if _, err := w.subBlocks("image data", false); err != nil {
				return nil, err
			}
		case introExtension:
			if b.label, err = w.byte(); err != nil {
				return nil, label.Truncated("gif", at, "extension")
			}
			if b.label == extApplication {
				if err := lay.application(w, &b); err != nil {
					return nil, err
				}
				break
			}
			if _, err := w.subBlocks("extension", false); err != nil {
				return nil, err
			}
		default:
			return nil, label.Corrupt("gif", at, "unknown block type 0x%02X", intro)
		}
		b.end = w.pos
		lay.blocks = append(lay.blocks, b)
	}
}

// application walks an application extension after its label; for the XMP
// extension it reads the packet and its labels.
func (lay *layout) application(w *walker, b *block) error {
	at := w.pos
	n, err := w.byte()
	if err != nil {
		return label.Truncated("gif", b.off, "application extension")
	}
	if int(n) != len(xmpID) {
		if n != 0 {
			if err := w.skip(int(n)); err != nil {
				return label.Truncated("gif", b.off, "application extension")
			}
			_, err = w.subBlocks("application extension", false)
		}
		return err
	}
	id, err := w.read(int(n))
	if err != nil {
		return label.Truncated("gif", b.off, "application extension")
	}
	if string(id) != xmpID {
		_, err := w.subBlocks("application extension", false)
		return err
	}
	raw, err := w.subBlocks("XMP application extension", true)
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(raw, magic) {
		return label.Corrupt("gif", at, "XMP application extension lacks the 258-byte magic trailer")
	}
	b.xmp, b.packet = true, raw[:len(raw)-len(magic)]
	if lay.kept += len(b.packet); lay.kept > label.MaxMetadata {
		return label.Unsupported("gif", b.off, "XMP extensions hold over %d bytes", label.MaxMetadata)
	}
	vals, err := xmp.Find(b.packet)
	if err != nil {
		return &label.FormatError{Format: "gif", Offset: b.off, Msg: "malformed XMP packet in application extension", Err: err}
	}
	for _, v := range vals {
		lay.found = append(lay.found, label.NewFound(label.CarrierXMP, "XMP application extension", b.off, []byte(v.Text)))
	}
	b.labels = len(vals)
	return nil
}
