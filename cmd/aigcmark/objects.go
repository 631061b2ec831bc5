package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/cmd/internal/fileset"
	"github.com/aigcmark/aigcmark/cmd/internal/storage"
)

// storageOptions are the flags every batch command shares for buckets and
// for splitting a batch between machines.
type storageOptions struct {
	Endpoint string
	Shard    string
}

func storageFlags(o *storageOptions) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "s3-endpoint", Usage: "S3-compatible endpoint `URL` for s3:// inputs and outputs (http:// plain, https:// TLS; default $AIGCMARK_S3_ENDPOINT, else AWS)", Destination: &o.Endpoint, Category: "Storage"},
		&cli.StringFlag{Name: "shard", Usage: "work on shard `I/N` of the inputs only (0 ≤ I < N), so N machines share one listing", Destination: &o.Shard, Category: "Storage"},
	}
}

// batchIO is what a batch command reads from and writes to.
type batchIO struct {
	opener *storage.Opener
	shard  storage.Shard
	mu     sync.Mutex
	work   string // folder for staged objects, made on first use, removed by close
}

func (o storageOptions) open() (*batchIO, error) {
	cfg, err := storage.LoadConfig(os.Getenv, o.Endpoint)
	if err != nil {
		return nil, usagef("%v", err)
	}
	b := &batchIO{opener: &storage.Opener{Config: cfg}, shard: storage.Shard{Index: 0, Count: 1}}
	if o.Shard != "" {
		if b.shard, err = storage.ParseShard(o.Shard); err != nil {
			return nil, usagef("--shard: %v", err)
		}
	}
	return b, nil
}

func (b *batchIO) close() {
	if b.work != "" {
		os.RemoveAll(b.work)
	}
}

// isObjectURL tells bucket URLs from local paths.
func isObjectURL(s string) bool { return strings.HasPrefix(s, "s3://") }

// input is one file or object a batch works on. For an object, File.Path
// is its URL (for messages and reports) until it is staged.
type input struct {
	fileset.File
	store storage.Store  // the object's store; nil for a local file
	obj   storage.Object // the object (Key is the full key); for local files after stat
}

// expand lists the inputs args name: local files and folders as fileset
// walks them, s3:// objects and prefixes as storage lists them; then keeps
// this machine's shard.
func (b *batchIO) expand(ctx context.Context, args []string) []input {
	var ins []input
	for _, a := range args {
		if !isObjectURL(a) {
			for _, f := range fileset.Expand([]string{a}) {
				ins = append(ins, input{File: f})
			}
			continue
		}
		loc, err := storage.ParseLocation(a)
		if err != nil {
			ins = append(ins, input{File: fileset.File{Path: a, Explicit: true, Err: err}})
			continue
		}
		st, key, err := b.opener.Open(loc)
		if err != nil {
			ins = append(ins, input{File: fileset.File{Path: a, Explicit: true, Err: err}})
			continue
		}
		for item, err := range storage.Walk(ctx, st, key) {
			if err != nil {
				ins = append(ins, input{File: fileset.File{Path: a, Explicit: true, Err: err}})
				continue
			}
			ins = append(ins, input{File: fileset.File{Path: st.URL(item.Key), Rel: item.Rel, Explicit: item.Key == key},
				store: st, obj: item.Object})
		}
	}
	if b.shard.Count <= 1 {
		return ins
	}
	var mine []input
	for _, in := range ins {
		id := in.Path
		if in.store != nil {
			id = in.obj.Key
		}
		if b.shard.Contains(id) {
			mine = append(mine, in)
		}
	}
	return mine
}

// files returns the inputs as fileset files (remote ones by URL).
func files(ins []input) []fileset.File {
	fs := make([]fileset.File, len(ins))
	for i, in := range ins {
		fs[i] = in.File
	}
	return fs
}

// stage returns a local file holding the input and the input as the
// source of an output, with its metadata: a local input itself (stat'ed),
// or a remote object downloaded (with retries) into a fresh folder under
// the batch's work folder, keeping its base name (some formats are told by
// their names), described as it was opened. done removes what stage made.
func (b *batchIO) stage(ctx context.Context, in input) (f fileset.File, src storage.Object, done func(), err error) {
	f = in.File
	if in.Err != nil {
		return f, src, func() {}, nil
	}
	if in.store == nil {
		src, err = storage.StatFile(in.Path)
		return f, src, func() {}, err
	}
	dir, err := b.tempDir()
	if err != nil {
		return f, src, nil, err
	}
	done = func() { os.RemoveAll(dir) }
	p := filepath.Join(dir, filepath.Base(filepath.FromSlash(in.obj.Key)))
	err = storage.Retry(ctx, storage.Backoff{}, func(ctx context.Context) error {
		r, err := in.store.Open(ctx, in.obj.Key)
		if err != nil {
			return err
		}
		defer r.Close()
		src = r.Object()
		w, err := os.Create(p)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	})
	if err != nil {
		done()
		return f, src, nil, fmt.Errorf("downloading: %w", err)
	}
	f.Path = p
	return f, src, done, nil
}

func (b *batchIO) tempDir() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.work == "" {
		w, err := os.MkdirTemp("", "aigcmark-batch-")
		if err != nil {
			return "", err
		}
		b.work = w
	}
	return os.MkdirTemp(b.work, "job-")
}

// output is where a batch writes: a local folder (written directly, as
// before buckets) or a bucket prefix (written locally, then uploaded).
type output struct {
	dir    string        // local folder, "" for a bucket
	store  storage.Store // the bucket; the local folder's store otherwise
	prefix string        // key prefix in store
	job    string        // the job's fingerprint (jobID), recorded in outputs
}

func (b *batchIO) output(ctx context.Context, out string) (*output, error) {
	if !isObjectURL(out) {
		st, err := storage.NewLocal(out)
		if err != nil {
			return nil, err
		}
		return &output{dir: out, store: st}, nil
	}
	loc, err := storage.ParseLocation(out)
	if err != nil {
		return nil, usagef("--out: %v", err)
	}
	st, key, err := b.opener.Open(loc)
	if err != nil {
		return nil, err
	}
	if key != "" && !strings.HasSuffix(key, "/") {
		key += "/"
	}
	return &output{store: st, prefix: key}, nil
}

// key is where the output of in goes.
func (o *output) key(in input) string { return storage.OutputKey(o.prefix, filepath.ToSlash(in.Rel)) }

// URL is the output of in, for messages.
func (o *output) URL(in input) string {
	if o.dir != "" {
		return filepath.Join(o.dir, in.Rel)
	}
	return o.store.URL(o.key(in))
}

// listed is the input as its listing describes it: enough (the ETag) to
// tell whether an output already records it. A local file is stat'ed.
func listed(in input) (storage.Object, error) {
	if in.store != nil {
		return in.obj, nil
	}
	return storage.StatFile(in.Path)
}

// done reports whether the output of in is already there, made from this
// very source (its recorded source ETag matches) by the same job (the same
// options): a batch run again with the same arguments skips it, one run
// with other options redoes it.
func (o *output) done(ctx context.Context, in input, src storage.Object) (bool, error) {
	if src.ETag == "" {
		return false, nil
	}
	obj, err := o.store.Stat(ctx, o.key(in))
	switch {
	case o.dir != "" && err != nil:
		// Missing, or a local folder not made yet: writing will tell.
		return false, nil
	case errors.Is(err, storage.ErrNotExist) && !errors.Is(err, storage.ErrNoBucket):
		return false, nil
	case err != nil:
		return false, err
	}
	done := obj.Meta.SourceETag() == src.Meta.ForOutput(src.ETag).SourceETag() && obj.Meta.User[jobKey] == o.job
	return done, nil
}

// jobKey is the user metadata key recording the job that made an output.
const jobKey = "aigcmark-job"

// jobID fingerprints the options of a batch that decide what its outputs
// hold: 16 hex digits of their SHA-256.
func jobID(command string, v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(append([]byte(command+"\n"), b...))
	return hex.EncodeToString(h[:8])
}

// meta is the metadata of the output of src: the source's, its ETag and
// the job.
func (o *output) meta(src storage.Object) storage.Metadata {
	m := src.Meta.ForOutput(src.ETag)
	if o != nil && o.job != "" {
		m.User[jobKey] = o.job
	}
	return m
}

// publish finishes the output of in made in the local file made from src:
// for a local folder it records the source in the file's metadata (so that
// a later run finds it done); for a bucket it uploads the file with the
// source's Content-Type, Cache-Control and user metadata and its ETag,
// retrying the whole upload on transient errors. It returns the output's
// URL.
func (o *output) publish(ctx context.Context, in input, src storage.Object, made string) (string, error) {
	if o.dir != "" {
		return made, recordLocal(made, o.meta(src))
	}
	return upload(ctx, o.store, o.key(in), made, o.meta(src))
}

// recordLocal records m (the source of the local output p) where the
// file system keeps extended attributes.
func recordLocal(p string, m storage.Metadata) error {
	if err := storage.RecordFile(p, m); err != nil && !errors.Is(err, storage.ErrUnsupported) {
		return err
	}
	return nil
}

// upload copies the local file p to key in st.
func upload(ctx context.Context, st storage.Store, key, p string, meta storage.Metadata) (string, error) {
	err := storage.Retry(ctx, storage.Backoff{}, func(ctx context.Context) error {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		w, err := st.Create(ctx, key, meta)
		if err != nil {
			return err
		}
		defer w.Abort()
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		_, err = w.Commit()
		return err
	})
	if err != nil {
		return "", fmt.Errorf("uploading: %w", err)
	}
	return st.URL(key), nil
}

// reportFile is a JSONL report that may go to a bucket: written locally,
// uploaded when closed.
type reportFile struct {
	*jsonlFile
	local string
	store storage.Store
	key   string
}

func (b *batchIO) openReport(ctx context.Context, path string) (*reportFile, error) {
	if !isObjectURL(path) {
		j, err := openJSONL(path, false)
		if err != nil {
			return nil, err
		}
		return &reportFile{jsonlFile: j}, nil
	}
	loc, err := storage.ParseLocation(path)
	if err != nil {
		return nil, err
	}
	st, key, err := b.opener.Open(loc)
	if err != nil {
		return nil, err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("%s names a folder, not a report object", path)
	}
	dir, err := b.tempDir()
	if err != nil {
		return nil, err
	}
	local := filepath.Join(dir, "report.jsonl")
	j, err := openJSONL(local, false)
	if err != nil {
		return nil, err
	}
	return &reportFile{jsonlFile: j, local: local, store: st, key: key}, nil
}

// write adds a line; a nil report ignores it.
func (r *reportFile) write(v any) {
	if r != nil {
		r.jsonlFile.write(v)
	}
}

// Close closes the report and uploads it when it goes to a bucket.
func (r *reportFile) Close(ctx context.Context) error {
	if r == nil {
		return nil
	}
	if err := r.jsonlFile.Close(); err != nil {
		return err
	}
	if r.store == nil {
		return nil
	}
	_, err := upload(ctx, r.store, r.key, r.local, storage.Metadata{ContentType: "application/x-ndjson"})
	return err
}

// tagVerdict records a verdict as tags on the input (keeping its other
// tags): aigc-label and aigc-checked.
func tagVerdict(ctx context.Context, in input, verdictLabel string, at time.Time) error {
	st, key := in.store, ""
	if st != nil {
		key = in.obj.Key
	} else {
		local, err := storage.NewLocal(filepath.Dir(in.Path))
		if err != nil {
			return err
		}
		st, key = local, filepath.Base(in.Path)
	}
	tags, err := st.Tags(ctx, key)
	if err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	tags["aigc-label"] = verdictLabel
	tags["aigc-checked"] = at.UTC().Format(time.RFC3339)
	return st.SetTags(ctx, key, tags)
}

// outside drops the inputs that lie inside the output folder or prefix
// (earlier outputs), keeping those named on the command line. A nil
// output keeps everything.
func (o *output) outside(ins []input) []input {
	if o == nil {
		return ins
	}
	var keep []input
	var local []fileset.File
	for _, in := range ins {
		if in.store == nil && o.dir != "" {
			local = append(local, in.File)
		}
	}
	inside := map[string]bool{}
	if len(local) > 0 {
		kept := map[string]bool{}
		for _, f := range fileset.Outside(local, o.dir) {
			kept[f.Path] = true
		}
		for _, f := range local {
			inside[f.Path] = !kept[f.Path]
		}
	}
	for _, in := range ins {
		switch {
		case in.Explicit:
		case in.store == nil && inside[in.Path]:
			continue
		case in.store != nil && in.Err == nil && storage.Within(in.store, in.obj.Key, o.store, o.prefix):
			continue
		}
		keep = append(keep, in)
	}
	return keep
}

// inputSize is the bytes of the inputs, for progress.
func inputSize(ins []input) int64 {
	var n int64
	for _, in := range ins {
		if in.store != nil {
			n += in.obj.Size
		} else if st, err := os.Stat(in.Path); err == nil {
			n += st.Size()
		}
	}
	return n
}

// withLocal calls fn with the local file of in, staging a bucket object
// first (a staging error reaches fn as the file's Err) and removing the
// staged copy afterwards.
func (b *batchIO) withLocal(ctx context.Context, in input, fn func(fileset.File)) {
	f, _, done, err := b.stage(ctx, in)
	if err != nil {
		f, done = in.File, func() {}
		f.Err = err
	}
	defer done()
	fn(f)
}
