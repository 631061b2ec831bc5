package watermark

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math"
)

// CheckBits is the number of keyed check bits appended to the payload: a
// decoded word whose check fails is never reported, so noise passes with
// probability 2^-32 per decoding attempt.
const CheckBits = 32

const (
	constraint = 7 // constraint length of the convolutional code
	rateInv    = 3 // code rate 1/3
	infoBits   = PayloadBits + CheckBits
	tailBits   = constraint - 1
	nStates    = 1 << (constraint - 1)
)

// CodedBits is the length of the channel codeword for one payload.
const CodedBits = (infoBits + tailBits) * rateInv

// Generator polynomials (octal 133, 171, 165), the standard K=7 rate-1/3 code.
var generators = [rateInv]uint{0o133, 0o171, 0o165}

// check returns the 32 keyed check bits of p.
func check(k Key, p Payload) [4]byte {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("aigcmark/watermark/check/v1\x00"))
	m.Write(p[:])
	var c [4]byte
	copy(c[:], m.Sum(nil))
	return c
}

func infoWord(k Key, p Payload) [infoBits]byte {
	var w [infoBits]byte
	c := check(k, p)
	for i := 0; i < PayloadBits; i++ {
		w[i] = p.Bit(i)
	}
	for i := 0; i < CheckBits; i++ {
		w[PayloadBits+i] = c[i/8] >> (7 - uint(i%8)) & 1
	}
	return w
}

func parity(x uint) byte {
	x ^= x >> 16
	x ^= x >> 8
	x ^= x >> 4
	x ^= x >> 2
	x ^= x >> 1
	return byte(x & 1)
}

// Encode returns the CodedBits channel bits (0 or 1) that carry p under k.
func Encode(k Key, p Payload) []byte {
	w := infoWord(k, p)
	out := make([]byte, 0, CodedBits)
	var reg uint
	for i := 0; i < infoBits+tailBits; i++ {
		var b uint
		if i < infoBits {
			b = uint(w[i])
		}
		reg = (reg<<1 | b) & (1<<constraint - 1)
		for _, g := range generators {
			out = append(out, parity(reg&g))
		}
	}
	return out
}

// Decode runs soft-decision Viterbi decoding on CodedBits soft values
// (positive means bit 1, magnitude is reliability; any common scale) and
// verifies the keyed check. ok is false when the check fails; agreement is
// the fraction of coded bits whose sign matches the decoded codeword.
func Decode(k Key, soft []float64) (p Payload, ok bool, agreement float64, err error) {
	if len(soft) != CodedBits {
		return p, false, 0, fmt.Errorf("watermark: decode: %d soft bits, want %d", len(soft), CodedBits)
	}
	steps := infoBits + tailBits
	metric := make([]float64, nStates)
	next := make([]float64, nStates)
	for s := range metric {
		metric[s] = math.Inf(-1)
	}
	metric[0] = 0
	// decision[t][s] holds the input bit that led to state s at step t and
	// the previous state.
	prev := make([][nStates]uint8, steps)
	for t := 0; t < steps; t++ {
		for s := range next {
			next[s] = math.Inf(-1)
		}
		sv := soft[t*rateInv : t*rateInv+rateInv]
		for s := 0; s < nStates; s++ {
			m := metric[s]
			if math.IsInf(m, -1) {
				continue
			}
			maxIn := uint(1)
			if t >= infoBits {
				maxIn = 0
			}
			for b := uint(0); b <= maxIn; b++ {
				reg := (uint(s)<<1 | b) & (1<<constraint - 1)
				bm := 0.0
				for j, g := range generators {
					if parity(reg&g) == 1 {
						bm += sv[j]
					} else {
						bm -= sv[j]
					}
				}
				ns := reg & (nStates - 1)
				if v := m + bm; v > next[ns] {
					next[ns] = v
					prev[t][ns] = uint8(s)
				}
			}
		}
		metric, next = next, metric
	}
	// Trace back from state 0 (the tail flushes the register).
	var w [infoBits + tailBits]byte
	s := uint8(0)
	for t := steps - 1; t >= 0; t-- {
		w[t] = s & 1
		s = prev[t][s]
	}
	for i := 0; i < PayloadBits; i++ {
		p[i/8] |= w[i] << (7 - uint(i%8))
	}
	var got [4]byte
	for i := 0; i < CheckBits; i++ {
		got[i/8] |= w[PayloadBits+i] << (7 - uint(i%8))
	}
	ok = hmac.Equal(got[:], func() []byte { c := check(k, p); return c[:] }())
	cw := Encode(k, p)
	agree := 0
	for i, b := range cw {
		if (soft[i] > 0) == (b == 1) {
			agree++
		}
	}
	return p, ok, float64(agree) / float64(CodedBits), nil
}
