// Package riff walks and rewrites RIFF files (Resource Interchange File
// Format), the container of WAV, WebP and AVI, for the label/wav and
// label/webp packages.
//
// A RIFF file is a 12-byte header ("RIFF", a little-endian 32-bit size, a
// four-character form type such as "WAVE") followed by chunks: a
// four-character id, a little-endian 32-bit size, the data, and one pad byte
// when the size is odd. RF64 and BW64 files (EBU Tech 3306, ITU-R BS.2088)
// have the same layout with 64-bit sizes in a leading "ds64" chunk.
//
// The Reader walks the chunks without reading their data; Rewrite streams a
// new file whose chunks are copied from the source byte for byte or given
// anew.
//
// Specifications: Microsoft/IBM "Multimedia Programming Interface and Data
// Specifications 1.0" (1991), chapter 2; EBU Tech 3306 (RF64).
package riff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/aigcmark/aigcmark/label"
)

// MaxChunks bounds the number of top-level chunks a Reader walks, so that a
// file made of empty chunks cannot make a caller that keeps them all use
// unbounded memory. Real WAV files have a few dozen chunks; animated WebP
// files have one per frame.
const MaxChunks = 1 << 16

// sizeUnknown is the 32-bit size field value that RF64 replaces with the
// 64-bit size from ds64.
const sizeUnknown = 0xFFFFFFFF

// Header is the 12-byte file header.
type Header struct {
	ID   string // "RIFF", "RF64" or "BW64"
	Size int64  // the payload size after the first 8 bytes (from ds64 for RF64)
	Form string // form type: "WAVE", "WEBP", "AVI "
}

// Is64 reports whether the file is RF64 or BW64, with sizes in a ds64 chunk.
func (h Header) Is64() bool { return h.ID == "RF64" || h.ID == "BW64" }

// Chunk is one chunk of a RIFF file, as found by a Reader.
type Chunk struct {
	ID     string // four characters
	Offset int64  // offset of the 8-byte chunk header in the file
	Size   int64  // size of the data (from ds64 when the size field is 0xFFFFFFFF in RF64)
	Pad    int64  // pad bytes present in the file after the data: 0 or 1
}

// DataOffset returns the offset of the chunk's data.
func (c Chunk) DataOffset() int64 { return c.Offset + 8 }

// End returns the offset just past the chunk, its pad byte included.
func (c Chunk) End() int64 { return c.Offset + 8 + c.Size + c.Pad }

// DS64 is the content of an RF64 ds64 chunk.
type DS64 struct {
	RIFFSize    int64
	DataSize    int64
	SampleCount int64
	Table       map[string]int64 // sizes of other chunks whose size field is 0xFFFFFFFF
}

// Reader walks the chunks of a RIFF file.
type Reader struct {
	Header Header
	DS64   *DS64 // for RF64 and BW64 files

	r        io.ReadSeeker
	format   string // error prefix: "wav", "webp"
	fileSize int64
	end      int64 // where the chunks end, as the header says (bounded by fileSize)
	pos      int64 // offset of the next chunk
	n        int   // chunks returned
	done     bool
}

// NewReader reads the file header of r and returns a Reader positioned at
// the first chunk. Errors are *label.FormatError values prefixed with
// format.
//
// Quirks tolerated, because real files have them and the intent is plain:
//   - a header size one byte larger than the file, when the final odd chunk
//     lacks its pad byte but the size counts it (see Next for the pad itself);
//   - a header size one byte short, when the final pad byte is present but
//     not counted.
//
// Bytes after the end the header gives (an ID3 tag some taggers append, zero
// fill) are not walked; Rewrite copies them unchanged.
func NewReader(r io.ReadSeeker, format string) (*Reader, error) {
	size, err := label.Size(r)
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: r, format: format, fileSize: size}
	var h [12]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, label.Truncated(format, 0, "RIFF header")
	}
	rd.Header = Header{ID: string(h[0:4]), Size: int64(binary.LittleEndian.Uint32(h[4:8])), Form: string(h[8:12])}
	switch rd.Header.ID {
	case "RIFF":
	case "RF64", "BW64":
		if err := rd.readDS64(); err != nil {
			return nil, err
		}
	default:
		return nil, label.Corrupt(format, 0, "not a RIFF file (starts with %q)", h[0:4])
	}
	if rd.Header.Size < 4 {
		return nil, label.Corrupt(format, 4, "%s header size %d is too small", rd.Header.ID, rd.Header.Size)
	}
	rd.end = 8 + rd.Header.Size
	if rd.end == size+1 {
		rd.end = size // the size counts a final pad byte the file lacks
	}
	if rd.end > size {
		return nil, label.Corrupt(format, 4, "%s header claims %d bytes, %d follow it", rd.Header.ID, rd.Header.Size, size-8)
	}
	rd.pos = 12
	return rd, nil
}

// readDS64 reads the ds64 chunk that must follow an RF64 header.
func (rd *Reader) readDS64() error {
	var h [8]byte
	if _, err := io.ReadFull(rd.r, h[:]); err != nil {
		return label.Truncated(rd.format, 12, "ds64 chunk")
	}
	if string(h[0:4]) != "ds64" {
		return label.Corrupt(rd.format, 12, "%s file has %q where the ds64 chunk must be", rd.Header.ID, h[0:4])
	}
	n := int64(binary.LittleEndian.Uint32(h[4:8]))
	if n < 28 {
		return label.Corrupt(rd.format, 12, "ds64 chunk of %d bytes is too small", n)
	}
	if 20+n > rd.fileSize {
		return label.Corrupt(rd.format, 12, "ds64 chunk claims %d bytes, %d remain", n, rd.fileSize-20)
	}
	d, err := label.ReadAtMost(rd.r, n, 1<<20)
	if err != nil {
		return label.Corrupt(rd.format, 12, "ds64 chunk of %d bytes: %v", n, err)
	}
	u := func(b []byte, what string) (int64, error) {
		v := binary.LittleEndian.Uint64(b)
		if v > uint64(rd.fileSize) {
			return 0, label.Corrupt(rd.format, 12, "ds64 %s is %d, file has %d bytes", what, v, rd.fileSize)
		}
		return int64(v), nil
	}
	ds := &DS64{Table: map[string]int64{}}
	if ds.RIFFSize, err = u(d[0:8], "RIFF size"); err != nil {
		return err
	}
	if ds.DataSize, err = u(d[8:16], "data size"); err != nil {
		return err
	}
	ds.SampleCount = int64(binary.LittleEndian.Uint64(d[16:24]) & (1<<63 - 1))
	entries := int64(binary.LittleEndian.Uint32(d[24:28]))
	if entries > (n-28)/12 {
		return label.Corrupt(rd.format, 12, "ds64 table claims %d entries, chunk holds %d", entries, (n-28)/12)
	}
	for i := int64(0); i < entries; i++ {
		e := d[28+12*i:]
		v, err := u(e[4:12], fmt.Sprintf("size of chunk %q", e[0:4]))
		if err != nil {
			return err
		}
		ds.Table[string(e[0:4])] = v
	}
	rd.DS64 = ds
	if rd.Header.Size == sizeUnknown {
		rd.Header.Size = ds.RIFFSize
	}
	return nil
}

// FileSize returns the size of the file.
func (rd *Reader) FileSize() int64 { return rd.fileSize }

// Tail returns the offset just past the last chunk. It is final once Next
// has returned io.EOF; bytes from there to FileSize are outside the RIFF
// structure.
func (rd *Reader) Tail() int64 { return rd.pos }

// Next returns the next chunk, or io.EOF after the last one. It reads the
// chunk header but not the data, and checks that the data lies within the
// file.
//
// Pad bytes: a chunk of odd size is followed by one pad byte. Next tolerates
// two quirks of real files and reports them with Chunk.Pad == 0:
//   - the final chunk's pad byte missing at the end of the file;
//   - a writer that never pads: the byte after an odd chunk is not zero,
//     and the four bytes starting there read as a chunk id while the four
//     starting one byte later do not. Any other pad byte is taken as a pad.
func (rd *Reader) Next() (Chunk, error) {
	if rd.done {
		return Chunk{}, io.EOF
	}
	if rd.pos >= rd.end {
		rd.done = true
		return Chunk{}, io.EOF
	}
	if rd.n >= MaxChunks {
		return Chunk{}, label.Unsupported(rd.format, rd.pos, "more than %d chunks", MaxChunks)
	}
	if rd.end-rd.pos < 8 {
		return Chunk{}, label.Corrupt(rd.format, rd.pos, "%d bytes after the last chunk are too few for a chunk header", rd.end-rd.pos)
	}
	var h [8]byte
	if err := rd.readAt(h[:], rd.pos); err != nil {
		return Chunk{}, label.Truncated(rd.format, rd.pos, "chunk header")
	}
	c := Chunk{ID: string(h[0:4]), Offset: rd.pos, Size: int64(binary.LittleEndian.Uint32(h[4:8]))}
	if rd.DS64 != nil && c.Size == sizeUnknown {
		if c.ID == "data" {
			c.Size = rd.DS64.DataSize
		} else if v, ok := rd.DS64.Table[c.ID]; ok {
			c.Size = v
		} else {
			return Chunk{}, label.Corrupt(rd.format, rd.pos, "chunk %q has size 0xFFFFFFFF and ds64 gives none", c.ID)
		}
	}
	dataEnd := c.DataOffset() + c.Size
	if dataEnd > rd.end {
		return Chunk{}, label.Corrupt(rd.format, rd.pos, "chunk %q claims %d bytes, %d remain", c.ID, c.Size, rd.end-c.DataOffset())
	}
	if c.Size%2 == 1 {
		pad, err := rd.padAfter(dataEnd)
		if err != nil {
			return Chunk{}, err
		}
		c.Pad = pad
		if dataEnd+pad > rd.end {
			rd.end = dataEnd + pad // the header size left out the final pad byte
		}
	}
	rd.pos = c.End()
	rd.n++
	return c, nil
}

// Walk calls visit with each chunk Next returns, in order, up to the end
// of the chunks. It returns the first error of Next or of visit, as it is;
// nil once every chunk was visited.
func (rd *Reader) Walk(visit func(c Chunk) error) error {
	for {
		c, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := visit(c); err != nil {
			return err
		}
	}
}

// padAfter decides whether an odd chunk whose data ends at off is followed
// by its pad byte (see Next).
func (rd *Reader) padAfter(off int64) (int64, error) {
	if off >= rd.fileSize {
		return 0, nil // missing at the end of the file
	}
	var b [5]byte
	n := min(int64(len(b)), rd.fileSize-off)
	if err := rd.readAt(b[:n], off); err != nil {
		return 0, label.Truncated(rd.format, off, "pad byte")
	}
	switch {
	case b[0] == 0:
		return 1, nil
	case off >= rd.end:
		return 0, nil // past the end the header gives: trailing data, not a pad
	case rd.end-off >= 8 && ValidID(b[0:4]) && !ValidID(b[1:5]):
		return 0, nil // the writer did not pad
	}
	return 1, nil
}

// ValidID reports whether id is four printable ASCII characters, as chunk
// ids are.
func ValidID(id []byte) bool {
	if len(id) != 4 {
		return false
	}
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func (rd *Reader) readAt(b []byte, off int64) error {
	if _, err := rd.r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	_, err := io.ReadFull(rd.r, b)
	return err
}

// ReadData returns the data of c, after checking its size against limit;
// a larger chunk gives an Unsupported error.
func (rd *Reader) ReadData(c Chunk, limit int64) ([]byte, error) {
	if c.Size > limit {
		return nil, label.Unsupported(rd.format, c.Offset, "chunk %q of %d bytes is over the limit of %d", c.ID, c.Size, limit)
	}
	if _, err := rd.r.Seek(c.DataOffset(), io.SeekStart); err != nil {
		return nil, err
	}
	b, err := label.ReadAtMost(rd.r, c.Size, limit)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, label.Truncated(rd.format, c.Offset, fmt.Sprintf("chunk %q", c.ID))
		}
		return nil, err
	}
	return b, nil
}

// ReadHead returns the first n bytes of c's data, or all of it when the
// chunk is shorter.
func (rd *Reader) ReadHead(c Chunk, n int) ([]byte, error) {
	c.Size = min(int64(n), c.Size)
	return rd.ReadData(c, int64(n))
}
