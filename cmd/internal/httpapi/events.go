package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Bounds on an event notification.
const (
	// MaxEventBody is the largest notification body accepted.
	MaxEventBody = 1 << 20
	// MaxRecords is the most records one notification may carry.
	MaxRecords = 1000
)

// ErrBadEvent is wrapped by every error of ParseEvents.
var ErrBadEvent = errors.New("s3 event")

// Record is one object event of an S3 event notification.
type Record struct {
	// Name is the event name without the "s3:" prefix MinIO and versitygw
	// add: "ObjectCreated:Put", "ObjectRemoved:Delete", ...
	Name   string
	Bucket string
	// Key is the object key as the notification carries it: URL-encoded
	// (form encoding, '+' for a space) by AWS and MinIO, raw by versitygw.
	// KeyCandidates lists what it may stand for.
	Key  string
	ETag string // without quotes; may be empty
	Size int64
}

// Created reports whether the record announces a new object (a put, post,
// copy or completed multipart upload).
func (r Record) Created() bool { return strings.HasPrefix(r.Name, "ObjectCreated:") }

// KeyCandidates returns the keys the notification's Key may stand for,
// most likely first and without repeats: form-decoded (AWS, MinIO),
// path-decoded, and as given (versitygw sends raw keys, which may hold
// '%' or '+'). The caller takes the first that exists.
func (r Record) KeyCandidates() []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	if k, err := url.QueryUnescape(r.Key); err == nil {
		add(k)
	}
	if k, err := url.PathUnescape(r.Key); err == nil {
		add(k)
	}
	add(r.Key)
	return out
}

// Notification is a parsed event notification body.
type Notification struct {
	// Test is set for a test event (AWS "s3:TestEvent", sent when a
	// notification is configured, and by versitygw at start-up): it
	// carries no records.
	Test    bool
	Records []Record
}

// ParseEvents parses an S3 event notification body: AWS's
// {"Records":[...]}, MinIO's (the same, with "EventName" and "Key" beside
// it) and versitygw's. Records that are not object events (no bucket or
// key) are errors; the body must be at most MaxEventBody bytes with at most
// MaxRecords records.
func ParseEvents(data []byte) (Notification, error) {
	if len(data) > MaxEventBody {
		return Notification{}, fmt.Errorf("%w: body is %d bytes, more than %d", ErrBadEvent, len(data), MaxEventBody)
	}
	var raw struct {
		Event   string `json:"Event"`
		Records []struct {
			EventName string `json:"eventName"`
			S3        *struct {
				Bucket struct {
					Name string `json:"name"`
				} `json:"bucket"`
				Object struct {
					Key  string  `json:"key"`
					ETag *string `json:"eTag"`
					Size int64   `json:"size"`
				} `json:"object"`
			} `json:"s3"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Notification{}, fmt.Errorf("%w: not a notification: %v", ErrBadEvent, err)
	}
	if raw.Event == "s3:TestEvent" && len(raw.Records) == 0 {
		return Notification{Test: true}, nil
	}
	if raw.Records == nil {
		return Notification{}, fmt.Errorf("%w: no \"Records\" array", ErrBadEvent)
	}
	if len(raw.Records) > MaxRecords {
		return Notification{}, fmt.Errorf("%w: %d records, at most %d", ErrBadEvent, len(raw.Records), MaxRecords)
	}
	n := Notification{Records: make([]Record, 0, len(raw.Records))}
	for i, r := range raw.Records {
		if r.S3 == nil {
			return Notification{}, fmt.Errorf("%w: record %d has no \"s3\" object", ErrBadEvent, i)
		}
		rec := Record{Name: strings.TrimPrefix(r.EventName, "s3:"), Bucket: r.S3.Bucket.Name,
			Key: r.S3.Object.Key, Size: r.S3.Object.Size}
		if r.S3.Object.ETag != nil {
			rec.ETag = strings.Trim(*r.S3.Object.ETag, `"`)
		}
		switch {
		case rec.Name == "":
			return Notification{}, fmt.Errorf("%w: record %d has no eventName", ErrBadEvent, i)
		case rec.Bucket == "":
			return Notification{}, fmt.Errorf("%w: record %d has no bucket name", ErrBadEvent, i)
		case rec.Key == "":
			return Notification{}, fmt.Errorf("%w: record %d has no object key", ErrBadEvent, i)
		case rec.Size < 0:
			return Notification{}, fmt.Errorf("%w: record %d has a negative size", ErrBadEvent, i)
		}
		n.Records = append(n.Records, rec)
	}
	return n, nil
}
