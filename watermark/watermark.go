// Package watermark holds what every invisible watermark of aigcmark shares:
// the secret Key that seeds every pseudo-random choice, the 64-bit Payload
// (tied to a metadata label by PayloadFor), the channel code that protects
// it (a keyed 32-bit check plus a rate-1/3 convolutional code decoded by soft
// Viterbi), and the Result a detector returns.
//
// Signal domains live in sub-packages (watermark/pixel for images). The
// payload definition follows GitHub issue 4: the first 64 bits of
// HMAC-SHA256(key, ContentProducer + "/" + ProduceID).
package watermark

import (
	"errors"
	"math"
)

// ErrNotFound reports that a detector found no watermark made with the key
// at the requested false-alarm probability.
var ErrNotFound = errors.New("watermark: not found")

// ErrTooSmall reports that the input is too small to carry or reveal a mark.
var ErrTooSmall = errors.New("watermark: input too small")

// Result is what a detector reports.
type Result struct {
	// Found is true when a payload was recovered, its check bits matched
	// and the false-alarm probability is within the detector's bound.
	Found bool
	// Payload is the recovered payload (zero unless Found).
	Payload Payload
	// Confidence is the fraction (0.5 = chance, 1 = perfect) of coded bits
	// whose received sign agrees with the decoded codeword.
	Confidence float64
	// FalseAlarm is the probability that content carrying no mark made with
	// this key yields a result at least as strong (a union bound over
	// everything the detector searched).
	FalseAlarm float64
}

// GaussianTail returns P(Z >= z) for a standard normal Z.
func GaussianTail(z float64) float64 {
	return 0.5 * math.Erfc(z/math.Sqrt2)
}
