package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
)

// Local is a Store over a folder: key "x/a.jpg" is the file x/a.jpg below
// the root.
//
//   - Listing walks the folder in key order, follows symbolic links to
//     files but not to folders, and skips hidden names (".name", which
//     includes the temporary files of writes in progress), as
//     cmd/internal/fileset does.
//   - ETags are derived from the modification time and size
//     ("<mtime ns hex>-<size hex>"): any write changes them, without
//     reading the content.
//   - Writes go to a temporary file beside the target, renamed over it on
//     Commit (cmd/internal/safewrite). They never go through a symbolic
//     link: Create refuses a target, or a folder between the root and the
//     target, that is a link (ErrSymlink), so an output folder cannot lead
//     into the inputs.
//   - Metadata and tags are kept in extended attributes of the file
//     (user.aigcmark.content-type, user.aigcmark.cache-control,
//     user.aigcmark.meta.<key>, user.aigcmark.tags as a URL query), so they
//     travel with the file through the rename and cost no sidecar files.
//     On a file system or platform without user extended attributes,
//     metadata is dropped (Content-Type then comes from the file name's
//     extension, and Done reports outputs as not done) and Tags and
//     SetTags fail with ErrUnsupported.
type Local struct {
	root string
	// Durable makes Commit flush the file and its folder to disk (fsync)
	// before returning, as an in-place replacement should.
	Durable bool
}

// NewLocal returns the store rooted at the folder root, which need not
// exist yet (Create makes the folders it needs).
func NewLocal(root string) (*Local, error) {
	if root == "" {
		return nil, fmt.Errorf("%w: empty local path", ErrInvalid)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, wrapErr("open", root, err)
	}
	return &Local{root: abs}, nil
}

// Root returns the absolute path of the store's folder.
func (l *Local) Root() string { return l.root }

// URL implements Store: the local path of key.
func (l *Local) URL(key string) string {
	if key == "" {
		return l.root
	}
	return filepath.Join(l.root, filepath.FromSlash(key))
}

// path returns the file name of key after checking the key.
func (l *Local) path(op, key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", wrapErr(op, l.URL(key), err)
	}
	if runtime.GOOS == "windows" && strings.ContainsAny(key, `\:`) {
		return "", wrapErr(op, l.URL(key), fmt.Errorf("%w: key %q cannot be a Windows file name", ErrInvalid, key))
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// notExist turns a missing file into ErrNotExist, or ErrNoBucket when the
// root folder itself is missing.
func (l *Local) notExist(op, key string, cause error) error {
	if _, err := os.Stat(l.root); errors.Is(err, fs.ErrNotExist) {
		msg := "no such folder"
		if key != "" {
			msg += " " + l.root
		}
		return wrapErr(op, l.URL(key), &kindError{kind: ErrNoBucket, msg: msg, cause: cause})
	}
	return wrapErr(op, l.URL(key), &kindError{kind: ErrNotExist, cause: cause})
}

func (l *Local) mapErr(op, key string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return l.notExist(op, key, err)
	case errors.Is(err, fs.ErrPermission):
		return wrapErr(op, l.URL(key), &kindError{kind: ErrPermission, msg: err.Error(), cause: err})
	}
	return wrapErr(op, l.URL(key), err)
}

// List implements Store.
func (l *Local) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		p, err := checkPrefix(prefix)
		if err != nil {
			yield(Object{}, wrapErr("list", l.URL(prefix), err))
			return
		}
		dir := l.root
		if p != "" {
			dir = filepath.Join(l.root, filepath.FromSlash(strings.TrimSuffix(p, "/")))
		}
		st, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if p == "" {
				yield(Object{}, l.notExist("list", "", err))
			} else if _, rerr := os.Stat(l.root); rerr != nil {
				yield(Object{}, l.mapErr("list", "", rerr))
			}
			return
		case err != nil:
			yield(Object{}, l.mapErr("list", p, err))
			return
		case !st.IsDir():
			return // a file is not a folder: nothing is under it
		}
		l.walk(ctx, dir, "", yield)
	}
}

type localEntry struct {
	name  string
	sort  string // name, with "/" after a folder's: the order of the keys below
	isDir bool
	info  fs.FileInfo
}

// walk yields the files below dir in key order; rel is dir's key relative
// to the listed prefix ("" or ending in "/"). It returns false when the
// consumer stopped.
func (l *Local) walk(ctx context.Context, dir, rel string, yield func(Object, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(Object{}, wrapErr("list", dir, err))
		return false
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return yield(Object{}, wrapErr("list", dir, err))
	}
	ents := make([]localEntry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		e := localEntry{name: name, sort: name}
		switch {
		case de.IsDir():
			e.isDir = true
			e.sort = name + "/"
		case de.Type()&fs.ModeSymlink != 0:
			// Links to files are followed, links to folders are not (no
			// cycles, no escaping the tree).
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
			e.info = st
		case de.Type().IsRegular():
		default:
			continue // sockets, devices, pipes
		}
		ents = append(ents, e)
	}
	slices.SortFunc(ents, func(a, b localEntry) int { return strings.Compare(a.sort, b.sort) })
	for _, e := range ents {
		key := rel + e.name
		if !utf8.ValidString(e.name) || strings.ContainsFunc(e.name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			if !yield(Object{}, wrapErr("list", filepath.Join(dir, e.name), fmt.Errorf("%w: the file name cannot be an object key", ErrInvalid))) {
				return false
			}
			continue
		}
		if e.isDir {
			if !l.walk(ctx, filepath.Join(dir, e.name), key+"/", yield) {
				return false
			}
			continue
		}
		info := e.info
		if info == nil {
			info, err = os.Lstat(filepath.Join(dir, e.name))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // removed since ReadDir
				}
				if !yield(Object{}, wrapErr("list", filepath.Join(dir, e.name), err)) {
					return false
				}
				continue
			}
		}
		if !yield(Object{Key: key, Size: info.Size(), ETag: localETag(info), ModTime: info.ModTime()}, nil) {
			return false
		}
	}
	return true
}

func localETag(fi fs.FileInfo) string {
	return fmt.Sprintf("%x-%x", fi.ModTime().UnixNano(), fi.Size())
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Object, error) {
	p, err := l.path("stat", key)
	if err != nil {
		return Object{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return Object{}, l.mapErr("stat", key, err)
	}
	if !st.Mode().IsRegular() {
		return Object{}, l.notExist("stat", key, fmt.Errorf("%s is not a regular file", p))
	}
	return l.object(key, p, st), nil
}

func (l *Local) object(key, p string, st fs.FileInfo) Object {
	return Object{Key: key, Size: st.Size(), ETag: localETag(st), ModTime: st.ModTime(), Meta: readMeta(p)}
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (Reader, error) {
	p, err := l.path("open", key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, l.mapErr("open", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, l.mapErr("open", key, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, l.notExist("open", key, fmt.Errorf("%s is not a regular file", p))
	}
	return &localReader{File: f, obj: l.object(key, p, st)}, nil
}

type localReader struct {
	*os.File
	obj Object
}

func (r *localReader) Object() Object { return r.obj }

// checkNoLinks refuses a write to p (below the root) when p or a folder
// between the root and p is a symbolic link, or a folder on the way is a
// file.
func (l *Local) checkNoLinks(key, p string) error {
	segs := strings.Split(key, "/")
	cur := l.root
	for i, s := range segs {
		cur = filepath.Join(cur, s)
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return l.mapErr("create", key, err)
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return wrapErr("create", l.URL(key), &kindError{kind: ErrSymlink, msg: fmt.Sprintf("%s: %s is a symbolic link", ErrSymlink, cur)})
		}
		last := i == len(segs)-1
		if !last && !st.IsDir() {
			return wrapErr("create", l.URL(key), fmt.Errorf("%w: %s is a file, not a folder", ErrInvalid, cur))
		}
		if last && !st.Mode().IsRegular() {
			return wrapErr("create", l.URL(key), fmt.Errorf("%w: %s exists and is not a regular file", ErrInvalid, cur))
		}
	}
	return nil
}

// Create implements Store.
func (l *Local) Create(ctx context.Context, key string, meta Metadata) (Writer, error) {
	p, err := l.path("create", key)
	if err != nil {
		return nil, err
	}
	if err := CheckMetadata(meta); err != nil {
		return nil, wrapErr("create", l.URL(key), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr("create", l.URL(key), err)
	}
	if err := l.checkNoLinks(key, p); err != nil {
		return nil, err
	}
	f, err := safewrite.Create(p, 0o644)
	if err != nil {
		return nil, l.mapErr("create", key, err)
	}
	// Best effort: see the type's comment.
	_ = writeMeta(f.Name(), meta)
	return &localWriter{l: l, ctx: ctx, key: key, p: p, f: f}, nil
}

type localWriter struct {
	l    *Local
	ctx  context.Context
	key  string
	p    string
	f    *safewrite.File
	done bool
}

func (w *localWriter) Write(b []byte) (int, error) {
	if w.done {
		return 0, wrapErr("write", w.l.URL(w.key), ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		return 0, wrapErr("write", w.l.URL(w.key), err)
	}
	n, err := w.f.Write(b)
	if err != nil {
		err = wrapErr("write", w.l.URL(w.key), err)
	}
	return n, err
}

func (w *localWriter) Commit() (Object, error) {
	if w.done {
		return Object{}, wrapErr("commit", w.l.URL(w.key), ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		w.Abort()
		return Object{}, wrapErr("commit", w.l.URL(w.key), err)
	}
	w.done = true
	if err := w.f.Commit(w.l.Durable); err != nil {
		return Object{}, w.l.mapErr("commit", w.key, err)
	}
	st, err := os.Stat(w.p)
	if err != nil {
		return Object{}, w.l.mapErr("commit", w.key, err)
	}
	return w.l.object(w.key, w.p, st), nil
}

func (w *localWriter) Abort() error {
	w.done = true
	w.f.Discard()
	return nil
}

// Tags implements Store.
func (l *Local) Tags(ctx context.Context, key string) (map[string]string, error) {
	p, err := l.regular("tags", key)
	if err != nil {
		return nil, err
	}
	v, err := getXattr(p, xattrTags)
	switch {
	case errors.Is(err, errNoAttr):
		return map[string]string{}, nil
	case errors.Is(err, errNoXattr):
		return nil, wrapErr("tags", l.URL(key), &kindError{kind: ErrUnsupported, msg: "tags are not supported here: " + err.Error(), cause: err})
	case err != nil:
		return nil, l.mapErr("tags", key, err)
	}
	q, err := url.ParseQuery(string(v))
	if err != nil {
		return nil, wrapErr("tags", l.URL(key), fmt.Errorf("corrupt %s attribute: %w", xattrTags, err))
	}
	tags := make(map[string]string, len(q))
	for k, vs := range q {
		tags[k] = vs[0]
	}
	return tags, nil
}

// SetTags implements Store.
func (l *Local) SetTags(ctx context.Context, key string, tags map[string]string) error {
	if err := CheckTags(tags); err != nil {
		return wrapErr("set tags", l.URL(key), err)
	}
	p, err := l.regular("set tags", key)
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range tags {
		q.Set(k, v)
	}
	if len(tags) == 0 {
		err = removeXattr(p, xattrTags)
		if errors.Is(err, errNoAttr) {
			err = nil
		}
	} else {
		err = setXattr(p, xattrTags, []byte(q.Encode()))
	}
	if errors.Is(err, errNoXattr) {
		return wrapErr("set tags", l.URL(key), &kindError{kind: ErrUnsupported, msg: "tags are not supported here: " + err.Error(), cause: err})
	}
	if err != nil {
		return l.mapErr("set tags", key, err)
	}
	return nil
}

// regular returns the file name of key, which must be an existing regular
// file.
func (l *Local) regular(op, key string) (string, error) {
	p, err := l.path(op, key)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(p)
	if err != nil {
		return "", l.mapErr(op, key, err)
	}
	if !st.Mode().IsRegular() {
		return "", l.notExist(op, key, fmt.Errorf("%s is not a regular file", p))
	}
	return p, nil
}

// Remove implements Store.
func (l *Local) Remove(ctx context.Context, key string) error {
	p, err := l.path("remove", key)
	if err != nil {
		return err
	}
	st, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || err == nil && st.IsDir() {
		return nil // no object there
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return l.mapErr("remove", key, err)
	}
	return nil
}

// Extended attributes holding metadata and tags.
const (
	xattrPrefix       = "user.aigcmark."
	xattrContentType  = xattrPrefix + "content-type"
	xattrCacheControl = xattrPrefix + "cache-control"
	xattrUserPrefix   = xattrPrefix + "meta."
	xattrTags         = xattrPrefix + "tags"
	maxXattrSize      = 4096
)

// writeMeta stores m in the extended attributes of the file p.
func writeMeta(p string, m Metadata) error {
	set := func(name, v string) error {
		if v == "" {
			return nil
		}
		return setXattr(p, name, []byte(v))
	}
	if err := set(xattrContentType, m.ContentType); err != nil {
		return err
	}
	if err := set(xattrCacheControl, m.CacheControl); err != nil {
		return err
	}
	for k, v := range m.User {
		if err := setXattr(p, xattrUserPrefix+k, []byte(v)); err != nil {
			return err
		}
	}
	return nil
}

// readMeta reads the metadata of the file p; the Content-Type defaults to
// the one of the name's extension.
func readMeta(p string) Metadata {
	var m Metadata
	names, _ := listXattr(p)
	for _, name := range names {
		if !strings.HasPrefix(name, xattrPrefix) {
			continue
		}
		v, err := getXattr(p, name)
		if err != nil {
			continue
		}
		switch {
		case name == xattrContentType:
			m.ContentType = string(v)
		case name == xattrCacheControl:
			m.CacheControl = string(v)
		case strings.HasPrefix(name, xattrUserPrefix):
			if m.User == nil {
				m.User = map[string]string{}
			}
			m.User[strings.TrimPrefix(name, xattrUserPrefix)] = string(v)
		}
	}
	if m.ContentType == "" {
		m.ContentType = mime.TypeByExtension(strings.ToLower(filepath.Ext(p)))
	}
	return m
}

// StatFile describes the local file p as the Local store would: its
// ETag, size, time and recorded metadata. Commands that work on local
// paths directly use it to take part in Done and ForOutput.
func StatFile(p string) (Object, error) {
	st, err := os.Stat(p)
	if err != nil {
		return Object{}, wrapErr("stat", p, err)
	}
	if !st.Mode().IsRegular() {
		return Object{}, wrapErr("stat", p, fmt.Errorf("%w: not a regular file", ErrNotExist))
	}
	return Object{Key: filepath.Base(p), Size: st.Size(), ETag: localETag(st), ModTime: st.ModTime(), Meta: readMeta(p)}, nil
}

// RecordFile stores m in the extended attributes of the local file p, as
// Local's Commit does: for outputs written directly to a path, so that a
// later run finds them Done. File systems without extended attributes
// give ErrUnsupported.
func RecordFile(p string, m Metadata) error {
	if err := CheckMetadata(m); err != nil {
		return wrapErr("record", p, err)
	}
	if err := writeMeta(p, m); err != nil {
		return wrapErr("record", p, err)
	}
	return nil
}
