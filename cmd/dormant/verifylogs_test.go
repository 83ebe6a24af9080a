package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/demo"
)

// `dormant verify --logs` (issue 14 item 3): a run over a folder verifies
// against a copy of its logs elsewhere and fails, naming the file, once a
// log file is gone from the copy; a run over S3 verifies against the same
// bucket, synced again through --endpoint-url into another cache.
func TestVerifyLogsFlag(t *testing.T) {
	dir := t.TempDir()
	o := demo.DefaultOptions()
	o.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o.Users, o.Events, o.Accounts, o.WindowDays = 20, 2000, 2, 30
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	runArgs := func(cloudtrail, out string) []string {
		args := []string{"run", "--cloudtrail", cloudtrail, "--as-of", "2026-11-01", "--window", "30d", "--out", out, "--log-level", "error"}
		for i := range src.CredentialReports {
			args = append(args, "--credential-report", src.CredentialReports[i], "--authorization-details", src.AuthorizationDetails[i])
		}
		return args
	}
	out := filepath.Join(dir, "out")
	if code, stdout, stderr := run(t, runArgs(src.CloudTrail, out)...); code != exitOK && code != exitPartial && code != exitFindings {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	auditor := filepath.Join(dir, "auditor")
	if err := os.CopyFS(auditor, os.DirFS(src.CloudTrail)); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "verify", "--logs", auditor, "--log-level", "error", out)
	if code != exitOK || !strings.Contains(stdout, "activity and coverage recomputed from "+auditor) || !strings.Contains(stdout, "match "+auditor) {
		t.Fatalf("verify --logs on the untouched copy: exit %d\n%s\n%s", code, stdout, stderr)
	}

	logs, _ := filepath.Glob(filepath.Join(auditor, "AWSLogs", "*", "CloudTrail", "*", "2026", "10", "25", "*.json.gz"))
	if len(logs) == 0 {
		t.Fatal("no log file on 2026-10-25")
	}
	if err := os.Remove(logs[0]); err != nil {
		t.Fatal(err)
	}
	key := filepath.ToSlash(logs[0][len(auditor)+1:])
	code, stdout, stderr = run(t, "verify", "--logs", auditor, "--log-level", "error", out)
	if code != exitError || !strings.Contains(stdout, "DIFFERS: logs: "+key+" is missing from "+auditor) {
		t.Errorf("verify --logs with %s deleted: exit %d, want %d naming it\n%s\n%s", key, code, exitError, stdout, stderr)
	}

	if code, _, stderr := run(t, "verify", "--cache", filepath.Join(dir, "c"), out); code != exitUsage || !strings.Contains(stderr, "give --logs too") {
		t.Errorf("--cache without --logs: exit %d, want %d\n%s", code, exitUsage, stderr)
	}

	// From S3: the run and the verification each sync the bucket.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	srv, err := analytics.New(context.Background(), analytics.Config{LogsDir: src.CloudTrail, TrailPrefix: "org/"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	bucket := "s3://trail-bucket/org/"
	s3out := filepath.Join(dir, "s3out")
	args := append(runArgs(bucket, s3out), "--endpoint-url", srv.URL(), "--cache", filepath.Join(dir, "run-cache"))
	if code, stdout, stderr := run(t, args...); code != exitOK && code != exitPartial && code != exitFindings {
		t.Fatalf("run from S3: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "verify", "--logs", bucket, "--endpoint-url", srv.URL(), "--cache", filepath.Join(dir, "verify-cache"), "--log-level", "error", s3out)
	if code != exitOK || !strings.Contains(stdout, "recomputed from "+bucket) {
		t.Errorf("verify --logs %s: exit %d\n%s\n%s", bucket, code, stdout, stderr)
	}
}
