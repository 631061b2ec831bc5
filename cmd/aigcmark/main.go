// Command aigcmark labels AI-generated content and checks its labels, as
// GB 45438-2025 and the CAC labeling Measures require.
//
//	aigcmark label --producer CODE (--out DIR | --in-place) INPUT...
//	aigcmark inspect [--json] [--strict] INPUT...
//	aigcmark verify [--json] [--declared-ai] [--trust KEYS] [--wm-key FILE] INPUT...
//	aigcmark propagate --propagator CODE (--out DIR | --in-place) INPUT...
//	aigcmark keygen [--sign] --out FILE
//	aigcmark watermark embed|detect --key FILE …
//	aigcmark faceswap [--json] [--report DIR] INPUT...
//	aigcmark serve --listen ADDR …
//
// Inputs and outputs may be local files and folders or s3:// objects and
// prefixes. Exit codes: 0 done, 1 some input failed, 2 usage error, 3
// (inspect, watermark detect) some input carries no label or mark.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code; tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &cli.App{
		Name:      "aigcmark",
		Usage:     "label AI-generated content and check its labels (GB 45438-2025)",
		Version:   version,
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			labelCommand(),
			inspectCommand(),
			keygenCommand(),
			watermarkCommand(),
			verifyCommand(),
			propagateCommand(),
			faceswapCommand(),
			serveCommand(),
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return usageError{err} },
		// Exit codes are decided in exitCode, not inside urfave/cli.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	err := app.RunContext(ctx, args)
	code := exitCode(err)
	if err != nil && !errors.As(err, new(silentError)) {
		fmt.Fprintln(stderr, "aigcmark:", err)
	}
	return code
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitNoLabel = 3
)

// usageError is a mistake in the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// silentError carries an exit code for a failure already reported per input.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps the error a command returned to the process exit code.
func exitCode(err error) int {
	var se silentError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		return exitUsage
	default:
		return exitFailed
	}
}
