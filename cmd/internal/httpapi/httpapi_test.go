package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"512MiB", 512 << 20, ""}, {"10MB", 10e6, ""}, {"1048576", 1 << 20, ""}, {"4k", 4096, ""},
		{" 2 GiB ", 2 << 30, ""}, {"1TB", 1e12, ""},
		{"", 0, "whole number"}, {"MiB", 0, "whole number"}, {"1.5MiB", 0, "unknown unit"}, {"0", 0, "positive"},
		{"-1", 0, "whole number"}, {"9999999999TiB", 0, "too large"}, {"99999999999999999999", 0, "whole number"},
	} {
		got, err := ParseSize(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSize(%q) = %d, %v; want error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestTokens(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(file, []byte("# platform tokens\n\nfile-token-0123456789\n  spaced-token-0123456789  \n"), 0o600)
	tk, err := LoadTokens(file, "env-token-0123456789, ,other-env-token-0123")
	if err != nil || tk.Len() != 4 {
		t.Fatalf("LoadTokens: %v, %d tokens", err, tk.Len())
	}
	for tok, want := range map[string]bool{
		"file-token-0123456789": true, "spaced-token-0123456789": true, "env-token-0123456789": true,
		"other-env-token-0123": true, "file-token-012345678": false, "file-token-01234567890": false, "": false,
		"# platform tokens": false,
	} {
		if tk.Check(tok) != want {
			t.Errorf("Check(%q) = %v", tok, !want)
		}
	}
	if _, err := LoadTokens("", ""); err != ErrNoTokens {
		t.Errorf("no tokens: %v", err)
	}
	for _, env := range []string{"short", "has space inside the token", "tab\ttoken-0123456789abc"} {
		if _, err := LoadTokens("", env); err == nil {
			t.Errorf("token %q accepted", env)
		}
	}
	if _, err := LoadTokens(filepath.Join(t.TempDir(), "missing"), "env-token-0123456789"); err == nil {
		t.Error("a missing file is not an error")
	}
	var nilTokens *Tokens
	if nilTokens.Check("anything-0123456789") {
		t.Error("nil Tokens accepted a token")
	}
	r := httptest.NewRequest("GET", "/", nil)
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": ""} {
		r.Header.Set("Authorization", h)
		if got := BearerToken(r); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestParseEvents(t *testing.T) {
	aws := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",
	  "s3":{"bucket":{"name":"b"},"object":{"key":"in/a+b%2B1.jpg","size":10,"eTag":"\"abc\""}}},
	  {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"x"}}}]}`
	n, err := ParseEvents([]byte(aws))
	if err != nil || len(n.Records) != 2 || n.Test {
		t.Fatalf("%+v %v", n, err)
	}
	r := n.Records[0]
	if !r.Created() || r.Bucket != "b" || r.ETag != "abc" || r.Size != 10 || n.Records[1].Created() {
		t.Errorf("%+v", n.Records)
	}
	if got := r.KeyCandidates(); !slices.Equal(got, []string{"in/a b+1.jpg", "in/a+b+1.jpg", "in/a+b%2B1.jpg"}) {
		t.Errorf("candidates %q", got)
	}
	// MinIO and versitygw prefix the name with s3:; versitygw keys are raw.
	minio := `{"EventName":"s3:ObjectCreated:CompleteMultipartUpload","Key":"b/in/x y.jpg","Records":[{"eventName":"s3:ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"b"},"object":{"key":"in/x y.jpg"}}}]}`
	n, err = ParseEvents([]byte(minio))
	if err != nil || !n.Records[0].Created() || n.Records[0].KeyCandidates()[0] != "in/x y.jpg" {
		t.Errorf("%+v %v", n, err)
	}
	if n, err := ParseEvents([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`)); err != nil || !n.Test {
		t.Errorf("test event: %+v %v", n, err)
	}
	for body, want := range map[string]string{
		`nope`:                            "not a notification",
		`{}`:                              "no \"Records\"",
		`{"Records":[{"eventName":"x"}]}`: "no \"s3\"",
		`{"Records":[{"s3":{}}]}`:         "no eventName",
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"k"}}}]}`:                                                "no bucket",
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"}}}]}`:                                               "no object key",
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","size":-1}}}]}`:                "negative",
		`{"Records":[` + strings.Repeat(`{"eventName":"a","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}},`, MaxRecords) + `{}]}`: "records, at most",
	} {
		if _, err := ParseEvents([]byte(body)); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "s3 event: ") {
			t.Errorf("%.60s: %v, want %q", body, err, want)
		}
	}
	if _, err := ParseEvents(make([]byte, MaxEventBody+1)); err == nil {
		t.Error("an oversized body parsed")
	}
}

func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%2Fb+c","eTag":"\"e\""}}}]}`))
	f.Add([]byte(`{"Event":"s3:TestEvent"}`))
	f.Add([]byte(`{"Records":[]}`))
	f.Add([]byte(`{"Records":[{"eventName":"s3:ObjectCreated:Copy","s3":{"bucket":{"name":"b"},"object":{"key":"%zz"}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseEvents(data)
		if err != nil {
			return
		}
		for _, r := range n.Records {
			if r.Bucket == "" || r.Key == "" || r.Name == "" {
				t.Fatalf("accepted an empty field: %+v", r)
			}
			c := r.KeyCandidates()
			if len(c) == 0 || c[len(c)-1] != r.Key && !slices.Contains(c, r.Key) {
				t.Fatalf("candidates %q lack the raw key %q", c, r.Key)
			}
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"512MiB", "10MB", "1", "0", "1.5G", "99999999999TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n <= 0 {
			t.Fatalf("ParseSize(%q) = %d without error", s, n)
		}
	})
}

func TestRegistryFormat(t *testing.T) {
	reg := &Registry{}
	c := reg.Counter("x_total", "Things.\nCounted.", "route", "code")
	c.Inc("a", "200")
	c.Add(2, "a", "200")
	c.Inc(`q"\`+"\n", "500")
	reg.GaugeFunc("depth", "Depth.", func() float64 { return 3 })
	h := reg.Histogram("lat_seconds", "Latency.", []float64{0.1, 1}, "route")
	h.Observe(0.05, "a")
	h.Observe(0.1, "a")
	h.Observe(5, "a")
	var b bytes.Buffer
	reg.WriteTo(&b)
	want := `# HELP x_total Things.\nCounted.
# TYPE x_total counter
x_total{route="a",code="200"} 3
x_total{route="q\"\\\n",code="500"} 1
# HELP depth Depth.
# TYPE depth gauge
depth 3
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{route="a",le="0.1"} 2
lat_seconds_bucket{route="a",le="1"} 2
lat_seconds_bucket{route="a",le="+Inf"} 3
lat_seconds_sum{route="a"} 5.15
lat_seconds_count{route="a"} 3
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestStack(t *testing.T) {
	reg := &Registry{}
	var logs bytes.Buffer
	tk, _ := LoadTokens("", "good-token-0123456789")
	st := NewStack(reg, slog.New(slog.NewJSONHandler(&logs, nil)), tk, 50*time.Millisecond)
	mux := http.NewServeMux()
	mux.Handle("/slow", st.Wrap(Route{Name: "slow", Auth: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			WriteError(w, http.StatusGatewayTimeout, r.Context().Err().Error())
		case <-time.After(5 * time.Second):
		}
	})))
	mux.Handle("/panic", st.Wrap(Route{Name: "panic"}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/slow", nil)
	req.Header.Set("Authorization", "Bearer good-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 504 {
		t.Errorf("timeout: %v %v", resp.StatusCode, err)
	}
	resp, err = http.Get(ts.URL + "/panic")
	if err != nil || resp.StatusCode != 500 {
		t.Errorf("panic: %v %v", resp.StatusCode, err)
	}
	if st.Requests("slow", 504) != 1 || st.Requests("panic", 500) != 1 {
		t.Errorf("counts: %d %d", st.Requests("slow", 504), st.Requests("panic", 500))
	}
	var line map[string]any
	first, _, _ := strings.Cut(logs.String(), "\n")
	if err := json.Unmarshal([]byte(first), &line); err != nil || line["route"] != "slow" || line["status"] != float64(504) || line["msg"] != "request" {
		t.Errorf("log line %s: %v", first, err)
	}
}

func TestQueue(t *testing.T) {
	release := make(chan struct{})
	var done atomic.Int32
	started := make(chan int, 10)
	q := NewQueue(2, 1, func(ctx context.Context, i int) {
		started <- i
		select {
		case <-release:
			done.Add(1)
		case <-ctx.Done():
		}
	})
	if !q.Offer(1) {
		t.Fatal("refused the first item")
	}
	<-started
	if !q.Offer(2, 3) || q.Offer(4) || q.Waiting() != 2 || q.Busy() != 1 {
		t.Fatalf("offer: waiting %d busy %d", q.Waiting(), q.Busy())
	}
	// All or nothing.
	q2 := NewQueue(2, 1, func(context.Context, int) {})
	defer q2.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	left := q.Shutdown(ctx) // 1 in progress, 2 and 3 waiting, none released
	slices.Sort(left)
	if !slices.Equal(left, []int{1, 2, 3}) || done.Load() != 0 {
		t.Errorf("handed back %v, done %d", left, done.Load())
	}
	if q.Offer(5) {
		t.Error("accepted after shutdown")
	}

	// Within the grace period everything queued is done.
	release2 := make(chan struct{})
	var n atomic.Int32
	q3 := NewQueue(3, 2, func(ctx context.Context, i int) { <-release2; n.Add(1) })
	q3.Offer(1, 2, 3)
	go func() { time.Sleep(50 * time.Millisecond); close(release2) }()
	if left := q3.Shutdown(context.Background()); len(left) != 0 || n.Load() != 3 {
		t.Errorf("left %v, done %d", left, n.Load())
	}
}
