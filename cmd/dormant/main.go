// Command dormant finds IAM users nobody uses any more, proves it, and writes a
// remediation plan. This file only maps flags and the config file onto
// pipeline.Config and results onto exit codes; the work is in pipeline/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dormant-iam/dormant/pipeline"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitFindings = 3 // findings present with --fail-on
	exitSkipped  = 4 // remediate: nothing failed, but some users were skipped (re-check)
	exitPartial  = 5 // run: some accounts could not be assessed
)

// errFindings says the run worked and found what --fail-on asked about.
var errFindings = errors.New("findings present")

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run the whole job: inventory, activity, findings, reports", cmdRun},
		{"demo", "generate a synthetic organization and run the whole job on it", cmdDemo},
		{"remediate", "carry out a remediation manifest: re-check, back up, deactivate or delete", cmdRemediate},
		{"restore", "put a remediated user back from its backup", cmdRestore},
		{"manifest", "write the manifest a reviewer approved in the workbook (--from-workbook)", cmdManifest},
		{"queries", "print the activity query an engine would run (queries print --engine " + strings.Join(pipeline.EngineNames(), "|") + ")", cmdQueries},
		{"verify", "check a run directory offline: hashes, and findings recomputed from its inputs", cmdVerify},
		{"version", "print the version", cmdVersion},
	}
}

func main() {
	// SIGHUP (a closed terminal or SSH session) and SIGTERM end a run like
	// Ctrl-C: it stops and removes its staging directory instead of dying
	// mid-write and leaving one behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errFindings):
			return exitFindings
		case errors.As(err, new(partialError)):
			fmt.Fprintf(stderr, "dormant %s: %v\n", c.name, err)
			return exitPartial
		case errors.As(err, new(skippedError)):
			fmt.Fprintf(stderr, "dormant %s: %v\n", c.name, err)
			return exitSkipped
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "dormant %s: %v\n", c.name, err)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "dormant %s: %v\n", c.name, err)
			return exitError
		}
	}
	fmt.Fprintf(stderr, "dormant: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: dormant <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'dormant <command> -h' for the command's flags.")
}

func cmdVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "dormant %s\n", version)
	return nil
}

// usageError marks bad flags or arguments (exit 2).
type usageError struct{ error }

// skippedError marks a remediation where nothing failed but some users were
// skipped by the live re-check (exit 4), so scripts can tell the two apart.
type skippedError struct{ error }

// partialError marks a run that completed for some accounts only (exit 5).
type partialError struct{ error }

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
