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

// minVideoChip is the smallest chip of the video mark: codecs quantise
// away the finest detail first, and a 2.5-pixel chip at 640×360 lost whole
// segments to x264 at CRF 20 for some keys.
const minVideoChip = 4.0

// videoChipSize returns the chip size FrameMarker draws and an
// Accumulator expects for w×h frames: chipSize, but at least minVideoChip.
func videoChipSize(w, h int) float64 {
	return math.Max(minVideoChip, chipSize(w, h))
}
