// Command dormant finds IAM users nobody uses any more, proves it, and writes a
// remediation plan. This package only maps flags, DORMANT_* environment
// variables and the config file onto pipeline.Config, and results onto exit
// codes and output; the work is in pipeline/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/dormant-iam/dormant/pipeline"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitFindings = 3 // findings present with --fail-on
	exitSkipped  = 4 // remediate: nothing failed, but some users were skipped (re-check)
	exitPartial  = 5 // run: some accounts could not be assessed
)

// exitReasons name the exit codes in --format json output.
var exitReasons = map[int]string{
	exitOK: "ok", exitError: "error", exitUsage: "usage", exitFindings: "findings", exitSkipped: "skipped", exitPartial: "partial",
}

// errFindings says the run worked and found what --fail-on asked about.
var errFindings = errors.New("findings present")

func main() {
	// SIGHUP (a closed terminal or SSH session) and SIGTERM end a run like
	// Ctrl-C: it stops and removes its staging directory instead of dying
	// mid-write and leaving one behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain runs one command line and returns its exit code. Help and
// --version go to stdout; logs, progress and errors to stderr.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr, jsonLog: jsonLogRequested(args)}
	// The SDK logs through slog.Default() (internal/awssession); put back
	// what was there so that a test's realMain leaves nothing behind.
	prevLogger, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	defer func() {
		slog.SetDefault(prevLogger)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
	}()

	root := a.rootCommand()
	if args == nil {
		args = []string{} // cobra would read os.Args
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if cmd == nil {
		cmd = root
	}
	name := commandKey(cmd)
	var ran ranError
	if err != nil && !errors.As(err, &ran) {
		// Cobra's own: an unknown flag or command, a bad value, arguments.
		err = usageError{err}
	} else if err != nil {
		err = ran.err
	}
	code := exitCodeOf(err)
	a.finish(cmd, name, code, err)
	return code
}

// exitCodeOf maps a command's error onto the documented exit codes.
func exitCodeOf(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	case errors.As(err, new(partialError)):
		return exitPartial
	case errors.As(err, new(skippedError)):
		return exitSkipped
	case errors.As(err, new(usageError)), errors.Is(err, pipeline.ErrRunExists):
		return exitUsage
	}
	return exitError
}

// usageError marks bad flags or arguments (exit 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// skippedError marks a remediation where nothing failed but some users were
// skipped by the live re-check (exit 4), so scripts can tell the two apart.
type skippedError struct{ error }

func (s skippedError) Unwrap() error { return s.error }

// partialError marks a run that completed for some accounts only (exit 5).
type partialError struct{ error }

func (p partialError) Unwrap() error { return p.error }

// ranError marks an error a command's own code returned, as opposed to one
// cobra found while parsing the command line (always a usage error).
type ranError struct{ err error }

func (r ranError) Error() string { return r.err.Error() }
func (r ranError) Unwrap() error { return r.err }

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: use text or json", format)}
}
