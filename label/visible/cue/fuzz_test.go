package cue

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzDetector feeds arbitrary float32 samples (NaN, infinities and huge
// values included) in pieces of arbitrary size: no panic, and every group
// found is well formed.
func FuzzDetector(f *testing.F) {
	raw := func(s []float32) []byte {
		b := make([]byte, 4*len(s))
		for i, v := range s {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	f.Add(raw(mono(8000)), uint8(2), uint16(333))
	f.Add(raw([]float32{float32(math.NaN()), float32(math.Inf(1)), 1e30, -1}), uint8(1), uint16(1))
	f.Add([]byte{}, uint8(3), uint16(7))
	f.Fuzz(func(t *testing.T, b []byte, channels uint8, piece uint16) {
		ch := int(channels%8) + 1
		d, err := NewDetector(8000, ch)
		if err != nil {
			t.Fatal(err)
		}
		s := make([]float32, len(b)/4)
		for i := range s {
			s[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		step := int(piece%1000) + 1
		for i := 0; i < len(s); i += step {
			d.Write(s[i:min(i+step, len(s))])
		}
		for _, g := range d.Groups() {
			if len(g.Bursts) == 0 || len(g.Gaps) != len(g.Bursts)-1 || g.Unit <= 0 {
				t.Fatalf("malformed group %+v", g)
			}
			_ = g.String()
		}
	})
}
