package storage_test

import (
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/cmd/internal/storage"
)

// FuzzParseLocation: no panic; a parsed S3 location prints back to itself,
// its key passes CheckKey, and its bucket is sane.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"s3://bucket", "s3://b1x/in/", "S3://my.bucket/in/x/a.jpg", "s3://bkt/ä ö/😀",
		"photos/in", "/abs/x.jpg", "file:///tmp/a%20b", "file://host/x", "s3://bkt//x", "s3://bkt/../x",
		"gs://b/x", "s3://a..b/x", "", "s3://bkt/a\x00b", "x://", "://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := storage.ParseLocation(s)
		if err != nil {
			return
		}
		if !loc.IsS3() {
			if loc.Path == "" || strings.ContainsRune(loc.Path, 0) {
				t.Fatalf("ParseLocation(%q) = bad path %q", s, loc.Path)
			}
			return
		}
		if len(loc.Bucket) < 3 || len(loc.Bucket) > 63 || strings.Contains(loc.Bucket, "/") {
			t.Fatalf("ParseLocation(%q): bucket %q", s, loc.Bucket)
		}
		if k := strings.TrimSuffix(loc.Key, "/"); k != "" {
			if err := storage.CheckKey(k); err != nil {
				t.Fatalf("ParseLocation(%q): key %q: %v", s, loc.Key, err)
			}
		}
		again, err := storage.ParseLocation(loc.String())
		if err != nil || again != loc {
			t.Fatalf("ParseLocation(%q) = %+v; its String %q parses to %+v, %v", s, loc, loc.String(), again, err)
		}
	})
}

// FuzzParseShard: no panic; a parsed shard is in range, prints back to
// itself, and a key is in exactly one of its siblings.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "2/3", "01/2", "3/3", "-1/3", "1/0", "a/b", "1", "1/2/3", " 1/2", "9999999/9999999", "0/1048576"} {
		f.Add(s, "in/x/a.jpg")
	}
	f.Fuzz(func(t *testing.T, s, key string) {
		sh, err := storage.ParseShard(s)
		if err != nil {
			return
		}
		if s == "" {
			if sh != (storage.Shard{}) {
				t.Fatalf("ParseShard(\"\") = %+v", sh)
			}
			return
		}
		if sh.Count < 1 || sh.Count > storage.MaxShards || sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("ParseShard(%q) = %+v out of range", s, sh)
		}
		if again, err := storage.ParseShard(sh.String()); err != nil || again != sh {
			t.Fatalf("ParseShard(%q) = %+v; String %q parses to %+v, %v", s, sh, sh.String(), again, err)
		}
		if sh.Count <= 64 {
			n := 0
			for i := range sh.Count {
				if (storage.Shard{Index: i, Count: sh.Count}).Contains(key) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("key %q is in %d of %d shards", key, n, sh.Count)
			}
		}
	})
}
