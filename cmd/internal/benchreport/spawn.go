//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// spawnEnv, when set, makes this program a measuring helper instead: it runs
// its arguments as a command and writes the command's usage as JSON to the
// file the variable names.
//
// The helper exists because of how Linux counts peak RSS. Go starts children
// with clone(CLONE_VM|CLONE_VFORK), so until the child calls exec it runs on
// the parent's memory, and exec records that memory's high-water mark into
// the child's ru_maxrss. A child of this program, which has held generated
// images in memory, would report at least this program's own peak. A fresh
// helper process has a peak of a few MiB; that floor is measured (by running
// true) and printed beside the figures.
const spawnEnv = "BENCHREPORT_SPAWN_RESULT"

// usage is what the helper reports about one command.
type usage struct {
	Wall   time.Duration `json:"wall"`
	User   time.Duration `json:"user"`
	Sys    time.Duration `json:"sys"`
	MaxRSS int64         `json:"maxrss"` // bytes
	Exit   int           `json:"exit"`
	Err    string        `json:"err,omitempty"`
}

// spawnMain is the helper's main: it runs argv, waits, and writes its usage.
func spawnMain(result string, argv []string) int {
	var u usage
	if len(argv) == 0 {
		u.Err = "no command"
	} else {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.Env = withoutEnv(os.Environ(), spawnEnv)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		start := time.Now()
		err := cmd.Run()
		u.Wall = time.Since(start)
		if ps := cmd.ProcessState; ps != nil {
			ru := ps.SysUsage().(*syscall.Rusage)
			u.MaxRSS = ru.Maxrss * 1024 // KiB on Linux
			u.User = ps.UserTime()
			u.Sys = ps.SystemTime()
			u.Exit = ps.ExitCode()
		}
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			u.Err = err.Error()
		}
	}
	b, _ := json.Marshal(u)
	if err := os.WriteFile(result, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport helper:", err)
		return 1
	}
	return 0
}

func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// measure runs argv through the helper and returns its usage. A command
// that fails is an error carrying its stderr.
func measure(ctx context.Context, tmp string, argv []string) (usage, error) {
	self, err := os.Executable()
	if err != nil {
		return usage{}, err
	}
	result := filepath.Join(tmp, "usage.json")
	os.Remove(result)
	cmd := exec.CommandContext(ctx, self, argv...)
	cmd.Env = append(withoutEnv(os.Environ(), spawnEnv), spawnEnv+"="+result)
	var stderr tailBuffer
	cmd.Stdout = &stderr // tools asked to be quiet; anything they print is kept for errors
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return usage{}, fmt.Errorf("%s: helper: %w: %s", argv[0], err, stderr.String())
	}
	b, err := os.ReadFile(result)
	if err != nil {
		return usage{}, err
	}
	var u usage
	if err := json.Unmarshal(b, &u); err != nil {
		return usage{}, err
	}
	if u.Err != "" || u.Exit != 0 {
		return u, fmt.Errorf("%s failed (exit %d) %s: %s", strings.Join(argv, " "), u.Exit, u.Err, stderr.String())
	}
	return u, nil
}

// tailBuffer keeps the last 16 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	const max = 16 << 10
	t.b = append(t.b, p...)
	if len(t.b) > max {
		t.b = append(t.b[:0], t.b[len(t.b)-max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }

// output runs a command outside the measurements (generators, checks) and
// returns its stdout; a failure carries its stderr.
func output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout bytes.Buffer
	var stderr tailBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(abbreviate(args), " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// abbreviate shortens a long argument list for an error message.
func abbreviate(args []string) []string {
	if len(args) <= 12 {
		return args
	}
	return append(append(args[:8:8], fmt.Sprintf("… (%d more) …", len(args)-10)), args[len(args)-2:]...)
}

// median returns the median of ds (the mean of the middle two for an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
