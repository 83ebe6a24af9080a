package pipeline_test

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 13 item 13, end to end: a record the scan cannot attribute (here,
// one without userIdentity) in an account's logs sends that account's
// removal candidates to review, says why, and the bundle still verifies.
func TestSkippedRecordsSendCandidatesToReview(t *testing.T) {
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

	// One more log file in that account's folders, a day inside the window,
	// holding a record with no userIdentity.
	day := o.AsOf.AddDate(0, 0, -3)
	matches, _ := filepath.Glob(filepath.Join(src.CloudTrail, "AWSLogs", "*", account, "CloudTrail", "*"))
	direct, _ := filepath.Glob(filepath.Join(src.CloudTrail, "AWSLogs", account, "CloudTrail", "*"))
	matches = append(matches, direct...)
	if len(matches) == 0 {
		t.Fatalf("no CloudTrail region folder for account %s under %s", account, src.CloudTrail)
	}
	region := filepath.Base(matches[0])
	p := filepath.Join(matches[0], day.Format("2006"), day.Format("01"), day.Format("02"),
		account+"_CloudTrail_"+region+"_"+day.Format("20060102T1504Z")+"_NoIdentity000001.json.gz")
	writeGzip(t, p, `{"Records":[{"eventVersion":"1.09","eventID":"00000000-0000-4000-8000-0000000000e1","eventTime":"`+
		day.Add(9*3600e9).Format("2006-01-02T15:04:05Z")+`","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"`+region+
		`","recipientAccountId":"`+account+`"}]}`)

	cfg.Out = filepath.Join(dir, "after")
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	after, err := tables.ReadParquet[tables.Finding](filepath.Join(cfg.Out, "tables", "findings.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after {
		if f.AccountID != account {
			continue
		}
		if f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate {
			t.Errorf("%s/%s is still %s with a skipped record in its account's logs", f.AccountID, f.UserName, f.Decision)
		}
	}
	found := false
	for _, f := range after {
		if f.AccountID == account && f.Decision == tables.DecisionReview && strings.Contains(strings.Join(f.Reasons, "\n"), "could not be attributed") {
			found = true
		}
	}
	if !found {
		t.Errorf("no candidate of account %s is in review for the skipped record", account)
	}
	files, err := tables.ReadParquet[tables.LogFile](filepath.Join(cfg.Out, "tables", "logfiles.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tables.SkippedByAccount(files); got[account] != 1 {
		t.Errorf("skipped records by account = %v, want 1 in %s", got, account)
	}
	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Errorf("the bundle does not verify:\n%s", strings.Join(v.Problems, "\n"))
	}
}

func writeGzip(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(fh)
	if _, err := zw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}
