// Package storage is the one interface through which the CLI reads and
// writes objects, with three implementations: local folders ([Local]),
// S3-compatible buckets ([S3], through minio-go) and memory ([Memory]), all
// checked by one conformance test suite.
//
// A [Store] is a flat namespace of objects named by slash-separated keys: a
// folder on disk, a bucket, or a map. Reads stream and seek ([Reader]: S3
// reads are ranged GETs through a bounded read-ahead window, never the whole
// object); writes become visible only on [Writer.Commit] (a temporary file
// renamed into place, an S3 upload completed, a map entry) and an aborted
// write leaves nothing behind.
//
// Beside the interface the package holds what a batch over a store needs:
// command-line locations ([ParseLocation]: local paths and s3://bucket/prefix)
// and the S3 configuration from the environment ([LoadConfig]), the mapping
// of an input listing to output keys ([Walk], [OutputKey]), resumability
// ([Done], [SourceETagKey]), --shard i/n ([ParseShard]) and retries with
// exponential backoff and full jitter ([Retry], [Retryable]).
package storage

import (
	"context"
	"fmt"
	"io"
	"iter"
	"maps"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Store is a flat namespace of objects named by keys: non-empty,
// slash-separated, relative paths without empty, "." or ".." segments.
//
// Every method is safe for concurrent use.
type Store interface {
	// URL returns the location of key in this store, for messages:
	// "s3://bucket/key", or a local path. URL("") is the store itself.
	URL(key string) string

	// List yields the objects under the folder prefix ("" for all; a
	// trailing slash is implied), in byte order of their keys, each with
	// Key relative to prefix and Meta left empty. After an error the
	// listing may end (S3) or go on with the next entry (a local folder
	// that could not be read). Listing a prefix nothing is under yields
	// nothing.
	List(ctx context.Context, prefix string) iter.Seq2[Object, error]

	// Stat returns the object key with its metadata, or an error matching
	// ErrNotExist (or ErrNoBucket).
	Stat(ctx context.Context, key string) (Object, error)

	// Open opens the object key for reading and seeking; ctx also
	// governs the reads that follow (ranged GETs on S3).
	Open(ctx context.Context, key string) (Reader, error)

	// Create starts writing the object key with the metadata meta. Nothing
	// is visible at key until Commit; ctx governs the whole write.
	Create(ctx context.Context, key string, meta Metadata) (Writer, error)

	// Tags returns the tags of the object key (an empty map when it has
	// none).
	Tags(ctx context.Context, key string) (map[string]string, error)

	// SetTags replaces the tags of the object key. Tags follow S3's rules
	// (see CheckTags).
	SetTags(ctx context.Context, key string, tags map[string]string) error

	// Remove deletes the object key. Removing an object that does not
	// exist is not an error, as on S3.
	Remove(ctx context.Context, key string) error
}

// Object describes one stored object.
type Object struct {
	// Key is the object's key: relative to the listed prefix in List's
	// results, the full key from Stat and Open.
	Key     string
	Size    int64
	ETag    string // without quotes; changes whenever the content changes
	ModTime time.Time
	Meta    Metadata // filled by Stat and Open, empty in List's results
}

// Reader reads one object. Read, Seek and ReadAt may be mixed; ReadAt
// does not move the Read offset.
type Reader interface {
	io.ReadSeeker
	io.ReaderAt
	io.Closer
	// Object returns what Open found about the object.
	Object() Object
}

// Writer writes one object; it becomes visible only on Commit.
type Writer interface {
	io.Writer
	// Commit finishes the write and makes the object visible, replacing
	// any previous object at the key, and returns it as stored.
	Commit() (Object, error)
	// Abort discards the write: nothing becomes visible. It is a no-op
	// after Commit or Abort, so it can be deferred.
	Abort() error
}

// SourceETagKey is the user-metadata key under which an output records the
// ETag of the source it was made from (S3 stores it as the header
// x-amz-meta-aigcmark-source-etag). [Done] compares it with the source's
// current ETag.
const SourceETagKey = "aigcmark-source-etag"

// Metadata is what an object carries beside its content.
type Metadata struct {
	ContentType  string
	CacheControl string
	// User holds user metadata (S3's x-amz-meta-*), keys in lower case
	// without the prefix.
	User map[string]string
}

// Clone returns a copy of m that shares nothing with it.
func (m Metadata) Clone() Metadata {
	m.User = maps.Clone(m.User)
	return m
}

// SourceETag returns the source ETag an output recorded, or "".
func (m Metadata) SourceETag() string { return m.User[SourceETagKey] }

// ForOutput returns the metadata of an output made from a source with
// metadata m and ETag etag: the source's Content-Type, Cache-Control and
// user metadata, and etag recorded under SourceETagKey. m is not modified.
func (m Metadata) ForOutput(etag string) Metadata {
	out := m.Clone()
	if out.User == nil {
		out.User = map[string]string{}
	}
	out.User[SourceETagKey] = trimETag(etag)
	return out
}

// Limits S3 puts on what we store; the other stores keep to them so that
// whatever works on one works on all.
const (
	maxKeyLen       = 1024 // bytes of UTF-8
	maxUserMetaSize = 2048 // bytes of user-metadata keys and values
	maxTags         = 10
	maxTagKeyLen    = 128 // characters
	maxTagValueLen  = 256 // characters
	maxHeaderLen    = 1024
)

// CheckKey reports whether key is a key every store accepts: valid UTF-8
// without control characters, at most 1024 bytes, not starting or ending
// with a slash, without empty, "." or ".." segments.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case len(key) > maxKeyLen:
		return fmt.Errorf("%w: key is %d bytes, longer than %d", ErrInvalid, len(key), maxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: key %q is not valid UTF-8", ErrInvalid, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: key %q holds the character %q", ErrInvalid, key, r)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: key %q has an empty path segment", ErrInvalid, key)
		case ".", "..":
			return fmt.Errorf("%w: key %q has a %q path segment", ErrInvalid, key, seg)
		}
	}
	return nil
}

// checkPrefix checks a listing prefix: "" or a key, with or without a
// trailing slash; it returns the prefix with its trailing slash.
func checkPrefix(prefix string) (string, error) {
	if prefix == "" {
		return "", nil
	}
	p := strings.TrimSuffix(prefix, "/")
	if err := CheckKey(p); err != nil {
		return "", err
	}
	return p + "/", nil
}

// CheckMetadata reports metadata S3 would refuse or mangle: header values
// that are not printable ASCII, user-metadata keys that are not
// lower-case tokens, more than 2 KiB of user metadata.
func CheckMetadata(m Metadata) error {
	for name, v := range map[string]string{"Content-Type": m.ContentType, "Cache-Control": m.CacheControl} {
		if err := checkHeaderValue(v); err != nil {
			return fmt.Errorf("%w: %s %w", ErrInvalid, name, err)
		}
	}
	size := 0
	for k, v := range m.User {
		size += len(k) + len(v)
		if k == "" {
			return fmt.Errorf("%w: empty user-metadata key", ErrInvalid)
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return fmt.Errorf("%w: user-metadata key %q: only lower-case letters, digits, '-', '_' and '.' are allowed", ErrInvalid, k)
			}
		}
		if err := checkHeaderValue(v); err != nil {
			return fmt.Errorf("%w: user metadata %q %w", ErrInvalid, k, err)
		}
	}
	if size > maxUserMetaSize {
		return fmt.Errorf("%w: %d bytes of user metadata, more than %d", ErrInvalid, size, maxUserMetaSize)
	}
	return nil
}

func checkHeaderValue(v string) error {
	if len(v) > maxHeaderLen {
		return fmt.Errorf("is %d bytes, longer than %d", len(v), maxHeaderLen)
	}
	if v != strings.TrimSpace(v) {
		return fmt.Errorf("%q has leading or trailing space", v)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return fmt.Errorf("%q holds a byte that is not printable ASCII", v)
		}
	}
	return nil
}

// CheckTags reports tags S3 refuses: more than 10, empty keys, keys longer
// than 128 or values longer than 256 characters, characters other than
// letters, digits, spaces and + - = . _ : / @.
func CheckTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return fmt.Errorf("%w: %d tags, at most %d allowed", ErrInvalid, len(tags), maxTags)
	}
	for k, v := range tags {
		if k == "" {
			return fmt.Errorf("%w: empty tag key", ErrInvalid)
		}
		if n := utf8.RuneCountInString(k); n > maxTagKeyLen {
			return fmt.Errorf("%w: tag key %q is %d characters, longer than %d", ErrInvalid, k, n, maxTagKeyLen)
		}
		if n := utf8.RuneCountInString(v); n > maxTagValueLen {
			return fmt.Errorf("%w: tag %q value is %d characters, longer than %d", ErrInvalid, k, n, maxTagValueLen)
		}
		for _, s := range []string{k, v} {
			if !utf8.ValidString(s) {
				return fmt.Errorf("%w: tag %q is not valid UTF-8", ErrInvalid, s)
			}
			for _, r := range s {
				if !tagRune(r) {
					return fmt.Errorf("%w: tag %q holds %q; allowed are letters, digits, spaces and + - = . _ : / @", ErrInvalid, s, r)
				}
			}
		}
	}
	return nil
}

func tagRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case strings.ContainsRune(" +-=._:/@", r):
		return true
	case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r)):
		return true
	}
	return false
}

// trimETag removes the quotes S3 puts around ETags.
func trimETag(s string) string {
	s = strings.TrimPrefix(s, "W/")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}
