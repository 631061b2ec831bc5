package video

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// ffmpeg 5.1 writes a display matrix only when it copies a video stream,
// not when it encodes one (-metadata:s:v rotate= is ignored then), so the
// input's matrix is written into the output's track header (tkhd) here,
// in place: the box keeps its size, nothing else moves.

// maxMoov bounds the movie box read to find the track header.
const maxMoov = 256 << 20

// setDisplayMatrix writes m into the track header of the first video track
// of the MP4 or MOV file at path.
func setDisplayMatrix(path string, m [9]int32) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	moovOff, moov, err := readMoov(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	at, err := videoMatrixOffset(moov)
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	var buf [36]byte
	for i, v := range m {
		binary.BigEndian.PutUint32(buf[4*i:], uint32(v))
	}
	if _, err := f.WriteAt(buf[:], moovOff+int64(at)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readMoov finds the top-level moov box and returns the file offset of its
// payload and the payload.
func readMoov(f *os.File) (int64, []byte, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, nil, err
	}
	var h [16]byte
	for off := int64(0); off+8 <= st.Size(); {
		if _, err := f.ReadAt(h[:8], off); err != nil {
			return 0, nil, err
		}
		size, hdr := int64(binary.BigEndian.Uint32(h[:4])), int64(8)
		switch size {
		case 0:
			size = st.Size() - off
		case 1:
			if _, err := f.ReadAt(h[8:16], off+8); err != nil {
				return 0, nil, err
			}
			u := binary.BigEndian.Uint64(h[8:16])
			if u > uint64(st.Size()) {
				return 0, nil, fmt.Errorf("box %q at %d claims %d bytes", h[4:8], off, u)
			}
			size, hdr = int64(u), 16
		}
		if size < hdr || size > st.Size()-off {
			return 0, nil, fmt.Errorf("box %q at %d claims %d bytes, %d remain", h[4:8], off, size, st.Size()-off)
		}
		if string(h[4:8]) == "moov" {
			if size-hdr > maxMoov {
				return 0, nil, fmt.Errorf("moov of %d bytes", size-hdr)
			}
			body := make([]byte, size-hdr)
			if _, err := f.ReadAt(body, off+hdr); err != nil {
				return 0, nil, err
			}
			return off + hdr, body, nil
		}
		off += size
	}
	return 0, nil, errors.New("no moov box")
}

// children walks the boxes in p, calling fn with each one's type, the
// offset of its payload in p and the payload. fn returns false to stop.
func children(p []byte, fn func(typ string, at int, body []byte) bool) error {
	for off := 0; off < len(p); {
		if len(p)-off < 8 {
			return fmt.Errorf("box header cut short at %d", off)
		}
		size, hdr := uint64(binary.BigEndian.Uint32(p[off:])), 8
		typ := string(p[off+4 : off+8])
		switch size {
		case 0:
			size = uint64(len(p) - off)
		case 1:
			if len(p)-off < 16 {
				return fmt.Errorf("box %q header cut short at %d", typ, off)
			}
			size, hdr = binary.BigEndian.Uint64(p[off+8:]), 16
		}
		if size < uint64(hdr) || size > uint64(len(p)-off) {
			return fmt.Errorf("box %q at %d claims %d bytes, %d remain", typ, off, size, len(p)-off)
		}
		if !fn(typ, off+hdr, p[off+hdr:off+int(size)]) {
			return nil
		}
		off += int(size)
	}
	return nil
}

// videoMatrixOffset returns where, in the moov payload, the matrix of the
// first video track's tkhd starts.
func videoMatrixOffset(moov []byte) (int, error) {
	found := -1
	var walkErr error
	err := children(moov, func(typ string, at int, trak []byte) bool {
		if typ != "trak" {
			return true
		}
		tkhd, video := -1, false
		var tkhdBody []byte
		if walkErr = children(trak, func(typ string, a int, body []byte) bool {
			switch typ {
			case "tkhd":
				tkhd, tkhdBody = a, body
			case "mdia":
				walkErr = children(body, func(typ string, _ int, hdlr []byte) bool {
					if typ == "hdlr" && len(hdlr) >= 12 && string(hdlr[8:12]) == "vide" {
						video = true
					}
					return true
				})
			}
			return walkErr == nil
		}); walkErr != nil {
			return false
		}
		if !video || tkhd < 0 {
			return true
		}
		// version(1) flags(3), then times and ids of 32 or 64 bits, then
		// reserved(8) layer(2) group(2) volume(2) reserved(2), then the matrix.
		m := 40
		if len(tkhdBody) > 0 && tkhdBody[0] == 1 {
			m = 52
		}
		if len(tkhdBody) < m+36 {
			walkErr = fmt.Errorf("tkhd of %d bytes has no room for a matrix", len(tkhdBody))
			return false
		}
		found = at + tkhd + m
		return false
	})
	if err == nil {
		err = walkErr
	}
	if err != nil {
		return 0, fmt.Errorf("moov: %w", err)
	}
	if found < 0 {
		return 0, errors.New("moov: no video track")
	}
	return found, nil
}
