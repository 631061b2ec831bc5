// Package sign fills and checks the integrity fields of the GB 45438-2025
// Annex E label: ReservedCode1 (the producer's) and ReservedCode2 (the
// propagating platform's), as the TC260 practice guide lets each party use
// them for its own integrity data (shared/spec/GB45438.md, section 4).
//
// # The field value
//
// A signed field holds one line of printable ASCII from the Annex E
// recommended set (letters, digits, '.', '-' and '_'; no space, '"' or '\'):
//
//		aigcmark1.<scheme>.<keyid>.<content>.<signature>
//
//	  - "aigcmark1": this format, version 1;
//	  - scheme: the signature scheme's Name, "ed25519";
//	  - keyid: KeyID of the signer's public key, 16 lower-case hex digits;
//	  - content: the first 9 bytes of the content digest, base64url without
//	    padding (12 characters), so that Verify can tell changed content
//	    from a changed label;
//	  - signature: the signature over Message, base64url without padding.
//
// # What is signed
//
// Message builds the bytes the signature covers: the line
// "aigcmark-sign/1", then one "name=length:value" line per element (the
// length is the value's length in bytes, so no value can be forged by
// moving a separator):
//
//	party      "producer" or "propagator"
//	scheme     the scheme name
//	keyid      the key id
//	container  the label.Format name ("jpeg", "mp4", …)
//	digest     the content digest of package label/digest, 64 hex digits
//
// followed by the fields the party answers for. The producer signs Label,
// ContentProducer and ProduceID. The propagator signs Label,
// ContentPropagator, PropagateID and the producer's ReservedCode1, so that
// its signature also pins the producer's. (Label is in both: a platform
// that writes Label for the "possibly" and "suspected" cases answers for
// it.) A label copied onto another file fails, since its digest or
// container differs.
//
// # Schemes
//
// Scheme is the seam for other algorithms. Ed25519 (crypto/ed25519) is the
// one built in. SM2 with SM3 (GB/T 32918, GB/T 32905), which the TC260
// guide uses, would be a second Scheme named "sm2" whose keys parse from
// the same PKCS#8/PKIX PEM (OID 1.2.156.10197.1.301); no pure-Go SM2 module
// is available to this build, so it is not provided yet. Values in any
// other form — another vendor's SM2 or RSA signature, an opaque string —
// are reported as ForeignFormat, never as Invalid.
package sign

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/digest"
)

// Prefix starts every field value this package writes.
const Prefix = "aigcmark1."

// contentLen is how many digest bytes the value carries.
const contentLen = 9

// Party says whose field is signed.
type Party int

const (
	// Producer signs ReservedCode1.
	Producer Party = iota + 1
	// Propagator signs ReservedCode2.
	Propagator
)

func (p Party) String() string {
	switch p {
	case Producer:
		return "producer"
	case Propagator:
		return "propagator"
	}
	return "party(" + strconv.Itoa(int(p)) + ")"
}

// Field returns the label key holding p's signature.
func (p Party) Field() string {
	if p == Propagator {
		return "ReservedCode2"
	}
	return "ReservedCode1"
}

// Content is what a signature binds the label to: the container name and
// the content digest of package label/digest.
type Content struct {
	Container string
	Digest    [digest.Size]byte
}

// ErrSign is wrapped by errors from Sign.
var ErrSign = errors.New("sign")

// Message returns the bytes a signature by p covers (see the package doc).
func Message(p Party, l label.Label, c Content, scheme, keyID string) []byte {
	var b strings.Builder
	b.WriteString("aigcmark-sign/1\n")
	put := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	put("party", p.String())
	put("scheme", scheme)
	put("keyid", keyID)
	put("container", c.Container)
	put("digest", hex.EncodeToString(c.Digest[:]))
	put("Label", l.Label)
	if p == Propagator {
		put("ContentPropagator", l.ContentPropagator)
		put("PropagateID", l.PropagateID)
		put("ReservedCode1", l.ReservedCode1)
	} else {
		put("ContentProducer", l.ContentProducer)
		put("ProduceID", l.ProduceID)
	}
	return []byte(b.String())
}

// Sign returns the field value for party p signing l and c with s.
func Sign(s Scheme, p Party, l label.Label, c Content) (string, error) {
	if p != Producer && p != Propagator {
		return "", fmt.Errorf("%w: unknown party %v", ErrSign, p)
	}
	if !validName(s.Name()) {
		return "", fmt.Errorf("%w: scheme name %q is not lower-case letters and digits", ErrSign, s.Name())
	}
	id, err := KeyID(s.Public())
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSign, err)
	}
	sig, err := s.Sign(Message(p, l, c, s.Name(), id))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSign, err)
	}
	enc := base64.RawURLEncoding
	return Prefix + s.Name() + "." + id + "." + enc.EncodeToString(c.Digest[:contentLen]) + "." + enc.EncodeToString(sig), nil
}

// SignLabel returns l with p's field (ReservedCode1 or ReservedCode2) set
// to its signature. l is not modified.
func SignLabel(s Scheme, p Party, l label.Label, c Content) (label.Label, error) {
	v, err := Sign(s, p, l, c)
	if err != nil {
		return l, err
	}
	l.Set(p.Field(), v)
	return l, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Status is the outcome of checking one integrity field.
type Status int

const (
	// NotSigned: the field is empty.
	NotSigned Status = iota
	// Valid: the signature holds for this label and this content, by a
	// trusted key.
	Valid
	// Invalid: the value is ours, the key is trusted, and the label or the
	// content changed since signing (or the label was moved onto other
	// content). Result.Reason says which.
	Invalid
	// UnknownKey: the value is ours but its key is not among the trusted
	// keys; nothing can be said about it.
	UnknownKey
	// ForeignFormat: the field holds something that is not ours (another
	// vendor's signature, an opaque string, a later version of ours, or a
	// scheme this build lacks).
	ForeignFormat
)

var statusNames = [...]string{"not-signed", "valid", "invalid", "unknown-key", "foreign-format"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText makes a Status a JSON string.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is what Verify found.
type Result struct {
	Party  Party
	Status Status
	Scheme string // from the value, when it is ours
	KeyID  string // from the value, when it is ours
	Reason string // for people; empty when Valid
}

// Verify checks p's field in l against c with the trusted keys.
func Verify(keys Keyring, p Party, l label.Label, c Content) Result {
	v, _ := l.Get(p.Field())
	r := Result{Party: p}
	if v == "" {
		r.Status, r.Reason = NotSigned, p.Field()+" is empty"
		return r
	}
	if !strings.HasPrefix(v, Prefix) {
		r.Status = ForeignFormat
		r.Reason = p.Field() + " is not an aigcmark signature"
		if strings.HasPrefix(v, "aigcmark") {
			r.Reason = p.Field() + " is an aigcmark signature of a version this build does not know"
		}
		return r
	}
	parts := strings.Split(v[len(Prefix):], ".")
	invalid := func(format string, args ...any) Result {
		r.Status, r.Reason = Invalid, fmt.Sprintf(format, args...)
		return r
	}
	if len(parts) != 4 {
		return invalid("%s is malformed: %d parts after %q, want 4", p.Field(), len(parts), Prefix)
	}
	r.Scheme, r.KeyID = parts[0], parts[1]
	if !validName(r.Scheme) || !validKeyID(r.KeyID) {
		return invalid("%s is malformed: bad scheme or key id", p.Field())
	}
	enc := base64.RawURLEncoding
	cd, err1 := enc.DecodeString(parts[2])
	sig, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(cd) != contentLen {
		return invalid("%s is malformed: bad base64url", p.Field())
	}
	scheme := schemeByName(r.Scheme)
	if scheme == nil {
		r.Status, r.Reason = ForeignFormat, fmt.Sprintf("signature scheme %q is not supported by this build", r.Scheme)
		return r
	}
	key, ok := keys[r.KeyID]
	if !ok {
		r.Status, r.Reason = UnknownKey, fmt.Sprintf("key %s is not among the trusted keys", r.KeyID)
		return r
	}
	if key.Scheme != r.Scheme {
		return invalid("key %s is a %s key, the value says %s", r.KeyID, key.Scheme, r.Scheme)
	}
	if string(cd) != string(c.Digest[:contentLen]) {
		return invalid("the content differs from the content that was signed (changed, or the label was copied from another file)")
	}
	if err := scheme.Verify(key.Key, Message(p, l, c, r.Scheme, r.KeyID), sig); err != nil {
		if p == Propagator {
			return invalid("the signature does not match: Label, ContentPropagator, PropagateID or ReservedCode1 changed, or the container differs")
		}
		return invalid("the signature does not match: Label, ContentProducer or ProduceID changed, or the container differs")
	}
	r.Status = Valid
	return r
}

func validKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// ContentOf is a helper for callers holding a digest from label/digest.
func ContentOf(container string, d [digest.Size]byte) Content {
	return Content{Container: container, Digest: d}
}
