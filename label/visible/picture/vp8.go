package picture

import "math"

// boolDecoder is the boolean entropy decoder of VP8 (RFC 6386 section 7.3).
// Reading past the data gives zero bits.
type boolDecoder struct {
	data     []byte
	pos      int
	value    uint32
	rng      uint32
	bitCount int
}

func newBoolDecoder(d []byte) *boolDecoder {
	b := &boolDecoder{data: d, rng: 255}
	b.value = uint32(b.next())<<8 | uint32(b.next())
	return b
}

func (b *boolDecoder) next() byte {
	if b.pos >= len(b.data) {
		return 0
	}
	b.pos++
	return b.data[b.pos-1]
}

func (b *boolDecoder) bool(prob uint32) bool {
	split := 1 + (b.rng-1)*prob>>8
	big := split << 8
	bit := b.value >= big
	if bit {
		b.rng -= split
		b.value -= big
	} else {
		b.rng = split
	}
	for b.rng < 128 {
		b.value <<= 1
		b.rng <<= 1
		if b.bitCount++; b.bitCount == 8 {
			b.bitCount = 0
			b.value |= uint32(b.next())
		}
	}
	return bit
}

// literal reads an n-bit unsigned value, most significant bit first: L(n).
func (b *boolDecoder) literal(n int) int {
	v := 0
	for i := 0; i < n; i++ {
		v <<= 1
		if b.bool(128) {
			v |= 1
		}
	}
	return v
}

// signed reads an n-bit magnitude and a sign bit.
func (b *boolDecoder) signed(n int) int {
	v := b.literal(n)
	if b.bool(128) {
		return -v
	}
	return v
}

// optionalSigned reads a flag and, when set, a signed n-bit value.
func (b *boolDecoder) optionalSigned(n int) int {
	if !b.bool(128) {
		return 0
	}
	return b.signed(n)
}

// vp8Quantizers returns the quantiser index (0..127) of each segment of the
// VP8 key frame in d (the data of a "VP8 " chunk): the frame header's
// y_ac_qi, adjusted per segment when segmentation is on (RFC 6386 sections
// 9.3 and 9.6, 19.2). ok is false when d is not a key frame.
func vp8Quantizers(d []byte) (qs []int, ok bool) {
	if len(d) < 10 || d[0]&1 != 0 || d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
		return nil, false
	}
	first := int(uint32(d[0])|uint32(d[1])<<8|uint32(d[2])<<16) >> 5
	part := d[10:]
	if first < len(part) {
		part = part[:first]
	}
	b := newBoolDecoder(part)
	b.literal(2) // colour space, clamping type
	var segQ [4]int
	segmented, absolute := false, false
	if b.bool(128) { // segmentation_enabled
		segmented = true
		updateMap := b.bool(128)
		if b.bool(128) { // update_segment_feature_data
			absolute = b.bool(128)
			for i := range segQ {
				segQ[i] = b.optionalSigned(7)
			}
			for range 4 {
				b.optionalSigned(6) // loop filter level
			}
		}
		if updateMap {
			for range 3 {
				if b.bool(128) {
					b.literal(8)
				}
			}
		}
	}
	b.literal(1 + 6 + 3) // filter type, level, sharpness
	if b.bool(128) {     // loop_filter_adj_enable
		if b.bool(128) { // mode_ref_lf_delta_update
			for range 8 {
				b.optionalSigned(6)
			}
		}
	}
	b.literal(2) // log2 of the DCT partitions
	base := b.literal(7)
	if !segmented {
		return []int{base}, true
	}
	for _, q := range segQ {
		if !absolute {
			q += base
		}
		qs = append(qs, min(max(q, 0), 127))
	}
	return qs, true
}

// estimateVP8Quality returns the libwebp quality (0..100) whose quantiser
// matches the VP8 key frame d.
//
// libwebp's encoder (VP8SetSegmentParams, which deepteams/webp follows)
// sets segment i's index to int(127·(1 - c^e)), c = QualityToCompression
// (q/100) = the cube root of a linear map of q (slope 2/3 below q = 75),
// e = 1 - 0.9·SNS/100·alpha_i/128. Segment 0 holds the macroblocks least
// sensitive to quantisation, alpha near -127, and with the default spatial
// noise shaping (SNS 50) its index gives back c exactly enough: the
// estimate is within 2 of the quality libwebp (cwebp, ffmpeg) and
// deepteams/webp were given, for their default settings. A frame whose
// segments share one index (one segment, or SNS 0) has e = 1.
func estimateVP8Quality(d []byte) (int, bool) {
	qs, ok := vp8Quantizers(d)
	if !ok {
		return 0, false
	}
	e := 1 + 0.9*50/100*127.0/128
	same := true
	for _, q := range qs {
		same = same && q == qs[0]
	}
	if same {
		e = 1
	}
	// The encoder truncates: take the middle of the index's interval.
	c0 := max(1-(float64(qs[0])+0.5)/127, 1e-6)
	c := math.Pow(c0, 1/e)
	lin := c * c * c
	quality := 1.5 * lin
	if lin >= 0.5 {
		quality = (lin + 1) / 2
	}
	return min(max(int(math.Round(100*quality)), 0), 100), true
}
