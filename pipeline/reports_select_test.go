package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports"
)

// TestOptionalReports: the HTML and OCSF reports are written only when
// asked for, the run records which, verify regenerates and compares them,
// and an unknown format is refused before any work starts.
func TestOptionalReports(t *testing.T) {
	cfg, plain := oneRun(t)
	for _, p := range []string{reports.HTMLPath, reports.OCSFPath} {
		if _, err := os.Stat(filepath.Join(plain.Out, p)); err == nil {
			t.Errorf("%s written without --report", p)
		}
	}

	cfg.Out = filepath.Join(t.TempDir(), "with")
	cfg.Reports = []string{"html", "ocsf"}
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{reports.HTMLPath, reports.OCSFPath, reports.XLSXPath} {
		if _, err := os.Stat(filepath.Join(res.Out, p)); err != nil {
			t.Errorf("%s not written with --report html --report ocsf: %v", p, err)
		}
	}
	if got := strings.Join(res.Record.Reports, ","); got != "html,ocsf" {
		t.Errorf("run.json settings.reports = %q, want html,ocsf", got)
	}
	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("a bundle with optional reports must verify:\n%s", strings.Join(v.Problems, "\n"))
	}
	// An edited optional report fails verification like any other.
	page := filepath.Join(res.Out, reports.HTMLPath)
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := pipeline.Verify(context.Background(), res.Out); err != nil || v.OK() {
		t.Errorf("an edited HTML report verified (err %v)", err)
	}

	cfg.Reports = []string{"pdf"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("--report pdf gave %v, want an error naming it", err)
	}
}
