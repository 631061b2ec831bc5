package storage

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Backoff says how often and how patiently to retry. The zero value means
// 5 attempts, delays from 100 ms doubling up to 10 s.
type Backoff struct {
	// Attempts is the number of tries in all (1: no retries).
	Attempts int
	// Base is the ceiling of the first delay; the n-th retry waits a
	// random time in [0, min(Max, Base·2ⁿ⁻¹)) ("full jitter").
	Base time.Duration
	// Max caps the delay ceiling.
	Max time.Duration
	// Sleep waits for d or until ctx is done (tests pass a fake clock);
	// nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) (nil: math/rand/v2).
	Rand func() float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Attempts <= 0 {
		b.Attempts = 5
	}
	if b.Base <= 0 {
		b.Base = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 10 * time.Second
	}
	if b.Max < b.Base {
		b.Max = b.Base
	}
	if b.Sleep == nil {
		b.Sleep = sleep
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// Delay returns the wait before retry n (1 for the first retry).
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	ceil := b.Base
	for i := 1; i < n && ceil < b.Max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, b.Max)
	return time.Duration(b.Rand() * float64(ceil))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Retry calls fn until it succeeds, fails with an error Retryable rejects,
// the attempts run out or ctx is done; it returns fn's last error (or
// ctx's, when it ended the wait).
func Retry(ctx context.Context, b Backoff, fn func(ctx context.Context) error) error {
	b = b.withDefaults()
	var err error
	for attempt := 1; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err != nil {
				return err
			}
			return cerr
		}
		err = fn(ctx)
		if err == nil || attempt >= b.Attempts || !Retryable(err) {
			return err
		}
		if serr := b.Sleep(ctx, b.Delay(attempt)); serr != nil {
			return err
		}
	}
}

// Retryable reports whether err is worth retrying: throttling (503
// SlowDown, 429), RequestTimeout, other 5xx responses, connection resets,
// timeouts and bodies cut short. Permanent errors — 403, 404,
// NoSuchBucket, invalid arguments, a changed object, a cancelled context —
// are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, e := range []error{ErrNotExist, ErrNoBucket, ErrPermission, ErrInvalid, ErrUnsupported, ErrChanged, ErrSymlink, ErrClosed} {
		if errors.Is(err, e) {
			return false
		}
	}
	if resp := errorResponse(err); resp.Code != "" || resp.StatusCode != 0 {
		switch resp.Code {
		case "SlowDown", "SlowDownRead", "SlowDownWrite", "RequestTimeout",
			"InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException",
			"TooManyRequests", "RequestLimitExceeded", "XMinioServerNotInitialized":
			return true
		}
		s := resp.StatusCode
		return s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// Transport errors that carry no errno (HTTP/2 stream resets, a
	// server closing an idle connection under the request).
	msg := err.Error()
	for _, s := range []string{"connection reset", "broken pipe", "server closed idle connection", "unexpected EOF", "http2: stream closed", "INTERNAL_ERROR"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
