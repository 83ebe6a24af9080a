package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 14 item 2, end to end: deleting one log file that a digest lists
// from an account's logs sends that account's removal candidates to review
// naming the digest problem (region and hours), the log files table says
// "missing", and the bundle still verifies (verify recomputes the same
// findings from the table).
func TestDeletedLogFileSendsCandidatesToReview(t *testing.T) {
	dir := t.TempDir()
	o := smallDemo(t)
	o.Users, o.Events = 30, 2000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, AsOf: o.AsOf, Out: filepath.Join(dir, "before"), Logger: quiet,
	}
	if _, err := pipeline.Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	before, err := tables.ReadParquet[tables.Finding](filepath.Join(cfg.Out, "tables", "findings.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var account string
	for _, f := range before {
		if f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate {
			account = f.AccountID
			break
		}
	}
	if account == "" {
		t.Fatal("the demo has no removal candidate: the test tests nothing")
	}
	for _, f := range before {
		if f.AccountID == account && strings.Contains(strings.Join(f.Reasons, "\n"), "CloudTrail digests") {
			t.Fatalf("untouched demo logs already have a digest problem: %q", f.Reasons)
		}
	}

	// Delete one log file of that account, a few days inside the window.
	day := o.AsOf.AddDate(0, 0, -5)
	logs, _ := filepath.Glob(filepath.Join(src.CloudTrail, "AWSLogs", account, "CloudTrail", "*", day.Format("2006/01/02"), "*.json.gz"))
	if len(logs) == 0 {
		t.Fatalf("no log file of account %s on %s", account, day.Format("2006-01-02"))
	}
	if err := os.Remove(logs[0]); err != nil {
		t.Fatal(err)
	}
	region := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(logs[0])))))

	cfg.Out = filepath.Join(dir, "after")
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	after, err := tables.ReadParquet[tables.Finding](filepath.Join(cfg.Out, "tables", "findings.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want := "CloudTrail digests for account " + account + " in " + region + ", "
	found := false
	for _, f := range after {
		if f.AccountID != account {
			continue
		}
		if f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate {
			t.Errorf("%s/%s is still %s with a log file of its account deleted", f.AccountID, f.UserName, f.Decision)
		}
		if f.Decision == tables.DecisionReview && strings.Contains(strings.Join(f.Reasons, "\n"), want) {
			found = true
		}
	}
	if !found {
		t.Errorf("no candidate of account %s is in review with a reason starting %q", account, want)
	}
	files, err := tables.ReadParquet[tables.LogFile](filepath.Join(cfg.Out, "tables", "logfiles.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, f := range files {
		if f.Verification == tables.VerificationMissing {
			missing++
			if !strings.HasSuffix(filepath.ToSlash(logs[0]), strings.SplitN(f.Path, "AWSLogs/", 2)[1]) {
				t.Errorf("missing row %s, want %s", f.Path, logs[0])
			}
		}
	}
	if missing != 1 {
		t.Errorf("%d missing rows in the log files table, want 1", missing)
	}
	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Errorf("the bundle does not verify:\n%s", strings.Join(v.Problems, "\n"))
	}
}
