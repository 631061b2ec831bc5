package video

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A pixFormat is a planar YUV layout the frames cross the pipe in: three
// planes, tightly packed (ffmpeg's rawvideo), chroma subsampled by
// 2^shiftW × 2^shiftH, samples of 8 bits in a byte or 10 bits in a
// little-endian 16-bit word. These are also formats libx264 encodes
// natively, so no conversion happens on either side of the pipe.
type pixFormat struct {
	name           string // ffmpeg's pix_fmt
	fourcc         string // its tag in NUT
	shiftW, shiftH uint
	bits           int
}

var pixFormats = map[string]pixFormat{
	"yuv420p":     {"yuv420p", "I420", 1, 1, 8},
	"yuv422p":     {"yuv422p", "Y42B", 1, 0, 8},
	"yuv444p":     {"yuv444p", "444P", 0, 0, 8},
	"yuv420p10le": {"yuv420p10le", "Y3\x0b\x0a", 1, 1, 10},
	"yuv422p10le": {"yuv422p10le", "Y3\x0a\x0a", 1, 0, 10},
	"yuv444p10le": {"yuv444p10le", "Y3\x00\x0a", 0, 0, 10},
}

// bytesPerSample is 1 or 2.
func (p pixFormat) bytesPerSample() int { return (p.bits + 7) / 8 }

// planes returns the sample width and height of plane i (0 luma, 1 and 2
// chroma) of a w×h frame.
func (p pixFormat) planes(i, w, h int) (pw, ph int) {
	if i == 0 {
		return w, h
	}
	return (w + 1<<p.shiftW - 1) >> p.shiftW, (h + 1<<p.shiftH - 1) >> p.shiftH
}

// frameSize is the bytes of one w×h frame.
func (p pixFormat) frameSize(w, h int) int64 {
	var n int64
	for i := range 3 {
		pw, ph := p.planes(i, w, h)
		n += int64(pw) * int64(ph)
	}
	return n * int64(p.bytesPerSample())
}

// A pixPlan is how the decoder delivers a source pixel format: in which
// pipe format, whether the samples are full range, and, when the source
// is not one of pixFormats, the filter converting it.
type pixPlan struct {
	pf        pixFormat
	decodeAs  string // the -pix_fmt the decoder is asked for
	fullRange bool
	filter    string // for -vf; empty when the frames arrive as decoded
	rgb       bool   // the source is RGB, converted with the BT.709 matrix to limited range
}

var depthSuffix = regexp.MustCompile(`(\d+)(le|be)$`)

// planPixels chooses the pipe format for a source pix_fmt and colour range.
// Planar 8- and 10-bit YUV 4:2:0, 4:2:2 and 4:4:4 (and the yuvj variants)
// cross as decoded. Anything else is converted by the decoder: to 10 bits
// if it has more than 8, else 8; keeping 4:4:4 and 4:2:2 chroma, else
// 4:2:0; RGB to Y'CbCr with the BT.709 matrix in limited range. An alpha
// channel is dropped (H.264 has none).
func planPixels(src, colorRange string) (pixPlan, error) {
	if src == "" {
		return pixPlan{}, fmt.Errorf("ffprobe reports no pixel format")
	}
	full := colorRange == "pc"
	name := src
	if j, ok := strings.CutPrefix(src, "yuvj"); ok {
		// The yuvj formats are the yuv ones at full range; the NUT muxer
		// stores them under the same tag.
		name, full = "yuv"+j, true
	}
	if pf, ok := pixFormats[name]; ok {
		// Asking for the source's own format (yuvj420p, not yuv420p)
		// keeps swscale from converting the range.
		return pixPlan{pf: pf, decodeAs: src, fullRange: full}, nil
	}
	deep := false
	if m := depthSuffix.FindStringSubmatch(src); m != nil {
		if bits, _ := strconv.Atoi(m[1]); bits > 8 {
			deep = true
		}
	}
	rgb := strings.Contains(src, "rgb") || strings.Contains(src, "bgr") || strings.HasPrefix(src, "gbr") ||
		strings.HasPrefix(src, "pal") || strings.HasPrefix(src, "xyz") || strings.HasPrefix(src, "0rgb") ||
		strings.HasPrefix(src, "x2rgb") || strings.HasPrefix(src, "x2bgr")
	chroma := "420"
	switch {
	case rgb || strings.Contains(src, "444") || strings.HasPrefix(src, "ayuv") || strings.HasPrefix(src, "vuy") || strings.HasPrefix(src, "xv3"):
		chroma = "444"
	case strings.Contains(src, "422") || strings.HasPrefix(src, "yuyv") || strings.HasPrefix(src, "uyvy") ||
		strings.HasPrefix(src, "yvyu") || strings.HasPrefix(src, "nv16") || strings.HasPrefix(src, "nv20") || strings.HasPrefix(src, "y210"):
		chroma = "422"
	}
	target := "yuv" + chroma + "p"
	if deep {
		target += "10le"
	}
	pf := pixFormats[target]
	if rgb {
		return pixPlan{pf: pf, decodeAs: pf.name, rgb: true,
			filter: "scale=out_color_matrix=bt709:out_range=tv,format=" + pf.name}, nil
	}
	rng := "tv"
	if full {
		rng = "pc"
	}
	return pixPlan{pf: pf, decodeAs: pf.name, fullRange: full,
		filter: "scale=in_range=" + rng + ":out_range=" + rng + ",format=" + pf.name}, nil
}
