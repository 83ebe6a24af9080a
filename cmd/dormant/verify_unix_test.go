//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
)

// TestVerifyRefusesUnlisted: `dormant verify` on a real run fails, naming the
// path, for anything added that SHA256SUMS does not list, and passes again
// once it is gone.
func TestVerifyRefusesUnlisted(t *testing.T) {
	dir := t.TempDir()
	o := demo.DefaultOptions()
	o.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o.Users, o.Events, o.Accounts = 20, 2000, 1
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"run", "--cloudtrail", src.CloudTrail, "--as-of", "2026-11-01", "--out", out, "--log-level", "error"}
	for i := range src.CredentialReports {
		args = append(args, "--credential-report", src.CredentialReports[i], "--authorization-details", src.AuthorizationDetails[i])
	}
	if code, stdout, stderr := run(t, args...); code != exitOK && code != exitPartial {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := run(t, "verify", out); code != exitOK {
		t.Fatalf("verify on a fresh run: exit %d\n%s", code, stdout)
	}
	cases := []struct {
		name, path string
		add        func(p string) error
	}{
		{"extra file", "reports/extra.csv", func(p string) error { return os.WriteFile(p, []byte("a,b\n"), 0o644) }},
		{"hidden temporary file", "reports/.x.tmp-1", func(p string) error { return os.WriteFile(p, nil, 0o644) }},
		{"symlink", "tables/link.parquet", func(p string) error { return os.Symlink("findings.parquet", p) }},
		{"FIFO", "inputs/fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }},
		{"empty directory", "queries/empty", func(p string) error { return os.Mkdir(p, 0o755) }},
	}
	for _, c := range cases {
		p := filepath.Join(out, filepath.FromSlash(c.path))
		if err := c.add(p); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(t, "verify", out)
		if code != exitError || !strings.Contains(stdout, "DIFFERS: SHA256SUMS: "+c.path) {
			t.Errorf("%s: verify exit %d, want %d naming %s\n%s\n%s", c.name, code, exitError, c.path, stdout, stderr)
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if code, stdout, _ := run(t, "verify", out); code != exitOK {
		t.Errorf("verify once everything added is gone: exit %d\n%s", code, stdout)
	}
}
