package storage

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/tags"
)

// S3Client is a connection to an S3-compatible service, shared by the
// buckets opened through it.
type S3Client struct {
	mc       *minio.Client
	core     minio.Core
	cfg      Config
	endpoint string // the endpoint URL, for identities
}

// NewS3Client makes a client for cfg. It does not contact the service.
func NewS3Client(cfg Config) (*S3Client, error) {
	host, secure, lookup := "s3.amazonaws.com", true, minio.BucketLookupAuto
	if cfg.Endpoint != "" {
		var err error
		host, secure, err = ParseEndpoint(cfg.Endpoint)
		if err != nil {
			return nil, err
		}
		if !isAWSHost(host) {
			lookup = minio.BucketLookupPath
		}
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartSize < MinPartSize {
		return nil, fmt.Errorf("%w: part size %d is below S3's minimum of %d bytes", ErrInvalid, cfg.PartSize, MinPartSize)
	}
	if cfg.ReadAhead == 0 {
		cfg.ReadAhead = DefaultReadAhead
	}
	cfg.ReadAhead = max(cfg.ReadAhead, minReadAhead)
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	} else {
		providers := []credentials.Provider{&credentials.FileAWSCredentials{}}
		if isAWSHost(host) {
			providers = append(providers, &credentials.IAM{})
		}
		creds = credentials.NewChainCredentials(providers)
	}
	mc, err := minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
		// Our Retry decides what is retried; minio-go tries once.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: S3 endpoint %q: %v", ErrInvalid, host, err)
	}
	scheme := "https://"
	if !secure {
		scheme = "http://"
	}
	return &S3Client{mc: mc, core: minio.Core{Client: mc}, cfg: cfg, endpoint: scheme + host}, nil
}

func isAWSHost(host string) bool {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return h == "amazonaws.com" || strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn")
}

// Bucket returns the store of one bucket. It does not check that the
// bucket exists: operations on a missing one fail with ErrNoBucket.
func (c *S3Client) Bucket(name string) *S3 {
	return &S3{c: c, bucket: name}
}

// S3 is a Store over one bucket of an S3-compatible service.
//
//   - Reads are ranged GETs, each asking for the ETag Open saw (If-Match),
//     so an object replaced while being read fails with ErrChanged rather
//     than mixing two versions. Sequential reads double their window up to
//     Config.ReadAhead; a seek starts again from 64 KiB.
//   - Writes buffer up to one part (Config.PartSize) in memory: a smaller
//     object is sent with one PUT on Commit; a larger one streams as a
//     multipart upload completed on Commit and aborted on Abort or error,
//     so an unfinished write never becomes an object.
//   - Every request is retried per Config.Retry, except a multipart
//     stream, which cannot be replayed: its error goes to the caller.
//   - Listing skips "folder" marker objects (keys ending in "/").
type S3 struct {
	c      *S3Client
	bucket string
	exists atomic.Bool // the bucket was seen to exist
}

// URL implements Store.
func (s *S3) URL(key string) string { return "s3://" + s.bucket + "/" + key }

// Bucket returns the bucket's name.
func (s *S3) Bucket() string { return s.bucket }

func (s *S3) retry(ctx context.Context, fn func(ctx context.Context) error) error {
	return Retry(ctx, s.c.cfg.Retry, fn)
}

// s3Err maps a service error to the package's sentinels.
func (s *S3) s3Err(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	url := s.URL(key)
	resp := errorResponse(err)
	switch {
	case resp.Code == "NoSuchBucket":
		return wrapErr(op, url, &kindError{kind: ErrNoBucket, cause: err})
	case resp.Code == "NoSuchKey" || resp.Code == "NotFound" || resp.Code == "NoSuchVersion" ||
		resp.Code == "" && resp.StatusCode == http.StatusNotFound:
		// A HEAD has no body to tell a missing key from a missing bucket.
		if op == "stat" || op == "open" || op == "tags" || op == "set tags" {
			if !s.exists.Load() {
				ok, berr := s.c.mc.BucketExists(ctx, s.bucket)
				if berr == nil && !ok {
					return wrapErr(op, url, &kindError{kind: ErrNoBucket, cause: err})
				}
				if berr == nil {
					s.exists.Store(true)
				}
			}
		}
		return wrapErr(op, url, &kindError{kind: ErrNotExist, cause: err})
	case resp.Code == "AccessDenied" || resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" ||
		resp.StatusCode == http.StatusForbidden:
		return wrapErr(op, url, &kindError{kind: ErrPermission, msg: "access denied: " + resp.Message, cause: err})
	case resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed:
		return wrapErr(op, url, &kindError{kind: ErrChanged, cause: err})
	case resp.Code == "InvalidArgument" || resp.Code == "InvalidRequest" || resp.Code == "InvalidTag" ||
		resp.Code == "KeyTooLongError" || resp.Code == "InvalidBucketName" || resp.Code == "XMinioInvalidObjectName" ||
		resp.Code == "MetadataTooLarge" || resp.Code == "EntityTooLarge":
		return wrapErr(op, url, &kindError{kind: ErrInvalid, msg: "invalid argument: " + resp.Message, cause: err})
	}
	return wrapErr(op, url, err)
}

// errorResponse returns the S3 error response inside err, or a zero one.
func errorResponse(err error) minio.ErrorResponse {
	var v minio.ErrorResponse
	if errors.As(err, &v) {
		return v
	}
	var p *minio.ErrorResponse
	if errors.As(err, &p) && p != nil {
		return *p
	}
	return minio.ErrorResponse{}
}

// List implements Store. A listing interrupted by a transient error goes on
// after the last key it yielded.
func (s *S3) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		p, err := checkPrefix(prefix)
		if err != nil {
			yield(Object{}, wrapErr("list", s.URL(prefix), err))
			return
		}
		b := s.c.cfg.Retry.withDefaults()
		after := ""
		failures := 0
		for {
			lctx, cancel := context.WithCancel(ctx)
			var lerr error
			stopped := false
			for info := range s.c.mc.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: p, Recursive: true, StartAfter: after}) {
				if info.Err != nil {
					lerr = info.Err
					break
				}
				failures = 0
				if strings.HasSuffix(info.Key, "/") || !strings.HasPrefix(info.Key, p) {
					after = info.Key
					continue
				}
				after = info.Key
				obj := Object{Key: info.Key[len(p):], Size: info.Size, ETag: trimETag(info.ETag), ModTime: info.LastModified}
				if !yield(obj, nil) {
					stopped = true
					break
				}
			}
			cancel()
			if stopped || lerr == nil {
				if lerr == nil && !stopped {
					s.exists.Store(true)
				}
				return
			}
			if cerr := ctx.Err(); cerr != nil {
				yield(Object{}, wrapErr("list", s.URL(p), cerr))
				return
			}
			failures++
			if !Retryable(lerr) || failures >= b.Attempts {
				yield(Object{}, s.s3Err(ctx, "list", p, lerr))
				return
			}
			if err := b.Sleep(ctx, b.Delay(failures)); err != nil {
				yield(Object{}, s.s3Err(ctx, "list", p, lerr))
				return
			}
		}
	}
}

func (s *S3) stat(ctx context.Context, op, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, wrapErr(op, s.URL(key), err)
	}
	var info minio.ObjectInfo
	err := s.retry(ctx, func(ctx context.Context) error {
		var err error
		info, err = s.c.mc.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		return err
	})
	if err != nil {
		return Object{}, s.s3Err(ctx, op, key, err)
	}
	s.exists.Store(true)
	return objectFromInfo(key, info), nil
}

func objectFromInfo(key string, info minio.ObjectInfo) Object {
	m := Metadata{
		ContentType:  info.ContentType,
		CacheControl: info.Metadata.Get("Cache-Control"),
	}
	for k, v := range info.UserMetadata {
		if m.User == nil {
			m.User = map[string]string{}
		}
		m.User[strings.ToLower(k)] = v
	}
	return Object{Key: key, Size: info.Size, ETag: trimETag(info.ETag), ModTime: info.LastModified, Meta: m}
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	return s.stat(ctx, "stat", key)
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (Reader, error) {
	obj, err := s.stat(ctx, "open", key)
	if err != nil {
		return nil, err
	}
	return &s3Reader{s: s, ctx: ctx, obj: obj, window: minReadAhead}, nil
}

// Create implements Store.
func (s *S3) Create(ctx context.Context, key string, meta Metadata) (Writer, error) {
	if err := CheckKey(key); err != nil {
		return nil, wrapErr("create", s.URL(key), err)
	}
	if err := CheckMetadata(meta); err != nil {
		return nil, wrapErr("create", s.URL(key), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr("create", s.URL(key), err)
	}
	wctx, cancel := context.WithCancel(ctx)
	return &s3Writer{s: s, ctx: wctx, cancel: cancel, key: key, meta: meta.Clone()}, nil
}

func (s *S3) putOptions(meta Metadata) minio.PutObjectOptions {
	return minio.PutObjectOptions{
		ContentType:  meta.ContentType,
		CacheControl: meta.CacheControl,
		UserMetadata: meta.User,
		PartSize:     uint64(s.c.cfg.PartSize),
	}
}

// Tags implements Store.
func (s *S3) Tags(ctx context.Context, key string) (map[string]string, error) {
	if err := CheckKey(key); err != nil {
		return nil, wrapErr("tags", s.URL(key), err)
	}
	var t *tags.Tags
	err := s.retry(ctx, func(ctx context.Context) error {
		var err error
		t, err = s.c.mc.GetObjectTagging(ctx, s.bucket, key, minio.GetObjectTaggingOptions{})
		return err
	})
	if err != nil {
		return nil, s.s3Err(ctx, "tags", key, err)
	}
	m := t.ToMap()
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// SetTags implements Store.
func (s *S3) SetTags(ctx context.Context, key string, tm map[string]string) error {
	if err := CheckKey(key); err != nil {
		return wrapErr("set tags", s.URL(key), err)
	}
	if err := CheckTags(tm); err != nil {
		return wrapErr("set tags", s.URL(key), err)
	}
	err := s.retry(ctx, func(ctx context.Context) error {
		if len(tm) == 0 {
			return s.c.mc.RemoveObjectTagging(ctx, s.bucket, key, minio.RemoveObjectTaggingOptions{})
		}
		t, err := tags.NewTags(tm, true)
		if err != nil {
			return &kindError{kind: ErrInvalid, msg: "invalid tags: " + err.Error(), cause: err}
		}
		return s.c.mc.PutObjectTagging(ctx, s.bucket, key, t, minio.PutObjectTaggingOptions{})
	})
	return s.s3Err(ctx, "set tags", key, err)
}

// Remove implements Store.
func (s *S3) Remove(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return wrapErr("remove", s.URL(key), err)
	}
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.c.mc.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	})
	if err != nil {
		if r := errorResponse(err); r.Code == "NoSuchKey" {
			return nil
		}
		return s.s3Err(ctx, "remove", key, err)
	}
	return nil
}

// commitObject describes an object just written.
func (s *S3) committed(key string, size int64, info minio.UploadInfo, meta Metadata) Object {
	mt := info.LastModified
	if mt.IsZero() {
		mt = time.Now().UTC()
	}
	return Object{Key: key, Size: size, ETag: trimETag(info.ETag), ModTime: mt, Meta: meta.Clone()}
}
