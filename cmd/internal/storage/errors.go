package storage

import (
	"errors"
)

// Sentinel errors callers branch on; every error a store returns is an
// *Error wrapping one of them or the underlying cause.
var (
	// ErrNotExist: the object (or local folder) does not exist.
	ErrNotExist = errors.New("no such object")
	// ErrNoBucket: the bucket (or a local store's root folder) does not
	// exist.
	ErrNoBucket = errors.New("no such bucket")
	// ErrPermission: the credentials do not allow the operation.
	ErrPermission = errors.New("access denied")
	// ErrInvalid: a key, metadata, tags, location or option is malformed.
	ErrInvalid = errors.New("invalid argument")
	// ErrUnsupported: the store cannot do this (tags on a file system
	// without extended attributes, say).
	ErrUnsupported = errors.New("not supported")
	// ErrChanged: the object changed while it was being read.
	ErrChanged = errors.New("object changed while being read")
	// ErrSymlink: a local write would go through a symbolic link.
	ErrSymlink = errors.New("refusing to write through a symbolic link")
	// ErrClosed: the reader or writer was already closed, committed or
	// aborted.
	ErrClosed = errors.New("already closed")
)

// Error is an error about one object or store, naming it by URL:
// "s3://b/k: no such object".
type Error struct {
	Op  string // "stat", "open", "read", "create", "commit", "list", "tags", "set tags", "remove"
	URL string
	Err error
}

func (e *Error) Error() string { return e.URL + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// kindError gives a cause (an S3 error response, a *PathError) the message
// and identity of a sentinel while keeping the cause reachable with
// errors.As, and its text when it says more than the sentinel.
type kindError struct {
	kind  error
	msg   string // "" means kind's text
	cause error
}

func (e *kindError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.kind.Error()
}

func (e *kindError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func wrapErr(op, url string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) && se.URL == url {
		return err
	}
	return &Error{Op: op, URL: url, Err: err}
}
