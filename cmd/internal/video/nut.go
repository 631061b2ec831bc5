package video

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// The decoding ffmpeg writes raw frames in NUT (https://ffmpeg.org/nut.html),
// the one pipe format that keeps every frame's timestamp, and the encoding
// ffmpeg reads the same NUT stream back. A nutReader passes that stream
// through byte for byte and stops at each frame's payload, so the caller can
// draw on the frame in place before it is passed on: headers, syncpoints,
// info packets and the index reach the encoder untouched, and so do the
// timestamps, whatever the frame rate does.
//
// It reads what ffmpeg's NUT muxer (version 3, the stable one) writes:
// startcode packets, frame codes from the main header, coded or implied
// timestamps. Side data in frame headers (version 4) and elided frame
// headers are refused as unsupported; every length is bounded before use.

// NUT startcodes: 'N', a second letter, then 48 fixed bits.
const (
	nutMain      = 0x4E4D7A561F5F04AD
	nutStream    = 0x4E5311405BF2F9DB
	nutSyncpoint = 0x4E4BE4ADEECA4569
	nutIndex     = 0x4E58DD672F23E64E
	nutInfo      = 0x4E49AB68B596BA78
)

// nutID opens every NUT file.
const nutID = "nut/multimedia container\x00"

// Frame flags (NUT specification, "frame_flags").
const (
	flagKey       = 1
	flagCodedPTS  = 8
	flagStreamID  = 16
	flagSizeMSB   = 32
	flagChecksum  = 64
	flagReserved  = 128
	flagSMData    = 256
	flagHeaderIdx = 1024
	flagMatchTime = 2048
	flagCoded     = 4096
	flagInvalid   = 8192
)

// Bounds on what a header may claim.
const (
	maxHeaderPacket = 1 << 20 // main and stream headers, syncpoints
	maxPacket       = 1 << 40 // info and index packets, copied through
	maxStreams      = 256
	maxTimeBases    = 256
)

// errNUT marks a malformed NUT stream.
var errNUT = errors.New("malformed NUT stream from ffmpeg")

func nutErr(off int64, format string, args ...any) error {
	return fmt.Errorf("%w: %s (at offset %d)", errNUT, fmt.Sprintf(format, args...), off)
}

type frameCode struct {
	flags      uint64
	streamID   uint64
	sizeMul    uint64
	sizeLSB    uint64
	ptsDelta   int64
	reserved   uint64
	headerIdx  uint64
	matchDelta int64
}

// nutStreamInfo is what a stream header says about a video stream.
type nutStreamInfo struct {
	class         uint64 // 0 video, 1 audio, 2 subtitle, 3 data
	fourcc        string
	tbNum, tbDen  int64 // time base
	msbPTSShift   uint
	width, height int
	sarNum        int64
	sarDen        int64
	lastPTS       int64
	haveHeader    bool
}

// nutFrame is one frame header: the payload of Size bytes follows.
type nutFrame struct {
	Stream int
	PTS    int64 // in the stream's time base
	Size   int64
	Key    bool
}

type nutReader struct {
	r   *bufio.Reader
	w   io.Writer
	off int64  // bytes consumed from r
	buf []byte // consumed bytes not yet written to w

	started    bool
	codes      [256]frameCode
	haveMain   bool
	timeBases  [][2]int64
	headerLens []int
	streams    []nutStreamInfo
}

// newNUTReader reads a NUT stream from r, passing every byte to w.
func newNUTReader(r io.Reader, w io.Writer) *nutReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	return &nutReader{r: br, w: w}
}

// flush writes the bytes consumed so far.
func (n *nutReader) flush() error {
	if len(n.buf) == 0 {
		return nil
	}
	_, err := n.w.Write(n.buf)
	n.buf = n.buf[:0]
	return err
}

func (n *nutReader) ReadByte() (byte, error) {
	c, err := n.r.ReadByte()
	if err != nil {
		return 0, err
	}
	n.off++
	n.buf = append(n.buf, c)
	return c, nil
}

// readFull reads len(p) bytes into p and records them for w.
func (n *nutReader) readFull(p []byte) error {
	k, err := io.ReadFull(n.r, p)
	n.off += int64(k)
	n.buf = append(n.buf, p[:k]...)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// Next passes everything up to the next frame's payload to w and returns
// the frame's header. The caller must then read exactly Size bytes of
// payload with Payload. At the end of the stream it returns io.EOF.
func (n *nutReader) Next() (nutFrame, error) {
	if !n.started {
		id := make([]byte, len(nutID))
		if err := n.readFull(id); err != nil {
			if n.off == 0 && errors.Is(err, io.ErrUnexpectedEOF) {
				return nutFrame{}, nutErr(0, "empty stream")
			}
			return nutFrame{}, nutErr(n.off, "file ID: %v", err)
		}
		if string(id) != nutID {
			return nutFrame{}, nutErr(0, "no NUT file ID")
		}
		n.started = true
	}
	for {
		at := n.off
		c, err := n.ReadByte()
		if err == io.EOF {
			if ferr := n.flush(); ferr != nil {
				return nutFrame{}, ferr
			}
			return nutFrame{}, io.EOF
		}
		if err != nil {
			return nutFrame{}, err
		}
		if c != 'N' {
			f, err := n.frameHeader(at, c)
			if err != nil {
				return f, err
			}
			return f, n.flush()
		}
		var rest [7]byte
		if err := n.readFull(rest[:]); err != nil {
			return nutFrame{}, nutErr(at, "startcode: %v", err)
		}
		code := uint64('N')<<56 | uint64(rest[0])<<48 | uint64(binary.BigEndian.Uint16(rest[1:3]))<<32 | uint64(binary.BigEndian.Uint32(rest[3:7]))
		if err := n.packet(at, code); err != nil {
			return nutFrame{}, err
		}
	}
}

// Payload reads the frame's payload into p (len(p) == the frame's Size),
// for the caller to change before WritePayload.
func (n *nutReader) Payload(p []byte) error {
	k, err := io.ReadFull(n.r, p)
	n.off += int64(k)
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: frame payload cut short after %d of %d bytes", errNUT, k, len(p))
	}
	return err
}

// packet handles the startcode packet whose startcode was just read at at.
func (n *nutReader) packet(at int64, code uint64) error {
	size, err := readV(n)
	if err != nil {
		return nutErr(at, "packet size: %v", err)
	}
	if size > 4096 {
		var crc [4]byte
		if err := n.readFull(crc[:]); err != nil {
			return nutErr(at, "packet header checksum: %v", err)
		}
	}
	if size < 4 {
		return nutErr(at, "packet of %d bytes has no room for its checksum", size)
	}
	switch code {
	case nutMain, nutStream, nutSyncpoint:
		if size > maxHeaderPacket {
			return nutErr(at, "header packet claims %d bytes", size)
		}
		body := make([]byte, size)
		if err := n.readFull(body); err != nil {
			return nutErr(at, "header packet of %d bytes: %v", size, err)
		}
		data := body[:size-4] // the checksum is ffmpeg's to check
		switch code {
		case nutMain:
			err = n.mainHeader(data)
		case nutStream:
			err = n.streamHeader(data)
		default:
			err = n.syncpoint(data)
		}
		if err != nil {
			return nutErr(at, "%v", err)
		}
		return nil
	case nutIndex, nutInfo:
		if size > maxPacket {
			return nutErr(at, "packet claims %d bytes", size)
		}
		if err := n.flush(); err != nil {
			return err
		}
		k, err := io.CopyN(n.w, n.r, int64(size))
		n.off += k
		if err == io.EOF {
			return nutErr(at, "packet of %d bytes cut short after %d", size, k)
		}
		return err
	}
	return nutErr(at, "unknown startcode %#016x", code)
}

// mainHeader parses the main header: time bases and the frame code table.
func (n *nutReader) mainHeader(p []byte) error {
	if n.haveMain {
		// ffmpeg repeats headers only in seekable files; a repetition must
		// not change them, and the tables already read stay in force.
		return nil
	}
	r := bytes.NewReader(p)
	version, err := readV(r)
	if err != nil {
		return fmt.Errorf("main header version: %w", err)
	}
	if version < 2 || version > 4 {
		return fmt.Errorf("NUT version %d", version)
	}
	if version > 3 {
		if _, err := readV(r); err != nil { // minor version
			return err
		}
	}
	streamCount, err := readV(r)
	if err != nil || streamCount == 0 || streamCount > maxStreams {
		return fmt.Errorf("stream count %d (%v)", streamCount, err)
	}
	if _, err := readV(r); err != nil { // max_distance
		return err
	}
	tbCount, err := readV(r)
	if err != nil || tbCount == 0 || tbCount > maxTimeBases {
		return fmt.Errorf("time base count %d (%v)", tbCount, err)
	}
	n.timeBases = make([][2]int64, tbCount)
	for i := range n.timeBases {
		num, err1 := readV(r)
		den, err2 := readV(r)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if num == 0 || den == 0 || num >= 1<<31 || den >= 1<<31 {
			return fmt.Errorf("time base %d/%d", num, den)
		}
		n.timeBases[i] = [2]int64{int64(num), int64(den)}
	}
	var (
		pts            int64
		mul            uint64 = 1
		stream, hdrIdx uint64
	)
	for i := 0; i < 256; {
		flags, err1 := readV(r)
		fields, err2 := readV(r)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("frame code %d: %w", i, err)
		}
		var size, res, match uint64
		var count int64
		vals := make([]uint64, 0, 8)
		for k := uint64(0); k < fields; k++ {
			if k >= 64 {
				return fmt.Errorf("frame code %d: %d fields", i, fields)
			}
			v, err := readV(r)
			if err != nil {
				return fmt.Errorf("frame code %d: %w", i, err)
			}
			vals = append(vals, v)
		}
		get := func(k int) (uint64, bool) {
			if k < len(vals) {
				return vals[k], true
			}
			return 0, false
		}
		if v, ok := get(0); ok {
			pts = unsigned2signed(v)
		}
		if v, ok := get(1); ok {
			mul = v
		}
		if v, ok := get(2); ok {
			stream = v
		}
		size, _ = get(3)
		res, _ = get(4)
		if v, ok := get(5); ok {
			count = int64(min(v, 1<<20))
		} else {
			count = int64(mul) - int64(size)
		}
		if v, ok := get(6); ok {
			match = v
		}
		if v, ok := get(7); ok {
			hdrIdx = v
		}
		limit := int64(256 - i)
		if i <= 'N' {
			limit--
		}
		if count <= 0 || count > limit {
			return fmt.Errorf("frame code %d: count %d", i, count)
		}
		if stream >= streamCount {
			return fmt.Errorf("frame code %d: stream %d of %d", i, stream, streamCount)
		}
		if mul > 1<<16 || size > 1<<16 || res > 255 || hdrIdx > 127 {
			return fmt.Errorf("frame code %d: out-of-range fields", i)
		}
		for j := int64(0); j < count; j++ {
			if i == 'N' {
				n.codes[i] = frameCode{flags: flagInvalid}
				j--
				i++
				continue
			}
			n.codes[i] = frameCode{flags: flags, streamID: stream, sizeMul: mul, sizeLSB: size + uint64(j),
				ptsDelta: pts, reserved: res, headerIdx: hdrIdx, matchDelta: unsigned2signed(match)}
			i++
		}
	}
	n.headerLens = []int{0}
	if r.Len() > 0 {
		count, err := readV(r)
		if err != nil || count >= 128 {
			return fmt.Errorf("elision header count %d (%v)", count, err)
		}
		for i := uint64(0); i < count; i++ {
			l, err := readV(r)
			if err != nil || l == 0 || l >= 256 {
				return fmt.Errorf("elision header %d of %d bytes (%v)", i, l, err)
			}
			if _, err := r.Seek(int64(l), io.SeekCurrent); err != nil || r.Len() < 0 {
				return fmt.Errorf("elision header %d: %v", i, err)
			}
			n.headerLens = append(n.headerLens, int(l))
		}
	}
	n.streams = make([]nutStreamInfo, streamCount)
	n.haveMain = true
	return nil
}

// streamHeader parses a stream header.
func (n *nutReader) streamHeader(p []byte) error {
	if !n.haveMain {
		return errors.New("stream header before the main header")
	}
	r := bytes.NewReader(p)
	id, err := readV(r)
	if err != nil || id >= uint64(len(n.streams)) {
		return fmt.Errorf("stream id %d of %d (%v)", id, len(n.streams), err)
	}
	s := &n.streams[id]
	if s.haveHeader {
		return nil // a repetition
	}
	class, err := readV(r)
	if err != nil {
		return err
	}
	l, err := readV(r)
	if err != nil || l > 8 {
		return fmt.Errorf("fourcc of %d bytes (%v)", l, err)
	}
	fourcc := make([]byte, l)
	if _, err := io.ReadFull(r, fourcc); err != nil {
		return fmt.Errorf("fourcc: %w", io.ErrUnexpectedEOF)
	}
	tbID, err := readV(r)
	if err != nil || tbID >= uint64(len(n.timeBases)) {
		return fmt.Errorf("time base %d of %d (%v)", tbID, len(n.timeBases), err)
	}
	shift, err := readV(r)
	if err != nil || shift >= 16 {
		return fmt.Errorf("msb_pts_shift %d (%v)", shift, err)
	}
	for range 3 { // max_pts_distance, decode_delay, stream_flags
		if _, err := readV(r); err != nil {
			return err
		}
	}
	extra, err := readV(r)
	if err != nil || extra > uint64(r.Len()) {
		return fmt.Errorf("codec data of %d bytes (%v)", extra, err)
	}
	if _, err := r.Seek(int64(extra), io.SeekCurrent); err != nil {
		return err
	}
	*s = nutStreamInfo{class: class, fourcc: string(fourcc), tbNum: n.timeBases[tbID][0], tbDen: n.timeBases[tbID][1],
		msbPTSShift: uint(shift), haveHeader: true}
	if class == 0 {
		var v [5]uint64
		for i := range v {
			if v[i], err = readV(r); err != nil {
				return fmt.Errorf("video stream header: %w", err)
			}
		}
		if v[0] == 0 || v[1] == 0 || v[0] > maxSide || v[1] > maxSide || v[2] >= 1<<31 || v[3] >= 1<<31 {
			return fmt.Errorf("video of %d×%d, aspect %d:%d", v[0], v[1], v[2], v[3])
		}
		s.width, s.height, s.sarNum, s.sarDen = int(v[0]), int(v[1]), int64(v[2]), int64(v[3])
	}
	return nil
}

// syncpoint resets every stream's last timestamp to the syncpoint's.
func (n *nutReader) syncpoint(p []byte) error {
	if !n.haveMain {
		return errors.New("syncpoint before the main header")
	}
	r := bytes.NewReader(p)
	v, err := readV(r)
	if err != nil {
		return fmt.Errorf("syncpoint timestamp: %w", err)
	}
	tb := n.timeBases[v%uint64(len(n.timeBases))]
	ts := v / uint64(len(n.timeBases))
	if ts >= 1<<62 {
		return fmt.Errorf("syncpoint timestamp %d", ts)
	}
	for i := range n.streams {
		s := &n.streams[i]
		if !s.haveHeader {
			continue
		}
		// last_pts = ts · tb / stream tb, rounded down.
		num := new(big.Int).Mul(big.NewInt(int64(ts)), big.NewInt(tb[0]*s.tbDen))
		den := big.NewInt(tb[1] * s.tbNum)
		q := new(big.Int).Div(num, den) // ts ≥ 0: Div rounds down
		if !q.IsInt64() {
			return fmt.Errorf("syncpoint timestamp %d out of range", ts)
		}
		s.lastPTS = q.Int64()
	}
	return nil
}

// frameHeader parses the header of a frame whose code c was read at at.
func (n *nutReader) frameHeader(at int64, c byte) (nutFrame, error) {
	if !n.haveMain {
		return nutFrame{}, nutErr(at, "frame before the main header")
	}
	fc := n.codes[c]
	flags := fc.flags
	if flags&flagInvalid != 0 {
		return nutFrame{}, nutErr(at, "invalid frame code %d", c)
	}
	if flags&flagCoded != 0 {
		v, err := readV(n)
		if err != nil {
			return nutFrame{}, nutErr(at, "coded flags: %v", err)
		}
		flags ^= v
	}
	sid := fc.streamID
	if flags&flagStreamID != 0 {
		v, err := readV(n)
		if err != nil {
			return nutFrame{}, nutErr(at, "stream id: %v", err)
		}
		sid = v
	}
	if sid >= uint64(len(n.streams)) || !n.streams[sid].haveHeader {
		return nutFrame{}, nutErr(at, "frame of stream %d, which has no header", sid)
	}
	s := &n.streams[sid]
	var pts int64
	if flags&flagCodedPTS != 0 {
		v, err := readV(n)
		if err != nil {
			return nutFrame{}, nutErr(at, "pts: %v", err)
		}
		if v >= 1<<62 {
			return nutFrame{}, nutErr(at, "pts %d out of range", v)
		}
		if v < 1<<s.msbPTSShift {
			mask := int64(1)<<s.msbPTSShift - 1
			delta := s.lastPTS - mask/2
			pts = ((int64(v)-delta)&mask + delta)
		} else {
			pts = int64(v) - 1<<s.msbPTSShift
		}
	} else {
		pts = s.lastPTS + fc.ptsDelta
	}
	size := fc.sizeLSB
	if flags&flagSizeMSB != 0 {
		v, err := readV(n)
		if err != nil {
			return nutFrame{}, nutErr(at, "size: %v", err)
		}
		if v > 1<<40 {
			return nutFrame{}, nutErr(at, "frame size %d×%d", v, fc.sizeMul)
		}
		size += fc.sizeMul * v
	}
	if flags&flagMatchTime != 0 {
		if _, err := readV(n); err != nil {
			return nutFrame{}, nutErr(at, "match time: %v", err)
		}
	}
	hdrIdx := fc.headerIdx
	if flags&flagHeaderIdx != 0 {
		v, err := readV(n)
		if err != nil {
			return nutFrame{}, nutErr(at, "header index: %v", err)
		}
		hdrIdx = v
	}
	res := fc.reserved
	if flags&flagReserved != 0 {
		v, err := readV(n)
		if err != nil || v > 255 {
			return nutFrame{}, nutErr(at, "reserved count %d (%v)", v, err)
		}
		res = v
	}
	for range res {
		if _, err := readV(n); err != nil {
			return nutFrame{}, nutErr(at, "reserved field: %v", err)
		}
	}
	if hdrIdx >= uint64(len(n.headerLens)) {
		return nutFrame{}, nutErr(at, "header index %d of %d", hdrIdx, len(n.headerLens))
	}
	if size > 4096 {
		hdrIdx = 0
	}
	if n.headerLens[hdrIdx] != 0 {
		return nutFrame{}, nutErr(at, "elided frame headers are not supported")
	}
	if flags&flagChecksum != 0 {
		var crc [4]byte
		if err := n.readFull(crc[:]); err != nil {
			return nutFrame{}, nutErr(at, "frame header checksum: %v", err)
		}
	}
	if flags&flagSMData != 0 {
		return nutFrame{}, nutErr(at, "frame side data (NUT version 4) is not supported")
	}
	s.lastPTS = pts
	return nutFrame{Stream: int(sid), PTS: pts, Size: int64(size), Key: flags&flagKey != 0}, nil
}

// readV reads a NUT variable-length unsigned number: 7 bits a byte, most
// significant first, the top bit set on all bytes but the last.
func readV(r io.ByteReader) (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if v > (1<<64-1)>>7 {
			return 0, errors.New("number overflows 64 bits")
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("number longer than 10 bytes")
}

// unsigned2signed maps 0, 1, 2, 3, 4 … to 0, 1, -1, 2, -2 … (NUT's "s").
func unsigned2signed(v uint64) int64 {
	v++
	if v&1 != 0 {
		return -int64(v >> 1)
	}
	return int64(v >> 1)
}
