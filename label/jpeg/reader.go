package jpeg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/exif"
	"github.com/aigcmark/aigcmark/label/xmp"
)

// Markers (ITU-T T.81 table B.1).
const (
	markerTEM  = 0x01
	markerRST0 = 0xD0
	markerRST7 = 0xD7
	markerSOI  = 0xD8
	markerEOI  = 0xD9
	markerSOS  = 0xDA
	markerAPP0 = 0xE0
	markerAPP1 = 0xE1
)

// APP1 headers.
var (
	headerXMP    = []byte("http://ns.adobe.com/xap/1.0/\x00")
	headerExtXMP = []byte("http://ns.adobe.com/xmp/extension/\x00")
	headerExif   = []byte("Exif\x00")
	headerMPF    = []byte("MPF\x00")
)

// maxPayload is the largest segment payload: the 16-bit length counts
// itself.
const maxPayload = 0xFFFF - 2

// eoiWindow is how much of the file's end Read searches for the EOI marker
// before it scans the whole entropy-coded data (files with long trailers).
const eoiWindow = 64 << 10

// Segment kinds the reader tells apart.
const (
	kindOther = iota
	kindXMP
	kindExtXMP
	kindExif
	kindMPF
)

// segment is one marker segment before the scan data.
type segment struct {
	marker   byte
	off, end int64  // from the marker's 0xFF to the end of the payload
	kind     int    // kindXMP etc.
	payload  []byte // the XMP packet or EXIF block (after the header), for those kinds
	labels   int    // labels found in payload
	dataOff  int64  // offset of payload in the file
	standard bool   // a standalone marker, no length
}

// layout is what parse learns of a file.
type layout struct {
	size    int64
	segs    []segment // the segments from SOI up to, not including, SOS or EOI
	dataOff int64     // offset of the SOS (or early EOI) marker: everything from here is copied as is
	found   []label.Found
}

// walker reads the header segments through a small buffer and keeps track
// of the position in the file.
type walker struct {
	src  io.ReadSeeker
	br   *bufio.Reader
	pos  int64
	size int64
}

func (w *walker) byte() (byte, error) {
	b, err := w.br.ReadByte()
	if err != nil {
		return 0, unexpected(err)
	}
	w.pos++
	return b, nil
}

func (w *walker) read(n int64) ([]byte, error) {
	b, err := label.ReadAtMost(w.br, n, maxPayload)
	if err != nil {
		return nil, err
	}
	w.pos += n
	return b, nil
}

func (w *walker) skip(n int64) error {
	if n <= int64(w.br.Buffered()) {
		_, err := w.br.Discard(int(n))
		w.pos += n
		return err
	}
	w.pos += n
	if _, err := w.src.Seek(w.pos, io.SeekStart); err != nil {
		return err
	}
	w.br.Reset(w.src)
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parse walks the segments of the JPEG in r up to the first SOS, reads the
// labels in its XMP and EXIF segments, and checks that an EOI marker
// follows the scan data.
func parse(r io.ReadSeeker) (*layout, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	w := &walker{src: r, br: bufio.NewReaderSize(r, 4096), size: size}
	soi, err := w.read(min(2, size))
	if err != nil {
		return nil, err
	}
	if len(soi) < 2 || soi[0] != 0xFF || soi[1] != markerSOI {
		return nil, label.Corrupt("jpeg", 0, "not a JPEG file (no SOI marker)")
	}
	lay := &layout{size: size}
	kept := 0 // payload bytes kept in memory
	for {
		at := w.pos
		if at >= size {
			return nil, label.Corrupt("jpeg", at, "file ends before the SOS marker (truncated?)")
		}
		b, err := w.byte()
		if err != nil {
			return nil, err
		}
		if b != 0xFF {
			return nil, label.Corrupt("jpeg", at, "expected a marker, found byte 0x%02X", b)
		}
		m := byte(0xFF)
		for m == 0xFF { // fill bytes
			if w.pos >= size {
				return nil, label.Truncated("jpeg", at, "marker")
			}
			if m, err = w.byte(); err != nil {
				return nil, err
			}
		}
		off := w.pos - 2
		switch {
		case m == 0x00:
			return nil, label.Corrupt("jpeg", off, "invalid marker 0xFF00 outside the scan data")
		case m == markerSOI:
			return nil, label.Corrupt("jpeg", off, "second SOI marker")
		case m == markerEOI:
			// A table-only (abbreviated) file: no scan.
			lay.dataOff = off
			return lay, nil
		case m == markerTEM || m >= markerRST0 && m <= markerRST7:
			lay.segs = append(lay.segs, segment{marker: m, off: off, end: w.pos, standard: true})
			continue
		}
		if size-w.pos < 2 {
			return nil, label.Truncated("jpeg", off, name(m)+" segment length")
		}
		lb, err := w.read(2)
		if err != nil {
			return nil, err
		}
		n := int64(lb[0])<<8 | int64(lb[1])
		if n < 2 {
			return nil, label.Corrupt("jpeg", off, "%s segment length %d is less than 2", name(m), n)
		}
		n -= 2
		if n > size-w.pos {
			return nil, label.Corrupt("jpeg", off, "%s segment claims %d bytes, %d remain", name(m), n, size-w.pos)
		}
		seg := segment{marker: m, off: off, end: w.pos + n, dataOff: w.pos}
		if m == markerSOS {
			if err := w.skip(n); err != nil {
				return nil, err
			}
			lay.dataOff = off
			if err := checkEOI(r, w.pos, size); err != nil {
				return nil, err
			}
			return lay, nil
		}
		if m == 0xE2 && n >= int64(len(headerMPF)) {
			h, err := w.read(int64(len(headerMPF)))
			if err != nil {
				return nil, err
			}
			if bytes.Equal(h, headerMPF) {
				seg.kind = kindMPF
			}
			n -= int64(len(h))
		}
		if m != markerAPP1 {
			if err := w.skip(n); err != nil {
				return nil, err
			}
			lay.segs = append(lay.segs, seg)
			continue
		}
		p, err := w.read(n)
		if err != nil {
			return nil, err
		}
		switch {
		case bytes.HasPrefix(p, headerXMP):
			seg.kind, seg.payload, seg.dataOff = kindXMP, p[len(headerXMP):], seg.dataOff+int64(len(headerXMP))
			vals, err := xmp.Find(seg.payload)
			if err != nil {
				return nil, &label.FormatError{Format: "jpeg", Offset: off, Msg: "malformed XMP packet in APP1 segment", Err: err}
			}
			for _, v := range vals {
				lay.found = append(lay.found, label.NewFound(label.CarrierXMP, "XMP in APP1", off, []byte(v.Text)))
			}
			seg.labels = len(vals)
		case bytes.HasPrefix(p, headerExtXMP):
			seg.kind = kindExtXMP
		case bytes.HasPrefix(p, headerExif) && len(p) >= len(headerExif)+1:
			h := len(headerExif) + 1
			seg.kind, seg.payload, seg.dataOff = kindExif, p[h:], seg.dataOff+int64(h)
			fs, err := exif.Labels(seg.payload, seg.dataOff, "EXIF UserComment in APP1")
			if err != nil {
				return nil, &label.FormatError{Format: "jpeg", Offset: off, Msg: "bad EXIF block in APP1 segment", Err: err}
			}
			lay.found = append(lay.found, fs...)
			seg.labels = len(fs)
		}
		if seg.kind != kindXMP && seg.kind != kindExif {
			seg.payload = nil
		} else if kept += len(seg.payload); kept > label.MaxMetadata {
			return nil, label.Unsupported("jpeg", off, "more than %d bytes of XMP and EXIF segments", label.MaxMetadata)
		}
		lay.segs = append(lay.segs, seg)
	}
}

// checkEOI checks that an EOI marker follows the scan data starting at
// from. It looks in the last eoiWindow bytes first, since files often carry
// trailers after EOI, and scans the rest only when that fails.
func checkEOI(r io.ReadSeeker, from, size int64) error {
	// Nearly every file ends with EOI: look at its last bytes before
	// reading a larger window.
	if size-from >= 2 {
		if _, err := r.Seek(size-2, io.SeekStart); err != nil {
			return err
		}
		var last [2]byte
		if _, err := io.ReadFull(r, last[:]); err != nil {
			return label.Truncated("jpeg", size-2, "file end")
		}
		if last == [2]byte{0xFF, markerEOI} {
			return nil
		}
	}
	start := max(from, size-eoiWindow)
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return err
	}
	tail, err := label.ReadAtMost(r, size-start, eoiWindow)
	if err != nil {
		return err
	}
	if bytes.Contains(tail, []byte{0xFF, markerEOI}) {
		return nil
	}
	if start > from {
		if _, err := r.Seek(from, io.SeekStart); err != nil {
			return err
		}
		found, err := scanEOI(io.LimitReader(r, start-from+1))
		if err != nil {
			return err
		}
		if found {
			return nil
		}
	}
	return label.Corrupt("jpeg", size, "no EOI marker (file truncated?)")
}

// scanEOI reports whether r holds the bytes 0xFF 0xD9.
func scanEOI(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	prevFF := false
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if prevFF && buf[0] == markerEOI || bytes.Contains(buf[:n], []byte{0xFF, markerEOI}) {
				return true, nil
			}
			prevFF = buf[n-1] == 0xFF
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// name returns the marker's name for messages.
func name(m byte) string {
	switch {
	case m >= 0xE0 && m <= 0xEF:
		return fmt.Sprintf("APP%d", m-0xE0)
	case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
		return fmt.Sprintf("SOF%d", m-0xC0)
	}
	switch m {
	case 0xC4:
		return "DHT"
	case 0xCC:
		return "DAC"
	case 0xDA:
		return "SOS"
	case 0xDB:
		return "DQT"
	case 0xDD:
		return "DRI"
	case 0xFE:
		return "COM"
	}
	return fmt.Sprintf("marker 0xFF%02X", m)
}
