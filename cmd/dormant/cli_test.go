package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/logging"
	"github.com/spf13/cobra"

	"github.com/dormant-iam/dormant/internal/awssession"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
)

// TestHelpOnStdout: every way of asking for help prints it on stdout and
// exits 0, with a synopsis, examples and the exit status; nothing goes to
// stderr.
func TestHelpOnStdout(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"Usage:", "Available Commands:", "run ", "completion", "Exit status:", "DORMANT_<FLAG>"}},
		{[]string{"-h"}, []string{"Usage:", "Available Commands:"}},
		{[]string{"help"}, []string{"Usage:", "Available Commands:"}},
		{[]string{"run", "--help"}, []string{"dormant run [flags]", "Examples:", "Exit status:", "  3  findings", "  5  partial", "Environment:", "--replace"}},
		{[]string{"help", "run"}, []string{"dormant run [flags]", "Examples:", "Exit status:"}},
		{[]string{"run", "-h"}, []string{"dormant run [flags]"}},
		{[]string{"demo", "-h"}, []string{"dormant demo [flags]", "Examples:", "Exit status:", "--seed"}},
		{[]string{"verify", "--help"}, []string{"dormant verify [flags] OUT", "Examples:", "Exit status:"}},
		{[]string{"remediate", "--help"}, []string{"dormant remediate --manifest FILE", "Examples:", "  4  nothing failed", "Only the command line sets --allow-edited, --apply, --exempt-tag, --ignore-iac, --max-age, --mode, --trust-key:\nthe environment and the config file are refused"}},
		{[]string{"restore", "--help"}, []string{"dormant restore --backup FILE", "Examples:", "Exit status:"}},
		{[]string{"manifest", "--help"}, []string{"dormant manifest --from-workbook FILE", "Examples:", "Exit status:"}},
		{[]string{"queries", "--help"}, []string{"dormant queries [command]", "print"}},
		{[]string{"queries", "print", "--help"}, []string{"dormant queries print --engine", "Examples:", "Exit status:"}},
		{[]string{"version", "--help"}, []string{"dormant version", "Exit status:"}},
		{[]string{"completion", "--help"}, []string{"bash", "zsh", "fish"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing on stderr", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// TestEveryCommandDocumented: each command has a synopsis, a description,
// examples and its exit status.
func TestEveryCommandDocumented(t *testing.T) {
	a := &app{ctx: context.Background(), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasParent() && c.Parent().Name() == "completion" {
			return // cobra's own, one per shell
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Use == "" || c.Short == "" || c.Long == "" || c.Example == "" || c.Annotations["exit"] == "" {
			t.Errorf("%s: Use %q, Short %q, Long %d bytes, Example %d bytes, exit status %q: all are required",
				c.CommandPath(), c.Use, c.Short, len(c.Long), len(c.Example), c.Annotations["exit"])
		}
	}
	walk(a.rootCommand())
}

// TestDefaultsShownOnce: a flag's default appears once, in the unit the
// flag takes; the flags a command does not use are not listed.
func TestDefaultsShownOnce(t *testing.T) {
	_, runHelp, _ := run(t, "run", "--help")
	for _, want := range []string{
		"--window days ", "(default 90d)", "--delete-after days ", "(default 365d)",
		"--report-max-age duration ", "(default 7d)", "--max-log-file-size size ", "(default 1GiB)",
	} {
		if !strings.Contains(runHelp, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	for _, line := range strings.Split(runHelp, "\n") {
		if strings.Count(line, "default") > 1 && strings.Contains(line, "(default ") && !strings.Contains(line, "(default:") {
			t.Errorf("a default shown twice: %q", line)
		}
		for _, bad := range []string{"168h0m0s", "(90d)", "(7d)", "(365d)", "8760h"} {
			if strings.Contains(line, bad) {
				t.Errorf("a default in another unit or repeated: %q", line)
			}
		}
	}
	_, printHelp, _ := run(t, "queries", "print", "-h")
	for _, unused := range []string{"--log-format", "--log-level", "--delete-after", "--cpuprofile", "--memprofile", "--format"} {
		if strings.Contains(printHelp, unused) {
			t.Errorf("queries print -h lists %s, which it does not use", unused)
		}
	}
	_, restoreHelp, _ := run(t, "restore", "-h")
	if strings.Contains(restoreHelp, "--format") {
		t.Error("restore -h lists --format, which it does not use")
	}
}

// TestVersion: --version and version print the same line from the build
// info; what runs record is never "dev".
func TestVersion(t *testing.T) {
	code1, out1, err1 := run(t, "--version")
	code2, out2, err2 := run(t, "version")
	if code1 != exitOK || code2 != exitOK || err1 != "" || err2 != "" {
		t.Fatalf("exit %d and %d, stderr %q %q", code1, code2, err1, err2)
	}
	if out1 != out2 || !strings.HasPrefix(out1, "dormant ") {
		t.Errorf("--version %q, version %q: want the same line starting with dormant", out1, out2)
	}
	// A test binary carries no VCS information: it says so, with what it knows.
	if v := toolVersion(); v == "dev" || !strings.HasPrefix(v, "(devel) (") || !strings.Contains(v, "go1.") {
		t.Errorf("toolVersion() = %q, want (devel) with the Go version, never dev", v)
	}
	code, out, _ := run(t, "version", "--format", "json")
	var b buildInfo
	if code != exitOK || json.Unmarshal([]byte(out), &b) != nil || b.Version == "" || b.GoVersion == "" {
		t.Errorf("version --format json: exit %d, %q", code, out)
	}

	for _, tt := range []struct {
		b    buildInfo
		want string
	}{
		{buildInfo{Version: "v1.4.0", GoVersion: "go1.26.8"}, "v1.4.0 (no VCS information, go1.26.8)"},
		{buildInfo{Version: "v0.0.0-20261201000000-0123456789ab+dirty", Revision: "0123456789abcdef0123", Time: "2026-12-01T00:00:00Z", Modified: true, GoVersion: "go1.26.8"},
			"v0.0.0-20261201000000-0123456789ab+dirty (revision 0123456789ab, committed 2026-12-01T00:00:00Z, modified, go1.26.8)"},
	} {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	// A release build's -X main.version wins over the build info.
	defer func(v string) { version = v }(version)
	version = "v2.0.0"
	if b := readBuildInfo(); b.Version != "v2.0.0" {
		t.Errorf("with -X main.version=v2.0.0: %q", b.Version)
	}
}

// TestUsageErrorsOneLine: every usage error exits 2 with one line naming
// the problem and one hint line, nothing on stdout, no usage dump.
func TestUsageErrorsOneLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
		hint string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, "dormant"},
		{[]string{"rn"}, `did you mean run?`, "dormant"},
		{[]string{"run", "--frob"}, "unknown flag: --frob", "dormant run"},
		{[]string{"run", "--window", "ninety"}, `"ninety" is not a number of days`, "dormant run"},
		{[]string{"run", "--window", "0d", "--concurrency", "0"}, "--window 0d is out of range", "dormant run"},
		{[]string{"run", "extra"}, `unexpected argument "extra"`, "dormant run"},
		{[]string{"run", "--out", ""}, "--out is required", "dormant run"},
		{[]string{"remediate"}, "--manifest is required", "dormant remediate"},
		{[]string{"remediate", "--manifest"}, "flag needs an argument: --manifest", "dormant remediate"},
		{[]string{"verify"}, "give the run directory", "dormant verify"},
		{[]string{"verify", "a", "b"}, "give the run directory", "dormant verify"},
		{[]string{"queries"}, "give a subcommand: print", "dormant queries"},
		{[]string{"queries", "print", "--delete-after", "30d"}, "unknown flag: --delete-after", "dormant queries print"},
		{[]string{"demo", "--format", "yaml"}, "--format yaml is not one of text, json", "dormant demo"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := slices.Clone(tt.args)
			if args[0] == "run" || args[0] == "demo" {
				args = append(args, "--out", filepath.Join(dir, "out"))
				if slices.Contains(tt.args, "--out") {
					args = tt.args
				}
			}
			code, stdout, stderr := run(t, args...)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != exitUsage || stdout != "" || len(lines) != 2 {
				t.Fatalf("exit %d, stdout %q, stderr %d lines; want 2, nothing, 2 lines:\n%s", code, stdout, len(lines), stderr)
			}
			if !strings.Contains(lines[0], tt.want) {
				t.Errorf("line 1 %q lacks %q", lines[0], tt.want)
			}
			if want := "Run '" + tt.hint + " --help' for usage."; lines[1] != want {
				t.Errorf("line 2 %q, want %q", lines[1], want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("usage errors wrote %v", entries)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, stdout, stderr := run(t, "completion", shell)
		if code != exitOK || stderr != "" || !strings.Contains(stdout, "dormant") || len(stdout) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes on stdout, stderr %q", shell, code, len(stdout), stderr)
		}
	}
	if code, _, _ := run(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("completion tcsh: exit %d, want %d", code, exitUsage)
	}
}

// TestPrecedence: command line > environment > config file > default, for
// each kind of flag value.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		cli    []string
		env    map[string]string
		config string
		want   map[string]string
	}{
		{"defaults", nil, nil, "", map[string]string{"window": "90d", "log-format": "text", "fresh-report": "false", "accounts": ""}},
		{"config over default", nil, nil, "window: 30d\nfresh-report: true\naccounts: [111111111111, 222222222222]\n",
			map[string]string{"window": "30d", "fresh-report": "true", "accounts": "111111111111,222222222222"}},
		{"environment over config", nil, map[string]string{"DORMANT_WINDOW": "60d", "DORMANT_LOG_FORMAT": "json", "DORMANT_FRESH_REPORT": "false", "DORMANT_ACCOUNTS": "333333333333,444444444444"},
			"window: 30d\nlog-format: text\nfresh-report: true\naccounts: [111111111111]\n",
			map[string]string{"window": "60d", "log-format": "json", "fresh-report": "false", "accounts": "333333333333,444444444444"}},
		{"command line over environment", []string{"--window", "7d", "--log-format=text", "--fresh-report", "--accounts", "555555555555"},
			map[string]string{"DORMANT_WINDOW": "60d", "DORMANT_LOG_FORMAT": "json", "DORMANT_FRESH_REPORT": "false", "DORMANT_ACCOUNTS": "333333333333"}, "window: 30d\n",
			map[string]string{"window": "7d", "log-format": "text", "fresh-report": "true", "accounts": "555555555555"}},
		{"empty variable is unset", nil, map[string]string{"DORMANT_WINDOW": ""}, "window: 30d\n", map[string]string{"window": "30d"}},
		{"the config file named by the environment", nil, map[string]string{"DORMANT_CONFIG": "CONFIG"}, "window: 45d\n", map[string]string{"window": "45d"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"DORMANT_WINDOW", "DORMANT_LOG_FORMAT", "DORMANT_FRESH_REPORT", "DORMANT_ACCOUNTS", "DORMANT_CONFIG"} {
				t.Setenv(name, "")
			}
			cfgPath := filepath.Join(dir, "c"+string(rune('a'+i))+".yaml")
			if err := os.WriteFile(cfgPath, []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.env {
				t.Setenv(k, strings.ReplaceAll(v, "CONFIG", cfgPath))
			}
			cli := slices.Clone(tt.cli)
			if tt.config != "" && tt.env["DORMANT_CONFIG"] == "" {
				cli = append(cli, "--config", cfgPath)
			}
			a := &app{ctx: context.Background(), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
			cmd := a.runCommand()
			cmd.SetArgs(cli)
			if err := cmd.ParseFlags(cli); err != nil {
				t.Fatal(err)
			}
			defer func(l *slog.Logger) { slog.SetDefault(l) }(slog.Default())
			if err := a.settle(cmd); err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				if got := cmd.Flags().Lookup(name).Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestEnvironmentRefusedAndChecked: a flag that widens what remediation may
// do is refused from the environment exactly as from a config file, even
// when also typed; every other variable gets the flag's own checks, naming
// the variable. Nothing is written and AWS is not reached.
func TestEnvironmentRefusedAndChecked(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "manifest.json")
	out := filepath.Join(dir, "out")
	tests := []struct {
		env  map[string]string
		args []string
		want []string
	}{
		{map[string]string{"DORMANT_APPLY": "1"}, []string{"remediate", "--manifest", manifest}, []string{"environment variable DORMANT_APPLY is refused because it makes changes in AWS", "set it on the command line (--apply)"}},
		{map[string]string{"DORMANT_APPLY": "true"}, []string{"remediate", "--manifest", manifest, "--apply"}, []string{"DORMANT_APPLY is refused"}},
		{map[string]string{"DORMANT_APPLY": "1"}, []string{"restore", "--backup", manifest}, []string{"DORMANT_APPLY is refused"}},
		{map[string]string{"DORMANT_ALLOW_EDITED": "true"}, []string{"remediate", "--manifest", manifest}, []string{"DORMANT_ALLOW_EDITED is refused", "--allow-edited"}},
		{map[string]string{"DORMANT_MAX_AGE": "365d"}, []string{"remediate", "--manifest", manifest}, []string{"DORMANT_MAX_AGE is refused"}},
		{map[string]string{"DORMANT_TRUST_KEY": "key.pub"}, []string{"remediate", "--manifest", manifest}, []string{"DORMANT_TRUST_KEY is refused"}},
		{map[string]string{"DORMANT_MODE": "delete"}, []string{"remediate", "--manifest", manifest}, []string{"DORMANT_MODE is refused", "--mode"}},
		{map[string]string{"DORMANT_EXEMPT_TAG": "nobody"}, []string{"remediate", "--manifest", manifest}, []string{"DORMANT_EXEMPT_TAG is refused"}},
		{map[string]string{"DORMANT_IGNORE_IAC": "true"}, []string{"remediate", "--manifest", manifest}, []string{"DORMANT_IGNORE_IAC is refused", "--ignore-iac"}},
		{map[string]string{"DORMANT_WINDOW": "0d"}, []string{"run", "--out", out}, []string{"environment variable DORMANT_WINDOW", "--window 0d is out of range"}},
		{map[string]string{"DORMANT_WINDOW": "ninety"}, []string{"run", "--out", out}, []string{"DORMANT_WINDOW=ninety", "write it as 90d"}},
		{map[string]string{"DORMANT_CONCURRENCY": "0"}, []string{"remediate", "--manifest", manifest}, []string{"DORMANT_CONCURRENCY", "1 to 256"}},
		{map[string]string{"DORMANT_FORMAT": "xml"}, []string{"run", "--out", out}, []string{"DORMANT_FORMAT", "not one of text, json"}},
		{map[string]string{"DORMANT_LOG_LEVEL": "loud"}, []string{"run", "--out", out}, []string{`--log-level "loud"`}},
	}
	for _, tt := range tests {
		var names []string
		for k, v := range tt.env {
			names = append(names, k+"="+v)
		}
		t.Run(strings.Join(names, " ")+" "+strings.Join(tt.args[:1], " "), func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := run(t, tt.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, exitUsage, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("written: %v", entries)
			}
		})
	}
	// Variables of other commands' flags, and unrelated DORMANT_ ones, are
	// left alone: the same environment serves every command.
	t.Setenv("DORMANT_SEED", "7")
	t.Setenv("DORMANT_DEMO_SCALE", "huge")
	if code, stdout, stderr := run(t, "queries", "print", "--engine", "athena", "--as-of", "2026-11-01"); code != exitOK {
		t.Errorf("queries print with other commands' variables: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestFlagsAfterArguments: flags may follow positional arguments.
func TestFlagsAfterArguments(t *testing.T) {
	var got []string
	a := &app{ctx: context.Background(), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	cmd := a.verifyCommand()
	cmd.RunE = func(_ *cobra.Command, args []string) error { got = args; return nil }
	cmd.SetArgs([]string{"OUT", "--log-format", "json", "--trust-key", "k.pub"})
	cmd.SetOut(new(bytes.Buffer))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"OUT"}) || cmd.Flags().Lookup("log-format").Value.String() != "json" || cmd.Flags().Lookup("trust-key").Value.String() != "k.pub" {
		t.Errorf("args %q, log-format %s", got, cmd.Flags().Lookup("log-format").Value)
	}
}

// TestProgressOnlyOnATerminal: the one place progress is handed to the
// pipeline gives none to a pipe, and none in JSON log mode.
func TestProgressOnlyOnATerminal(t *testing.T) {
	var cfg pipeline.Config
	(&app{stderr: new(bytes.Buffer)}).progress(&cfg)
	if cfg.Progress != nil || cfg.ScanProgress != nil {
		t.Error("progress handed to a buffer")
	}
	(&app{stderr: os.Stderr, jsonLog: true}).progress(&cfg)
	if cfg.Progress != nil || cfg.ScanProgress != nil {
		t.Error("progress handed over in JSON log mode")
	}
}

// jsonLines fails unless every line of stderr is a JSON object.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if line == "" && stderr == "" {
			break
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line %d is not JSON: %q", i+1, line)
			continue
		}
		recs = append(recs, rec)
	}
	return recs
}

// TestJSONOutput: with --format json and --log-format json, stdout is one
// JSON object (counts, paths, exit code and reason) and every stderr line
// is JSON, for a successful demo, a verify with its flags after OUT, a
// second demo refused without --replace, and a failing run.
func TestJSONOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "demo")
	demoArgs := []string{"demo", "--out", out, "--accounts", "2", "--users", "40", "--events", "4000", "--as-of", "2026-11-01",
		"--format", "json", "--log-format", "json"}
	code, stdout, stderr := run(t, demoArgs...)
	if code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if recs := jsonLines(t, stderr); len(recs) == 0 {
		t.Error("the demo logged nothing")
	}
	var rep report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if rep.Command != "demo" || rep.ExitCode != 0 || rep.ExitReason != "ok" || rep.Demo == nil || rep.Demo.Run == nil {
		t.Fatalf("report %+v", rep)
	}
	r := rep.Demo.Run
	sum := 0
	for _, n := range r.Counts.ByStatus {
		sum += n
	}
	if r.Counts.Users < 40 || sum != r.Counts.Users || r.Counts.Accounts != 2 || len(r.Counts.ByDecision) == 0 || rep.Demo.Users != r.Counts.Users || len(rep.Demo.Mismatches) != 0 {
		t.Errorf("counts %+v, demo %+v", r.Counts, rep.Demo)
	}
	for _, p := range []string{r.Paths.Workbook, r.Paths.CSV, r.Paths.Manifest, r.Paths.Sums} {
		if _, err := os.Stat(p); err != nil || !filepath.IsAbs(p) {
			t.Errorf("path %s: %v", p, err)
		}
	}
	if !slices.Contains(r.Paths.Files, "run.json") || !slices.Contains(r.Paths.Files, "reports/findings.csv") {
		t.Errorf("bundle files %v", r.Paths.Files)
	}
	// The version recorded is the build info's, never "dev".
	var rec struct {
		ToolVersion string `json:"tool_version"`
	}
	data, _ := os.ReadFile(filepath.Join(r.Paths.Out, pipeline.RunFile))
	if err := json.Unmarshal(data, &rec); err != nil || rec.ToolVersion != toolVersion() || rec.ToolVersion == "dev" {
		t.Errorf("run.json tool_version %q (%v), want %q", rec.ToolVersion, err, toolVersion())
	}

	// verify, its flags after the run directory.
	code, stdout, stderr = run(t, "verify", r.Paths.Out, "--format", "json", "--log-format", "json")
	var vrep report
	if code != exitOK || json.Unmarshal([]byte(stdout), &vrep) != nil || vrep.Verify == nil || !vrep.Verify.OK || vrep.ExitReason != "ok" {
		t.Errorf("verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	jsonLines(t, stderr)

	// A second demo into the same --out is refused, naming it and the flags.
	code, stdout, stderr = run(t, demoArgs...)
	if code != exitUsage {
		t.Fatalf("second demo: exit %d, want %d\n%s\n%s", code, exitUsage, stdout, stderr)
	}
	recs := jsonLines(t, stderr)
	if len(recs) != 1 || !strings.Contains(recs[0]["msg"].(string), filepath.Join(out, "run")) ||
		!strings.Contains(recs[0]["msg"].(string), "--replace") || !strings.Contains(recs[0]["msg"].(string), "--resume") {
		t.Errorf("second demo's stderr: %s", stderr)
	}
	rep = report{}
	if json.Unmarshal([]byte(stdout), &rep) != nil || rep.ExitCode != exitUsage || rep.ExitReason != "usage" || !strings.Contains(rep.Error, "--replace") {
		t.Errorf("second demo's report: %s", stdout)
	}
	if data2, _ := os.ReadFile(filepath.Join(r.Paths.Out, pipeline.RunFile)); !bytes.Equal(data, data2) {
		t.Error("the refused demo touched the first run")
	}
	// --replace (here from the environment) replaces it.
	t.Setenv("DORMANT_REPLACE", "true")
	if code, stdout, stderr := run(t, demoArgs...); code != exitOK {
		t.Errorf("demo with DORMANT_REPLACE: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// A failing run: its error is a JSON log line, its report says why.
	missing := filepath.Join(dir, "not-a-report.csv")
	if err := os.WriteFile(missing, []byte("not,a,report\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run(t, "run", "--credential-report", missing, "--authorization-details", missing, "--cloudtrail", dir,
		"--report-generated-at", "111122223333=2026-11-01T00:00:00Z",
		"--as-of", "2026-11-01", "--out", filepath.Join(dir, "failed"), "--format", "json", "--log-format", "json")
	if code != exitError {
		t.Fatalf("failing run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	recs = jsonLines(t, stderr)
	if len(recs) == 0 || recs[len(recs)-1]["level"] != "ERROR" || !strings.Contains(recs[len(recs)-1]["msg"].(string), missing) ||
		recs[len(recs)-1]["exit_code"] != float64(exitError) {
		t.Errorf("failing run's stderr: %s", stderr)
	}
	rep = report{}
	if json.Unmarshal([]byte(stdout), &rep) != nil || rep.Command != "run" || rep.ExitCode != exitError || rep.ExitReason != "error" || !strings.Contains(rep.Error, missing) {
		t.Errorf("failing run's report: %s", stdout)
	}
}

// TestJSONReportOnSettleError: a value refused while settling the flags
// (here from the environment) still gives a JSON report with exit 2.
func TestJSONReportOnSettleError(t *testing.T) {
	t.Setenv("DORMANT_WINDOW", "0d")
	code, stdout, stderr := run(t, "run", "--format", "json", "--log-format", "json", "--out", filepath.Join(t.TempDir(), "out"))
	var rep report
	if code != exitUsage || json.Unmarshal([]byte(stdout), &rep) != nil || rep.ExitCode != exitUsage || rep.ExitReason != "usage" || !strings.Contains(rep.Error, "DORMANT_WINDOW") {
		t.Errorf("exit %d, stdout %s", code, stdout)
	}
	if recs := jsonLines(t, stderr); len(recs) != 1 {
		t.Errorf("stderr %q, want one JSON line", stderr)
	}
}

// TestSecondRunRefusedWithoutReplace: `run` into an --out holding a run
// exits 2 naming it and both flags, and --replace replaces it.
func TestSecondRunRefusedWithoutReplace(t *testing.T) {
	dir := t.TempDir()
	o := demo.DefaultOptions()
	o.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o.Users, o.Events, o.Accounts = 20, 1000, 1
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"run", "--cloudtrail", src.CloudTrail, "--as-of", "2026-11-01", "--out", out, "--log-level", "error",
		"--credential-report", src.CredentialReports[0], "--authorization-details", src.AuthorizationDetails[0]}
	if code, stdout, stderr := run(t, args...); code != exitOK {
		t.Fatalf("first run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	first, _ := os.ReadFile(filepath.Join(out, pipeline.RunFile))
	code, stdout, stderr := run(t, args...)
	if code != exitUsage || !strings.Contains(stderr, out) || !strings.Contains(stderr, "--replace") || !strings.Contains(stderr, "--resume") {
		t.Fatalf("second run: exit %d, want %d naming %s and both flags\n%s\n%s", code, exitUsage, out, stdout, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(out, pipeline.RunFile)); !bytes.Equal(first, again) {
		t.Error("the refused run touched the first one")
	}
	if code, stdout, stderr := run(t, append(args, "--replace")...); code != exitOK {
		t.Fatalf("--replace: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(out, pipeline.RunFile)); bytes.Equal(first, again) {
		t.Error("--replace left the first run in place")
	}
	if code, stdout, stderr := run(t, append(args, "--resume")...); code != exitOK {
		t.Fatalf("--resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestSDKLogsThroughCommandLogger: once a command settled --log-format
// json, the AWS SDK's own warnings (any configuration loaded through
// internal/awssession, the pipeline's included) are JSON lines on the
// command's stderr, not the SDK's plain text.
func TestSDKLogsThroughCommandLogger(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_PROFILE", "")
	defer func(l *slog.Logger) { slog.SetDefault(l) }(slog.Default())
	var stderr bytes.Buffer
	a := &app{ctx: context.Background(), stdout: new(bytes.Buffer), stderr: &stderr}
	cmd := a.verifyCommand()
	if err := cmd.ParseFlags([]string{"--log-format", "json"}); err != nil {
		t.Fatal(err)
	}
	if err := a.settle(cmd); err != nil {
		t.Fatal(err)
	}
	cfg, err := awssession.Load(context.Background(), awssession.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger.Logf(logging.Warn, "Response has no supported checksum. Not validating response payload.")
	recs := jsonLines(t, stderr.String())
	if len(recs) != 1 || recs[0]["level"] != "WARN" || recs[0]["source"] != "aws-sdk" {
		t.Errorf("stderr %q, want one JSON warning from the SDK", stderr.String())
	}
}
