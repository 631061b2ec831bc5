package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/aigcmark/aigcmark/cmd/internal/storage/s3test"
	"github.com/aigcmark/aigcmark/fixtures"
)

// TestMain lets a test run this binary as the aigcmark command (to kill a
// real process mid-batch): with AIGCMARK_RUN_MAIN set it runs main's code.
func TestMain(m *testing.M) {
	if os.Getenv("AIGCMARK_RUN_MAIN") == "1" {
		os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// s3Env starts versitygw and points the S3 client variables at it.
func s3Env(t *testing.T, opts s3test.Options) *s3test.Server {
	srv := s3test.Start(t, opts)
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AWS_REGION", s3test.Region)
	t.Setenv("AIGCMARK_S3_ENDPOINT", srv.Endpoint)
	return srv
}

// putFixtures uploads fixture files under prefix in bucket, each with a
// Content-Type, a Cache-Control and user metadata, and returns their keys.
func putFixtures(t *testing.T, srv *s3test.Server, bucket, prefix string, names ...string) []string {
	t.Helper()
	var keys []string
	for i, name := range names {
		b, err := os.ReadFile(fixtures.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		key := prefix + name
		_, err = srv.Client.PutObject(context.Background(), bucket, key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{
			ContentType: "application/x-test-" + path.Ext(name)[1:], CacheControl: "max-age=60",
			UserMetadata: map[string]string{"origin": fmt.Sprintf("upload-%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	return keys
}

func listKeys(t *testing.T, srv *s3test.Server, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	for o := range srv.Client.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

var s3Fixtures = []string{"jpeg/exif-icc-xmp.jpg", "png/palette.png", "webp/lossy.webp", "wav/pcm16.wav", "mp3/id3v24.mp3", "flac/comment.flac", "markdown/plain.md"}

// label reads a bucket prefix of mixed files and writes another bucket,
// keeping relative keys and the sources' HTTP and user metadata; inspect and
// verify read the outputs in place; a second run does nothing.
func TestLabelBucketToBucket(t *testing.T) {
	srv := s3Env(t, s3test.Options{Buckets: []string{"gen", "pub"}})
	keys := putFixtures(t, srv, "gen", "in/", s3Fixtures...)
	dir := t.TempDir()
	signKey, signPub := signKeys(t, dir, "provider")
	report := "s3://pub/reports/label.jsonl"
	args := []string{"label", "--producer", producer, "--sign-key", signKey, "--report", report, "--out", "s3://pub/out/", "s3://gen/in/"}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	got := listKeys(t, srv, "pub", "out/")
	var want []string
	for _, k := range keys {
		want = append(want, "out/"+strings.TrimPrefix(k, "in/"))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("outputs %q, want %q", got, want)
	}
	for _, k := range want {
		src, err := srv.Client.StatObject(context.Background(), "gen", "in/"+strings.TrimPrefix(k, "out/"), minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := srv.Client.StatObject(context.Background(), "pub", k, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.ContentType != src.ContentType || st.Metadata.Get("Cache-Control") != "max-age=60" ||
			st.UserMetadata["Origin"] != src.UserMetadata["Origin"] || st.UserMetadata["Aigcmark-Source-Etag"] != strings.Trim(src.ETag, `"`) {
			t.Errorf("%s: metadata %q %q %v, source %q %v", k, st.ContentType, st.Metadata.Get("Cache-Control"), st.UserMetadata, src.ContentType, src.UserMetadata)
		}
	}
	// The report went to the bucket.
	obj, err := srv.Client.GetObject(context.Background(), "pub", "reports/label.jsonl", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rep bytes.Buffer
	rep.ReadFrom(obj)
	if n := strings.Count(rep.String(), "\n"); n != len(keys) {
		t.Errorf("report has %d lines for %d objects:\n%s", n, len(keys), rep.String())
	}
	// verify reads the outputs from the bucket and tags them.
	code, ls := verifyJSON(t, "--trust", signPub, "--tag", "s3://pub/out/")
	if code != exitOK || len(ls) != len(keys) {
		t.Fatalf("verify: exit %d, %d lines", code, len(ls))
	}
	for _, l := range ls {
		if !strings.HasPrefix(l.Path, "s3://pub/out/") || l.Verdict == nil || l.Verdict.Label != "1" || l.sig("ReservedCode1") != "valid" {
			t.Errorf("%s: %+v", l.Path, l)
		}
	}
	tags, err := srv.Client.GetObjectTagging(context.Background(), "pub", want[0], minio.GetObjectTaggingOptions{})
	if err != nil || tags.ToMap()["aigc-label"] != "1" || tags.ToMap()["aigc-checked"] == "" {
		t.Errorf("tags %v, %v", tags, err)
	}
	// Again: everything is already done; nothing is written.
	before := map[string]time.Time{}
	for _, k := range want {
		st, _ := srv.Client.StatObject(context.Background(), "pub", k, minio.StatObjectOptions{})
		before[k] = st.LastModified
	}
	code, stdout, stderr = runCLI(t, args...)
	if code != exitOK || strings.Count(stdout, "skipped: already labeled") != len(keys) {
		t.Fatalf("rerun: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, k := range want {
		if st, _ := srv.Client.StatObject(context.Background(), "pub", k, minio.StatObjectOptions{}); !st.LastModified.Equal(before[k]) {
			t.Errorf("%s rewritten by the rerun", k)
		}
	}
	if code, stdout, _ := runCLI(t, "inspect", "s3://pub/out/jpeg/"); code != exitOK || !strings.Contains(stdout, "s3://pub/out/jpeg/exif-icc-xmp.jpg: jpeg, 1 label(s), compliant") {
		t.Errorf("inspect: exit %d\n%s", code, stdout)
	}
}

// --shard i/n: n runs together label every object exactly once.
func TestShardsCoverTheListingOnce(t *testing.T) {
	srv := s3Env(t, s3test.Options{Buckets: []string{"bat"}})
	var names []string
	for range 4 {
		names = append(names, s3Fixtures...)
	}
	var keys []string
	for i, n := range names {
		keys = append(keys, putFixtures(t, srv, "bat", fmt.Sprintf("in/%02d/", i), n)...)
	}
	seen := map[string]int{}
	for i := range 3 {
		code, stdout, stderr := runCLI(t, "label", "--producer", producer, "--explicit", "none", "--audit-log", t.TempDir()+"/a", "--recipient", "r",
			"--shard", fmt.Sprintf("%d/3", i), "--out", "s3://bat/out/", "s3://bat/in/")
		if code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s%s", i, code, stdout, stderr)
		}
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if in, _, ok := strings.Cut(line, " -> "); ok {
				seen[in]++
				n++
			}
		}
		if n == 0 || n == len(keys) {
			t.Errorf("shard %d labeled %d of %d objects", i, n, len(keys))
		}
	}
	for _, k := range keys {
		if seen["s3://bat/"+k] != 1 {
			t.Errorf("%s labeled %d times", k, seen["s3://bat/"+k])
		}
	}
	if got := listKeys(t, srv, "bat", "out/"); len(got) != len(keys) {
		t.Errorf("%d outputs for %d inputs", len(got), len(keys))
	}
}

// A batch killed at any moment (a real process, SIGKILL) and run again
// with the same arguments leaves every object labeled once: nothing lost,
// nothing labeled twice, no stray objects or unfinished uploads.
func TestKilledBatchResumes(t *testing.T) {
	srv := s3Env(t, s3test.Options{Buckets: []string{"bat"}})
	var keys []string
	for i := range 40 {
		keys = append(keys, putFixtures(t, srv, "bat", fmt.Sprintf("in/%02d/", i), "jpeg/exif-icc-xmp.jpg")...)
	}
	args := []string{"label", "--producer", producer, "--jobs", "1", "--out", "s3://bat/out/", "s3://bat/in/"}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AIGCMARK_RUN_MAIN=1")
	var childOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(listKeys(t, srv, "bat", "out/")) < 5 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the batch made no progress:\n%s", childOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	partial := len(listKeys(t, srv, "bat", "out/"))
	if partial >= len(keys) {
		t.Fatalf("the batch finished (%d outputs) before it was killed", partial)
	}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("rerun: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := strings.Count(stdout, "skipped: already labeled"); n != partial {
		t.Errorf("the rerun skipped %d objects, %d were done", n, partial)
	}
	got := listKeys(t, srv, "bat", "out/")
	if len(got) != len(keys) {
		t.Fatalf("%d outputs for %d inputs: %q", len(got), len(keys), got)
	}
	// Every output carries exactly one label and one explicit label.
	_, out, _ := runCLI(t, "inspect", "--json", "s3://bat/out/")
	for _, r := range parseReports(t, out) {
		if r.Error != nil || len(r.Labels) != 1 {
			t.Errorf("%s: %v, %d labels", r.Path, r.Error, len(r.Labels))
		}
	}
	for u := range srv.Client.ListIncompleteUploads(context.Background(), "bat", "", true) {
		t.Errorf("unfinished upload left: %+v", u)
	}
}

// --in-place on a versioned bucket replaces each object only after the new
// one checked out; the previous version remains, and a second run leaves
// the labeled objects alone.
func TestInPlaceOnVersionedBucket(t *testing.T) {
	srv := s3Env(t, s3test.Options{Versioning: true})
	srv.CreateBucket(t, "ver", true)
	keys := putFixtures(t, srv, "ver", "", "jpeg/plain.jpg", "wav/pcm16.wav")
	for range 2 {
		if code, stdout, stderr := runCLI(t, "label", "--producer", producer, "--in-place", "s3://ver/"); code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	}
	for _, k := range keys {
		var versions int
		for o := range srv.Client.ListObjects(context.Background(), "ver", minio.ListObjectsOptions{Prefix: k, WithVersions: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			versions++
		}
		if versions != 2 {
			t.Errorf("%s: %d versions, want the original and the labeled one", k, versions)
		}
	}
	_, out, _ := runCLI(t, "inspect", "--json", "s3://ver/")
	for _, r := range parseReports(t, out) {
		if r.Error != nil || len(r.Labels) != 1 {
			t.Errorf("%s: %v, %d labels", r.Path, r.Error, len(r.Labels))
		}
	}
}
