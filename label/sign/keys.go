package sign

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Scheme is a signature algorithm. A value that holds a private key signs;
// Verify needs only the public key. Implementations must be safe for
// concurrent use.
type Scheme interface {
	// Name is the scheme's name in field values: lower-case letters and
	// digits ("ed25519").
	Name() string
	// Sign signs msg with the private key.
	Sign(msg []byte) ([]byte, error)
	// Public returns the public key matching the private key.
	Public() crypto.PublicKey
	// Verify checks sig over msg with pub; nil means valid.
	Verify(pub crypto.PublicKey, msg, sig []byte) error
}

// schemeByName returns a verifying Scheme, or nil.
func schemeByName(name string) Scheme {
	switch name {
	case "ed25519":
		return Ed25519{}
	}
	return nil
}

// Ed25519 is the Ed25519 scheme (RFC 8032). The zero value verifies only.
type Ed25519 struct {
	Key ed25519.PrivateKey
}

// Name returns "ed25519".
func (Ed25519) Name() string { return "ed25519" }

// Sign signs msg.
func (e Ed25519) Sign(msg []byte) ([]byte, error) {
	if len(e.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("ed25519: no private key")
	}
	return ed25519.Sign(e.Key, msg), nil
}

// Public returns the public key.
func (e Ed25519) Public() crypto.PublicKey {
	if len(e.Key) != ed25519.PrivateKeySize {
		return nil
	}
	return e.Key.Public()
}

// ErrBadSignature is returned by Verify for a signature that does not hold.
var ErrBadSignature = errors.New("signature does not verify")

// Verify checks sig.
func (Ed25519) Verify(pub crypto.PublicKey, msg, sig []byte) error {
	k, ok := pub.(ed25519.PublicKey)
	if !ok || len(k) != ed25519.PublicKeySize {
		return fmt.Errorf("ed25519: key is a %T, not an Ed25519 public key", pub)
	}
	if !ed25519.Verify(k, msg, sig) {
		return ErrBadSignature
	}
	return nil
}

// GenerateEd25519 returns a new Ed25519 signer; rand nil means crypto/rand.
func GenerateEd25519(r io.Reader) (Ed25519, error) {
	if r == nil {
		r = rand.Reader
	}
	_, priv, err := ed25519.GenerateKey(r)
	return Ed25519{Key: priv}, err
}

// KeyID returns the id of a public key: the first 8 bytes of the SHA-256
// of its PKIX (SubjectPublicKeyInfo) DER encoding, in lower-case hex.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:8]), nil
}

// MarshalPrivateKey returns s's private key as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKey(s Scheme) ([]byte, error) {
	e, ok := s.(Ed25519)
	if !ok || len(e.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: cannot marshal the private key of a %T", ErrSign, s)
	}
	der, err := x509.MarshalPKCS8PrivateKey(e.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey returns pub as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// GenerateKey writes a new Ed25519 key pair: PREFIX.key (PKCS#8 PEM, mode
// 0600) and PREFIX.pub (PKIX PEM, mode 0644). It refuses to overwrite
// either file. It returns the key id.
func GenerateKey(prefix string) (keyID string, err error) {
	s, err := GenerateEd25519(nil)
	if err != nil {
		return "", err
	}
	priv, err := MarshalPrivateKey(s)
	if err != nil {
		return "", err
	}
	pub, err := MarshalPublicKey(s.Public())
	if err != nil {
		return "", err
	}
	if err := writeNew(prefix+".key", priv, 0o600); err != nil {
		return "", err
	}
	if err := writeNew(prefix+".pub", pub, 0o644); err != nil {
		os.Remove(prefix + ".key")
		return "", err
	}
	return KeyID(s.Public())
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil { // despite the umask
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// maxKeyFile bounds a key file.
const maxKeyFile = 1 << 20

// ParsePrivateKey parses a PKCS#8 PEM private key into a signing Scheme.
func ParsePrivateKey(data []byte) (Scheme, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("sign: no PRIVATE KEY PEM block")
		}
		if b.Type != "PRIVATE KEY" {
			continue
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		if e, ok := k.(ed25519.PrivateKey); ok {
			return Ed25519{Key: e}, nil
		}
		return nil, fmt.Errorf("sign: unsupported private key type %T (want Ed25519)", k)
	}
}

// LoadPrivateKey reads a PKCS#8 PEM private key file. A file readable by
// group or others is refused.
func LoadPrivateKey(path string) (Scheme, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("sign: %s: private key file is accessible by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	s, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("sign: %s: key file over %d bytes", path, maxKeyFile)
	}
	return data, nil
}

// PublicKey is a trusted public key.
type PublicKey struct {
	ID     string // KeyID
	Scheme string // scheme name
	Key    crypto.PublicKey
	Source string // where it was loaded from
}

// Keyring holds trusted keys by id.
type Keyring map[string]PublicKey

// Add adds pub (a Scheme's public key) under its id.
func (k Keyring) Add(pub crypto.PublicKey, source string) (PublicKey, error) {
	var scheme string
	switch pub.(type) {
	case ed25519.PublicKey:
		scheme = "ed25519"
	default:
		return PublicKey{}, fmt.Errorf("sign: unsupported public key type %T", pub)
	}
	id, err := KeyID(pub)
	if err != nil {
		return PublicKey{}, err
	}
	pk := PublicKey{ID: id, Scheme: scheme, Key: pub, Source: source}
	k[id] = pk
	return pk, nil
}

// ParsePublicKeys adds every "PUBLIC KEY" PEM block of data to k.
func (k Keyring) ParsePublicKeys(data []byte, source string) (int, error) {
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "PUBLIC KEY" {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return n, fmt.Errorf("sign: %s: %w", source, err)
		}
		if _, err := k.Add(pub, source); err != nil {
			return n, fmt.Errorf("%s: %w", source, err)
		}
		n++
	}
	return n, nil
}

// LoadPublicKeys reads trusted public keys from a PEM file (one or more
// PUBLIC KEY blocks) or from every *.pub and *.pem file of a directory.
// A file, or a directory, without any key is an error.
func LoadPublicKeys(path string) (Keyring, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	k := Keyring{}
	files := []string{path}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		files = files[:0]
		for _, e := range ents {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".pub" || ext == ".pem") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(files)
	}
	for _, f := range files {
		data, err := readBounded(f)
		if err != nil {
			return nil, err
		}
		n, err := k.ParsePublicKeys(data, f)
		if err != nil {
			return nil, err
		}
		if n == 0 && !st.IsDir() {
			return nil, fmt.Errorf("sign: %s: no PUBLIC KEY PEM block", f)
		}
	}
	if len(k) == 0 {
		return nil, fmt.Errorf("sign: %s: no public keys found", path)
	}
	return k, nil
}
