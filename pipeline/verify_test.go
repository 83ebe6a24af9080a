package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports/evidence"
)

// oneRun generates a small organization and runs the pipeline on it once.
func oneRun(t *testing.T) (pipeline.Config, *pipeline.Result) {
	t.Helper()
	dir := t.TempDir()
	o := smallDemo(t)
	o.Users, o.Events = 40, 5000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, Allowlist: src.Allowlist, AsOf: o.AsOf,
		Out: filepath.Join(dir, "out"), Logger: quiet,
	}
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, res
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVerify: an untouched bundle verifies; changing any one byte of an
// input, a table or a report fails, naming the file.
func TestVerify(t *testing.T) {
	_, res := oneRun(t)
	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("an untouched bundle must verify:\n%s", strings.Join(v.Problems, "\n"))
	}
	var account string
	for _, in := range res.Record.Inputs {
		if in.Kind == "credential-report" {
			account = in.AccountID
			break
		}
	}
	inputs, _ := filepath.Glob(filepath.Join(res.Out, "inputs", account, "credential-report.*"))
	if len(inputs) != 1 {
		t.Fatalf("stored credential report not found: %v", inputs)
	}
	input, _ := filepath.Rel(res.Out, inputs[0])
	for _, rel := range []string{input, "tables/findings.parquet", "tables/activity.parquet", "reports/findings.csv", "reports/dormant-report.xlsx", "reports/remediation-manifest.json", "queries/activity.sql"} {
		t.Run(rel, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			copyDir(t, res.Out, dir)
			p := filepath.Join(dir, rel)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x01
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			v, err := pipeline.Verify(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK() {
				t.Fatalf("one changed byte in %s went unnoticed", rel)
			}
			if !strings.Contains(strings.Join(v.Problems, "\n"), filepath.ToSlash(rel)) {
				t.Errorf("the problems should name %s:\n%s", rel, strings.Join(v.Problems, "\n"))
			}
		})
	}
}

// TestVerifyRecomputes: a table edited consistently with SHA256SUMS (the
// checksum file rewritten too) is still caught, because findings are
// recomputed from the inputs.
func TestVerifyRecomputes(t *testing.T) {
	_, res := oneRun(t)
	dir := filepath.Join(t.TempDir(), "run")
	copyDir(t, res.Out, dir)
	csvPath := filepath.Join(dir, "reports", "findings.csv")
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), ",inactive,", ",active,", 1)
	if edited == string(data) {
		t.Skip("no inactive user in this small organization")
	}
	if err := os.WriteFile(csvPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// Re-sign the bundle as a forger would.
	if err := evidence.WriteSums(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	v, err := pipeline.Verify(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK() || !strings.Contains(strings.Join(v.Problems, "\n"), "reports/findings.csv") {
		t.Fatalf("an edited report with rewritten sums must fail, naming the report: %v", v.Problems)
	}
}

// TestResume: a second run with --resume and unchanged inputs reuses every
// stage but the reports; a changed setting re-runs findings only.
func TestResume(t *testing.T) {
	cfg, first := oneRun(t)
	cfg.Resume = true
	second, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	reused := map[string]bool{}
	for _, s := range second.Record.Stages {
		reused[s.Name] = s.Reused
	}
	for _, name := range []string{"inventory", "references", "activity", "findings"} {
		if !reused[name] {
			t.Errorf("stage %s ran again although nothing changed", name)
		}
	}
	if reused["reports"] {
		t.Error("reports are always written anew")
	}
	if first.Summary.Total != second.Summary.Total || first.Summary.ByStatus["inactive"] != second.Summary.ByStatus["inactive"] {
		t.Errorf("resumed run differs: %+v vs %+v", first.Summary, second.Summary)
	}
	v, err := pipeline.Verify(context.Background(), second.Out)
	if err != nil || !v.OK() {
		t.Fatalf("a resumed run must verify: %v %v", err, v.Problems)
	}

	cfg.DeleteAfterDays = 30
	third, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range third.Record.Stages {
		want := s.Name == "inventory" || s.Name == "references" || s.Name == "activity"
		if s.Reused != want {
			t.Errorf("after changing --delete-after, stage %s reused=%v, want %v", s.Name, s.Reused, want)
		}
	}

	// A changed log file re-runs the activity stage.
	var logFile string
	_ = filepath.WalkDir(cfg.CloudTrail, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json.gz") && !strings.Contains(p, "Digest") {
			logFile = p
		}
		return nil
	})
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logFile, append(data, data...), 0o644); err != nil { // a second gzip member: still valid
		t.Fatal(err)
	}
	fourth, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fourth.Record.Stages {
		if s.Name == "activity" && s.Reused {
			t.Error("a changed log file must re-run the activity stage")
		}
	}
}
