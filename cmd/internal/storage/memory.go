package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is a Store that keeps its objects in memory: for tests, and for
// commands that need a scratch store. The zero value is not usable; call
// NewMemory.
type Memory struct {
	name string
	mu   sync.RWMutex
	objs map[string]*memObject
	now  func() time.Time
}

type memObject struct {
	data []byte
	obj  Object
	tags map[string]string
}

// NewMemory returns an empty store whose URLs read "mem://name/key".
func NewMemory(name string) *Memory {
	return &Memory{name: name, objs: map[string]*memObject{}, now: time.Now}
}

// URL implements Store.
func (m *Memory) URL(key string) string { return "mem://" + m.name + "/" + key }

func (m *Memory) get(op, key string) (*memObject, error) {
	if err := CheckKey(key); err != nil {
		return nil, wrapErr(op, m.URL(key), err)
	}
	m.mu.RLock()
	o := m.objs[key]
	m.mu.RUnlock()
	if o == nil {
		return nil, wrapErr(op, m.URL(key), ErrNotExist)
	}
	return o, nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		p, err := checkPrefix(prefix)
		if err != nil {
			yield(Object{}, wrapErr("list", m.URL(prefix), err))
			return
		}
		m.mu.RLock()
		var keys []string
		for k := range m.objs {
			if strings.HasPrefix(k, p) {
				keys = append(keys, k)
			}
		}
		m.mu.RUnlock()
		slices.Sort(keys)
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				yield(Object{}, wrapErr("list", m.URL(p), err))
				return
			}
			m.mu.RLock()
			o := m.objs[k]
			m.mu.RUnlock()
			if o == nil {
				continue // removed since
			}
			obj := o.obj
			obj.Key = k[len(p):]
			obj.Meta = Metadata{}
			if !yield(obj, nil) {
				return
			}
		}
	}
}

// Stat implements Store.
func (m *Memory) Stat(ctx context.Context, key string) (Object, error) {
	o, err := m.get("stat", key)
	if err != nil {
		return Object{}, err
	}
	obj := o.obj
	obj.Meta = obj.Meta.Clone()
	return obj, nil
}

// Open implements Store.
func (m *Memory) Open(ctx context.Context, key string) (Reader, error) {
	o, err := m.get("open", key)
	if err != nil {
		return nil, err
	}
	obj := o.obj
	obj.Meta = obj.Meta.Clone()
	// Objects are replaced, never modified, so the reader can share data.
	return &memReader{Reader: bytes.NewReader(o.data), obj: obj}, nil
}

type memReader struct {
	*bytes.Reader
	obj Object
}

func (r *memReader) Close() error   { return nil }
func (r *memReader) Object() Object { return r.obj }

// Create implements Store.
func (m *Memory) Create(ctx context.Context, key string, meta Metadata) (Writer, error) {
	if err := CheckKey(key); err != nil {
		return nil, wrapErr("create", m.URL(key), err)
	}
	if err := CheckMetadata(meta); err != nil {
		return nil, wrapErr("create", m.URL(key), err)
	}
	return &memWriter{m: m, ctx: ctx, key: key, meta: meta.Clone()}, nil
}

type memWriter struct {
	m    *Memory
	ctx  context.Context
	key  string
	meta Metadata
	buf  bytes.Buffer
	done bool
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, wrapErr("write", w.m.URL(w.key), ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		return 0, wrapErr("write", w.m.URL(w.key), err)
	}
	return w.buf.Write(p)
}

func (w *memWriter) Commit() (Object, error) {
	if w.done {
		return Object{}, wrapErr("commit", w.m.URL(w.key), ErrClosed)
	}
	w.done = true
	if err := w.ctx.Err(); err != nil {
		return Object{}, wrapErr("commit", w.m.URL(w.key), err)
	}
	sum := md5.Sum(w.buf.Bytes())
	o := &memObject{
		data: w.buf.Bytes(),
		obj: Object{
			Key:     w.key,
			Size:    int64(w.buf.Len()),
			ETag:    hex.EncodeToString(sum[:]),
			ModTime: w.m.now().UTC().Truncate(time.Millisecond),
			Meta:    w.meta,
		},
	}
	w.m.mu.Lock()
	w.m.objs[w.key] = o
	w.m.mu.Unlock()
	obj := o.obj
	obj.Meta = obj.Meta.Clone()
	return obj, nil
}

func (w *memWriter) Abort() error {
	w.done = true
	w.buf = bytes.Buffer{}
	return nil
}

// Tags implements Store.
func (m *Memory) Tags(ctx context.Context, key string) (map[string]string, error) {
	o, err := m.get("tags", key)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := maps.Clone(o.tags)
	if t == nil {
		t = map[string]string{}
	}
	return t, nil
}

// SetTags implements Store.
func (m *Memory) SetTags(ctx context.Context, key string, tags map[string]string) error {
	if err := CheckTags(tags); err != nil {
		return wrapErr("set tags", m.URL(key), err)
	}
	o, err := m.get("set tags", key)
	if err != nil {
		return err
	}
	m.mu.Lock()
	o.tags = maps.Clone(tags)
	m.mu.Unlock()
	return nil
}

// Remove implements Store.
func (m *Memory) Remove(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return wrapErr("remove", m.URL(key), err)
	}
	m.mu.Lock()
	delete(m.objs, key)
	m.mu.Unlock()
	return nil
}
