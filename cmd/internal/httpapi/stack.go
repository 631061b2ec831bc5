package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Stack wraps route handlers with authentication, body limits, a timeout,
// panic recovery, metrics and a JSON log line per request.
type Stack struct {
	Log     *slog.Logger
	Tokens  *Tokens       // nil: no authentication
	Timeout time.Duration // 0: none

	requests *CounterVec
	latency  *HistogramVec
	inflight atomic.Int64
	seq      atomic.Uint64
}

// NewStack returns a stack registering its metrics in reg:
// aigcmark_http_requests_total{route,code},
// aigcmark_http_request_duration_seconds{route} and
// aigcmark_http_requests_in_flight.
func NewStack(reg *Registry, log *slog.Logger, tokens *Tokens, timeout time.Duration) *Stack {
	s := &Stack{Log: log, Tokens: tokens, Timeout: timeout}
	s.requests = reg.Counter("aigcmark_http_requests_total", "HTTP requests by route and status code.", "route", "code")
	s.latency = reg.Histogram("aigcmark_http_request_duration_seconds", "HTTP request latency by route.", DefaultBuckets, "route")
	reg.GaugeFunc("aigcmark_http_requests_in_flight", "HTTP requests being served.", func() float64 { return float64(s.inflight.Load()) })
	return s
}

// Route says how a route is wrapped.
type Route struct {
	Name string // for logs and metrics: "verify", "events", ...
	// Auth requires a bearer token (when the stack has tokens).
	Auth bool
	// QueryToken also accepts the token as the access_token query
	// parameter (RFC 6750 §2.3), for webhook senders that cannot set
	// headers.
	QueryToken bool
	// MaxBody limits the request body (0: no body expected beyond what
	// the handler bounds itself).
	MaxBody int64
}

// Requests returns the count of requests of route answered with code.
func (s *Stack) Requests(route string, code int) uint64 {
	return s.requests.Value(route, strconv.Itoa(code))
}

type requestIDKey struct{}

// RequestID returns the ID the stack gave the request of ctx ("" outside).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Wrap returns h wrapped for route rt.
func (s *Stack) Wrap(rt Route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		id := strconv.FormatUint(s.seq.Add(1), 10)
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		if s.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.Timeout)
			defer cancel()
			// A cancelled context does not stop a read from a slow
			// client: the connection's deadlines do.
			rc := http.NewResponseController(rec)
			_ = rc.SetReadDeadline(start.Add(s.Timeout))
			_ = rc.SetWriteDeadline(start.Add(s.Timeout + 10*time.Second))
		}
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.Error("panic serving request", "route", rt.Name, "request_id", id, "panic", fmt.Sprint(p))
				if !rec.wrote {
					WriteError(rec, http.StatusInternalServerError, "internal error")
				}
			}
			d := time.Since(start)
			s.requests.Inc(rt.Name, strconv.Itoa(rec.code))
			s.latency.Observe(d.Seconds(), rt.Name)
			lvl := slog.LevelInfo
			if rec.code >= 500 {
				lvl = slog.LevelWarn
			}
			s.Log.LogAttrs(ctx, lvl, "request", slog.String("request_id", id), slog.String("method", r.Method),
				slog.String("route", rt.Name), slog.String("path", r.URL.Path), slog.Int("status", rec.code),
				slog.Int64("bytes_in", r.ContentLength), slog.Int64("bytes_out", rec.n),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("remote", r.RemoteAddr))
		}()
		if rt.Auth && s.Tokens != nil {
			tok := BearerToken(r)
			if tok == "" && rt.QueryToken {
				tok = r.URL.Query().Get("access_token")
			}
			if !s.Tokens.Check(tok) {
				rec.Header().Set("WWW-Authenticate", `Bearer realm="aigcmark"`)
				msg := "missing bearer token"
				if tok != "" {
					msg = "invalid bearer token"
				}
				WriteError(rec, http.StatusUnauthorized, msg)
				return
			}
		}
		if rt.MaxBody > 0 {
			if r.ContentLength > rt.MaxBody {
				WriteError(rec, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is %d bytes, more than the %d allowed", r.ContentLength, rt.MaxBody))
				return
			}
			r.Body = http.MaxBytesReader(rec, r.Body, rt.MaxBody)
		}
		h.ServeHTTP(rec, r)
	})
}

// IsTooLarge reports whether err came from reading past a route's MaxBody.
func IsTooLarge(err error) bool {
	var me *http.MaxBytesError
	return errors.As(err, &me)
}

// recorder remembers the status code and counts the bytes written.
type recorder struct {
	http.ResponseWriter
	code  int
	n     int64
	wrote bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(p)
	r.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// WriteJSON writes v as a JSON response with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError writes {"error": msg} with status code.
func WriteError(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, struct {
		Error string `json:"error"`
	}{msg})
}
