package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := realMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndVersion(t *testing.T) {
	if code, _, stderr := run(t); code != exitUsage || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no command: exit %d, %q", code, stderr)
	}
	if code, _, _ := run(t, "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
	if code, stdout, _ := run(t, "version"); code != exitOK || !strings.HasPrefix(stdout, "dormant ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	if code, _, stderr := run(t, "run", "--window", "ninety"); code != exitUsage || !strings.Contains(stderr, "90d") {
		t.Errorf("bad --window: exit %d, %q", code, stderr)
	}
	if code, _, stderr := run(t, "run", "--fail-on", "sleepy", "--out", t.TempDir()); code != exitUsage || !strings.Contains(stderr, "sleepy") {
		t.Errorf("bad --fail-on: exit %d, %q", code, stderr)
	}
}

// TestRunFromConfigFile: every flag can come from a YAML file under the same
// names, lists for repeatable flags; the command line wins; --fail-on maps
// findings to exit 3.
func TestRunFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	o := demo.DefaultOptions()
	o.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o.Users, o.Events = 40, 4000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	cfg.WriteString("credential-report:\n")
	for _, p := range src.CredentialReports {
		cfg.WriteString("  - " + p + "\n")
	}
	cfg.WriteString("authorization-details:\n")
	for _, p := range src.AuthorizationDetails {
		cfg.WriteString("  - " + p + "\n")
	}
	cfg.WriteString("cloudtrail: " + src.CloudTrail + "\n")
	cfg.WriteString("allowlist: " + src.Allowlist + "\n")
	cfg.WriteString("as-of: 2026-11-01T00:00:00Z\nwindow: 90d\nout: " + filepath.Join(dir, "from-file") + "\nlog-level: warn\n")
	cfgPath := filepath.Join(dir, "dormant.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	override := filepath.Join(dir, "from-flag")
	code, stdout, stderr := run(t, "run", "--config", cfgPath, "--out", override, "--fail-on", "inactive")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (inactive users present)\n%s\n%s", code, exitFindings, stdout, stderr)
	}
	if !strings.Contains(stdout, "users assessed in 4 accounts") {
		t.Errorf("summary missing: %s", stdout)
	}
	if _, err := os.Stat(filepath.Join(override, "run.json")); err != nil {
		t.Errorf("--out on the command line must win over the config file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "from-file")); err == nil {
		t.Error("the config file's out was used although --out was given")
	}
	if code, stdout, _ := run(t, "verify", override); code != exitOK || !strings.Contains(stdout, "verified") {
		t.Errorf("verify: exit %d: %s", code, stdout)
	}

	if err := os.WriteFile(cfgPath, []byte("not-a-flag: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "run", "--config", cfgPath); code != exitUsage || !strings.Contains(stderr, "not-a-flag") {
		t.Errorf("unknown key: exit %d, %q", code, stderr)
	}
}

func TestQueriesPrint(t *testing.T) {
	code, stdout, stderr := run(t, "queries", "print", "--engine", "athena", "--as-of", "2026-11-01", "--window", "30d")
	if code != exitOK || !strings.Contains(stdout, "cloudtrail_logs") || !strings.Contains(stdout, "2026/10/01") {
		t.Errorf("athena: exit %d, %s %s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "queries", "print", "--engine", "lake", "--event-data-store", "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/EXAMPLE-store", "--as-of", "2026-11-01")
	if code != exitOK || !strings.Contains(stdout, "FROM EXAMPLE-store") {
		t.Errorf("lake: exit %d, %s", code, stdout)
	}
	if code, _, stderr := run(t, "queries", "print", "--engine", "local"); code != exitError || !strings.Contains(stderr, "--cloudtrail") {
		t.Errorf("local without files: exit %d, %q", code, stderr)
	}
}
