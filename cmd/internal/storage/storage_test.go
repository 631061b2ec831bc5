package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/storage"
	"github.com/aigcmark/aigcmark/cmd/internal/storage/s3test"
	"github.com/minio/minio-go/v7"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in   string
		want storage.Location
		err  string
	}{
		{in: "s3://bucket", want: storage.Location{Bucket: "bucket"}},
		{in: "s3://bucket/", want: storage.Location{Bucket: "bucket"}},
		{in: "s3://b1x/in/", want: storage.Location{Bucket: "b1x", Key: "in/"}},
		{in: "S3://my.bucket-1/in/x/a.jpg", want: storage.Location{Bucket: "my.bucket-1", Key: "in/x/a.jpg"}},
		{in: "s3://bkt/with space/ä.jpg", want: storage.Location{Bucket: "bkt", Key: "with space/ä.jpg"}},
		{in: "s3://bkt/a%20b", want: storage.Location{Bucket: "bkt", Key: "a%20b"}},
		{in: "photos/in", want: storage.Location{Path: "photos/in"}},
		{in: "/abs/x.jpg", want: storage.Location{Path: "/abs/x.jpg"}},
		{in: "./s3:/x", want: storage.Location{Path: "./s3:/x"}},
		{in: "file:///tmp/a%20b", want: storage.Location{Path: "/tmp/a b"}},
		{in: "", err: "empty location"},
		{in: "s3://", err: "3 to 63"},
		{in: "s3://ab/x", err: "3 to 63"},
		{in: "s3://bad!name/x", err: "holds '!'"},
		{in: "s3://-bucket/x", err: "begin and end"},
		{in: "s3://a..b/x", err: `".."`},
		{in: "s3://bkt//x", err: "empty path segment"},
		{in: "s3://bkt/../x", err: `".." path segment`},
		{in: "s3://bkt/a\x01b", err: "character"},
		{in: "gs://bucket/x", err: `unsupported scheme "gs"`},
		{in: "http://host/x", err: "unsupported scheme"},
		{in: "file://host/x", err: "local paths only"},
	}
	for _, tc := range tests {
		got, err := storage.ParseLocation(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, storage.ErrInvalid) {
				t.Errorf("ParseLocation(%q) = %+v, %v; want an ErrInvalid error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := storage.LoadConfig(env(map[string]string{
		"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK",
		"AWS_REGION": "eu-west-3", "AIGCMARK_S3_ENDPOINT": "https://s3.example.com",
	}), "")
	if err != nil || c.AccessKey != "AK" || c.SecretKey != "SK" || c.SessionToken != "TOK" || c.Region != "eu-west-3" || c.Endpoint != "https://s3.example.com" {
		t.Errorf("LoadConfig = %+v, %v", c, err)
	}
	c, err = storage.LoadConfig(env(map[string]string{"AIGCMARK_S3_ENDPOINT": "https://a.example"}), "http://127.0.0.1:7070")
	if err != nil || c.Endpoint != "http://127.0.0.1:7070" {
		t.Errorf("the flag does not override the environment: %+v, %v", c, err)
	}
	for _, bad := range []string{"127.0.0.1:7070", "ftp://host", "http://", "http://host/path", "http://u:p@host", "https://host?x=1"} {
		if _, err := storage.LoadConfig(env(nil), bad); err == nil || !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), "--s3-endpoint") {
			t.Errorf("endpoint %q: %v, want an ErrInvalid error naming --s3-endpoint", bad, err)
		}
	}
	if _, err := storage.LoadConfig(env(map[string]string{"AWS_ACCESS_KEY_ID": "AK"}), ""); err == nil {
		t.Error("an access key without a secret is accepted")
	}
	if _, err := storage.NewS3Client(storage.Config{PartSize: 1 << 20}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("a 1 MiB part size: %v, want ErrInvalid", err)
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want storage.Shard
		err  string
	}{
		{"", storage.Shard{}, ""},
		{"0/1", storage.Shard{Index: 0, Count: 1}, ""},
		{"2/3", storage.Shard{Index: 2, Count: 3}, ""},
		{"01/2", storage.Shard{Index: 1, Count: 2}, ""},
		{"3/3", storage.Shard{}, "below the count 3"},
		{"-1/3", storage.Shard{}, "not a decimal"},
		{"1/0", storage.Shard{}, "count must be 1"},
		{"0/2000000", storage.Shard{}, "count must be 1"},
		{"a/b", storage.Shard{}, "not a decimal"},
		{"1", storage.Shard{}, "want i/n"},
		{"1/2/3", storage.Shard{}, "not a decimal"},
		{" 1/2", storage.Shard{}, "not a decimal"},
		{"1/", storage.Shard{}, "count"},
		{"99999999/1", storage.Shard{}, "7 digits"},
	} {
		got, err := storage.ParseShard(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.in)) {
				t.Errorf("ParseShard(%q) = %+v, %v; want an error naming it and saying %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestShardsPartitionAListing: shards 0..n-1 of one listing hold every key
// exactly once, in shares near 1/n.
func TestShardsPartitionAListing(t *testing.T) {
	m := storage.NewMemory("shards")
	const total = 2000
	for i := range total {
		// Keys as generators name them: differing in a character or two.
		k := fmt.Sprintf("in/batch-%d/img%05d.jpg", i%13, i)
		if i%2 == 1 {
			k = fmt.Sprintf("in/%c%c%c.jpg", 'a'+i/676%26, 'a'+i/26%26, 'a'+i%26)
		}
		put(t, m, k, []byte{1}, storage.Metadata{})
	}
	var items []storage.Item
	for it, err := range storage.Walk(ctx(t), m, "in/") {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	if len(items) != total {
		t.Fatalf("listed %d", len(items))
	}
	for n := 1; n <= 8; n++ {
		seen := map[string]int{}
		for i := range n {
			sh, err := storage.ParseShard(fmt.Sprintf("%d/%d", i, n))
			if err != nil {
				t.Fatal(err)
			}
			count := 0
			for _, it := range items {
				if sh.Contains(it.Key) {
					seen[it.Key]++
					count++
				}
			}
			if mean := total / n; count < mean*8/10 || count > mean*12/10 {
				t.Errorf("shard %d/%d holds %d of %d keys", i, n, count, total)
			}
		}
		if len(seen) != total {
			t.Errorf("n=%d: shards cover %d of %d keys", n, len(seen), total)
		}
		for k, c := range seen {
			if c != 1 {
				t.Errorf("n=%d: %s is in %d shards", n, k, c)
			}
		}
	}
	// Keys differing in one character by an even amount still spread over
	// two shards (they would not with FNV-1a's low bit alone).
	in0 := 0
	for c := byte('A'); c <= 'z'; c += 2 {
		if (storage.Shard{Index: 0, Count: 2}).Contains("in/" + string(c) + ".jpg") {
			in0++
		}
	}
	if in0 < 8 || in0 > 21 {
		t.Errorf("%d of 29 keys differing by even steps in shard 0/2", in0)
	}
	if !(storage.Shard{}).Contains("anything") {
		t.Error("the zero shard does not hold every key")
	}
}

var errSlowDown = minio.ErrorResponse{Code: "SlowDown", StatusCode: 503, Message: "Please reduce your request rate."}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{errSlowDown, true},
		{fmt.Errorf("wrapped: %w", errSlowDown), true},
		{minio.ErrorResponse{Code: "TooManyRequests", StatusCode: 429}, true},
		{minio.ErrorResponse{Code: "RequestTimeout", StatusCode: 400}, true},
		{minio.ErrorResponse{Code: "InternalError", StatusCode: 500}, true},
		{minio.ErrorResponse{Code: "502 Bad Gateway", StatusCode: 502}, true},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{io.ErrUnexpectedEOF, true},
		{errors.New("read tcp: connection reset by peer"), true},
		{minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}, false},
		{minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}, false},
		{minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404}, false},
		{minio.ErrorResponse{Code: "InvalidArgument", StatusCode: 400}, false},
		{&storage.Error{URL: "s3://b/k", Err: storage.ErrNotExist}, false},
		{fmt.Errorf("%w: %w", storage.ErrPermission, errSlowDown), false},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{errors.New("some parse error"), false},
		{nil, false},
	} {
		if got := storage.Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// fakeClock records the delays Retry asks for, without waiting.
type fakeClock struct{ delays []time.Duration }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.delays = append(c.delays, d)
	return ctx.Err()
}

func TestRetryBackoff(t *testing.T) {
	clock := &fakeClock{}
	b := storage.Backoff{Attempts: 6, Base: 100 * time.Millisecond, Max: time.Second, Sleep: clock.Sleep, Rand: func() float64 { return 0.999 }}
	calls := 0
	err := storage.Retry(context.Background(), b, func(context.Context) error { calls++; return errSlowDown })
	if calls != 6 || !errors.Is(err, errSlowDown) {
		t.Fatalf("throttled: %d calls, %v; want 6 calls and the last error", calls, err)
	}
	// Full jitter below a ceiling doubling from Base and capped at Max.
	ceilings := []time.Duration{100, 200, 400, 800, 1000}
	for i, d := range clock.delays {
		c := ceilings[i] * time.Millisecond
		if d < c*99/100 || d >= c {
			t.Errorf("delay %d = %v, want just below %v", i+1, d, c)
		}
	}
	if len(clock.delays) != 5 {
		t.Errorf("%d waits, want 5", len(clock.delays))
	}
	// Jitter spreads delays over [0, ceiling).
	b.Rand = nil
	low := 0
	for range 200 {
		d := b.Delay(3)
		if d < 0 || d >= 400*time.Millisecond {
			t.Fatalf("Delay(3) = %v outside [0, 400ms)", d)
		}
		if d < 200*time.Millisecond {
			low++
		}
	}
	if low < 60 || low > 140 {
		t.Errorf("%d of 200 delays in the lower half; jitter is not uniform", low)
	}

	// Permanent errors are not retried.
	for _, perm := range []error{minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}, minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}} {
		calls = 0
		err = storage.Retry(context.Background(), b, func(context.Context) error { calls++; return perm })
		if calls != 1 || err == nil {
			t.Errorf("%v: %d calls, %v; want 1", perm, calls, err)
		}
	}
	// Success after transient failures.
	calls = 0
	err = storage.Retry(context.Background(), storage.Backoff{Sleep: (&fakeClock{}).Sleep}, func(context.Context) error {
		calls++
		if calls < 3 {
			return &net.OpError{Op: "read", Err: syscall.ECONNRESET}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("reset twice then fine: %d calls, %v", calls, err)
	}
	// A cancelled context ends the waiting with real timers, quickly.
	c, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	calls = 0
	err = storage.Retry(c, storage.Backoff{Attempts: 100, Base: time.Hour}, func(context.Context) error { calls++; return errSlowDown })
	if time.Since(start) > 5*time.Second || calls != 1 || !errors.Is(err, errSlowDown) {
		t.Errorf("cancelled during the wait: %d calls after %v, %v", calls, time.Since(start), err)
	}
}

// faultTransport answers some requests with an error status instead of
// passing them on.
type faultTransport struct {
	base http.RoundTripper
	// fail returns the status and S3 code to answer r with, or 0.
	fail  func(r *http.Request) (int, string)
	calls atomic.Int64
}

func (f *faultTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	if status, code := f.fail(r); status != 0 {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, code)
		if code == "reset" {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
		}
		return &http.Response{
			StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/xml"}},
			Body:    io.NopCloser(strings.NewReader(body)),
			Request: r, ContentLength: int64(len(body)),
		}, nil
	}
	return f.base.RoundTrip(r)
}

// TestS3RetriesThrottlingNotPermanentErrors runs the S3 store against
// versitygw through a transport that injects throttling, resets and
// permanent errors.
func TestS3RetriesThrottlingNotPermanentErrors(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"retry"}})
	var mode atomic.Value // what to inject: "", "slowdown2", "denied", "always", "reset-get"
	mode.Store("")
	var injected atomic.Int64
	ft := &faultTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	ft.fail = func(r *http.Request) (int, string) {
		switch mode.Load().(string) {
		case "slowdown2":
			if injected.Add(1) <= 2 {
				return 503, "SlowDown"
			}
		case "denied":
			injected.Add(1)
			return 403, "AccessDenied"
		case "always":
			injected.Add(1)
			return 503, "SlowDown"
		case "reset-get":
			if r.Method == http.MethodGet && r.Header.Get("Range") != "" && injected.Add(1) <= 1 {
				return 1, "reset"
			}
		}
		return 0, ""
	}
	c, err := storage.NewS3Client(storage.Config{
		Endpoint: srv.Endpoint, Region: s3test.Region, AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey,
		Retry:     storage.Backoff{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond},
		Transport: ft,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := c.Bucket("retry")
	put(t, st, "dir/a.jpg", []byte("0123456789"), storage.Metadata{})
	put(t, st, "dir/b.jpg", []byte("abc"), storage.Metadata{})

	run := func(m string, fn func() error) (int64, error) {
		injected.Store(0)
		mode.Store(m)
		before := ft.calls.Load()
		err := fn()
		mode.Store("")
		return ft.calls.Load() - before, err
	}
	stat := func() error { _, err := st.Stat(ctx(t), "dir/a.jpg"); return err }

	if n, err := run("slowdown2", stat); err != nil || n != 3 {
		t.Errorf("Stat under two SlowDowns: %d requests, %v; want 3 and success", n, err)
	}
	if n, err := run("denied", stat); !errors.Is(err, storage.ErrPermission) || n != 1 {
		t.Errorf("Stat when denied: %d requests, %v; want 1 and ErrPermission", n, err)
	}
	if n, err := run("always", stat); err == nil || !storage.Retryable(err) || n != 4 {
		t.Errorf("Stat always throttled: %d requests, %v; want 4 and a retryable error", n, err)
	} else if !strings.Contains(err.Error(), "s3://retry/dir/a.jpg") {
		t.Errorf("error %q does not name the object", err)
	}
	if n, err := run("slowdown2", func() error {
		var got []string
		for obj, err := range st.List(ctx(t), "dir") {
			if err != nil {
				return err
			}
			got = append(got, obj.Key)
		}
		if strings.Join(got, ",") != "a.jpg,b.jpg" {
			return fmt.Errorf("listed %q", got)
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("List under two SlowDowns: %d requests, %v", n, err)
	}
	if n, err := run("slowdown2", func() error { return st.SetTags(ctx(t), "dir/a.jpg", map[string]string{"aigc-label": "1"}) }); err != nil || n != 3 {
		t.Errorf("SetTags under two SlowDowns: %d requests, %v", n, err)
	}
	if n, err := run("slowdown2", func() error {
		w, err := st.Create(ctx(t), "dir/c.jpg", storage.Metadata{})
		if err != nil {
			return err
		}
		w.Write([]byte("small"))
		_, err = w.Commit()
		return err
	}); err != nil || n != 3 {
		t.Errorf("a small PUT under two SlowDowns: %d requests, %v", n, err)
	}
	r, err := st.Open(ctx(t), "dir/a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := run("reset-get", func() error {
		b := make([]byte, 4)
		if _, err := r.ReadAt(b, 6); err != nil {
			return err
		}
		if string(b) != "6789" {
			return fmt.Errorf("read %q", b)
		}
		return nil
	}); err != nil || n != 2 {
		t.Errorf("a ranged GET after a connection reset: %d requests, %v", n, err)
	}
}

// TestOpenerLocal: how a local path names a store and a key, as the CLI's
// inputs and --out do.
func TestOpenerLocal(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "in", "x"), 0o755)
	os.WriteFile(filepath.Join(dir, "in", "x", "a.jpg"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(dir, "in", "b.jpg"), []byte("b"), 0o644)
	o := &storage.Opener{}
	walk := func(path string) []string {
		t.Helper()
		st, key, err := o.Open(storage.Location{Path: path})
		if err != nil {
			t.Fatalf("Open(%q): %v", path, err)
		}
		var got []string
		for it, err := range storage.Walk(ctx(t), st, key) {
			if err != nil {
				got = append(got, "error: "+strings.TrimPrefix(err.Error(), dir))
				continue
			}
			got = append(got, it.Rel+"="+st.URL(it.Key)[len(dir):])
		}
		return got
	}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{filepath.Join(dir, "in"), []string{"b.jpg=/in/b.jpg", "x/a.jpg=/in/x/a.jpg"}},
		{filepath.Join(dir, "in") + "/", []string{"b.jpg=/in/b.jpg", "x/a.jpg=/in/x/a.jpg"}},
		{filepath.Join(dir, "in", "x", "a.jpg"), []string{"a.jpg=/in/x/a.jpg"}},
		{filepath.Join(dir, "missing.jpg"), []string{"error: /missing.jpg: no such object or folder"}},
		{filepath.Join(dir, "nodir", "a.jpg"), []string{"error: /nodir/a.jpg: no such folder " + filepath.Join(dir, "nodir")}},
		{filepath.Join(dir, "nodir") + "/", []string{"error: /nodir: no such folder"}},
	} {
		if got := walk(tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("Walk(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	// An output folder that does not exist yet is created by the first write.
	out, key, err := o.Open(storage.Location{Path: filepath.Join(dir, "out") + "/"})
	if err != nil || key != "" {
		t.Fatalf("Open(out/) = %v, %q, %v", out, key, err)
	}
	put(t, out, storage.OutputKey(key, "x/a.jpg"), []byte("labeled"), storage.Metadata{})
	if b, err := os.ReadFile(filepath.Join(dir, "out", "x", "a.jpg")); err != nil || string(b) != "labeled" {
		t.Errorf("output = %q, %v", b, err)
	}
}
