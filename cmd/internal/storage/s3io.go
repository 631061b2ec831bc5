package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/minio/minio-go/v7"
)

// s3Reader reads an object through ranged GETs into a window of at most
// Config.ReadAhead bytes.
type s3Reader struct {
	s   *S3
	ctx context.Context
	obj Object

	mu     sync.Mutex
	off    int64  // the Read offset
	buf    []byte // the window: bytes [bufOff, bufOff+len(buf))
	bufOff int64
	window int // size of the next sequential fetch
	closed bool
}

func (r *s3Reader) Object() Object {
	o := r.obj
	o.Meta = o.Meta.Clone()
	return o
}

func (r *s3Reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, wrapErr("read", r.s.URL(r.obj.Key), ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.off >= r.obj.Size {
		return 0, io.EOF
	}
	n, err := r.readAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *s3Reader) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, wrapErr("read", r.s.URL(r.obj.Key), ErrClosed)
	}
	if off < 0 {
		return 0, wrapErr("read", r.s.URL(r.obj.Key), fmt.Errorf("%w: negative offset %d", ErrInvalid, off))
	}
	return r.readAt(p, off)
}

// readAt fills p from off, from the window where it can and with ranged
// GETs where it cannot; it returns io.EOF when p reaches past the end.
func (r *s3Reader) readAt(p []byte, off int64) (int, error) {
	size := r.obj.Size
	total := 0
	for len(p) > 0 {
		if off >= size {
			return total, io.EOF
		}
		if off >= r.bufOff && off < r.bufOff+int64(len(r.buf)) {
			n := copy(p, r.buf[off-r.bufOff:])
			p, off, total = p[n:], off+int64(n), total+n
			continue
		}
		want := int64(len(p))
		maxWin := r.s.c.cfg.ReadAhead
		if want >= int64(maxWin) {
			// Larger than the window: read straight into p.
			n := int(min(want, size-off))
			if err := r.fetch(p[:n], off); err != nil {
				return total, err
			}
			p, off, total = p[n:], off+int64(n), total+n
			continue
		}
		if len(r.buf) > 0 && off == r.bufOff+int64(len(r.buf)) {
			r.window = min(2*r.window, maxWin) // going on sequentially
		} else {
			r.window = minReadAhead // a seek: start small again
		}
		n := int(min(max(int64(r.window), want), size-off))
		if cap(r.buf) < n {
			r.buf = make([]byte, n, max(n, min(2*cap(r.buf), maxWin)))
		}
		r.buf = r.buf[:n]
		r.bufOff = off
		if err := r.fetch(r.buf, off); err != nil {
			r.buf = r.buf[:0]
			return total, err
		}
	}
	return total, nil
}

// fetch fills dst with the bytes at off with one ranged GET (retried).
func (r *s3Reader) fetch(dst []byte, off int64) error {
	key := r.obj.Key
	err := r.s.retry(r.ctx, func(ctx context.Context) error {
		var opts minio.GetObjectOptions
		if err := opts.SetRange(off, off+int64(len(dst))-1); err != nil {
			return err
		}
		if r.obj.ETag != "" {
			if err := opts.SetMatchETag(r.obj.ETag); err != nil {
				return err
			}
		}
		body, _, _, err := r.s.c.core.GetObject(ctx, r.s.bucket, key, opts)
		if err != nil {
			return err
		}
		defer body.Close()
		_, err = io.ReadFull(body, dst)
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	})
	if err != nil {
		return r.s.s3Err(r.ctx, "read", key, fmt.Errorf("reading bytes %d-%d: %w", off, off+int64(len(dst))-1, err))
	}
	return nil
}

func (r *s3Reader) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, wrapErr("seek", r.s.URL(r.obj.Key), ErrClosed)
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.obj.Size + offset
	default:
		return 0, wrapErr("seek", r.s.URL(r.obj.Key), fmt.Errorf("%w: whence %d", ErrInvalid, whence))
	}
	if abs < 0 {
		return 0, wrapErr("seek", r.s.URL(r.obj.Key), fmt.Errorf("%w: seek to negative offset %d", ErrInvalid, abs))
	}
	r.off = abs
	return abs, nil
}

func (r *s3Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.buf = nil
	return nil
}

// s3Writer buffers up to one part, then streams the rest as a multipart
// upload through a pipe.
type s3Writer struct {
	s      *S3
	ctx    context.Context
	cancel context.CancelFunc
	key    string
	meta   Metadata

	buf    []byte // until streaming starts
	size   int64
	pw     *io.PipeWriter
	result chan s3Result // the streaming upload's outcome
	done   bool
	err    error // a write error that makes Commit fail
}

type s3Result struct {
	info minio.UploadInfo
	err  error
}

var (
	errAborted     = errors.New("upload aborted")
	errUploadEnded = errors.New("upload already ended")
)

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, wrapErr("write", w.s.URL(w.key), ErrClosed)
	}
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		return 0, wrapErr("write", w.s.URL(w.key), err)
	}
	written := 0
	if w.pw == nil {
		part := int(w.s.c.cfg.PartSize)
		n := min(len(p), part-len(w.buf))
		if len(w.buf)+n > cap(w.buf) {
			nb := make([]byte, len(w.buf), min(max(2*cap(w.buf), len(w.buf)+n, 64<<10), part))
			copy(nb, w.buf)
			w.buf = nb
		}
		w.buf = append(w.buf, p[:n]...)
		written, p = n, p[n:]
		w.size += int64(n)
		if len(p) == 0 {
			return written, nil
		}
		w.startStream() // a full part and more to come
	}
	n, err := w.pw.Write(p)
	w.size += int64(n)
	if err != nil {
		w.err = w.s.s3Err(w.ctx, "write", w.key, err)
		return written + n, w.err
	}
	return written + n, nil
}

// startStream starts the multipart upload of the buffered part followed by
// whatever is written next.
func (w *s3Writer) startStream() {
	pr, pw := io.Pipe()
	w.pw = pw
	w.result = make(chan s3Result, 1)
	first := bytes.NewReader(w.buf)
	w.buf = nil
	go func() {
		info, err := w.s.c.mc.PutObject(w.ctx, w.s.bucket, w.key, io.MultiReader(first, pr), -1, w.s.putOptions(w.meta))
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.CloseWithError(errUploadEnded)
		}
		w.result <- s3Result{info, err}
	}()
}

func (w *s3Writer) Commit() (Object, error) {
	if w.done {
		return Object{}, wrapErr("commit", w.s.URL(w.key), ErrClosed)
	}
	if w.err != nil {
		w.Abort()
		return Object{}, w.err
	}
	w.done = true
	defer w.cancel()
	if w.pw == nil {
		var info minio.UploadInfo
		err := w.s.retry(w.ctx, func(ctx context.Context) error {
			var err error
			info, err = w.s.c.mc.PutObject(ctx, w.s.bucket, w.key, bytes.NewReader(w.buf), int64(len(w.buf)), w.s.putOptions(w.meta))
			return err
		})
		w.buf = nil
		if err != nil {
			return Object{}, w.s.s3Err(w.ctx, "commit", w.key, err)
		}
		w.s.exists.Store(true)
		return w.s.committed(w.key, w.size, info, w.meta), nil
	}
	w.pw.Close()
	res := <-w.result
	if res.err != nil {
		return Object{}, w.s.s3Err(w.ctx, "commit", w.key, res.err)
	}
	if res.info.Size != w.size {
		return Object{}, wrapErr("commit", w.s.URL(w.key), fmt.Errorf("uploaded %d bytes of %d", res.info.Size, w.size))
	}
	w.s.exists.Store(true)
	return w.s.committed(w.key, w.size, res.info, w.meta), nil
}

func (w *s3Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.pw != nil {
		w.pw.CloseWithError(errAborted)
		<-w.result // minio-go aborts the multipart upload on the error
	}
	w.cancel()
	w.buf = nil
	return nil
}
