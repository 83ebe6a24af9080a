package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// TestFlagValuesOutOfRange: every explicit value out of range is a usage
// error (exit 2) naming the flag, the value and the range, before anything
// is written; none silently becomes the default.
func TestFlagValuesOutOfRange(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	manifest := filepath.Join(dir, "manifest.json")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--window", "0d"}, []string{"--window 0d", "out of range", "1d to"}},
		{[]string{"run", "--window", "100000d"}, []string{"--window 100000d", "out of range", "2010-01-01"}},
		{[]string{"run", "--as-of", "2026-11-01", "--window", "6160d"}, []string{"--window 6160d", "2010-01-01", "at most 6148d"}},
		{[]string{"run", "--delete-after", "0"}, []string{"--delete-after 0d", "1d to"}},
		{[]string{"run", "--report-max-age", "0"}, []string{"--report-max-age 0d", "1h0m0s to 90d"}},
		{[]string{"run", "--report-max-age", "0d"}, []string{"--report-max-age 0d", "out of range"}},
		{[]string{"run", "--as-of", "0001-01-01"}, []string{"--as-of 0001-01-01T00:00:00Z", "use 2010-01-01 to"}},
		{[]string{"run", "--as-of", "2009-12-31"}, []string{"--as-of 2009-12-31", "2010-01-01"}},
		{[]string{"run", "--as-of", "2999-01-01"}, []string{"--as-of 2999-01-01", "out of range"}},
		{[]string{"run", "--concurrency", "0"}, []string{"--concurrency 0", "1 to 256"}},
		{[]string{"run", "--concurrency", "-3"}, []string{"--concurrency -3", "1 to 256"}},
		{[]string{"run", "--out", ""}, []string{"--out is required"}},
		{[]string{"run", "--exempt-tag", ""}, []string{"--exempt-tag  is empty"}},
		{[]string{"run", "--exempt-tag", "bad\ttag"}, []string{"not an IAM tag key"}},
		{[]string{"run", "--reference-checks", "bogus"}, []string{`--reference-checks "bogus" is not a check`}},
		{[]string{"run", "--regions", "moon-1"}, []string{`"moon-1" is not an AWS region`}},
		{[]string{"run", "--engine", "spark"}, []string{`--engine "spark" is not known`}},
		{[]string{"demo", "--window", "0d"}, []string{"--window 0d", "14d to 400d"}},
		{[]string{"demo", "--delete-after", "0"}, []string{"--delete-after 0d", "28d to 1500d"}},
		{[]string{"demo", "--accounts", "0"}, []string{"--accounts 0", "1 to 200"}},
		{[]string{"demo", "--window", "200d", "--delete-after", "100d"}, []string{"--delete-after 100d with --window 200d", "214d"}},
		{[]string{"demo", "--users", "-1"}, []string{"--users -1", "0 to 1000000"}},
		{[]string{"demo", "--as-of", "0001-01-01"}, []string{"--as-of 0001-01-01", "2020-01-01"}},
		{[]string{"queries", "print", "--engine", "athena", "--window", "0d"}, []string{"--window 0d", "1d to"}},
		{[]string{"queries", "print", "--engine", "athena", "--as-of", "0001-01-01"}, []string{"--as-of 0001-01-01", "2010-01-01"}},
		{[]string{"remediate", "--manifest", manifest, "--max-age", "0"}, []string{"--max-age 0d", "out of range", "cannot be turned off"}},
		{[]string{"remediate", "--manifest", manifest, "--concurrency", "0"}, []string{"--concurrency 0", "1 to 256"}},
		{[]string{"remediate", "--manifest", manifest, "--grace", "0"}, []string{"--grace 0d", "1d to 3650d"}},
		{[]string{"remediate"}, []string{"--manifest is required"}},
		{[]string{"restore"}, []string{"--backup is required"}},
		{[]string{"manifest", "--run", out}, []string{"--from-workbook"}},
		{[]string{"verify"}, []string{"give the run directory"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := tt.args
			if args[0] == "run" || args[0] == "demo" {
				if !slices.Contains(args, "--out") {
					args = append(slices.Clone(args), "--out", out)
				}
			}
			code, stdout, stderr := run(t, args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (usage)\n%s\n%s", code, exitUsage, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s was created before the flags were checked", out)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("something was written next to --out: %v", entries)
			}
		})
	}
	// Absent flags keep their defaults, and values in range are accepted.
	if code, stdout, stderr := run(t, "queries", "print", "--engine", "athena", "--as-of", "2026-11-01", "--window", "1d"); code != exitOK || !strings.Contains(stdout, "2026-10-31T00:00") {
		t.Errorf("--window 1d: exit %d, %s %s", code, stdout, stderr)
	}
}

// TestConfigFileValues: a config file's values get the same range checks,
// naming the file and the key, and the flags that widen what remediation
// may do are refused there: only the command line can act.
func TestConfigFileValues(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	manifest := filepath.Join(dir, "manifest.json")
	tests := []struct {
		cmd  []string
		yaml string
		want []string
	}{
		{[]string{"run", "--out", out}, "window: 0d\n", []string{"window: 0d is out of range"}},
		{[]string{"run", "--out", out}, "as-of: 0001-01-01\n", []string{"as-of: 0001-01-01T00:00:00Z is out of range"}},
		{[]string{"run", "--out", out}, "report-max-age: 0\n", []string{"report-max-age: 0d is out of range"}},
		{[]string{"run", "--out", out}, "concurrency: -1\n", []string{"concurrency: -1 is out of range"}},
		{[]string{"demo", "--out", out}, "users: -5\n", []string{"users: -5 is out of range"}},
		{[]string{"remediate", "--manifest", manifest}, "apply: true\n", []string{`"apply" is refused in a config file`, "set it on the command line (--apply)"}},
		{[]string{"remediate", "--manifest", manifest}, "ignore-iac: true\n", []string{`"ignore-iac" is refused in a config file`, "set it on the command line (--ignore-iac)"}},
		{[]string{"remediate", "--manifest", manifest}, "allow-edited: true\n", []string{`"allow-edited" is refused`, "--allow-edited"}},
		{[]string{"remediate", "--manifest", manifest}, "max-age: 365d\n", []string{`"max-age" is refused`}},
		{[]string{"remediate", "--manifest", manifest}, "trust-key: key.pub\n", []string{`"trust-key" is refused`}},
		{[]string{"remediate", "--manifest", manifest}, "mode: delete\n", []string{`"mode" is refused`}},
		{[]string{"remediate", "--manifest", manifest}, "exempt-tag: nobody\n", []string{`"exempt-tag" is refused`}},
		{[]string{"remediate", "--manifest", manifest}, "concurrency: 0\n", []string{"concurrency: 0 is out of range"}},
		// Even with the flag also on the command line: the file is wrong.
		{[]string{"remediate", "--manifest", manifest, "--apply"}, "apply: true\n", []string{`"apply" is refused`}},
	}
	for i, tt := range tests {
		t.Run(tt.cmd[0]+" "+strings.TrimSpace(tt.yaml), func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), fmt.Sprintf("dormant-%d.yaml", i))
			if err := os.WriteFile(cfg, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, append(slices.Clone(tt.cmd), "--config", cfg)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (usage)\n%s\n%s", code, exitUsage, stdout, stderr)
			}
			for _, w := range append([]string{"config file " + cfg}, tt.want...) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("something was written before the config file was checked: %v", entries)
			}
		})
	}
}

// TestRunRefusesForeignOut: an --out holding someone's project beside an
// unrelated run.json is refused before any work, and nothing in it or
// beside it is touched.
func TestRunRefusesForeignOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "project")
	files := map[string]string{
		"main.py":    "print('hello')\n",
		"src/app.py": "APP = 1\n",
		"run.json":   `{"name": "nightly", "steps": ["build", "test"]}` + "\n",
	}
	for name, content := range files {
		p := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inputs := filepath.Join(dir, "inputs")
	ct := filepath.Join(inputs, "cloudtrail")
	if err := os.MkdirAll(ct, 0o755); err != nil {
		t.Fatal(err)
	}
	cr, ad := filepath.Join(inputs, "report.csv"), filepath.Join(inputs, "details.json")
	os.WriteFile(cr, []byte("user,arn\n"), 0o644)
	os.WriteFile(ad, []byte("{}\n"), 0o644)

	code, stdout, stderr := run(t, "run", "--credential-report", cr, "--authorization-details", ad, "--cloudtrail", ct,
		"--as-of", "2026-11-01", "--out", out, "--log-level", "error")
	if code == exitOK || !strings.Contains(stderr, "not a run dormant wrote") || !strings.Contains(stderr, out) {
		t.Fatalf("exit %d, want a refusal naming %s\n%s\n%s", code, out, stdout, stderr)
	}
	for name, content := range files {
		if data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name))); err != nil || string(data) != content {
			t.Errorf("%s: %q, %v; want it untouched", name, data, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("beside --out: %v, want only the project and the inputs", entries)
	}
}

// TestDemoRefusesForeignSource: the demo clears OUT/source before
// generating; a source/ folder that is not an earlier demo's is refused and
// left as it was.
func TestDemoRefusesForeignSource(t *testing.T) {
	out := t.TempDir()
	mine := filepath.Join(out, "source", "main.go")
	if err := os.MkdirAll(filepath.Dir(mine), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "demo", "--out", out, "--users", "10", "--events", "100")
	if code != exitUsage || !strings.Contains(stderr, "holds no ground-truth.json") {
		t.Fatalf("exit %d, want %d and a refusal\n%s\n%s", code, exitUsage, stdout, stderr)
	}
	if data, err := os.ReadFile(mine); err != nil || string(data) != "package main\n" {
		t.Errorf("source/main.go: %q, %v; want it untouched", data, err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("--out holds %v, want only source/", entries)
	}
}

// TestTrailDescriptionFlag: --trail-description reaches the run, which
// refuses a file that does not exist, naming the flag, before any work.
func TestTrailDescriptionFlag(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "trail.json")
	code, _, stderr := run(t, "run", "--credential-report", missing, "--cloudtrail", dir, "--trail-description", missing,
		"--as-of", "2026-11-01", "--out", filepath.Join(dir, "out"), "--log-level", "error")
	if code == exitOK || !strings.Contains(stderr, "reading --trail-description") || !strings.Contains(stderr, missing) {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
