// Package safewrite writes a file through a temporary file beside it, so
// that the target only ever holds either its old content or the new,
// checked content: the new file is renamed over the target only after the
// caller has verified it, and removed on any failure.
package safewrite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is a temporary file that becomes target on Commit.
type File struct {
	*os.File
	target string
	done   bool
}

// Create creates a temporary file in target's folder (creating the folder)
// with permissions perm.
func Create(target string, perm os.FileMode) (*File, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the folder for %s: %w", target, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.aigcmark-tmp")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file for %s: %w", target, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, target: target}, nil
}

// Commit flushes the temporary file (with fsync when durable is set, as
// for an in-place replacement) and renames it to the target.
func (f *File) Commit(durable bool) error {
	if f.done {
		return errors.New("safewrite: already committed or discarded")
	}
	var err error
	if durable {
		err = f.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.target)
	}
	if err != nil {
		os.Remove(f.Name())
		f.done = true
		return fmt.Errorf("writing %s: %w", f.target, err)
	}
	f.done = true
	if durable {
		if d, err := os.Open(filepath.Dir(f.target)); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	return nil
}

// Discard removes the temporary file; it is a no-op after Commit, so it
// can be deferred.
func (f *File) Discard() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.Name())
}
