package watermark

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
)

// KeySize is the length of a watermark key in bytes.
const KeySize = 32

// Key is the secret that seeds every pseudo-random choice of a watermark.
// Without it a mark can be neither read nor forged.
type Key [KeySize]byte

// NewKey returns a key of 32 bytes from the system's secure random source.
func NewKey() (Key, error) {
	var k Key
	if _, err := io.ReadFull(rand.Reader, k[:]); err != nil {
		return Key{}, fmt.Errorf("watermark: reading random key: %w", err)
	}
	return k, nil
}

// LoadKey reads a key: exactly 32 bytes, nothing more.
func LoadKey(r io.Reader) (Key, error) {
	var k Key
	n, err := io.ReadFull(r, k[:])
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Key{}, fmt.Errorf("watermark: key is %d bytes, want %d", n, KeySize)
		}
		return Key{}, fmt.Errorf("watermark: reading key: %w", err)
	}
	var extra [1]byte
	if m, _ := io.ReadFull(r, extra[:]); m != 0 {
		return Key{}, fmt.Errorf("watermark: key file is longer than %d bytes", KeySize)
	}
	return k, nil
}

// Sum returns HMAC-SHA256(key, label).
func (k Key) Sum(label string) [32]byte {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(label))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// Rand returns a deterministic ChaCha8 stream seeded with
// HMAC-SHA256(key, label): distinct labels give independent streams.
func (k Key) Rand(label string) *mrand.Rand {
	return mrand.New(mrand.NewChaCha8(k.Sum(label)))
}
