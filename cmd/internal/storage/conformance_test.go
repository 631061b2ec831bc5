package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/storage"
	"github.com/aigcmark/aigcmark/cmd/internal/storage/s3test"
	"github.com/minio/minio-go/v7"
)

// harness is one Store under the conformance suite.
type harness struct {
	store storage.Store
	// missingBucket is a store whose bucket (root folder) does not exist;
	// nil where that cannot happen.
	missingBucket storage.Store
	// transferred counts the bytes the store received over the network,
	// for stores that use one.
	transferred *atomic.Int64
	// partSize is the S3 part size, so tests can cross it.
	partSize int64
	srv      *s3test.Server
	bucket   string
}

// TestConformance runs the same suite on the local, memory and S3
// (versitygw) stores.
func TestConformance(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		runSuite(t, &harness{store: storage.NewMemory("test")})
	})
	t.Run("local", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		l, err := storage.NewLocal(filepath.Join(dir, "root"))
		if err != nil {
			t.Fatal(err)
		}
		missing, _ := storage.NewLocal(filepath.Join(dir, "absent"))
		runSuite(t, &harness{store: l, missingBucket: missing})
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		h := newS3Harness(t, s3test.Options{Buckets: []string{"conformance"}}, "conformance")
		runSuite(t, h)
	})
}

func newS3Harness(t *testing.T, opts s3test.Options, bucket string) *harness {
	srv := s3test.Start(t, opts)
	var n atomic.Int64
	cfg := storage.Config{
		Endpoint:  srv.Endpoint,
		Region:    s3test.Region,
		AccessKey: s3test.AccessKey,
		SecretKey: s3test.SecretKey,
		PartSize:  storage.MinPartSize,
		Retry:     storage.Backoff{Base: time.Millisecond, Max: 10 * time.Millisecond},
		Transport: &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone(), n: &n},
	}
	c, err := storage.NewS3Client(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{
		store:         c.Bucket(bucket),
		missingBucket: c.Bucket("no-such-bucket"),
		transferred:   &n,
		partSize:      cfg.PartSize,
		srv:           srv,
		bucket:        bucket,
	}
}

// countingTransport counts the bytes of response bodies.
type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: c.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func runSuite(t *testing.T, h *harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, *harness, string)
	}{
		{"ListOrderAndPrefixes", testList},
		{"StatAndMetadata", testMetadata},
		{"CommitVisibility", testCommit},
		{"AbortLeavesNothing", testAbort},
		{"RangedReads", testRangedReads},
		{"Tags", testTags},
		{"Remove", testRemove},
		{"Errors", testErrors},
		{"UnicodeKeys", testUnicode},
		{"WalkAndResume", testWalkResume},
		{"ReplacedWhileReading", testReplacedWhileReading},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h, tc.name+"/") })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// put writes an object and returns it as committed.
func put(t *testing.T, st storage.Store, key string, data []byte, meta storage.Metadata) storage.Object {
	t.Helper()
	w, err := st.Create(ctx(t), key, meta)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write(%q): %v", key, err)
	}
	obj, err := w.Commit()
	if err != nil {
		t.Fatalf("Commit(%q): %v", key, err)
	}
	return obj
}

func get(t *testing.T, st storage.Store, key string) []byte {
	t.Helper()
	r, err := st.Open(ctx(t), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return b
}

func list(t *testing.T, st storage.Store, prefix string) []storage.Object {
	t.Helper()
	var out []storage.Object
	for obj, err := range st.List(ctx(t), prefix) {
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		out = append(out, obj)
	}
	return out
}

func keys(objs []storage.Object) []string {
	var k []string
	for _, o := range objs {
		k = append(k, o.Key)
	}
	return k
}

func testList(t *testing.T, h *harness, p string) {
	st := h.store
	// Keys chosen so that walking folders name by name would give another
	// order than the keys' byte order ("a-c" < "a/…" < "a0").
	rel := []string{"a/b/c.txt", "a/b.txt", "a-c.txt", "a/b/d e.txt", "a0", "a/b0/x", "z", "a.txt", "ü/ñ.txt"}
	for i, k := range rel {
		put(t, st, p+k, bytes.Repeat([]byte{byte('A' + i)}, i+1), storage.Metadata{})
	}
	want := slices.Clone(rel)
	slices.Sort(want)
	got := list(t, st, p)
	if !slices.Equal(keys(got), want) {
		t.Fatalf("List(%q) keys = %q, want %q", p, keys(got), want)
	}
	for _, o := range got {
		i := slices.Index(rel, o.Key)
		if o.Size != int64(i+1) || o.ETag == "" || o.ModTime.IsZero() {
			t.Errorf("List: %q: size %d etag %q mtime %v, want size %d and an ETag and time", o.Key, o.Size, o.ETag, o.ModTime, i+1)
		}
		if time.Since(o.ModTime) > time.Hour || time.Until(o.ModTime) > time.Hour {
			t.Errorf("List: %q: mod time %v is not now", o.Key, o.ModTime)
		}
	}
	// A nested prefix, with or without its slash, lists relative keys.
	for _, prefix := range []string{p + "a/b", p + "a/b/"} {
		if got := keys(list(t, st, prefix)); !slices.Equal(got, []string{"c.txt", "d e.txt"}) {
			t.Errorf("List(%q) = %q", prefix, got)
		}
	}
	// Nothing under a missing prefix or under an object's key.
	for _, prefix := range []string{p + "nothing", p + "z", p + "a/b.txt"} {
		if got := list(t, st, prefix); len(got) != 0 {
			t.Errorf("List(%q) = %q, want nothing", prefix, keys(got))
		}
	}
	// Stopping early is allowed.
	n := 0
	for range st.List(ctx(t), p) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("stopping after 2: saw %d", n)
	}
	// Invalid prefixes are refused, not listed.
	for obj, err := range st.List(ctx(t), "../x") {
		if !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("List(../x) = %+v, %v; want ErrInvalid", obj, err)
		}
	}
}

func testMetadata(t *testing.T, h *harness, p string) {
	st := h.store
	meta := storage.Metadata{
		ContentType:  "image/jpeg",
		CacheControl: "public, max-age=60",
		User:         map[string]string{"origin": "generator-7", "model": "x.y_z"},
	}
	src := put(t, st, p+"src.jpg", []byte("source bytes"), meta)
	out := meta.ForOutput(`"` + src.ETag + `"`)
	if meta.User[storage.SourceETagKey] != "" {
		t.Fatal("ForOutput modified its receiver")
	}
	committed := put(t, st, p+"out.jpg", []byte("labeled bytes"), out)
	got, err := st.Stat(ctx(t), p+"out.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != p+"out.jpg" || got.Size != int64(len("labeled bytes")) || got.ETag != committed.ETag || got.ETag == src.ETag {
		t.Errorf("Stat = key %q size %d etag %q; committed etag %q, source etag %q", got.Key, got.Size, got.ETag, committed.ETag, src.ETag)
	}
	if got.Meta.ContentType != "image/jpeg" || got.Meta.CacheControl != "public, max-age=60" {
		t.Errorf("Stat metadata = %+v", got.Meta)
	}
	wantUser := map[string]string{"origin": "generator-7", "model": "x.y_z", storage.SourceETagKey: src.ETag}
	for k, v := range wantUser {
		if got.Meta.User[k] != v {
			t.Errorf("user metadata %q = %q, want %q (all: %v)", k, got.Meta.User[k], v, got.Meta.User)
		}
	}
	if len(got.Meta.User) != len(wantUser) {
		t.Errorf("user metadata = %v, want %v", got.Meta.User, wantUser)
	}
	if got.Meta.SourceETag() != src.ETag {
		t.Errorf("SourceETag = %q, want %q", got.Meta.SourceETag(), src.ETag)
	}
	r, err := st.Open(ctx(t), p+"out.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if o := r.Object(); o.ETag != got.ETag || o.Meta.ContentType != "image/jpeg" || o.Meta.SourceETag() != src.ETag {
		t.Errorf("Open().Object() = %+v", o)
	}
	// Metadata S3 would refuse is refused everywhere, before writing.
	for _, bad := range []storage.Metadata{
		{ContentType: "image/jpeg\r\nX-Evil: 1"},
		{User: map[string]string{"Upper": "x"}},
		{User: map[string]string{"k": "naïve"}},
		{User: map[string]string{"k": strings.Repeat("x", 3000)}},
	} {
		if w, err := st.Create(ctx(t), p+"bad", bad); !errors.Is(err, storage.ErrInvalid) {
			if w != nil {
				w.Abort()
			}
			t.Errorf("Create with %+v: %v, want ErrInvalid", bad, err)
		}
	}
}

func testCommit(t *testing.T, h *harness, p string) {
	st := h.store
	key := p + "x/obj.bin"
	w, err := st.Create(ctx(t), key, storage.Metadata{ContentType: "application/octet-stream"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write([]byte("first "))
	w.Write([]byte("version"))
	if _, err := st.Stat(ctx(t), key); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("before Commit: Stat = %v, want ErrNotExist", err)
	}
	if got := list(t, st, p); len(got) != 0 {
		t.Fatalf("before Commit: List = %q", keys(got))
	}
	first, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("more")); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Write after Commit: %v, want ErrClosed", err)
	}
	if _, err := w.Commit(); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("second Commit: %v, want ErrClosed", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if got := string(get(t, st, key)); got != "first version" {
		t.Fatalf("content = %q", got)
	}
	if first.Size != 13 || first.Key != key {
		t.Errorf("Commit returned %+v", first)
	}
	// Replacing changes content and ETag.
	second := put(t, st, key, []byte("second version!"), storage.Metadata{})
	if second.ETag == first.ETag {
		t.Errorf("ETag unchanged by a new content: %q", first.ETag)
	}
	if got := string(get(t, st, key)); got != "second version!" {
		t.Fatalf("after replace: content = %q", got)
	}
	// An empty object.
	put(t, st, p+"empty", nil, storage.Metadata{})
	if b := get(t, st, p+"empty"); len(b) != 0 {
		t.Errorf("empty object reads %d bytes", len(b))
	}
	// A write larger than an S3 part streams; it appears whole on Commit.
	if h.partSize > 0 {
		big := pattern(int(h.partSize)+12345, 3)
		w, err := st.Create(ctx(t), p+"big", storage.Metadata{ContentType: "video/mp4"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		for chunk := range slices.Chunk(big, 1<<20) {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Stat(ctx(t), p+"big"); !errors.Is(err, storage.ErrNotExist) {
			t.Fatalf("streaming upload visible before Commit: %v", err)
		}
		obj, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if obj.Size != int64(len(big)) {
			t.Errorf("Commit size %d, want %d", obj.Size, len(big))
		}
		if got := get(t, st, p+"big"); sha256.Sum256(got) != sha256.Sum256(big) {
			t.Errorf("streamed object differs: %d bytes read of %d", len(got), len(big))
		}
		st2, _ := st.Stat(ctx(t), p+"big")
		if st2.Meta.ContentType != "video/mp4" {
			t.Errorf("streamed object Content-Type %q", st2.Meta.ContentType)
		}
	}
}

func testAbort(t *testing.T, h *harness, p string) {
	st := h.store
	sizes := []int{0, 1000}
	if h.partSize > 0 {
		sizes = append(sizes, int(h.partSize)+1) // a multipart upload in flight
	}
	for _, n := range sizes {
		key := p + "aborted"
		w, err := st.Create(ctx(t), key, storage.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(pattern(n, 1)); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx(t), key); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("%d bytes aborted: Stat = %v, want ErrNotExist", n, err)
		}
		if _, err := w.Commit(); !errors.Is(err, storage.ErrClosed) {
			t.Errorf("Commit after Abort: %v", err)
		}
	}
	// A cancelled context aborts the write too.
	c, cancel := context.WithCancel(ctx(t))
	w, err := st.Create(c, p+"cancelled", storage.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(pattern(1000, 2))
	cancel()
	if _, err := w.Commit(); err == nil {
		t.Error("Commit after cancel succeeded")
	}
	w.Abort()
	if _, err := st.Stat(ctx(t), p+"cancelled"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("cancelled write: Stat = %v", err)
	}
	// Replacing: an aborted write leaves the previous object as it was.
	put(t, st, p+"kept", []byte("old"), storage.Metadata{})
	w, _ = st.Create(ctx(t), p+"kept", storage.Metadata{})
	w.Write([]byte("new"))
	w.Abort()
	if got := string(get(t, st, p+"kept")); got != "old" {
		t.Errorf("aborted replacement changed the object: %q", got)
	}
	if got := keys(list(t, st, p)); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("after aborts List = %q, want [kept]", got)
	}
	if h.srv != nil {
		for up := range h.srv.Client.ListIncompleteUploads(ctx(t), h.bucket, p, true) {
			t.Errorf("incomplete upload left behind: %+v", up)
		}
	}
}

// pattern returns n deterministic pseudo-random bytes.
func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testRangedReads(t *testing.T, h *harness, p string) {
	st := h.store
	const size = 20 << 20
	data := pattern(size, 42)
	key := p + "video.mp4"
	put(t, st, key, data, storage.Metadata{ContentType: "video/mp4"})

	before := int64(0)
	if h.transferred != nil {
		before = h.transferred.Load()
	}
	r, err := st.Open(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Object().Size != size {
		t.Fatalf("Object().Size = %d", r.Object().Size)
	}
	// Like an MP4 parser: the first box header, then the end of the file.
	head := make([]byte, 8)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, data[:8]) {
		t.Fatalf("first 8 bytes = %x, %v", head, err)
	}
	if pos, err := r.Seek(-10, io.SeekEnd); err != nil || pos != size-10 {
		t.Fatalf("Seek(-10, End) = %d, %v", pos, err)
	}
	tail := make([]byte, 10)
	if _, err := io.ReadFull(r, tail); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tail, data[size-10:]) {
		t.Fatalf("last 10 bytes = %x, want %x", tail, data[size-10:])
	}
	if n, err := r.Read(tail); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
	if h.transferred != nil {
		got := h.transferred.Load() - before
		if got > 256<<10 {
			t.Errorf("reading the first 8 and the last 10 bytes of %d transferred %d bytes", size, got)
		}
		t.Logf("reading the first 8 and the last 10 bytes of a %d-byte object transferred %d bytes", size, got)
	}

	// A reader hopping around like an MP4 parser: box headers, then a
	// skip over the payload, ReadAt in between.
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 300<<10)
	for i := range 200 {
		off := rng.Int64N(size + 100)
		n := 1 + rng.IntN(len(buf))
		if i%10 == 0 {
			n = 8
		}
		if i%2 == 0 {
			got, err := r.ReadAt(buf[:n], off)
			wantN := int(max(0, min(int64(n), size-off)))
			if got != wantN || (got < n) != (err == io.EOF) || (got == n && err != nil) {
				t.Fatalf("ReadAt(%d bytes, %d) = %d, %v; want %d", n, off, got, err, wantN)
			}
			if !bytes.Equal(buf[:got], data[min(off, size):min(off, size)+int64(got)]) {
				t.Fatalf("ReadAt(%d bytes, %d): wrong bytes", n, off)
			}
			continue
		}
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadFull(r, buf[:n])
		wantN := int(max(0, min(int64(n), size-off)))
		if got != wantN || (got == n && err != nil) {
			t.Fatalf("Seek(%d)+ReadFull(%d) = %d, %v; want %d", off, n, got, err, wantN)
		}
		if !bytes.Equal(buf[:got], data[min(off, size):min(off, size)+int64(got)]) {
			t.Fatalf("Seek(%d)+ReadFull(%d): wrong bytes", off, n)
		}
		if pos, _ := r.Seek(0, io.SeekCurrent); pos != off+int64(got) {
			t.Fatalf("position after reading %d at %d = %d", got, off, pos)
		}
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to -1 succeeded")
	}

	// Sequential reading returns everything and, on S3, transfers about
	// the object once.
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if h.transferred != nil {
		before = h.transferred.Load()
	}
	hsh := sha256.New()
	if n, err := io.CopyBuffer(hsh, r, make([]byte, 32<<10)); err != nil || n != size {
		t.Fatalf("sequential read: %d bytes, %v", n, err)
	}
	if [32]byte(hsh.Sum(nil)) != sha256.Sum256(data) {
		t.Fatal("sequential read returned other bytes")
	}
	if h.transferred != nil {
		got := h.transferred.Load() - before
		if got < size || got > size+size/20 {
			t.Errorf("sequential read of %d bytes transferred %d", size, got)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(buf); err == nil {
		t.Errorf("Read after Close: %v", err)
	}
}

// testReplacedWhileReading: a reader never mixes two versions of an
// object: after the object is replaced it goes on reading the old one, or
// fails with ErrChanged.
func testReplacedWhileReading(t *testing.T, h *harness, p string) {
	st := h.store
	key := p + "replaced.bin"
	old := pattern(1<<20, 5)
	put(t, st, key, old, storage.Metadata{})
	r, err := st.Open(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 100)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	put(t, st, key, pattern(1<<20, 6), storage.Metadata{})
	tail := make([]byte, 100)
	_, err = r.ReadAt(tail, 1<<20-100)
	switch {
	case errors.Is(err, storage.ErrChanged):
		if storage.Retryable(err) {
			t.Error("ErrChanged is retryable")
		}
		if !strings.Contains(err.Error(), st.URL(key)) {
			t.Errorf("error %q does not name the object", err)
		}
	case err != nil:
		t.Fatalf("ReadAt after replacement: %v", err)
	case !bytes.Equal(tail, old[1<<20-100:]):
		t.Fatal("the reader returned bytes of the new version")
	}
	if h.srv != nil && !errors.Is(err, storage.ErrChanged) {
		t.Errorf("S3 read of a replaced object: %v, want ErrChanged", err)
	}
}

// testConcurrent: writers, readers and a shared ReaderAt used from several
// goroutines at once (run under -race).
func testConcurrent(t *testing.T, h *harness, p string) {
	st := h.store
	shared := pattern(300<<10, 9)
	put(t, st, p+"shared", shared, storage.Metadata{})
	r, err := st.Open(ctx(t), p+"shared")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	errs := make(chan error, 16)
	for g := range 8 {
		go func() {
			key := fmt.Sprintf("%sw%d/obj", p, g)
			data := pattern(1000+g, uint64(g))
			w, err := st.Create(ctx(t), key, storage.Metadata{User: map[string]string{"g": fmt.Sprint(g)}})
			if err == nil {
				w.Write(data)
				_, err = w.Commit()
			}
			if err == nil {
				var obj storage.Object
				obj, err = st.Stat(ctx(t), key)
				if err == nil && (obj.Size != int64(len(data)) || obj.Meta.User["g"] != fmt.Sprint(g)) {
					err = fmt.Errorf("%s: stat %+v", key, obj)
				}
			}
			errs <- err
		}()
		go func() {
			buf := make([]byte, 5000)
			for i := range 20 {
				off := int64((g*7919 + i*104729) % (len(shared) - len(buf)))
				if _, err := r.ReadAt(buf, off); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(buf, shared[off:off+int64(len(buf))]) {
					errs <- fmt.Errorf("ReadAt(%d) returned other bytes", off)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := list(t, st, p); len(got) != 9 {
		t.Errorf("listed %d objects, want 9: %q", len(got), keys(got))
	}
}

func testTags(t *testing.T, h *harness, p string) {
	st := h.store
	key := p + "tagged.jpg"
	put(t, st, key, []byte("x"), storage.Metadata{})
	if tags, err := st.Tags(ctx(t), key); err != nil || len(tags) != 0 {
		t.Fatalf("Tags of a new object = %v, %v", tags, err)
	}
	want := map[string]string{"aigc-label": "1", "aigc-checked": "2026-11-29T10:00:00Z", "note": "a b+c=d.e_f:g/h@i"}
	if err := st.SetTags(ctx(t), key, want); err != nil {
		t.Fatal(err)
	}
	got, err := st.Tags(ctx(t), key)
	if err != nil || !mapsEqual(got, want) {
		t.Fatalf("Tags = %v, %v; want %v", got, err, want)
	}
	// SetTags replaces the set.
	if err := st.SetTags(ctx(t), key, map[string]string{"aigc-label": "none"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Tags(ctx(t), key); !mapsEqual(got, map[string]string{"aigc-label": "none"}) {
		t.Errorf("after replace Tags = %v", got)
	}
	// Tags do not change content or metadata.
	if b := get(t, st, key); string(b) != "x" {
		t.Errorf("tagging changed the content: %q", b)
	}
	if err := st.SetTags(ctx(t), key, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Tags(ctx(t), key); len(got) != 0 {
		t.Errorf("after clearing Tags = %v", got)
	}
	for _, bad := range []map[string]string{
		{"k": "semi;colon"},
		{"": "v"},
		{strings.Repeat("k", 129): "v"},
		manyTags(11),
	} {
		if err := st.SetTags(ctx(t), key, bad); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("SetTags(%v) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := st.SetTags(ctx(t), p+"missing", want); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("SetTags on a missing object = %v", err)
	}
}

func manyTags(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[string(rune('a'+i))] = "v"
	}
	return m
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func testRemove(t *testing.T, h *harness, p string) {
	st := h.store
	put(t, st, p+"a/gone.txt", []byte("x"), storage.Metadata{})
	put(t, st, p+"a/stays.txt", []byte("y"), storage.Metadata{})
	if err := st.Remove(ctx(t), p+"a/gone.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx(t), p+"a/gone.txt"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat after Remove = %v", err)
	}
	if err := st.Remove(ctx(t), p+"a/gone.txt"); err != nil {
		t.Errorf("removing again = %v, want nil", err)
	}
	if got := keys(list(t, st, p)); !slices.Equal(got, []string{"a/stays.txt"}) {
		t.Errorf("List after Remove = %q", got)
	}
	// Removing a "folder" removes nothing.
	if err := st.Remove(ctx(t), p+"a"); err != nil {
		t.Errorf("Remove(folder) = %v", err)
	}
	if got := keys(list(t, st, p)); !slices.Equal(got, []string{"a/stays.txt"}) {
		t.Errorf("List after removing the folder key = %q", got)
	}
}

func testErrors(t *testing.T, h *harness, p string) {
	st := h.store
	missing := p + "no/such.jpg"
	checkErr := func(what string, err error, kind error, url string) {
		t.Helper()
		if !errors.Is(err, kind) {
			t.Errorf("%s: %v, want %v", what, err, kind)
			return
		}
		if !strings.Contains(err.Error(), url) {
			t.Errorf("%s: message %q does not name %s", what, err, url)
		}
		var se *storage.Error
		if !errors.As(err, &se) || se.URL != url {
			t.Errorf("%s: %T %v is not a *storage.Error for %s", what, err, err, url)
		}
	}
	_, err := st.Stat(ctx(t), missing)
	checkErr("Stat", err, storage.ErrNotExist, st.URL(missing))
	if err != nil && !strings.HasSuffix(err.Error(), ": no such object") {
		t.Errorf("Stat error reads %q, want it to end in \": no such object\"", err)
	}
	_, err = st.Open(ctx(t), missing)
	checkErr("Open", err, storage.ErrNotExist, st.URL(missing))
	_, err = st.Tags(ctx(t), missing)
	checkErr("Tags", err, storage.ErrNotExist, st.URL(missing))
	for _, bad := range []string{"", "/abs", "a//b", "../up", "a/./b", "tail/", "nul\x00"} {
		_, err := st.Create(ctx(t), bad, storage.Metadata{})
		if !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Create(%q) = %v, want ErrInvalid", bad, err)
		}
		if _, err := st.Stat(ctx(t), bad); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Stat(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := st.Stat(ctx(t), p); !errors.Is(err, storage.ErrInvalid) && !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat(folder) = %v", err)
	}
	if storage.Retryable(err) {
		t.Errorf("a missing object is retryable: %v", err)
	}
	mb := h.missingBucket
	if mb == nil {
		return
	}
	_, err = mb.Stat(ctx(t), "k")
	checkErr("Stat in a missing bucket", err, storage.ErrNoBucket, mb.URL("k"))
	_, err = mb.Open(ctx(t), "k")
	checkErr("Open in a missing bucket", err, storage.ErrNoBucket, mb.URL("k"))
	for _, err := range mb.List(ctx(t), "") {
		if !errors.Is(err, storage.ErrNoBucket) {
			t.Errorf("List of a missing bucket: %v, want ErrNoBucket", err)
		}
	}
	if _, ok := mb.(*storage.Local); !ok { // a local store makes its folder
		w, err := mb.Create(ctx(t), "k", storage.Metadata{})
		if err == nil {
			w.Write([]byte("x"))
			_, err = w.Commit()
		}
		if !errors.Is(err, storage.ErrNoBucket) {
			t.Errorf("writing to a missing bucket: %v, want ErrNoBucket", err)
		}
	}
}

func testUnicode(t *testing.T, h *harness, p string) {
	st := h.store
	rel := []string{"with space/ä ö.txt", "中文/标签 1.jpg", "emoji/😀 (1).bin", "plus+and&amp=eq?.txt", "percent%20kept.txt"}
	for i, k := range rel {
		put(t, st, p+k, []byte{byte(i)}, storage.Metadata{})
	}
	want := slices.Clone(rel)
	slices.Sort(want)
	if got := keys(list(t, st, p)); !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
	for i, k := range rel {
		obj, err := st.Stat(ctx(t), p+k)
		if err != nil || obj.Key != p+k || obj.Size != 1 {
			t.Errorf("Stat(%q) = %+v, %v", k, obj, err)
		}
		if b := get(t, st, p+k); !bytes.Equal(b, []byte{byte(i)}) {
			t.Errorf("content of %q = %v", k, b)
		}
		if err := st.SetTags(ctx(t), p+k, map[string]string{"aigc-label": "2"}); err != nil {
			t.Errorf("SetTags(%q): %v", k, err)
		}
		if err := st.Remove(ctx(t), p+k); err != nil {
			t.Errorf("Remove(%q): %v", k, err)
		}
	}
	if got := list(t, st, p); len(got) != 0 {
		t.Errorf("after removing all: %q", keys(got))
	}
}

// testWalkResume runs the batch helpers on the store: a prefix is mapped
// to output keys keeping relative paths, outputs recording their source's
// ETag count as done until the source changes.
func testWalkResume(t *testing.T, h *harness, p string) {
	st := h.store
	for _, k := range []string{"in/x/a.jpg", "in/b.png", "in/x/y/c.mp4", "inside.txt"} {
		put(t, st, p+k, []byte("content of "+k), storage.Metadata{ContentType: "application/x-test"})
	}
	var got []string
	var items []storage.Item
	for it, err := range storage.Walk(ctx(t), st, p+"in") {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
		got = append(got, it.Key+" -> "+storage.OutputKey(p+"out/", it.Rel))
	}
	want := []string{
		p + "in/b.png -> " + p + "out/b.png",
		p + "in/x/a.jpg -> " + p + "out/x/a.jpg",
		p + "in/x/y/c.mp4 -> " + p + "out/x/y/c.mp4",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Walk mapping:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A key naming an object yields it alone, by its base name.
	for it, err := range storage.Walk(ctx(t), st, p+"in/x/a.jpg") {
		if err != nil || it.Rel != "a.jpg" || it.Key != p+"in/x/a.jpg" || it.Meta.ContentType != "application/x-test" {
			t.Errorf("Walk(object) = %+v, %v", it, err)
		}
	}
	// A key naming nothing is an error.
	n := 0
	for _, err := range storage.Walk(ctx(t), st, p+"nothing") {
		n++
		if !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Walk(missing) error = %v", err)
		}
	}
	if n != 1 {
		t.Errorf("Walk(missing) yielded %d items, want one error", n)
	}

	// Resumability: done once an output records the current source ETag.
	src := items[1]
	outKey := storage.OutputKey(p+"out/", src.Rel)
	if done, err := storage.Done(ctx(t), st, outKey, src.Object); done || err != nil {
		t.Fatalf("Done before writing = %v, %v", done, err)
	}
	srcObj, err := st.Stat(ctx(t), src.Key)
	if err != nil {
		t.Fatal(err)
	}
	put(t, st, outKey, []byte("labeled"), srcObj.Meta.ForOutput(srcObj.ETag))
	if done, err := storage.Done(ctx(t), st, outKey, src.Object); !done || err != nil {
		t.Fatalf("Done after writing = %v, %v", done, err)
	}
	// Output written without the record (an older tool): not done.
	put(t, st, outKey+".plain", []byte("labeled"), storage.Metadata{})
	if done, _ := storage.Done(ctx(t), st, outKey+".plain", src.Object); done {
		t.Error("an output without a recorded source ETag counts as done")
	}
	// The source changes: the output is stale.
	time.Sleep(10 * time.Millisecond) // local ETags include the modification time
	put(t, st, src.Key, []byte("new content of the source"), storage.Metadata{})
	changed, err := st.Stat(ctx(t), src.Key)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := storage.Done(ctx(t), st, outKey, changed); done || err != nil {
		t.Errorf("Done after the source changed = %v, %v", done, err)
	}
}

// TestS3VersionedOverwriteKeepsPrevious: with versioning on, replacing an
// object (as --in-place does) keeps the previous version.
func TestS3VersionedOverwriteKeepsPrevious(t *testing.T) {
	h := newS3Harness(t, s3test.Options{Buckets: []string{"versioned"}, Versioning: true}, "versioned")
	put(t, h.store, "photo.jpg", []byte("original"), storage.Metadata{ContentType: "image/jpeg"})
	put(t, h.store, "photo.jpg", []byte("labeled"), storage.Metadata{ContentType: "image/jpeg"})
	if got := string(get(t, h.store, "photo.jpg")); got != "labeled" {
		t.Fatalf("current version = %q", got)
	}
	var versions []minio.ObjectInfo
	for v := range h.srv.Client.ListObjects(ctx(t), "versioned", minio.ListObjectsOptions{WithVersions: true, Prefix: "photo.jpg"}) {
		if v.Err != nil {
			t.Fatal(v.Err)
		}
		versions = append(versions, v)
	}
	if len(versions) != 2 {
		t.Fatalf("%d versions, want 2: %+v", len(versions), versions)
	}
	found := false
	for _, v := range versions {
		if v.IsLatest {
			continue
		}
		o, err := h.srv.Client.GetObject(ctx(t), "versioned", "photo.jpg", minio.GetObjectOptions{VersionID: v.VersionID})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o)
		o.Close()
		if err != nil {
			t.Fatal(err)
		}
		found = string(b) == "original"
	}
	if !found {
		t.Error("the previous version is not readable")
	}
}

// TestLocalNeverWritesThroughLinks: an output folder that links into the
// inputs cannot overwrite them.
func TestLocalNeverWritesThroughLinks(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(filepath.Join(in, "x"), 0o755)
	os.WriteFile(filepath.Join(in, "x", "a.jpg"), []byte("input"), 0o644)
	out := filepath.Join(dir, "out")
	os.MkdirAll(out, 0o755)
	if err := os.Symlink(filepath.Join(in, "x"), filepath.Join(out, "x")); err != nil {
		t.Skip(err)
	}
	os.Symlink(filepath.Join(in, "x", "a.jpg"), filepath.Join(out, "b.jpg"))
	ls, _ := storage.NewLocal(out)
	for _, key := range []string{"x/a.jpg", "b.jpg"} {
		w, err := ls.Create(ctx(t), key, storage.Metadata{})
		if !errors.Is(err, storage.ErrSymlink) {
			if w != nil {
				w.Write([]byte("output"))
				w.Commit()
			}
			t.Errorf("Create(%q) through a link = %v, want ErrSymlink", key, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(in, "x", "a.jpg")); string(b) != "input" {
		t.Fatalf("the input was overwritten: %q", b)
	}
	lin, _ := storage.NewLocal(in)
	if !storage.SameObject(lin, "x/a.jpg", ls, "x/a.jpg") || !storage.SameObject(lin, "x/a.jpg", ls, "b.jpg") {
		t.Error("SameObject does not see through the links")
	}
	if storage.SameObject(lin, "x/a.jpg", ls, "x/other.jpg") {
		t.Error("SameObject: different files are the same")
	}
	// A hard link is the same file too.
	if err := os.Link(filepath.Join(in, "x", "a.jpg"), filepath.Join(dir, "hard.jpg")); err == nil {
		root, _ := storage.NewLocal(dir)
		if !storage.SameObject(lin, "x/a.jpg", root, "hard.jpg") {
			t.Error("SameObject misses a hard link")
		}
	}
	// An output folder inside the input folder is recognised.
	if !storage.Within(lin, "out/a.jpg", lin, "out") || storage.Within(lin, "output.jpg", lin, "out") {
		t.Error("Within")
	}
	if !storage.Within(ls, "x/a.jpg", lin, "x") {
		t.Error("Within does not follow the output's link into the input")
	}
}

// TestLocalListing: hidden files, temporary files of writes in progress,
// links to folders are not listed; links to files are.
func TestLocalListing(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sub", ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", ".git", "HEAD"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "a.txt"), []byte("x"), 0o644)
	os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "loop"))
	os.Symlink(filepath.Join(dir, "sub", "a.txt"), filepath.Join(dir, "link.txt"))
	ls, _ := storage.NewLocal(dir)
	w, err := ls.Create(ctx(t), "pending.jpg", storage.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write([]byte("half"))
	got := keys(list(t, ls, ""))
	if !slices.Equal(got, []string{"link.txt", "sub/a.txt"}) {
		t.Errorf("List = %q", got)
	}
	// Content-Type comes from the extension when none was stored.
	os.WriteFile(filepath.Join(dir, "p.png"), []byte("x"), 0o644)
	if obj, _ := ls.Stat(ctx(t), "p.png"); obj.Meta.ContentType != "image/png" {
		t.Errorf("Content-Type of p.png = %q", obj.Meta.ContentType)
	}
}

// TestS3OpenerFromEnvironment: the configuration the CLI builds from the
// environment reaches the server, for inputs and outputs named by URL.
func TestS3OpenerFromEnvironment(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"bkt1", "bkt2"}})
	env := map[string]string{
		storage.EnvAccessKey: s3test.AccessKey,
		storage.EnvSecretKey: s3test.SecretKey,
		storage.EnvRegion:    s3test.Region,
		storage.EnvEndpoint:  "http://127.0.0.1:1", // overridden by the flag
	}
	cfg, err := storage.LoadConfig(func(k string) string { return env[k] }, srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	o := &storage.Opener{Config: cfg}
	inLoc, _ := storage.ParseLocation("s3://bkt1/in/")
	outLoc, _ := storage.ParseLocation("s3://bkt2/out/")
	in, inKey, err := o.Open(inLoc)
	if err != nil {
		t.Fatal(err)
	}
	out, outKey, err := o.Open(outLoc)
	if err != nil {
		t.Fatal(err)
	}
	put(t, in, "in/x/a.jpg", []byte("jpeg"), storage.Metadata{ContentType: "image/jpeg", CacheControl: "no-cache"})
	for it, err := range storage.Walk(ctx(t), in, inKey) {
		if err != nil {
			t.Fatal(err)
		}
		src, err := in.Open(ctx(t), it.Key)
		if err != nil {
			t.Fatal(err)
		}
		w, err := out.Create(ctx(t), storage.OutputKey(outKey, it.Rel), src.Object().Meta.ForOutput(src.Object().ETag))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, src)
		src.Close()
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	info, err := srv.Client.StatObject(ctx(t), "bkt2", "out/x/a.jpg", minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("the output is not at out/x/a.jpg: %v", err)
	}
	srcInfo, _ := srv.Client.StatObject(ctx(t), "bkt1", "in/x/a.jpg", minio.StatObjectOptions{})
	if info.ContentType != "image/jpeg" || info.Metadata.Get("Cache-Control") != "no-cache" ||
		info.Metadata.Get("X-Amz-Meta-Aigcmark-Source-Etag") != strings.Trim(srcInfo.ETag, `"`) {
		t.Errorf("output headers: %v (source ETag %s)", info.Metadata, srcInfo.ETag)
	}
	if storage.SameObject(in, "in/x/a.jpg", out, "in/x/a.jpg") {
		t.Error("two buckets' objects are the same")
	}
	in2, _, _ := o.Open(inLoc)
	if !storage.SameObject(in, "in/x/a.jpg", in2, "in/x/a.jpg") {
		t.Error("the same bucket's object opened twice is not the same")
	}
}
