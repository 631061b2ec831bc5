package wav

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/riff"
)

// Format tags of the fmt chunk (Microsoft mmreg.h).
const (
	TagPCM        = 0x0001
	TagFloat      = 0x0003
	TagExtensible = 0xFFFE
)

// subformatTail is the part of the WAVE_FORMAT_EXTENSIBLE SubFormat GUID
// after its leading format tag, shared by KSDATAFORMAT_SUBTYPE_PCM and
// KSDATAFORMAT_SUBTYPE_IEEE_FLOAT: {0000xxxx-0000-0010-8000-00AA00389B71}.
var subformatTail = []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// maxFmt bounds the fmt chunk read: 40 bytes for WAVE_FORMAT_EXTENSIBLE,
// codec-specific extra bytes for other tags.
const maxFmt = 64 << 10

// SampleFormat is how one sample is stored.
type SampleFormat struct {
	Bytes int  // 1, 2, 3 or 4; 4 or 8 for float
	Float bool // IEEE float; else integer PCM (unsigned for 1 byte, signed otherwise)
}

// String returns ffmpeg's name for the format: "u8", "s16", "s24", "s32",
// "f32", "f64".
func (s SampleFormat) String() string {
	switch {
	case s.Float:
		return fmt.Sprintf("f%d", 8*s.Bytes)
	case s.Bytes == 1:
		return "u8"
	}
	return fmt.Sprintf("s%d", 8*s.Bytes)
}

// Decode converts the samples in src to float32 (full scale ±1) into dst
// and returns how many it converted: min(len(dst), len(src)/Bytes).
// Integer samples are exact up to 24 bits; 32-bit integers keep 24 bits of
// precision.
func (s SampleFormat) Decode(dst []float32, src []byte) int {
	n := min(len(dst), len(src)/s.Bytes)
	switch {
	case s.Float && s.Bytes == 4:
		for i := range n {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case s.Float:
		for i := range n {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case s.Bytes == 1:
		for i := range n {
			dst[i] = float32(int(src[i])-128) / 128
		}
	case s.Bytes == 2:
		for i := range n {
			dst[i] = float32(int16(binary.LittleEndian.Uint16(src[2*i:]))) / (1 << 15)
		}
	case s.Bytes == 3:
		for i := range n {
			b := src[3*i:]
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			dst[i] = float32(v) / (1 << 23)
		}
	default:
		for i := range n {
			dst[i] = float32(float64(int32(binary.LittleEndian.Uint32(src[4*i:]))) / (1 << 31))
		}
	}
	return n
}

// Encode converts the samples in src into dst and returns how many it
// converted: min(len(src), len(dst)/Bytes). Integer samples are rounded to
// the nearest step and limited to the format's range (NaN gives 0).
func (s SampleFormat) Encode(dst []byte, src []float32) int {
	n := min(len(src), len(dst)/s.Bytes)
	quant := func(v float32, scale float64, lo, hi int64) int64 {
		x := math.Round(float64(v) * scale)
		switch {
		case x != x:
			return 0
		case x < float64(lo):
			return lo
		case x > float64(hi):
			return hi
		}
		return int64(x)
	}
	switch {
	case s.Float && s.Bytes == 4:
		for i := range n {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(src[i]))
		}
	case s.Float:
		for i := range n {
			binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(float64(src[i])))
		}
	case s.Bytes == 1:
		for i := range n {
			dst[i] = byte(quant(src[i], 128, -128, 127) + 128)
		}
	case s.Bytes == 2:
		for i := range n {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16(quant(src[i], 1<<15, -1<<15, 1<<15-1)))
		}
	case s.Bytes == 3:
		for i := range n {
			v := quant(src[i], 1<<23, -1<<23, 1<<23-1)
			dst[3*i], dst[3*i+1], dst[3*i+2] = byte(v), byte(v>>8), byte(v>>16)
		}
	default:
		for i := range n {
			binary.LittleEndian.PutUint32(dst[4*i:], uint32(quant(src[i], 1<<31, -1<<31, 1<<31-1)))
		}
	}
	return n
}

// Fmt is the content of a fmt chunk describing integer PCM or IEEE float
// samples.
type Fmt struct {
	Tag           uint16 // TagPCM, TagFloat or TagExtensible
	Channels      int
	Rate          int // frames per second
	BlockAlign    int // bytes per frame
	BitsPerSample int // container bits (a multiple of 8 after rounding up)
	ValidBits     int // significant bits (WAVE_FORMAT_EXTENSIBLE); BitsPerSample otherwise
	ChannelMask   uint32
	Sample        SampleFormat
}

// ParseFmt parses the data of a fmt chunk. Compressed formats (ADPCM,
// A-law, MPEG, …) and other extensible subformats give an Unsupported
// *label.FormatError; inconsistent fields a corrupt one.
func ParseFmt(b []byte) (Fmt, error) {
	if len(b) < 16 {
		return Fmt{}, label.Corrupt(name, -1, "fmt chunk of %d bytes is too small (16 at least)", len(b))
	}
	le16 := func(o int) int { return int(binary.LittleEndian.Uint16(b[o:])) }
	f := Fmt{Tag: uint16(le16(0)), Channels: le16(2), Rate: int(binary.LittleEndian.Uint32(b[4:])),
		BlockAlign: le16(12), BitsPerSample: le16(14)}
	f.ValidBits = f.BitsPerSample
	tag := f.Tag
	if tag == TagExtensible {
		if len(b) < 40 || le16(16) < 22 {
			return Fmt{}, label.Corrupt(name, -1, "WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes lacks its 22-byte extension", len(b))
		}
		f.ValidBits = le16(18)
		f.ChannelMask = binary.LittleEndian.Uint32(b[20:])
		if !bytes.Equal(b[26:40], subformatTail) {
			return Fmt{}, label.Unsupported(name, -1, "WAVE_FORMAT_EXTENSIBLE subformat %x is neither PCM nor IEEE float", b[24:40])
		}
		tag = uint16(le16(24))
	}
	switch {
	case f.Channels == 0:
		return Fmt{}, label.Corrupt(name, -1, "fmt chunk gives 0 channels")
	case f.Rate == 0:
		return Fmt{}, label.Corrupt(name, -1, "fmt chunk gives a sample rate of 0")
	}
	switch tag {
	case TagPCM:
		if f.BitsPerSample < 1 || f.BitsPerSample > 32 {
			return Fmt{}, label.Unsupported(name, -1, "%d-bit integer PCM (1-32 bits handled)", f.BitsPerSample)
		}
		f.Sample = SampleFormat{Bytes: (f.BitsPerSample + 7) / 8}
	case TagFloat:
		if f.BitsPerSample != 32 && f.BitsPerSample != 64 {
			return Fmt{}, label.Unsupported(name, -1, "%d-bit float PCM (32 and 64 handled)", f.BitsPerSample)
		}
		f.Sample = SampleFormat{Bytes: f.BitsPerSample / 8, Float: true}
	default:
		return Fmt{}, label.Unsupported(name, -1, "format tag 0x%04X (only PCM and IEEE float samples are handled)", tag)
	}
	if f.ValidBits == 0 {
		f.ValidBits = f.BitsPerSample // "0" means all bits in some writers
	}
	if f.ValidBits > 8*f.Sample.Bytes {
		return Fmt{}, label.Corrupt(name, -1, "%d valid bits in %d-bit samples", f.ValidBits, 8*f.Sample.Bytes)
	}
	if want := f.Channels * f.Sample.Bytes; f.BlockAlign != want {
		return Fmt{}, label.Corrupt(name, -1, "block align is %d, want %d for %d channels of %d bytes", f.BlockAlign, want, f.Channels, f.Sample.Bytes)
	}
	return f, nil
}

// Audio is the sample data of a WAV file opened with OpenAudio: its format,
// where the frames are, and the chunks around them.
type Audio struct {
	Fmt    Fmt
	Frames int64 // whole frames in the data chunk; a partial frame at its end is ignored

	r      io.ReadSeeker
	rd     *riff.Reader
	chunks []riff.Chunk
	data   int // index of the data chunk in chunks
}

// OpenAudio walks the chunks of the WAV file r and parses its fmt chunk; it
// reads no sample data. A corrupt structure, a missing fmt or data chunk, a
// second data chunk or an unsupported sample format gives a
// *label.FormatError.
func OpenAudio(r io.ReadSeeker) (*Audio, error) {
	rd, err := open(r)
	if err != nil {
		return nil, err
	}
	a := &Audio{r: r, rd: rd, data: -1}
	fmtAt := -1
	err = rd.Walk(func(c riff.Chunk) error {
		switch c.ID {
		case idFmt:
			if fmtAt >= 0 {
				return label.Corrupt(name, c.Offset, "a second fmt chunk")
			}
			fmtAt = len(a.chunks)
		case idData:
			if a.data >= 0 {
				return label.Unsupported(name, c.Offset, "a second data chunk")
			}
			if fmtAt < 0 {
				return label.Corrupt(name, c.Offset, "data chunk before the fmt chunk")
			}
			a.data = len(a.chunks)
		}
		a.chunks = append(a.chunks, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fmtAt < 0 {
		return nil, label.Corrupt(name, -1, "no fmt chunk")
	}
	if a.data < 0 {
		return nil, label.Corrupt(name, -1, "no data chunk")
	}
	fc := a.chunks[fmtAt]
	b, err := rd.ReadData(fc, maxFmt)
	if err != nil {
		return nil, err
	}
	if a.Fmt, err = ParseFmt(b); err != nil {
		if fe, ok := err.(*label.FormatError); ok {
			fe.Offset = fc.Offset
		}
		return nil, err
	}
	a.Frames = a.chunks[a.data].Size / int64(a.Fmt.BlockAlign)
	return a, nil
}

// Is64 reports whether the file is RF64 or BW64.
func (a *Audio) Is64() bool { return a.rd.Header.Is64() }

// DataOffset returns the offset of the first sample in the file.
func (a *Audio) DataOffset() int64 { return a.chunks[a.data].DataOffset() }

// Reader returns a reader of the sample bytes, whole frames only. Reading
// moves the offset of the file given to OpenAudio; one reader at a time.
func (a *Audio) Reader() (io.Reader, error) {
	if _, err := a.r.Seek(a.DataOffset(), io.SeekStart); err != nil {
		return nil, err
	}
	return &truncReader{r: io.LimitReader(a.r, a.Frames*int64(a.Fmt.BlockAlign)), n: a.Frames * int64(a.Fmt.BlockAlign), off: a.DataOffset()}, nil
}

// truncReader turns an early end of the data into a Truncated error.
type truncReader struct {
	r   io.Reader
	n   int64 // bytes still due
	off int64
}

func (t *truncReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n -= int64(n)
	if err == io.EOF && t.n > 0 {
		return n, label.Truncated(name, t.off, "data chunk")
	}
	return n, err
}

// SampleReader reads the samples of an Audio as float32, whole frames at a
// time.
type SampleReader struct {
	f   SampleFormat
	ch  int
	r   io.Reader
	buf []byte
}

// Samples returns a SampleReader from the first frame (see Reader).
func (a *Audio) Samples() (*SampleReader, error) {
	r, err := a.Reader()
	if err != nil {
		return nil, err
	}
	return &SampleReader{f: a.Fmt.Sample, ch: a.Fmt.Channels, r: r}, nil
}

// Read reads up to len(dst) samples, a whole number of frames (len(dst)
// must hold at least one frame), interleaved, and returns how many. It
// returns io.EOF after the last frame.
func (s *SampleReader) Read(dst []float32) (int, error) {
	frames := len(dst) / s.ch
	if frames == 0 {
		return 0, fmt.Errorf("wav: a buffer of %d samples cannot hold a frame of %d", len(dst), s.ch)
	}
	frames = min(frames, max(1, (64<<10)/(s.ch*s.f.Bytes))) // at most about 64 KiB a call
	n := frames * s.ch * s.f.Bytes
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	got, err := io.ReadFull(s.r, s.buf[:n])
	if err == io.ErrUnexpectedEOF {
		err = nil
	}
	whole := got / (s.ch * s.f.Bytes) * s.ch
	s.f.Decode(dst[:whole], s.buf[:got])
	if whole == 0 && err == nil {
		err = io.EOF
	}
	return whole, err
}

// Rewrite streams the file to dst with a data chunk of frames frames that
// fill writes, reading src (the source's sample bytes, as Reader). Every
// other chunk is copied byte for byte in its place, the fmt chunk included,
// so the output has the input's format; a fact chunk gets the new frame
// count; the RIFF size is recomputed. fill must write exactly
// frames × BlockAlign bytes. RF64 and BW64 files give an Unsupported error.
func (a *Audio) Rewrite(dst io.Writer, frames int64, fill func(dst io.Writer, src io.Reader) error) error {
	if a.Is64() {
		return label.Unsupported(name, 0, "rewriting the samples of an %s file is not supported", a.rd.Header.ID)
	}
	size := frames * int64(a.Fmt.BlockAlign)
	parts := make([]riff.Part, 0, len(a.chunks))
	for i, c := range a.chunks {
		switch {
		case i == a.data:
			parts = append(parts, riff.Stream(idData, size, func(w io.Writer) error {
				src, err := a.Reader()
				if err != nil {
					return err
				}
				return fill(w, src)
			}))
		case c.ID == "fact" && c.Size >= 4:
			d, err := a.rd.ReadData(c, label.MaxMetadata)
			if err != nil {
				return err
			}
			binary.LittleEndian.PutUint32(d, uint32(min(frames, math.MaxUint32)))
			parts = append(parts, riff.Part{Out: riff.New("fact", d)})
		default:
			parts = append(parts, riff.Part{Out: riff.Copy(c)})
		}
	}
	return a.rd.RewriteParts(dst, parts)
}
