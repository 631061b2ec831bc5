// Package ffmpeg runs the ffmpeg and ffprobe programs (Debian's, found on
// PATH) as the codec engine for video and compressed audio. Every process is
// tied to a context, killed when it is cancelled, and its failures carry
// ffmpeg's own message.
package ffmpeg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// ErrNotInstalled is matched (errors.Is) when ffmpeg or ffprobe is not on PATH.
var ErrNotInstalled = errors.New("not installed (on Debian: apt-get install -y ffmpeg)")

// An Error is a failed ffmpeg or ffprobe run.
type Error struct {
	Tool   string // "ffmpeg" or "ffprobe"
	Err    error  // how the process ended, or why it did not start
	Stderr string // the last lines it printed, trimmed
}

func (e *Error) Error() string {
	msg := e.Tool + ": " + e.Err.Error()
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// stderrKeep bounds how much of a process's stderr is kept for its error.
const stderrKeep = 8 << 10

// tail keeps the last stderrKeep bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*stderrKeep {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-stderrKeep:]...)
	}
	return len(p), nil
}

// message is the useful end of what the process printed: its last few
// non-empty lines, joined, at most about 600 characters.
func (t *tail) message() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	var keep []string
	n := 0
	for i := len(lines) - 1; i >= 0 && len(keep) < 4; i-- {
		l := strings.TrimSpace(strings.TrimRight(lines[i], "\r"))
		if l == "" {
			continue
		}
		if n+len(l) > 600 && len(keep) > 0 {
			break
		}
		n += len(l)
		keep = append([]string{l}, keep...)
	}
	return strings.Join(keep, " | ")
}

// A Cmd is a started or startable ffmpeg or ffprobe process. Set Stdin and
// Stdout (as for os/exec) before Start; Wait returns an *Error carrying the
// tail of stderr when the process fails.
type Cmd struct {
	Stdin  io.Reader
	Stdout io.Writer

	tool   string
	ctx    context.Context
	cmd    *exec.Cmd
	stderr tail
}

// Command prepares tool ("ffmpeg" or "ffprobe") with args. "-hide_banner"
// and "-nostdin" (when Stdin is nil) are added for ffmpeg.
func Command(ctx context.Context, tool string, args ...string) *Cmd {
	return &Cmd{tool: tool, ctx: ctx, cmd: exec.CommandContext(ctx, tool, args...)}
}

// Start starts the process.
func (c *Cmd) Start() error {
	if _, err := exec.LookPath(c.tool); err != nil {
		return &Error{Tool: c.tool, Err: ErrNotInstalled}
	}
	// StdinPipe and StdoutPipe set the exec.Cmd's fields themselves; the
	// Cmd's own fields only apply when they are set.
	if c.Stdin != nil {
		c.cmd.Stdin = c.Stdin
	}
	if c.Stdout != nil {
		c.cmd.Stdout = c.Stdout
	}
	if c.tool == "ffmpeg" {
		extra := []string{"-hide_banner"}
		if c.cmd.Stdin == nil {
			extra = append(extra, "-nostdin")
		}
		c.cmd.Args = append(append([]string{c.cmd.Args[0]}, extra...), c.cmd.Args[1:]...)
	}
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		return &Error{Tool: c.tool, Err: err}
	}
	return nil
}

// StdoutPipe returns a pipe connected to the process's standard output,
// for streaming frames; call it before Start and leave Stdout nil.
func (c *Cmd) StdoutPipe() (io.ReadCloser, error) { return c.cmd.StdoutPipe() }

// StdinPipe returns a pipe connected to the process's standard input; call
// it before Start and leave Stdin nil. Close it to send end of file.
func (c *Cmd) StdinPipe() (io.WriteCloser, error) { return c.cmd.StdinPipe() }

// Wait waits for the process to end. A context cancellation is reported as
// the context's error.
func (c *Cmd) Wait() error {
	err := c.cmd.Wait()
	if err == nil {
		return nil
	}
	if ctxErr := c.ctx.Err(); ctxErr != nil {
		return &Error{Tool: c.tool, Err: ctxErr}
	}
	return &Error{Tool: c.tool, Err: err, Stderr: c.stderr.message()}
}

// Run starts the process and waits for it.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the process and returns its standard output.
func (c *Cmd) Output() ([]byte, error) {
	var out bytes.Buffer
	c.Stdout = &out
	err := c.Run()
	return out.Bytes(), err
}

// Available reports whether ffmpeg and ffprobe are both on PATH.
func Available() error {
	for _, t := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("%s: %w", t, ErrNotInstalled)
		}
	}
	return nil
}
