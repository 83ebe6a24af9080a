package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/demo/demofake"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// TestSecurityHubRoundTrip: --security-hub publishes a live run's findings
// into each account's Security Hub (the fake's), the next run updates them
// in place, a deleted user's findings are archived and resolved, a user in
// use again is resolved, and an account without Security Hub fails the
// run with its account named while the reports are kept.
func TestSecurityHubRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := smallDemo(t)
	o.Accounts, o.Users, o.Events = 2, 40, 3000
	src, err := demo.Generate(ctx, filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	org, err := demofake.Org(src.Dir)
	if err != nil {
		t.Fatal(err)
	}
	// IAM generates a credential report at most every 4 hours: the clock
	// jumps between the runs so that the next run gets a report of the
	// changes.
	base, t0 := o.AsOf, time.Now()
	var jump atomic.Int64
	srv := awsfake.New(org, awsfake.WithClock(func() time.Time { return base.Add(time.Since(t0) + time.Duration(jump.Load())) }))
	defer srv.Close()
	creds := org.CallerCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", creds.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_PROFILE", "")

	cfg := pipeline.Config{
		CloudTrail: src.CloudTrail, Allowlist: src.Allowlist, AsOf: o.AsOf, Logger: quiet,
		Org: true, RoleName: "OrganizationAccountAccessRole", EndpointURL: srv.URL(),
		ReferenceChecks: []string{"iam"}, SecurityHub: true, FreshReport: true,
	}
	run := func(name string) (*pipeline.Result, *record.Run, error) {
		t.Helper()
		c := cfg
		c.Out = filepath.Join(dir, name)
		res, err := pipeline.Run(ctx, c)
		if res == nil {
			return nil, nil, err
		}
		raw, rerr := os.ReadFile(filepath.Join(res.Out, pipeline.RunFile))
		if rerr != nil {
			t.Fatal(rerr)
		}
		var rec record.Run
		if rerr := json.Unmarshal(raw, &rec); rerr != nil {
			t.Fatal(rerr)
		}
		if rec.SecurityHub == nil {
			t.Fatalf("%s: run.json has no security_hub", name)
		}
		return res, &rec, err
	}
	stored := func(account string) map[string]map[string]json.RawMessage {
		out := map[string]map[string]json.RawMessage{}
		for _, f := range srv.SecurityHubFindings(account) {
			var id string
			_ = json.Unmarshal(f["Id"], &id)
			out[id] = f
		}
		return out
	}
	str := func(f map[string]json.RawMessage, path ...string) string {
		var cur any
		b, _ := json.Marshal(f)
		_ = json.Unmarshal(b, &cur)
		for _, p := range path {
			m, _ := cur.(map[string]any)
			cur = m[p]
		}
		s, _ := cur.(string)
		return s
	}

	// Run 1: every assessed account's findings are created.
	res1, rec1, err := run("run1")
	if err != nil {
		t.Fatal(err)
	}
	if rec1.SecurityHub.Region != "us-east-1" || len(rec1.SecurityHub.Accounts) != len(src.Accounts) {
		t.Fatalf("security_hub = %+v, want us-east-1 and %d accounts", rec1.SecurityHub, len(src.Accounts))
	}
	created := map[string]int{}
	for _, a := range rec1.SecurityHub.Accounts {
		n := len(srv.SecurityHubFindings(a.AccountID))
		if a.Error != "" || a.Created == 0 || a.Published != a.Created || a.Updated+a.Archived != 0 || n != a.Created ||
			a.ProductARN != "arn:aws:securityhub:us-east-1:"+a.AccountID+":product/"+a.AccountID+"/default" {
			t.Errorf("run 1, account %s: %+v; Security Hub holds %d", a.AccountID, a, n)
		}
		created[a.AccountID] = a.Created
	}

	// Between the runs: one inactive user is deleted, another is in use again.
	finds, err := tables.ReadParquet[tables.Finding](filepath.Join(res1.Out, pipeline.FindingsTable))
	if err != nil {
		t.Fatal(err)
	}
	var gone, back *tables.Finding
	for i := range finds {
		f := &finds[i]
		if f.Status != tables.StatusInactive {
			continue
		}
		switch {
		case gone == nil:
			gone = f
		case back == nil && f.AccountID == gone.AccountID:
			back = f
		}
	}
	if gone == nil || back == nil {
		t.Fatal("the demo has no two inactive users in one account")
	}
	acct := org.Account(gone.AccountID)
	acct.ReportTemplate = nil // the next report is generated from the model, changes included
	yesterday := o.AsOf.Add(-24 * time.Hour)
	for i, u := range acct.Users {
		switch u.Name {
		case gone.UserName:
			acct.Users = append(acct.Users[:i:i], acct.Users[i+1:]...)
		}
	}
	u := acct.User(back.UserName)
	u.PasswordLastUsed = &yesterday
	if u.LoginProfile == nil {
		u.LoginProfile = &awsfake.LoginProfile{CreateDate: u.CreateDate}
	}
	for _, k := range u.AccessKeys {
		k.LastUsedDate, k.LastUsedService, k.LastUsedRegion = &yesterday, "s3", "us-east-1"
	}
	jump.Add(int64(10 * time.Hour)) // the demo's reports are stamped a few hours after as-of
	goneID := "dormant/" + gone.AccountID + "/" + gone.UserID
	backID := "dormant/" + back.AccountID + "/" + back.UserID
	if f := stored(gone.AccountID); str(f[goneID], "Compliance", "Status") != "FAILED" || str(f[backID], "Compliance", "Status") != "FAILED" {
		t.Fatalf("run 1: %s is %s and %s is %s, want both FAILED", gone.UserName, str(f[goneID], "Compliance", "Status"), back.UserName, str(f[backID], "Compliance", "Status"))
	}

	// Run 2: updated in place; the deleted user archived and resolved, the
	// user in use again passing and resolved.
	res2, rec2, err := run("run2")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rec2.SecurityHub.Accounts {
		if a.Error != "" || a.Failed != nil || a.Updated == 0 || a.Published != a.Created+a.Updated+a.Archived {
			t.Errorf("run 2, account %s: %+v", a.AccountID, a)
		}
		if n := len(srv.SecurityHubFindings(a.AccountID)); n != created[a.AccountID]+a.Created {
			t.Errorf("run 2, account %s: Security Hub holds %d findings, want %d (updated in place)", a.AccountID, n, created[a.AccountID]+a.Created)
		}
		if a.AccountID == gone.AccountID && (a.Archived == 0 || a.Resolved < 2) {
			t.Errorf("run 2, account %s: %+v; want %s archived and both users resolved", a.AccountID, a, gone.UserName)
		}
	}
	f := stored(gone.AccountID)
	if g := f[goneID]; str(g, "RecordState") != "ARCHIVED" || str(g, "Workflow", "Status") != "RESOLVED" {
		t.Errorf("deleted user %s: %s/%s, want ARCHIVED/RESOLVED", gone.UserName, str(g, "RecordState"), str(g, "Workflow", "Status"))
	}
	if b := f[backID]; str(b, "RecordState") != "ACTIVE" || str(b, "Compliance", "Status") != "PASSED" || str(b, "Workflow", "Status") != "RESOLVED" {
		t.Errorf("user in use again %s: %s/%s/%s, want ACTIVE/PASSED/RESOLVED", back.UserName, str(b, "RecordState"), str(b, "Compliance", "Status"), str(b, "Workflow", "Status"))
		finds2, _ := tables.ReadParquet[tables.Finding](filepath.Join(res2.Out, pipeline.FindingsTable))
		for _, f := range finds2 {
			if f.UserName == back.UserName {
				t.Logf("%+v", f)
			}
		}
	}

	// Run 3: an account without Security Hub fails the run by name; the
	// reports are committed and verify, and run.json says what happened.
	srv.DisableSecurityHub(gone.AccountID)
	jump.Add(int64(5 * time.Hour))
	res3, rec3, err := run("run3")
	if err == nil || !strings.Contains(err.Error(), gone.AccountID) || !strings.Contains(err.Error(), "Security Hub is enabled") {
		t.Fatalf("run 3 with Security Hub disabled in %s: %v", gone.AccountID, err)
	}
	if res3 == nil {
		t.Fatal("run 3 returned no result: the reports must be kept")
	}
	for _, a := range rec3.SecurityHub.Accounts {
		if failed := a.AccountID == gone.AccountID; failed != strings.Contains(a.Error, "InvalidAccessException") {
			t.Errorf("run 3, account %s: error %q", a.AccountID, a.Error)
		}
	}
	if v, err := pipeline.Verify(ctx, res3.Out); err != nil || !v.OK() {
		t.Errorf("run 3's bundle does not verify: %v %v", err, v.Problems)
	}
}
