package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Location is a place named on the command line: a local path or an S3
// URL (s3://bucket/key-or-prefix).
type Location struct {
	// Bucket is set for s3:// locations.
	Bucket string
	// Key is the key or prefix inside the bucket: "" for the whole bucket;
	// a trailing "/" (kept) marks a folder.
	Key string
	// Path is the local path, for a location that is not an S3 URL.
	Path string
}

// IsS3 reports whether l names an S3 location.
func (l Location) IsS3() bool { return l.Bucket != "" }

// String returns l as the command line would name it.
func (l Location) String() string {
	if l.IsS3() {
		return "s3://" + l.Bucket + "/" + l.Key
	}
	return l.Path
}

// ParseLocation parses a command-line location: "s3://bucket",
// "s3://bucket/prefix/", "s3://bucket/key", "file:///path" or a local path.
// S3 keys are taken literally (no percent-decoding) and must pass CheckKey
// (apart from a trailing "/"); bucket names follow S3's rules, relaxed to
// allow legacy upper-case and '_' names.
func ParseLocation(s string) (Location, error) {
	if s == "" {
		return Location{}, fmt.Errorf("%w: empty location", ErrInvalid)
	}
	scheme, rest, ok := splitScheme(s)
	if !ok {
		if strings.ContainsRune(s, 0) {
			return Location{}, fmt.Errorf("%w: %q: a path cannot hold a NUL byte", ErrInvalid, s)
		}
		return Location{Path: s}, nil
	}
	switch strings.ToLower(scheme) {
	case "s3":
		bucket, key, _ := strings.Cut(rest, "/")
		if err := checkBucket(bucket); err != nil {
			return Location{}, fmt.Errorf("%q: %w", s, err)
		}
		if k := strings.TrimSuffix(key, "/"); k != "" {
			if err := CheckKey(k); err != nil {
				return Location{}, fmt.Errorf("%q: %w", s, err)
			}
		} else if key == "/" {
			return Location{}, fmt.Errorf("%w: %q: empty path segment after the bucket", ErrInvalid, s)
		}
		return Location{Bucket: bucket, Key: key}, nil
	case "file":
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%w: %q: file URLs name local paths only (file:///path)", ErrInvalid, s)
		}
		if u.Path == "" || strings.ContainsRune(u.Path, 0) {
			return Location{}, fmt.Errorf("%w: %q: no path", ErrInvalid, s)
		}
		return Location{Path: filepath.FromSlash(u.Path)}, nil
	}
	return Location{}, fmt.Errorf("%w: %q: unsupported scheme %q (use s3:// or a local path)", ErrInvalid, s, scheme)
}

// splitScheme splits "scheme://rest" for a scheme of RFC 3986 characters.
func splitScheme(s string) (scheme, rest string, ok bool) {
	i := strings.Index(s, "://")
	if i < 1 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", false
		}
	}
	return s[:i], s[i+3:], true
}

func checkBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("%w: bucket name %q must be 3 to 63 characters", ErrInvalid, b)
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !alnum(c) && c != '.' && c != '-' && c != '_' {
			return fmt.Errorf("%w: bucket name %q holds %q; allowed are letters, digits, '.', '-' and '_'", ErrInvalid, b, c)
		}
	}
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return fmt.Errorf("%w: bucket name %q must begin and end with a letter or digit", ErrInvalid, b)
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("%w: bucket name %q holds \"..\"", ErrInvalid, b)
	}
	return nil
}

// Environment variables LoadConfig reads.
const (
	EnvEndpoint     = "AIGCMARK_S3_ENDPOINT"
	EnvAccessKey    = "AWS_ACCESS_KEY_ID"
	EnvSecretKey    = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken = "AWS_SESSION_TOKEN"
	EnvRegion       = "AWS_REGION"
)

// Defaults of Config.
const (
	DefaultPartSize  = 16 << 20
	MinPartSize      = 5 << 20 // S3's minimum for every part but the last
	DefaultReadAhead = 4 << 20
	minReadAhead     = 64 << 10
)

// Config says how to reach S3. The zero value reaches AWS S3 with the
// credentials found in ~/.aws or the instance's role.
type Config struct {
	// Endpoint is the S3 endpoint as a URL: "http://127.0.0.1:7070" for
	// plain HTTP, "https://s3.example.com" for TLS; "" for AWS. A custom
	// endpoint uses path-style addressing (http://host/bucket/key); AWS
	// endpoints choose automatically.
	Endpoint string
	// Region; "" asks the server for the bucket's region.
	Region string
	// AccessKey, SecretKey and SessionToken are static credentials. When
	// AccessKey is empty, ~/.aws/credentials (AWS_PROFILE) is tried, and
	// on AWS the instance, container or web-identity role.
	AccessKey, SecretKey, SessionToken string
	// PartSize is the size of upload parts (default 16 MiB, at least
	// 5 MiB). An upload buffers at most one part in memory; an object
	// smaller than a part is sent in one PUT.
	PartSize int64
	// ReadAhead bounds the window of a ranged read (default 4 MiB): the
	// most a Reader holds in memory and the most it reads past what it was
	// asked for.
	ReadAhead int
	// Retry is the backoff of every S3 request (see Backoff).
	Retry Backoff
	// Transport carries the HTTP requests (nil: the default transport).
	Transport http.RoundTripper
}

// LoadConfig returns the configuration from the environment (getenv is
// os.Getenv outside tests): AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION and AIGCMARK_S3_ENDPOINT, with endpoint
// (the --s3-endpoint flag) taking precedence over the last when not empty.
func LoadConfig(getenv func(string) string, endpoint string) (Config, error) {
	c := Config{
		Endpoint:     getenv(EnvEndpoint),
		Region:       getenv(EnvRegion),
		AccessKey:    getenv(EnvAccessKey),
		SecretKey:    getenv(EnvSecretKey),
		SessionToken: getenv(EnvSessionToken),
	}
	if c.Region == "" {
		c.Region = getenv("AWS_DEFAULT_REGION")
	}
	source := EnvEndpoint
	if endpoint != "" {
		c.Endpoint, source = endpoint, "--s3-endpoint"
	}
	if c.Endpoint != "" {
		if _, _, err := ParseEndpoint(c.Endpoint); err != nil {
			return Config{}, fmt.Errorf("%s: %w", source, err)
		}
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return Config{}, fmt.Errorf("%w: set both %s and %s, or neither", ErrInvalid, EnvAccessKey, EnvSecretKey)
	}
	return c, nil
}

// ParseEndpoint checks an endpoint URL and returns its host[:port] and
// whether it uses TLS.
func ParseEndpoint(s string) (host string, secure bool, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", false, fmt.Errorf("%w: endpoint %q: %v", ErrInvalid, s, err)
	}
	switch u.Scheme {
	case "http":
	case "https":
		secure = true
	default:
		return "", false, fmt.Errorf("%w: endpoint %q must start with http:// or https://", ErrInvalid, s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", false, fmt.Errorf("%w: endpoint %q has no host", ErrInvalid, s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false, fmt.Errorf("%w: endpoint %q must be scheme://host[:port] only", ErrInvalid, s)
	}
	return u.Host, secure, nil
}

// Opener opens the stores locations name, sharing one S3 client between
// them. The zero value is not usable: set Config.
type Opener struct {
	Config Config

	once   sync.Once
	client *S3Client
	err    error
}

// S3 returns the shared S3 client, made on first use.
func (o *Opener) S3() (*S3Client, error) {
	o.once.Do(func() { o.client, o.err = NewS3Client(o.Config) })
	return o.client, o.err
}

// Open returns the store of loc and the key inside it that loc names (a
// key or a prefix; see Walk):
//
//   - s3://bucket/key: the bucket and key;
//   - a local folder (existing, or a path ending in a separator): the
//     folder and "";
//   - another local path (a file, or nothing yet): its folder and its
//     base name.
func (o *Opener) Open(loc Location) (Store, string, error) {
	if loc.IsS3() {
		c, err := o.S3()
		if err != nil {
			return nil, "", err
		}
		return c.Bucket(loc.Bucket), loc.Key, nil
	}
	p := loc.Path
	if p == "" {
		return nil, "", fmt.Errorf("%w: empty location", ErrInvalid)
	}
	st, err := os.Stat(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", wrapErr("open", p, err)
	}
	if (err == nil && st.IsDir()) || os.IsPathSeparator(p[len(p)-1]) {
		l, err := NewLocal(p)
		return l, "", err
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, "", wrapErr("open", p, err)
	}
	l, err := NewLocal(filepath.Dir(abs))
	return l, filepath.Base(abs), err
}
