package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/storage"
	"github.com/aigcmark/aigcmark/cmd/internal/storage/s3test"
	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label/all"
)

const (
	serveToken = "test-token-0123456789abcdef"
	platform2  = "001191110108MA01KP2T5U20000"
)

// lockedBuffer collects the service's JSON logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testServeOptions are the options of a small test service; s3 is the S3
// endpoint ("" for none).
func testServeOptions(s3 string) serveOptions {
	return serveOptions{MaxBody: "4MiB", Timeout: 30 * time.Second, Grace: 10 * time.Second, Workers: 1, Queue: 8,
		Concurrency: 2, Explicit: true, MaxPixels: 40_000_000, Policy: "verify", S3Endpoint: s3}
}

func serveEnv(name string) string {
	switch name {
	case "AIGCMARK_TOKENS":
		return serveToken
	case storage.EnvAccessKey:
		return s3test.AccessKey
	case storage.EnvSecretKey:
		return s3test.SecretKey
	case storage.EnvRegion:
		return s3test.Region
	}
	return ""
}

// startService builds a service and serves it on a test server.
func startService(t *testing.T, o serveOptions) (*service, *httptest.Server, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	s, err := newSrv(o, serveEnv, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.queue.Shutdown(context.Background())
		s.Close()
	})
	return s, ts, logs
}

// call makes a request and returns the response with its body read.
func call(t *testing.T, method, u, token, ctype string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func postFile(t *testing.T, u, p string) (*http.Response, []byte) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return call(t, "POST", u, serveToken, "image/jpeg", f)
}

// labeledJPEG labels a fixture with the label command (metadata only) and
// returns the result.
func labeledJPEG(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"label", "--producer", producer, "--out", out, "--quiet"}, metadataOnly(t)...)
	if code, stdout, stderr := runCLI(t, append(args, fixtures.Path("jpeg/plain.jpg"))...); code != exitOK {
		t.Fatalf("label: exit %d\n%s%s", code, stdout, stderr)
	}
	return filepath.Join(out, "plain.jpg")
}

// The service's /v1/verify answers with the object `verify --json` prints
// for the same file, but for the path.
func TestServeVerifyPostedFile(t *testing.T) {
	_, ts, _ := startService(t, testServeOptions(""))
	labeled := labeledJPEG(t)

	resp, body := postFile(t, ts.URL+"/v1/verify?name=photo.jpg", labeled)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	_, cliOut, _ := runCLI(t, "verify", "--json", labeled)
	var want map[string]any
	if err := json.Unmarshal([]byte(cliOut), &want); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, cliOut)
	}
	if got["path"] != "photo.jpg" {
		t.Errorf("path %v, want the name given", got["path"])
	}
	if v, _ := got["verdict"].(map[string]any); v == nil || v["label"] != "1" {
		t.Errorf("verdict %v, want 1", got["verdict"])
	}
	delete(got, "path")
	delete(want, "path")
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("serve and verify --json differ:\nserve:  %s\nverify: %s", g, w)
	}

	// An unlabeled picture, sent without a name: no label, verdict none.
	resp, body = postFile(t, ts.URL+"/v1/verify", fixtures.Path("jpeg/plain.jpg"))
	var r verifyLine
	if err := json.Unmarshal(body, &r); err != nil || resp.StatusCode != 200 || r.Verdict == nil || r.Verdict.Label != "none" || len(r.Labels) != 0 || r.Path != "upload.jpg" {
		t.Errorf("unlabeled: status %d, %+v, %v: %s", resp.StatusCode, r, err, body)
	}
	// A broken file: 422 with the report and its error.
	resp, body = postFile(t, ts.URL+"/v1/verify", fixtures.Path("bad/truncated.jpg"))
	if err := json.Unmarshal(body, &r); err != nil || resp.StatusCode != 422 || r.Error == nil {
		t.Errorf("truncated: status %d: %s", resp.StatusCode, body)
	}
}

// Without a token, or with a wrong one, every route but /healthz answers
// 401; bodies over --max-body answer 413, announced or not; /metrics
// counts them.
func TestServeAuthAndLimits(t *testing.T) {
	o := testServeOptions("")
	o.MaxBody = "64KiB"
	_, ts, _ := startService(t, o)
	small := fixtures.Path("jpeg/plain.jpg")
	for _, tc := range []struct{ route, token string }{
		{"/v1/verify", ""}, {"/v1/verify", "wrong-token-0123456789"}, {"/v1/verify", serveToken[:len(serveToken)-1]},
		{"/v1/label?producer=" + producer, ""}, {"/v1/propagate", "x"}, {"/v1/events", ""},
	} {
		f, _ := os.Open(small)
		resp, body := call(t, "POST", ts.URL+tc.route, tc.token, "image/jpeg", f)
		f.Close()
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(string(body), "bearer token") {
			t.Errorf("%s with token %q: %d %s", tc.route, tc.token, resp.StatusCode, body)
		}
	}
	if resp, _ := call(t, "GET", ts.URL+"/metrics", "", "", nil); resp.StatusCode != 401 {
		t.Errorf("/metrics without a token: %d", resp.StatusCode)
	}
	if resp, body := call(t, "GET", ts.URL+"/healthz", "", "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("/healthz: %d %s", resp.StatusCode, body)
	}
	// The token in the query is for webhook senders, on /v1/events only.
	if resp, _ := call(t, "POST", ts.URL+"/v1/verify?access_token="+serveToken, "", "image/jpeg", strings.NewReader("x")); resp.StatusCode != 401 {
		t.Errorf("query token on /v1/verify: %d", resp.StatusCode)
	}
	if resp, body := call(t, "POST", ts.URL+"/v1/events?access_token="+serveToken, "", "application/json", strings.NewReader(`{"Event":"s3:TestEvent"}`)); resp.StatusCode != 200 {
		t.Errorf("query token on /v1/events: %d %s", resp.StatusCode, body)
	}

	big := bytes.Repeat([]byte{0xff}, 100<<10)
	resp, body := call(t, "POST", ts.URL+"/v1/verify", serveToken, "image/jpeg", bytes.NewReader(big))
	if resp.StatusCode != 413 {
		t.Errorf("100 KiB with Content-Length: %d %s", resp.StatusCode, body)
	}
	// Chunked: the length is only known by reading.
	resp, body = call(t, "POST", ts.URL+"/v1/verify", serveToken, "image/jpeg", io.MultiReader(bytes.NewReader(big)))
	if resp.StatusCode != 413 {
		t.Errorf("100 KiB chunked: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, "GET", ts.URL+"/metrics", serveToken, "", nil)
	m := string(body)
	for _, want := range []string{
		`aigcmark_http_requests_total{route="verify",code="401"} 4`,
		`aigcmark_http_requests_total{route="verify",code="413"} 2`,
		`aigcmark_http_requests_total{route="events",code="200"} 1`,
		`aigcmark_http_request_duration_seconds_bucket{route="verify",le="+Inf"} 6`,
		"# TYPE aigcmark_queue_depth gauge\naigcmark_queue_depth 0\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	if resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("metrics Content-Type %q", resp.Header.Get("Content-Type"))
	}
}

// /v1/label returns the labeled picture, /v1/propagate the propagated one;
// exiftool reads the labels back.
func TestServeLabelAndPropagate(t *testing.T) {
	exiftool := fixtures.NeedTool(t, "exiftool")
	_, ts, _ := startService(t, testServeOptions(""))
	dir := t.TempDir()
	resp, labeled := postFile(t, ts.URL+"/v1/label?producer="+producer, fixtures.Path("jpeg/plain.jpg"))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("X-Aigcmark-Produce-Id") == "" {
		t.Fatalf("label: %d %v %.300s", resp.StatusCode, resp.Header, labeled)
	}
	if _, err := jpeg.Decode(bytes.NewReader(labeled)); err != nil {
		t.Fatalf("the labeled file is not a JPEG: %v", err)
	}
	p1 := filepath.Join(dir, "labeled.jpg")
	os.WriteFile(p1, labeled, 0o644)
	exif := func(p string) string {
		b, err := exec.Command(exiftool, "-config", fixtures.ExiftoolConfig(), "-s3", "-XMP-TC260:AIGC", p).CombinedOutput()
		if err != nil {
			t.Fatalf("exiftool: %v %s", err, b)
		}
		return string(b)
	}
	if s := exif(p1); !strings.Contains(s, `"ContentProducer":"`+producer+`"`) || !strings.Contains(s, resp.Header.Get("X-Aigcmark-Produce-Id")) {
		t.Errorf("exiftool reads %s", s)
	}

	resp, propagated := postFile(t, ts.URL+"/v1/propagate?propagator="+platform2, p1)
	if resp.StatusCode != 200 || resp.Header.Get("X-Aigcmark-Verdict") != "1" || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("propagate: %d %v %.300s", resp.StatusCode, resp.Header, propagated)
	}
	p2 := filepath.Join(dir, "propagated.jpg")
	os.WriteFile(p2, propagated, 0o644)
	if s := exif(p2); !strings.Contains(s, `"ContentProducer":"`+producer+`"`) || !strings.Contains(s, `"ContentPropagator":"`+platform2+`"`) {
		t.Errorf("exiftool reads %s", s)
	}

	// Bad requests name the problem.
	for _, tc := range []struct{ route, want string }{
		{"/v1/label", "producer is required"},
		{"/v1/label?producer=" + producer + "&label=7", "Annex E"},
		{"/v1/propagate", "propagator is required"},
	} {
		resp, body := postFile(t, ts.URL+tc.route, fixtures.Path("jpeg/plain.jpg"))
		if resp.StatusCode != 400 || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s", tc.route, resp.StatusCode, body)
		}
	}
	resp, body := call(t, "POST", ts.URL+"/v1/label?producer="+producer, serveToken, "application/octet-stream", strings.NewReader("not media at all"))
	if resp.StatusCode != 415 {
		t.Errorf("unknown format: %d %s", resp.StatusCode, body)
	}
}

// swapHandler answers 200 until the real handler is set: versitygw posts a
// test event when it starts, before the service (which needs its address)
// exists.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	io.Copy(io.Discard, r.Body)
}

func putObject(t *testing.T, srv *s3test.Server, bucket, key, p string, tg map[string]string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.Client.PutObject(ctx, bucket, key, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectOptions{ContentType: "image/jpeg", UserTags: tg}); err != nil {
		t.Fatal(err)
	}
}

func objectTags(t *testing.T, srv *s3test.Server, bucket, key string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tg, err := srv.Client.GetObjectTagging(ctx, bucket, key, minio.GetObjectTaggingOptions{})
	if err != nil {
		t.Fatalf("tags of %s: %v", key, err)
	}
	return tg.ToMap()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// versitygw's --event-webhook-url pointed at serve: an uploaded picture
// labeled by us comes out verified, tagged (its other tags kept) and
// propagated under the output prefix, whose own creation event is
// skipped. Then the JSON {"url"} forms of verify and label.
func TestServeEventsFromVersitygw(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sw := &swapHandler{}
	hs := &http.Server{Handler: sw}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	hook := "http://" + ln.Addr().String() + "/v1/events?access_token=" + serveToken
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"uploads", "published"}, EventWebhookURL: hook})

	o := testServeOptions(srv.Endpoint)
	o.Policy, o.Propagator, o.EventsOut = "verify,tag,propagate", platform2, "aigc-out/"
	s, ts, logs := startService(t, o)
	var h http.Handler = s.Handler()
	sw.h.Store(&h)

	labeled := labeledJPEG(t)
	const key = "in/photo one+1.jpg" // versitygw announces it raw
	putObject(t, srv, "uploads", key, labeled, map[string]string{"owner": "alice"})
	var tg map[string]string
	waitFor(t, 20*time.Second, "tags on the upload", func() bool {
		tg = objectTags(t, srv, "uploads", key)
		return tg["aigc-label"] != ""
	})
	if tg["aigc-label"] != "1" || tg["owner"] != "alice" {
		t.Errorf("tags %v, want aigc-label=1 and owner kept", tg)
	}
	if at, err := time.Parse(time.RFC3339, tg["aigc-checked"]); err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Minute {
		t.Errorf("aigc-checked %q: %v", tg["aigc-checked"], err)
	}
	// The propagated copy, with the platform's elements.
	ctx := context.Background()
	obj, err := srv.Client.GetObject(ctx, "uploads", "aigc-out/"+key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("no propagated copy: %v\nlogs:\n%s", err, logs.String())
	}
	st, _ := obj.Stat()
	found, err := all.Detect(data, key)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := found.Read(bytes.NewReader(data))
	if err != nil || len(ls) != 1 || ls[0].Label.ContentPropagator != platform2 || ls[0].Label.ContentProducer != producer {
		t.Errorf("propagated copy carries %+v, %v", ls, err)
	}
	if st.UserMetadata["Aigcmark-Output"] != "propagate" || st.ContentType != "image/jpeg" {
		t.Errorf("propagated copy's metadata: %v %q", st.UserMetadata, st.ContentType)
	}
	// Its creation is announced too, and skipped.
	waitFor(t, 10*time.Second, "the output's event skipped", func() bool { return s.events.Value("skipped") >= 1 })
	if got := objectTags(t, srv, "uploads", "aigc-out/"+key); len(got) != 0 {
		t.Errorf("our own output was processed: tags %v", got)
	}
	if n := s.verdicts.Value("event", "1"); n != 1 {
		t.Errorf("%d event verdicts 1, want 1", n)
	}
	if !strings.Contains(logs.String(), `"msg":"event processed"`) {
		t.Errorf("no event log line:\n%s", logs.String())
	}

	// {"url"} on /v1/verify, and /v1/label writing to another bucket.
	resp, body := call(t, "POST", ts.URL+"/v1/verify", serveToken, "application/json",
		strings.NewReader(`{"url":"s3://uploads/`+key+`"}`))
	var r verifyLine
	if err := json.Unmarshal(body, &r); err != nil || resp.StatusCode != 200 || r.Path != "s3://uploads/"+key || r.Verdict == nil || r.Verdict.Label != "1" {
		t.Errorf("verify url: %d %s", resp.StatusCode, body)
	}
	putObject(t, srv, "published", "raw.jpg", fixtures.Path("jpeg/plain.jpg"), nil)
	resp, body = call(t, "POST", ts.URL+"/v1/label", serveToken, "application/json",
		strings.NewReader(`{"url":"s3://published/raw.jpg","out":"s3://published/labeled/","producer":"`+producer+`"}`))
	var line reportLine
	if err := json.Unmarshal(body, &line); err != nil || resp.StatusCode != 200 || line.Output == nil || *line.Output != "s3://published/labeled/raw.jpg" {
		t.Fatalf("label url: %d %s", resp.StatusCode, body)
	}
	info, err := srv.Client.StatObject(ctx, "published", "labeled/raw.jpg", minio.StatObjectOptions{})
	if err != nil || info.UserMetadata["Aigcmark-Output"] != "label" || info.UserMetadata["Aigcmark-Source-Etag"] == "" {
		t.Errorf("labeled object: %v %v", info.UserMetadata, err)
	}
	resp, body = call(t, "POST", ts.URL+"/v1/verify", serveToken, "application/json", strings.NewReader(`{"url":"s3://published/missing.jpg"}`))
	if resp.StatusCode != 404 {
		t.Errorf("missing object: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, "POST", ts.URL+"/v1/verify", serveToken, "application/json", strings.NewReader(`{"url":"/etc/passwd"}`))
	if resp.StatusCode != 400 {
		t.Errorf("local path: %d %s", resp.StatusCode, body)
	}
}

// awsEvent is a notification as AWS sends it: the key form-encoded.
func awsEvent(bucket, key string) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put",`+
		`"s3":{"bucket":{"name":%q},"object":{"key":%q,"size":1,"eTag":"x"}}}]}`, bucket, url.QueryEscape(key))
}

// A full queue refuses with 503 and Retry-After; SIGTERM (the context)
// stops accepting and the queued events are still done; with a grace
// period too short, what was left is logged and reported.
func TestServeQueueFullAndShutdown(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"queued"}})
	labeled := labeledJPEG(t)
	keys := []string{"a b.jpg", "b.jpg", "c.jpg", "d.jpg"}
	for _, k := range keys {
		putObject(t, srv, "queued", k, labeled, nil)
	}
	run := func(grace time.Duration) (*service, *lockedBuffer, func(string) *http.Response, chan struct{}, func() error) {
		o := testServeOptions(srv.Endpoint)
		o.Policy, o.Workers, o.Queue, o.Grace = "tag", 1, 2, grace
		logs := &lockedBuffer{}
		s, err := newSrv(o, serveEnv, slog.New(slog.NewJSONHandler(logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		release := make(chan struct{})
		var started atomic.Int32
		s.testBefore = func(ctx context.Context, j srvEvent) {
			started.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.serve(ctx, ln) }()
		post := func(key string) *http.Response {
			resp, _ := call(t, "POST", "http://"+ln.Addr().String()+"/v1/events", serveToken, "application/json", strings.NewReader(awsEvent("queued", key)))
			if key == keys[0] {
				waitFor(t, 5*time.Second, "the first event started", func() bool { return started.Load() == 1 })
			}
			return resp
		}
		stop := func() error {
			cancel()
			select {
			case err := <-done:
				return err
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not return")
				return nil
			}
		}
		return s, logs, post, release, stop
	}

	// The worker holds a; b and c fill the queue; d is refused.
	s, _, post, release, stop := run(10 * time.Second)
	for _, k := range keys[:3] {
		if resp := post(k); resp.StatusCode != 202 {
			t.Fatalf("event %s: %d", k, resp.StatusCode)
		}
	}
	resp := post(keys[3])
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("full queue: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if s.events.Value("rejected") != 1 {
		t.Errorf("rejected count %d", s.events.Value("rejected"))
	}
	// Shut down with three events unfinished, then let the worker go.
	errc := make(chan error, 1)
	go func() { errc <- stop() }()
	waitFor(t, 5*time.Second, "draining", func() bool { return s.draining.Load() })
	close(release)
	if err := <-errc; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, k := range keys[:3] {
		if tg := objectTags(t, srv, "queued", k); tg["aigc-label"] != "1" {
			t.Errorf("%s after shutdown: tags %v", k, tg)
		}
	}
	if tg := objectTags(t, srv, "queued", keys[3]); len(tg) != 0 {
		t.Errorf("the refused event was processed: %v", tg)
	}

	// A grace period too short: the events left are handed back.
	for _, k := range keys {
		srv.Client.RemoveObjectTagging(context.Background(), "queued", k, minio.RemoveObjectTaggingOptions{})
	}
	_, logs, post, _, stop := run(300 * time.Millisecond)
	for _, k := range keys[:3] {
		if resp := post(k); resp.StatusCode != 202 {
			t.Fatalf("event %s: %d", k, resp.StatusCode)
		}
	}
	err := stop()
	if err == nil || !strings.Contains(err.Error(), "3 queued event(s) not processed") {
		t.Fatalf("short grace: %v", err)
	}
	for _, k := range keys[:3] {
		if !strings.Contains(logs.String(), `"msg":"event not processed","bucket":"queued","key":"`+url.QueryEscape(k)+`"`) {
			t.Errorf("%s not handed back in the log:\n%s", k, logs.String())
		}
	}
	if tg := objectTags(t, srv, "queued", keys[0]); len(tg) != 0 {
		t.Errorf("an interrupted event tagged its object: %v", tg)
	}
}

// The command is reachable through urfave/cli and refuses to start
// without tokens.
func TestServeCommandUsage(t *testing.T) {
	t.Setenv("AIGCMARK_TOKENS", "")
	var stderr bytes.Buffer
	app := &cli.App{Commands: []*cli.Command{serveCommand()}, ErrWriter: &stderr, Writer: &stderr,
		ExitErrHandler: func(*cli.Context, error) {}}
	err := app.Run([]string{"aigcmark", "serve", "--listen", "127.0.0.1:0"})
	if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), "no bearer tokens") {
		t.Errorf("no tokens: %v", err)
	}
	err = app.Run([]string{"aigcmark", "serve", "--no-auth", "--policy", "propagate"})
	if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--events-out") {
		t.Errorf("propagate policy without output: %v", err)
	}
	err = app.Run([]string{"aigcmark", "serve", "--no-auth", "--max-body", "lots"})
	if err == nil || !strings.Contains(err.Error(), "--max-body") {
		t.Errorf("bad size: %v", err)
	}
}
