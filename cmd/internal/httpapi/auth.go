package httpapi

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Bounds on token sources.
const (
	MaxTokens      = 1024
	MaxTokenLen    = 4096
	minTokenLen    = 16
	maxTokenFileSz = 1 << 20
)

// ErrNoTokens is returned by LoadTokens when neither source holds a token.
var ErrNoTokens = errors.New("no bearer tokens configured")

// Tokens is a set of accepted bearer tokens. Only their SHA-256 digests are
// kept, and Check compares digests in constant time against every token, so
// neither the length nor the content of a token leaks through timing.
type Tokens struct {
	sums [][sha256.Size]byte
}

// LoadTokens reads tokens from file (one per line; blank lines and lines
// starting with '#' are skipped; "" for none) and from env (a comma list,
// the value of AIGCMARK_TOKENS). Tokens must be 16 to 4096 printable ASCII
// characters without spaces. It returns ErrNoTokens when there are none.
func LoadTokens(file, env string) (*Tokens, error) {
	t := &Tokens{}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(io.LimitReader(f, maxTokenFileSz+1))
		sc.Buffer(make([]byte, 0, 4096), MaxTokenLen+2)
		n, size := 0, 0
		for sc.Scan() {
			n++
			size += len(sc.Bytes()) + 1
			if size > maxTokenFileSz {
				return nil, fmt.Errorf("tokens: %s is larger than %d bytes", file, maxTokenFileSz)
			}
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := t.add(line); err != nil {
				return nil, fmt.Errorf("tokens: %s line %d: %w", file, n, err)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("tokens: %s: %w", file, err)
		}
	}
	for i, s := range strings.Split(env, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if err := t.add(s); err != nil {
			return nil, fmt.Errorf("tokens: AIGCMARK_TOKENS item %d: %w", i+1, err)
		}
	}
	if len(t.sums) == 0 {
		return nil, ErrNoTokens
	}
	return t, nil
}

func (t *Tokens) add(s string) error {
	if len(s) < minTokenLen || len(s) > MaxTokenLen {
		return fmt.Errorf("a token must be %d to %d characters, this one has %d", minTokenLen, MaxTokenLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("a token must be printable ASCII without spaces (byte %d is %#x)", i, s[i])
		}
	}
	if len(t.sums) >= MaxTokens {
		return fmt.Errorf("more than %d tokens", MaxTokens)
	}
	t.sums = append(t.sums, sha256.Sum256([]byte(s)))
	return nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.sums) }

// Check reports whether token is one of t, comparing against all of them
// in constant time.
func (t *Tokens) Check(token string) bool {
	if t == nil || token == "" || len(token) > MaxTokenLen {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for i := range t.sums {
		ok |= subtle.ConstantTimeCompare(sum[:], t.sums[i][:])
	}
	return ok == 1
}

// BearerToken returns the token of an "Authorization: Bearer TOKEN" header,
// or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
