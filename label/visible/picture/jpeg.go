package picture

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/exif"
)

// jpegMeta is what a walk of a JPEG's segments up to SOS learns.
type jpegMeta struct {
	keep        [][]byte // whole marker segments to carry over, in order
	kinds       []string // what each holds: "EXIF", "ICC", …
	orientation int
	tables      [4]*[64]int // quantisation tables by Tq, in natural (row-major) order
	comps       []int       // the Tq of each frame component, in order
}

// jpegCodec reads a JPEG picture with image/jpeg.
var jpegCodec = codec[image.Image]{"jpeg", jpeg.DecodeConfig, jpeg.Decode, is[jpeg.UnsupportedError]}

// jpeg labels a JPEG picture.
func (j *job) jpeg() (Info, error) {
	var meta *jpegMeta
	m, err := load(j, jpegCodec, walkInto(&meta, walkJPEG))
	if err != nil {
		return Info{}, err
	}
	switch m.(type) {
	case *image.YCbCr, *image.Gray:
	case *image.CMYK:
		return Info{}, label.Unsupported("jpeg", -1, "CMYK and YCCK pictures are not re-encoded (Go's encoder writes only YCbCr and grayscale)")
	default:
		return Info{}, label.Unsupported("jpeg", -1, "decoded picture of type %T", m)
	}
	if m, err = j.mark("jpeg", m); err != nil {
		return Info{}, err
	}
	b := m.Bounds()
	ov, err := j.overlay("jpeg", b.Dx(), b.Dy(), meta.orientation)
	if err != nil {
		return Info{}, err
	}
	composite(m, ov)

	est, _ := estimateJPEGQuality(meta) // 0 when the tables are missing
	q := j.lossyQuality(est, jpeg.DefaultQuality)
	j.info.Quality, j.info.Frames, j.info.Kept = q, 1, uniq(meta.kinds)
	if err := j.ctx.Err(); err != nil {
		return Info{}, err
	}
	in := &injector{w: j.dst, n: 2, extra: bytes.Join(meta.keep, nil)}
	if len(in.extra) == 0 {
		in.extra = nil
	}
	if err := jpeg.Encode(in, m, &jpeg.Options{Quality: q}); err != nil {
		return Info{}, err
	}
	if !in.done() {
		return Info{}, fmt.Errorf("picture: the JPEG encoder wrote no SOI marker")
	}
	return j.info, nil
}

// uniq returns ss without repeats, in order of first appearance.
func uniq(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Markers this file handles (ITU-T T.81 table B.1).
const (
	mSOI   = 0xD8
	mEOI   = 0xD9
	mSOS   = 0xDA
	mDQT   = 0xDB
	mAPP0  = 0xE0
	mAPP1  = 0xE1
	mAPP2  = 0xE2
	mAPP14 = 0xEE
	mCOM   = 0xFE
)

// walkJPEG reads the marker segments of the JPEG in r from SOI up to SOS:
// the metadata segments to keep, the quantisation tables, the frame's
// components and the EXIF orientation. Errors are *label.FormatError.
func walkJPEG(r *bufio.Reader) (*jpegMeta, error) {
	meta := &jpegMeta{orientation: 1}
	var pos int64
	readByte := func() (byte, error) {
		b, err := r.ReadByte()
		if err != nil {
			return 0, label.Truncated("jpeg", pos, "marker segment")
		}
		pos++
		return b, nil
	}
	if a, err := readByte(); err != nil || a != 0xFF {
		return nil, label.Corrupt("jpeg", 0, "no SOI marker")
	}
	if b, err := readByte(); err != nil || b != mSOI {
		return nil, label.Corrupt("jpeg", 0, "no SOI marker")
	}
	kept := 0
	for {
		at := pos
		b, err := readByte()
		if err != nil {
			return nil, err
		}
		if b != 0xFF {
			return nil, label.Corrupt("jpeg", at, "expected a marker, found byte 0x%02X", b)
		}
		m := byte(0xFF)
		for m == 0xFF {
			if m, err = readByte(); err != nil {
				return nil, err
			}
		}
		switch {
		case m == mSOS:
			return meta, nil
		case m == mEOI:
			return nil, label.Corrupt("jpeg", at, "EOI marker before any scan")
		case m == 0x01 || m >= 0xD0 && m <= 0xD7: // TEM, RSTn: no length
			continue
		case m == 0x00 || m == mSOI:
			return nil, label.Corrupt("jpeg", at, "invalid marker 0xFF%02X before the scan", m)
		}
		hi, err := readByte()
		if err != nil {
			return nil, err
		}
		lo, err := readByte()
		if err != nil {
			return nil, err
		}
		n := int(hi)<<8 | int(lo)
		if n < 2 {
			return nil, label.Corrupt("jpeg", at, "segment 0xFF%02X has length %d, under 2", m, n)
		}
		if m != mDQT && !isSOF(m) && !(m >= mAPP0 && m <= 0xEF) && m != mCOM {
			d, err := r.Discard(n - 2)
			pos += int64(d)
			if err != nil {
				return nil, label.Truncated("jpeg", at, fmt.Sprintf("segment 0xFF%02X of %d bytes", m, n))
			}
			continue
		}
		seg := make([]byte, 4+n-2)
		seg[0], seg[1], seg[2], seg[3] = 0xFF, m, hi, lo
		if _, err := io.ReadFull(r, seg[4:]); err != nil {
			return nil, label.Truncated("jpeg", at, fmt.Sprintf("segment 0xFF%02X of %d bytes", m, n))
		}
		pos += int64(n - 2)
		p := seg[4:]
		switch {
		case m == mDQT:
			if err := meta.dqt(p, at); err != nil {
				return nil, err
			}
		case isSOF(m):
			if len(p) < 6 || len(p) < 6+3*int(p[5]) {
				return nil, label.Corrupt("jpeg", at, "SOF segment of %d bytes is too short", len(p))
			}
			meta.comps = meta.comps[:0]
			for i := 0; i < int(p[5]); i++ {
				meta.comps = append(meta.comps, int(p[6+3*i+2]))
			}
		case m >= mAPP0 && m <= 0xEF || m == mCOM:
			kind := segmentKind(m, p)
			if kind == "" {
				continue // not carried over
			}
			if kind == "EXIF" && meta.orientation == 1 {
				meta.orientation = exif.Orientation(p[6:])
			}
			if kept += len(seg); kept > label.MaxMetadata {
				return nil, label.Unsupported("jpeg", at, "more than %d bytes of metadata segments", label.MaxMetadata)
			}
			meta.keep = append(meta.keep, seg)
			meta.kinds = append(meta.kinds, kind)
		}
	}
}

// isSOF reports whether m starts a frame (SOF0..SOF15 less DHT, JPG, DAC).
func isSOF(m byte) bool { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC }

// segmentKind names the metadata an APPn or COM segment with payload p
// holds, or returns "" for segments that are not carried over.
func segmentKind(m byte, p []byte) string {
	switch {
	case m == mCOM:
		return "comment"
	case m == mAPP0 && bytes.HasPrefix(p, []byte("JFIF\x00")):
		return "JFIF"
	case m == mAPP0 && bytes.HasPrefix(p, []byte("JFXX\x00")):
		return "JFIF thumbnail"
	case m == mAPP1 && bytes.HasPrefix(p, []byte("Exif\x00")) && len(p) >= 6:
		return "EXIF"
	case m == mAPP1 && bytes.HasPrefix(p, []byte("http://ns.adobe.com/xap/1.0/\x00")):
		return "XMP"
	case m == mAPP1 && bytes.HasPrefix(p, []byte("http://ns.adobe.com/xmp/extension/\x00")):
		return "extended XMP"
	case m == mAPP2 && bytes.HasPrefix(p, []byte("ICC_PROFILE\x00")):
		return "ICC"
	case m == mAPP2 && bytes.HasPrefix(p, []byte("MPF\x00")):
		return "" // multi-picture index: its offsets point into the old file
	case m == 0xED && bytes.HasPrefix(p, []byte("Photoshop 3.0\x00")):
		return "IPTC"
	case m == mAPP14 && bytes.HasPrefix(p, []byte("Adobe")):
		return "" // colour transform of the old encoding
	}
	return fmt.Sprintf("APP%d", m-mAPP0)
}

// zigzag[k] is the natural (row-major) index of the k-th coefficient in
// zig-zag order (T.81 figure A.6).
var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// dqt reads the quantisation tables of a DQT segment's payload.
func (meta *jpegMeta) dqt(p []byte, at int64) error {
	for len(p) > 0 {
		pq, tq := p[0]>>4, p[0]&15
		size := 64
		if pq == 1 {
			size = 128
		}
		if pq > 1 || tq > 3 || len(p) < 1+size {
			return label.Corrupt("jpeg", at, "bad DQT segment (precision %d, table %d, %d bytes left)", pq, tq, len(p)-1)
		}
		t := new([64]int)
		for k := 0; k < 64; k++ {
			v := int(p[1+k])
			if pq == 1 {
				v = int(p[1+2*k])<<8 | int(p[2+2*k])
			}
			t[zigzag[k]] = v
		}
		meta.tables[tq] = t
		p = p[1+size:]
	}
	return nil
}

// The example tables of T.81 annex K (K.1 luminance, K.2 chrominance), in
// natural order: the tables libjpeg scales by quality.
var (
	stdLuma = [64]int{
		16, 11, 10, 16, 24, 40, 51, 61,
		12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56,
		14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77,
		24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101,
		72, 92, 95, 98, 112, 100, 103, 99,
	}
	stdChroma = [64]int{
		17, 18, 24, 47, 99, 99, 99, 99,
		18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99,
		47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	}
)

// ijgScaled returns entry v of a standard table scaled to quality q the
// way libjpeg's jpeg_quality_scaling and jpeg_add_quant_table do (and Go's
// image/jpeg), clamped to 1..255 (baseline).
func ijgScaled(v, q int) int {
	scale := 200 - 2*q
	if q < 50 {
		scale = 5000 / q
	}
	return min(max((v*scale+50)/100, 1), 255)
}

// estimateJPEGQuality returns the libjpeg quality (1..100) whose scaled
// standard tables are nearest (least absolute difference) to the picture's
// luma table and, for colour pictures, its first chroma table. Tables that
// are not scaled standard ones still get the quality of the nearest; ok is
// false only when the tables are missing.
func estimateJPEGQuality(meta *jpegMeta) (q int, ok bool) {
	if len(meta.comps) == 0 || meta.comps[0] > 3 || meta.tables[meta.comps[0]] == nil {
		return 0, false
	}
	luma := meta.tables[meta.comps[0]]
	var chroma *[64]int
	if len(meta.comps) >= 3 && meta.comps[1] <= 3 && meta.comps[1] != meta.comps[0] {
		chroma = meta.tables[meta.comps[1]]
	}
	best, bestErr := 0, -1
	for q := 1; q <= 100; q++ {
		e := 0
		for i := 0; i < 64; i++ {
			e += abs(min(luma[i], 255) - ijgScaled(stdLuma[i], q))
			if chroma != nil {
				e += abs(min(chroma[i], 255) - ijgScaled(stdChroma[i], q))
			}
		}
		if bestErr < 0 || e < bestErr {
			best, bestErr = q, e
		}
	}
	return best, true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
