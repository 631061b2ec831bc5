package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aigcmark/aigcmark/cmd/internal/storage"
)

// bucketBench is labeling a batch of small JPEGs bucket to bucket on a
// local versitygw, beside the same batch on local disk, at several --jobs.
type bucketBench struct {
	Objects int
	Bytes   int64
	Runs    int
	Rows    []bucketRow
}

type bucketRow struct {
	Where string // "versitygw → versitygw" or "local disk"
	Jobs  int
	Walls []time.Duration
}

func (r bucketRow) median() time.Duration { return median(r.Walls) }

// benchBuckets starts versitygw (installed by make deps into .tools/bin),
// uploads files twice over (n = 2·len(files) objects, under a/ and b/) and
// times label --explicit none from one bucket into another, and the same
// batch on local disk, at each --jobs.
func benchBuckets(ctx context.Context, bin, producer, work string, files []string, jobs []int, runs int, logf func(string, ...any)) (*bucketBench, error) {
	gw, err := versitygwPath()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(work, "s3data")
	for _, b := range []string{"bench-in", "bench-out"} {
		if err := os.MkdirAll(filepath.Join(data, b), 0o755); err != nil {
			return nil, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	const access, secret = "bench", "bench-secret-key"
	srv := exec.CommandContext(ctx, gw, "--access", access, "--secret", secret, "--region", "us-east-1",
		"--port", addr, "--health", "/health", "--quiet", "posix", data)
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("starting versitygw: %w", err)
	}
	defer func() {
		srv.Process.Kill()
		srv.Wait()
	}()
	endpoint := "http://" + addr
	if err := waitHealthy(ctx, endpoint+"/health"); err != nil {
		return nil, err
	}
	env := map[string]string{"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1", "AIGCMARK_S3_ENDPOINT": endpoint}
	getenv := func(k string) string { return env[k] }
	cfg, err := storage.LoadConfig(getenv, "")
	if err != nil {
		return nil, err
	}
	op := &storage.Opener{Config: cfg}
	in, _, err := op.Open(storage.Location{Bucket: "bench-in"})
	if err != nil {
		return nil, err
	}
	out, _, err := op.Open(storage.Location{Bucket: "bench-out"})
	if err != nil {
		return nil, err
	}

	// The inputs, in the bucket and on disk.
	local := filepath.Join(work, "bucket-batch")
	bb := &bucketBench{Objects: 2 * len(files), Runs: runs}
	logf("uploading %d objects to versitygw at %s", bb.Objects, endpoint)
	var keys []string
	for _, half := range []string{"a", "b"} {
		for _, f := range files {
			keys = append(keys, half+"/"+filepath.Base(f))
		}
	}
	if err := parallel(ctx, 8, len(keys), func(ctx context.Context, i int) error {
		src := files[i%len(files)]
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		p := filepath.Join(local, filepath.FromSlash(keys[i]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		w, err := in.Create(ctx, keys[i], storage.Metadata{ContentType: "image/jpeg"})
		if err != nil {
			return err
		}
		defer w.Abort()
		if _, err := w.Write(b); err != nil {
			return err
		}
		_, err = w.Commit()
		return err
	}); err != nil {
		return nil, fmt.Errorf("uploading: %w", err)
	}
	for _, f := range files {
		bb.Bytes += 2 * fileSize(f)
	}

	audit := filepath.Join(work, "bucket-audit.jsonl")
	for _, j := range jobs {
		for _, where := range []string{"versitygw → versitygw", "local disk"} {
			row := bucketRow{Where: where, Jobs: j}
			for r := range runs {
				name := fmt.Sprintf("j%d-r%d", j, r)
				dst, src := "s3://bench-out/"+name+"/", "s3://bench-in/"
				if where == "local disk" {
					dst, src = filepath.Join(work, "bucket-out", name), local
				}
				cmd := exec.CommandContext(ctx, bin, "label", "--producer", producer, "--quiet", "--explicit", "none",
					"--audit-log", audit, "--recipient", "benchmark", "--jobs", fmt.Sprint(j), "--out", dst, src)
				cmd.Env = os.Environ()
				for k, v := range env {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				t0 := time.Now()
				b, err := cmd.CombinedOutput()
				wall := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("%s --jobs %d: %v\n%s", where, j, err, lastLines(string(b), 5))
				}
				// Check: every object made, with the source recorded.
				if where == "local disk" {
					n := 0
					filepath.WalkDir(dst, func(_ string, d os.DirEntry, err error) error {
						if err == nil && d.Type().IsRegular() {
							n++
						}
						return nil
					})
					if n != bb.Objects {
						return nil, fmt.Errorf("local --jobs %d: %d outputs for %d inputs", j, n, bb.Objects)
					}
					os.RemoveAll(dst)
				} else {
					n := 0
					for obj, err := range out.List(ctx, name+"/") {
						if err != nil {
							return nil, err
						}
						if n == 0 {
							st, err := out.Stat(ctx, name+"/"+obj.Key)
							if err != nil || st.Meta.SourceETag() == "" {
								return nil, fmt.Errorf("bucket --jobs %d: %s does not record its source (%v)", j, obj.Key, err)
							}
						}
						n++
					}
					if n != bb.Objects {
						return nil, fmt.Errorf("bucket --jobs %d: %d outputs for %d inputs", j, n, bb.Objects)
					}
				}
				row.Walls = append(row.Walls, wall)
				logf("  %s --jobs %d run %d: %s (%.0f objects/s)", where, j, r+1, wall.Round(time.Millisecond), float64(bb.Objects)/wall.Seconds())
			}
			bb.Rows = append(bb.Rows, row)
		}
	}
	return bb, nil
}

func (bb *bucketBench) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("\n## Buckets\n\n")
	p("%d small JPEGs (the batch above, twice, %s in all) labeled with `label --explicit none` from one bucket into another on a versitygw server on 127.0.0.1 (posix backend on the same disk), beside the same batch from a local folder into a local folder; median of %d runs each. Every run is checked: all objects made, recording their source.\n\n",
		bb.Objects, humanBytes(bb.Bytes), bb.Runs)
	p("| where | --jobs | median wall | objects/s | runs |\n|---|---|---|---|---|\n")
	for _, r := range bb.Rows {
		var runs []string
		for _, w := range r.Walls {
			runs = append(runs, fmtDur(w))
		}
		p("| %s | %d | %s | %.0f | %s |\n", r.Where, r.Jobs, fmtDur(r.median()), float64(bb.Objects)/r.median().Seconds(), strings.Join(runs, ", "))
	}
	p("\nEvery object costs the bucket path a HEAD of the output (already done?), a HEAD and a GET of the source (the HEAD pins its ETag and brings its metadata) and a PUT on the loopback server, which also writes to the same disk; more jobs overlap those round trips.\n")
	return b.String()
}

// versitygwPath finds the server make deps installed.
func versitygwPath() (string, error) {
	cands := []string{}
	if t := os.Getenv("AIGCMARK_TOOLS"); t != "" {
		cands = append(cands, filepath.Join(t, "bin", "versitygw"))
	}
	cands = append(cands, filepath.Join(".tools", "bin", "versitygw"))
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return filepath.Abs(c)
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", errors.New("versitygw is needed for the bucket case (make deps installs it into .tools/bin)")
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHealthy(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("versitygw did not answer at %s", url)
}

// parallel runs fn for 0..n-1 on k goroutines and returns the first error.
func parallel(ctx context.Context, k, n int, fn func(context.Context, int) error) error {
	var mu sync.Mutex
	var first error
	next := 0
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n
				mu.Unlock()
				if stop {
					return
				}
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
