// Package s3test runs a real S3 server for tests: versitygw
// (github.com/versity/versitygw) with its posix backend on a temporary
// folder, listening on 127.0.0.1 at a free port, with test credentials.
//
// `make test` installs versitygw into the git-ignored .tools/bin through
// .ci/install-tools. Tests find it at $AIGCMARK_TOOLS/bin/versitygw, then
// <repo>/.tools/bin/versitygw, then on PATH; when it is missing they are
// skipped, or fail when AIGCMARK_REQUIRE_TOOLS is set (as fixtures.NeedTool).
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Test credentials and region of every server.
const (
	AccessKey = "aigcmark-test"
	SecretKey = "aigcmark-test-secret"
	Region    = "us-east-1"
)

// ToolsEnv names the variable pointing at a tools folder holding
// bin/versitygw.
const ToolsEnv = "AIGCMARK_TOOLS"

// Options configure a server.
type Options struct {
	// Buckets are created once the server is up.
	Buckets []string
	// Versioning starts the posix backend with a versioning folder and
	// turns versioning on for Buckets, so that overwriting or deleting an
	// object keeps its previous versions.
	Versioning bool
	// EventWebhookURL, when set, makes the server POST S3 event
	// notifications (created and removed objects) to it.
	EventWebhookURL string
	// Args are extra global options of versitygw.
	Args []string
}

// Server is a running versitygw.
type Server struct {
	Endpoint string // "http://127.0.0.1:port"
	Addr     string // "127.0.0.1:port"
	DataDir  string // the posix backend's root: one folder per bucket
	// Client is a minio-go client for setting up and checking tests.
	Client *minio.Client

	cmd  *exec.Cmd
	out  *syncBuffer
	exit chan struct{}
}

// Binary returns the path of versitygw, skipping (or failing, under
// AIGCMARK_REQUIRE_TOOLS) the test when it is not installed.
func Binary(tb testing.TB) string {
	tb.Helper()
	var tried []string
	if d := os.Getenv(ToolsEnv); d != "" {
		p := filepath.Join(d, "bin", "versitygw")
		if isExec(p) {
			return p
		}
		tried = append(tried, p)
	}
	if root := repoRoot(); root != "" {
		p := filepath.Join(root, ".tools", "bin", "versitygw")
		if isExec(p) {
			return p
		}
		tried = append(tried, p)
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	tried = append(tried, "PATH")
	msg := fmt.Sprintf("versitygw not installed (looked in %v; run .ci/install-tools)", tried)
	if os.Getenv(fixtures.RequireToolsEnv) != "" {
		tb.Fatalf("%s is set but %s", fixtures.RequireToolsEnv, msg)
	}
	tb.Skip(msg)
	return ""
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// repoRoot returns the folder holding the module's go.mod.
func repoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	for d := filepath.Dir(file); ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// Start starts a server for the test and stops it (killing its process
// group) when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin := Binary(tb)
	data := filepath.Join(tb.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		tb.Fatal(err)
	}
	var versions string
	if opts.Versioning {
		versions = filepath.Join(filepath.Dir(data), "versions")
		if err := os.Mkdir(versions, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	var lastErr error
	for try := 0; try < 3; try++ { // a free port can be taken before versitygw binds it
		s, err := start(bin, data, versions, opts)
		if err == nil {
			tb.Cleanup(s.stop)
			s.setup(tb, opts)
			return s
		}
		lastErr = err
	}
	tb.Fatalf("s3test: starting versitygw: %v", lastErr)
	return nil
}

func start(bin, data, versions string, opts Options) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"--port", addr, "--health", "/health", "--quiet"}
	if opts.EventWebhookURL != "" {
		args = append(args, "--event-webhook-url", opts.EventWebhookURL)
	}
	args = append(args, opts.Args...)
	args = append(args, "posix")
	if versions != "" {
		args = append(args, "--versioning-dir", versions)
	}
	args = append(args, data)
	cmd := exec.Command(bin, args...)
	ownGroup(cmd)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// versitygw reads its options from the environment too: start clean.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://" + addr, Addr: addr, DataDir: data, cmd: cmd, out: out, exit: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exit) }()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; output:\n%s", err, out.String())
	}
	return s, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exit:
			return errors.New("versitygw exited")
		default:
		}
		resp, err := client.Get(s.Endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("versitygw not ready on %s after %v", s.Addr, timeout)
}

func (s *Server) setup(tb testing.TB, opts Options) {
	tb.Helper()
	c, err := minio.New(s.Addr, &minio.Options{
		Creds:        credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Region:       Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		tb.Fatal(err)
	}
	s.Client = c
	for _, b := range opts.Buckets {
		s.CreateBucket(tb, b, opts.Versioning)
	}
}

// CreateBucket creates a bucket, with versioning turned on when versioned
// is set (which needs Options.Versioning).
func (s *Server) CreateBucket(tb testing.TB, name string, versioned bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: Region}); err != nil {
		tb.Fatalf("s3test: creating bucket %s: %v", name, err)
	}
	if versioned {
		if err := s.Client.EnableVersioning(ctx, name); err != nil {
			tb.Fatalf("s3test: enabling versioning on %s: %v", name, err)
		}
	}
}

// Output returns what versitygw printed so far.
func (s *Server) Output() string { return s.out.String() }

// stop ends the server: SIGTERM to its process group, SIGKILL after two
// seconds.
func (s *Server) stop() {
	select {
	case <-s.exit:
		return
	default:
	}
	stop(s.cmd, false)
	select {
	case <-s.exit:
	case <-time.After(2 * time.Second):
		stop(s.cmd, true)
		<-s.exit
	}
}

// syncBuffer is a bytes.Buffer safe for the process's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 1<<20 {
		return len(p), nil // enough to diagnose
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
