package storage

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Item is one object a location names, with the path its output keeps.
type Item struct {
	// Object is the source; its Key is the full key in the store. Meta is
	// filled only for an object named directly (Stat), not for one found
	// by listing (Open fills it).
	Object
	// Rel is the path the output keeps below an output prefix: the base
	// name of an object named directly, the key relative to the prefix of
	// a listed one.
	Rel string
}

// Walk yields what key names in st: the object key itself when it exists
// (and key does not end in "/"), else every object under key taken as a
// folder prefix, in key order. A key naming neither an object nor a
// non-empty folder yields one error matching ErrNotExist; key "" (a whole
// bucket or folder) may be empty.
func Walk(ctx context.Context, st Store, key string) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		if key != "" && !strings.HasSuffix(key, "/") {
			obj, err := st.Stat(ctx, key)
			if err == nil {
				yield(Item{Object: obj, Rel: path.Base(key)}, nil)
				return
			}
			if !errors.Is(err, ErrNotExist) || errors.Is(err, ErrNoBucket) {
				yield(Item{}, err)
				return
			}
		}
		prefix, err := checkPrefix(key)
		if err != nil {
			yield(Item{}, wrapErr("list", st.URL(key), err))
			return
		}
		n := 0
		for obj, err := range st.List(ctx, prefix) {
			if err != nil {
				if !yield(Item{}, err) {
					return
				}
				continue
			}
			n++
			rel := obj.Key
			obj.Key = prefix + rel
			if !yield(Item{Object: obj, Rel: rel}, nil) {
				return
			}
		}
		if n == 0 && key != "" && ctx.Err() == nil {
			yield(Item{}, wrapErr("list", st.URL(key), &kindError{kind: ErrNotExist, msg: "no such object or folder"}))
		}
	}
}

// OutputKey returns the key of the output of an item with relative path
// rel under the output prefix: OutputKey("out/", "x/a.jpg") is
// "out/x/a.jpg", as `label --out s3://b2/out/ s3://b1/in/` writes
// in/x/a.jpg.
func OutputKey(prefix, rel string) string {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return rel
	}
	return prefix + "/" + rel
}

// Done reports whether out already holds the output of src at key: it
// exists and records src's current ETag under SourceETagKey. A batch run
// again skips such items, so it resumes where it stopped.
func Done(ctx context.Context, out Store, key string, src Object) (bool, error) {
	if src.ETag == "" {
		return false, nil
	}
	obj, err := out.Stat(ctx, key)
	if errors.Is(err, ErrNotExist) && !errors.Is(err, ErrNoBucket) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return obj.Meta.SourceETag() == trimETag(src.ETag), nil
}

// SameObject reports whether key a in store sa and key b in store sb are
// the same object: the same bucket key at the same endpoint, the same
// Memory key, or the same file (after symbolic links; hard links count).
// A command refuses to write an output over its input unless asked
// (--in-place).
func SameObject(sa Store, a string, sb Store, b string) bool {
	if identity(sa, a) == identity(sb, b) {
		return true
	}
	la, ok1 := sa.(*Local)
	lb, ok2 := sb.(*Local)
	if ok1 && ok2 {
		fa, err1 := os.Stat(la.URL(a))
		fb, err2 := os.Stat(lb.URL(b))
		return err1 == nil && err2 == nil && os.SameFile(fa, fb)
	}
	return false
}

// Within reports whether key in st lies inside the folder prefix of dir
// (after symbolic links, for local folders): a listing of inputs skips
// the outputs of an output folder inside it.
func Within(st Store, key string, dir Store, prefix string) bool {
	p, err := checkPrefix(prefix)
	if err != nil {
		return false
	}
	base := identity(dir, strings.TrimSuffix(p, "/"))
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return strings.HasPrefix(identity(st, key), base)
}

// identity names an object uniquely across stores.
func identity(st Store, key string) string {
	switch s := st.(type) {
	case *S3:
		return "s3:" + s.c.endpoint + "/" + s.bucket + "/" + key
	case *Memory:
		return fmt.Sprintf("mem:%p/%s", s, key)
	case *Local:
		return "file:" + filepath.ToSlash(realPath(s.URL(key)))
	}
	return st.URL(key)
}

// realPath resolves the symbolic links of the longest existing part of p.
func realPath(p string) string {
	p = filepath.Clean(p)
	var rest []string
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			for i := len(rest) - 1; i >= 0; i-- {
				r = filepath.Join(r, rest[i])
			}
			return r
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = append(rest, filepath.Base(cur))
		cur = parent
	}
}

// Shard is one of Count parts of a listing: the keys whose hash — FNV-1a
// 64 of the key's bytes, then MurmurHash3's fmix64 finalizer — is Index
// modulo Count. The hash is part of the contract between machines sharing a
// listing: all must run a version with the same function. Machines given shards 0/n … n-1/n of the
// same listing share it without coordination, each key going to exactly
// one. The zero Shard holds every key.
type Shard struct {
	Index, Count int
}

// MaxShards bounds the shard count.
const MaxShards = 1 << 20

// ParseShard parses "i/n" (0 ≤ i < n ≤ MaxShards, decimal); "" is the
// zero Shard.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w: shard %q: want i/n, as 0/3 for the first of three", ErrInvalid, s)
	}
	i, err := parseCount(is)
	if err != nil {
		return Shard{}, fmt.Errorf("%w: shard %q: index %v", ErrInvalid, s, err)
	}
	n, err := parseCount(ns)
	if err != nil {
		return Shard{}, fmt.Errorf("%w: shard %q: count %v", ErrInvalid, s, err)
	}
	if n < 1 || n > MaxShards {
		return Shard{}, fmt.Errorf("%w: shard %q: count must be 1 to %d", ErrInvalid, s, MaxShards)
	}
	if i >= n {
		return Shard{}, fmt.Errorf("%w: shard %q: index must be below the count %d (indexes start at 0)", ErrInvalid, s, n)
	}
	return Shard{Index: i, Count: n}, nil
}

func parseCount(s string) (int, error) {
	if s == "" || len(s) > 7 {
		return 0, fmt.Errorf("%q is not a number of at most 7 digits", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	return strconv.Atoi(s)
}

// String returns "i/n", or "" for the zero Shard.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// Contains reports whether key belongs to the shard. Pass the same key on
// every machine — the source key as listed.
func (s Shard) Contains(key string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return mix64(h.Sum64())%uint64(s.Count) == uint64(s.Index)
}

// mix64 is MurmurHash3's 64-bit finalizer. Alone, FNV-1a's low k bits
// depend only on the low k bits of each byte (its prime is odd), so for a
// count that is a power of two, keys differing in one character by a
// multiple of 2^k — "a.jpg", "c.jpg", "e.jpg" for two shards — always land
// together; the finalizer makes every bit reach the bits the modulus keeps.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
