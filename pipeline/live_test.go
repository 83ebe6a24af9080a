package pipeline_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/demo/demofake"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/tables"
)

// TestLiveInventoryEqualsFiles: the same organization read from AWS (the IAM,
// STS and Organizations test endpoints, through the real SDK) and from its
// exported files gives the same findings; an account that denies AssumeRole is
// reported as not assessed and the run as partial.
func TestLiveInventoryEqualsFiles(t *testing.T) {
	dir := t.TempDir()
	o := smallDemo(t)
	o.Accounts, o.Users, o.Events = 5, 80, 8000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	files := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, Allowlist: src.Allowlist, AsOf: o.AsOf,
		Out: filepath.Join(dir, "files"), Logger: quiet,
	}
	fromFiles, err := pipeline.Run(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}

	org, err := demofake.Org(src.Dir)
	if err != nil {
		t.Fatal(err)
	}
	denied := src.Accounts[2].AccountID
	base, t0 := o.AsOf, time.Now()
	srv := awsfake.New(org,
		awsfake.WithClock(func() time.Time { return base.Add(time.Since(t0)) }),
		awsfake.WithPageSize(7),
		awsfake.WithDeniedAssumeRole(denied))
	defer srv.Close()
	creds := org.CallerCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", creds.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_PROFILE", "")

	liveCfg := files
	liveCfg.CredentialReports, liveCfg.AuthorizationDetails = nil, nil
	liveCfg.Org, liveCfg.RoleName = true, "OrganizationAccountAccessRole"
	liveCfg.EndpointURL = srv.URL()
	liveCfg.ReferenceChecks = []string{"iam"}
	liveCfg.Out = filepath.Join(dir, "live")
	fromAWS, err := pipeline.Run(context.Background(), liveCfg)
	if err != nil {
		t.Fatal(err)
	}
	if !fromAWS.Partial {
		t.Error("a run with an account denying AssumeRole must be partial")
	}
	for _, a := range fromAWS.Record.Accounts {
		if a.AccountID == denied && (a.Assessed || !strings.Contains(a.Error, "AccessDenied")) {
			t.Errorf("denied account recorded as %+v", a)
		}
	}

	want, err := tables.ReadParquet[tables.Finding](filepath.Join(fromFiles.Out, pipeline.FindingsTable))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tables.ReadParquet[tables.Finding](filepath.Join(fromAWS.Out, pipeline.FindingsTable))
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]tables.Finding{}
	for _, f := range got {
		if f.AccountID == denied {
			t.Errorf("a user of the denied account was reported: %s (%s)", f.UserName, f.Status)
		}
		byKey[f.AccountID+"/"+f.ARN] = f
	}
	compared := 0
	for _, w := range want {
		if w.AccountID == denied {
			continue
		}
		g, ok := byKey[w.AccountID+"/"+w.ARN]
		if !ok {
			t.Errorf("%s/%s: in the files-based findings, not in the live ones", w.AccountID, w.UserName)
			continue
		}
		// A report IAM generated anew has a newer generation time; the rows are the same.
		g.ReportGeneratedAt, w.ReportGeneratedAt = time.Time{}, time.Time{}
		g.Reasons, w.Reasons = dropReportAge(g.Reasons), dropReportAge(w.Reasons)
		if g.Status != w.Status || g.Decision != w.Decision || g.UserID != w.UserID || !g.LastActivity.Equal(w.LastActivity) || strings.Join(g.Reasons, ";") != strings.Join(w.Reasons, ";") {
			t.Errorf("%s/%s: live %s/%s %v, files %s/%s %v", w.AccountID, w.UserName, g.Status, g.Decision, g.Reasons, w.Status, w.Decision, w.Reasons)
		}
		compared++
	}
	if compared != len(got) {
		t.Errorf("compared %d findings, the live run has %d", compared, len(got))
	}
	v, err := pipeline.Verify(context.Background(), fromAWS.Out)
	if err != nil || !v.OK() {
		t.Fatalf("a live run must verify offline: %v %v", err, v.Problems)
	}
}

func dropReportAge(reasons []string) []string {
	var out []string
	for _, r := range reasons {
		if !strings.HasPrefix(r, "credential report generated") {
			out = append(out, r)
		}
	}
	return out
}
