//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
)

// TestMain lets a test run this binary as the dormant command itself, with
// the real main and its signal handling: DORMANT_TEST_MAIN=1 and the
// command's arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv("DORMANT_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"dormant"}, os.Args[i+1:]...)
				break
			}
		}
		main()
	}
	os.Exit(m.Run())
}

// TestSignalsLeaveNothingBehind: SIGHUP (a closed terminal) and SIGTERM end a
// run like Ctrl-C: it exits with an error of its own, not killed by the
// signal, and leaves neither --out nor its staging directory behind. After
// kill -9, which nothing can catch, the next run removes what it left.
func TestSignalsLeaveNothingBehind(t *testing.T) {
	dir := t.TempDir()
	o := demo.DefaultOptions()
	o.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o.Users, o.Events, o.Accounts = 50, 300000, 1
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			args := []string{"-test.run=^$", "--", "run", "--cloudtrail", src.CloudTrail, "--as-of", "2026-11-01", "--out", out,
				"--credential-report", src.CredentialReports[0], "--authorization-details", src.AuthorizationDetails[0], "--log-level", "error"}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "DORMANT_TEST_MAIN=1")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Signal once the run has its staging directory: it is at work.
			deadline := time.Now().Add(time.Minute)
			for {
				if m, _ := filepath.Glob(filepath.Join(parent, ".out.partial-*")); len(m) > 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the run never created its staging directory")
				}
				time.Sleep(2 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := <-done
			if _, statErr := os.Stat(out); err == nil && statErr == nil {
				t.Skip("the run finished before the signal reached it")
			}
			if sig == syscall.SIGKILL {
				// Nothing runs after kill -9: the staging directory stays
				// until the next run into the same --out removes it.
				if m, _ := filepath.Glob(filepath.Join(parent, ".out.partial-*")); len(m) != 1 {
					t.Fatalf("after kill -9: staging directories %q, want the dead run's", m)
				}
				code, stdout, stderr := run(t, args[2:]...)
				if code != exitOK {
					t.Fatalf("the run after kill -9: exit %d\n%s\n%s", code, stdout, stderr)
				}
				if m, _ := filepath.Glob(filepath.Join(parent, ".out*")); len(m) != 0 {
					t.Errorf("left beside --out by the next run: %q", m)
				}
				return
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Exited() || ee.ExitCode() != exitError {
				t.Fatalf("run after %s: %v, want exit %d of its own (not killed by the signal)\n%s", sig, err, exitError, stderr.String())
			}
			if left, _ := os.ReadDir(parent); len(left) > 0 {
				t.Errorf("left behind after %s: %v", sig, left)
			}
		})
	}
}
