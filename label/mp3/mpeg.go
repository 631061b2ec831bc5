package mp3

// frameHeader is a parsed MPEG audio frame header.
type frameHeader struct {
	version    int // 1, 2, or 25 for MPEG 2.5
	layer      int // 1, 2 or 3
	sampleRate int
	length     int // frame length in bytes, 0 for free-format bitrate
}

// sameStream reports whether two headers can belong to the same stream.
func (h frameHeader) sameStream(o frameHeader) bool {
	return h.version == o.version && h.layer == o.layer && h.sampleRate == o.sampleRate
}

var bitrates = [5][15]int{ // kbit/s by table and index
	{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448}, // MPEG-1 layer I
	{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},    // MPEG-1 layer II
	{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},     // MPEG-1 layer III
	{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},    // MPEG-2/2.5 layer I
	{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},         // MPEG-2/2.5 layers II, III
}

var sampleRates = [3]int{44100, 48000, 32000} // MPEG-1; halved for MPEG-2, quartered for 2.5

// parseFrameHeader parses the four bytes at the start of b as an MPEG audio
// frame header: 11 sync bits and valid version, layer, bitrate, sample-rate
// and emphasis fields.
func parseFrameHeader(b []byte) (frameHeader, bool) {
	var h frameHeader
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return h, false
	}
	switch (b[1] >> 3) & 3 {
	case 0:
		h.version = 25
	case 2:
		h.version = 2
	case 3:
		h.version = 1
	default:
		return h, false
	}
	h.layer = 4 - int((b[1]>>1)&3)
	bi, si, pad := int(b[2]>>4), int((b[2]>>2)&3), int((b[2]>>1)&1)
	if h.layer == 4 || bi == 15 || si == 3 || b[3]&3 == 2 {
		return h, false
	}
	h.sampleRate = sampleRates[si]
	switch h.version {
	case 2:
		h.sampleRate /= 2
	case 25:
		h.sampleRate /= 4
	}
	table := h.layer - 1
	if h.version != 1 {
		table = 4
		if h.layer == 1 {
			table = 3
		}
	}
	br := bitrates[table][bi] * 1000
	switch {
	case br == 0:
		h.length = 0
	case h.layer == 1:
		h.length = (12*br/h.sampleRate + pad) * 4
	case h.layer == 3 && h.version != 1:
		h.length = 72*br/h.sampleRate + pad
	default:
		h.length = 144*br/h.sampleRate + pad
	}
	return h, true
}
