package watermark

import (
	"encoding/hex"
	"fmt"
)

// PayloadBits is the number of data bits a watermark carries.
const PayloadBits = 64

// Payload is the 64 data bits a watermark carries.
type Payload [8]byte

// PayloadFor returns the first 64 bits of
// HMAC-SHA256(key, producer + "/" + produceID), tying a watermark to the
// metadata label that names the same ContentProducer and ProduceID.
func PayloadFor(k Key, producer, produceID string) Payload {
	s := k.Sum(producer + "/" + produceID)
	var p Payload
	copy(p[:], s[:8])
	return p
}

// ParsePayload parses 16 hexadecimal digits.
func ParsePayload(s string) (Payload, error) {
	var p Payload
	if len(s) != 16 {
		return p, fmt.Errorf("watermark: payload %q: want 16 hex digits, got %d characters", s, len(s))
	}
	if _, err := hex.Decode(p[:], []byte(s)); err != nil {
		return p, fmt.Errorf("watermark: payload %q: %w", s, err)
	}
	return p, nil
}

// String returns the payload as 16 lower-case hex digits.
func (p Payload) String() string { return hex.EncodeToString(p[:]) }

// Bit returns data bit i (0 = most significant bit of byte 0).
func (p Payload) Bit(i int) byte { return p[i/8] >> (7 - uint(i%8)) & 1 }
