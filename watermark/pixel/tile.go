package pixel

import (
	"math"

	"github.com/aigcmark/aigcmark/watermark"
)

const (
	tileChips  = 64 // chips per tile side
	tileArea   = tileChips * tileChips
	foldBins   = 2 * tileChips // fold resolution: half a chip
	chipDiv    = 256.0         // chip size = min side / chipDiv ...
	minChip    = 2.5           // ... but never smaller than this (pixels)
	workSide   = 512           // detection scales the min side down to this
	syncWeight = 0.35          // share of the tile amplitude spent on sync
)

// MinSide is the smallest image side Embed and Detect accept.
const MinSide = 128

// MaxPixels bounds the image area Embed and Detect accept (about 8K × 8K).
const MaxPixels = 1 << 26

// tile holds the keyed chip layout shared by embedder and detector.
type tile struct {
	sync []float64 // ±1 sync chips
	pn   []float64 // ±1 message spreading signs
	bit  []int     // coded bit carried by each chip
}

func newTile(k watermark.Key) *tile {
	t := &tile{
		sync: make([]float64, tileArea),
		pn:   make([]float64, tileArea),
		bit:  make([]int, tileArea),
	}
	rs := k.Rand("aigcmark/pixel/v1/sync")
	rp := k.Rand("aigcmark/pixel/v1/pn")
	for i := range t.sync {
		t.sync[i] = float64(int(rs.Uint32()&1)*2 - 1)
		t.pn[i] = float64(int(rp.Uint32()&1)*2 - 1)
	}
	perm := k.Rand("aigcmark/pixel/v1/layout").Perm(tileArea)
	for i, c := range perm {
		t.bit[c] = i % watermark.CodedBits
	}
	return t
}

// pattern returns the tile chips for the coded bits (0/1).
func (t *tile) pattern(coded []byte) []float64 {
	b := math.Sqrt(1 - syncWeight*syncWeight)
	p := make([]float64, tileArea)
	for i := range p {
		s := -1.0
		if coded[t.bit[i]] == 1 {
			s = 1
		}
		p[i] = syncWeight*t.sync[i] + b*t.pn[i]*s
	}
	return p
}

// chipSize returns the chip size in pixels for an image of the given size.
func chipSize(w, h int) float64 {
	m := float64(min(w, h))
	return math.Max(minChip, m/chipDiv)
}

// minVideoChip is the smallest chip of the video mark and videoChipDiv its
// divisor of the short side: codecs quantise the finest detail away first,
// so video chips are coarser than a picture's (6.75 pixels at 1080p
// against 4.2). Measured with x264: at 640×360 and CRF 20, 2.5-pixel chips
// lost 7 of 48 two-second segments over 24 keys, 4-pixel chips none; on
// two 1080p clips, chips of 1/160 of the short side read every segment
// after CRF 35 and after scaling to 480p, where 1/256 lost 2 of 8; read at
// a short side of 320 pixels they also survive scaling to 360p.
const (
	minVideoChip  = 4.0
	videoChipDiv  = 160.0
	videoWorkSide = 2 * videoChipDiv // short side an Accumulator reads frames at
)

// videoChipSize returns the chip size FrameMarker draws and an
// Accumulator expects for w×h frames.
func videoChipSize(w, h int) float64 {
	return math.Max(minVideoChip, float64(min(w, h))/videoChipDiv)
}
