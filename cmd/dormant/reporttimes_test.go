package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReportTimesFlag(t *testing.T) {
	var f reportTimesFlag
	for _, v := range []string{"111122223333=2026-11-01T07:00:00+01:00", "444455556666=2026-10-31T23:59:59Z"} {
		if err := f.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if got := f["111122223333"]; !got.Equal(time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("stated %v", got)
	}
	if s := f.String(); s != "111122223333=2026-11-01T06:00:00Z,444455556666=2026-10-31T23:59:59Z" {
		t.Errorf("String %q", s)
	}
	for v, want := range map[string]string{
		"111122223333":                        "ACCOUNT_ID=TIME",
		"1111=2026-11-01T06:00:00Z":           "12-digit",
		"111122223333=2026-11-01":             "RFC 3339 time with its zone",
		"111122223333=2026-11-01T06:00:00":    "RFC 3339 time with its zone",
		"111122223333=2026-11-02T06:00:00Z":   "already has 2026-11-01T06:00:00Z",
		"11112222333x=2026-11-01T06:00:00Z":   "12-digit",
		"=2026-11-01T06:00:00Z":               "ACCOUNT_ID=TIME",
		"111122223333=2026-11-01T06:00:00Z=x": "RFC 3339",
	} {
		if err := f.Set(v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Set(%q) = %v, want an error mentioning %q", v, err, want)
		}
	}
}

// A stated time that does not fit the inputs is a usage error (exit 2)
// naming both sides, and so is one without any report.
func TestReportGeneratedAtUsage(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "run", "--report-generated-at", "111122223333=2026-11-01T06:00:00Z", "--out", filepath.Join(dir, "out"))
	if code != exitUsage || !strings.Contains(stderr, "--report-generated-at without --credential-report") {
		t.Errorf("without reports: exit %d, %s", code, stderr)
	}
	rep := filepath.Join(dir, "report.csv")
	csv := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	if err := os.WriteFile(rep, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	trail := filepath.Join(dir, "trail")
	if err := os.MkdirAll(trail, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "run", "--credential-report", rep, "--report-generated-at", "999999999999=2026-11-01T06:00:00Z",
		"--cloudtrail", trail, "--as-of", "2026-11-02", "--out", filepath.Join(dir, "out"))
	if code != exitUsage || !strings.Contains(stderr, "999999999999") || !strings.Contains(stderr, "no --credential-report") {
		t.Errorf("unknown account: exit %d, %s", code, stderr)
	}
}
