package faceswap

import (
	_ "embed"
	"encoding/binary"
	"fmt"

	pigo "github.com/esimov/pigo/core"
)

// facefinder is pigo's frontal face cascade (MIT, see cascade/LICENSE).
//
//go:embed cascade/facefinder
var facefinder []byte

// Bounds of a cascade file that ParseCascade accepts. The shipped
// facefinder has depth 6 and 468 trees.
const (
	maxTreeDepth = 10
	maxTrees     = 8192
	cascadeHead  = 16
)

// ParseCascade checks that b is a complete pigo cascade (an 8-byte header,
// the tree depth and count as little-endian uint32, then per tree its
// 4·2^depth−4 code bytes, 2^depth float32 leaf predictions and a float32
// threshold) and unpacks it. pigo's own Unpack trusts its input, so every
// length is checked here first.
func ParseCascade(b []byte) (*pigo.Pigo, error) {
	if len(b) < cascadeHead {
		return nil, fmt.Errorf("%w: %d bytes, the header alone is %d", ErrCascade, len(b), cascadeHead)
	}
	depth := binary.LittleEndian.Uint32(b[8:])
	trees := binary.LittleEndian.Uint32(b[12:])
	if depth > maxTreeDepth {
		return nil, fmt.Errorf("%w: tree depth %d at offset 8, at most %d is supported", ErrCascade, depth, maxTreeDepth)
	}
	if trees == 0 || trees > maxTrees {
		return nil, fmt.Errorf("%w: %d trees at offset 12, want 1 to %d", ErrCascade, trees, maxTrees)
	}
	leaves := 1 << depth
	perTree := (4*leaves - 4) + 4*leaves + 4
	if want := cascadeHead + int(trees)*perTree; len(b) < want {
		return nil, fmt.Errorf("%w: %d trees of depth %d need %d bytes, have %d", ErrCascade, trees, depth, want, len(b))
	}
	p, err := pigo.NewPigo().Unpack(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCascade, err)
	}
	return p, nil
}
