package pipeline_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/demo/demofake"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 17 item 1 on files: users an earlier remediation deactivated (no
// key, no login profile, the dormant tags in the authorization details) are
// kept until their delete-after date and deleted from it, except where the
// account's logs do not prove them unused; the CSV, the workbook and the
// manifest carry the dates.
func TestDeactivatedUsersOnFiles(t *testing.T) {
	dir := t.TempDir()
	o := smallDemo(t)
	o.Users, o.Events = 60, 6000
	src, lc := deactivatedDemo(t, dir, o)
	pending, due, gap, on, pendingAfter, dueAfter := lc.pending, lc.due, lc.gap, lc.on, lc.pendingAfter, lc.dueAfter

	cfg := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, AsOf: o.AsOf, Out: filepath.Join(dir, "run"), Logger: quiet,
	}
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		user             *demo.Expected
		status, decision string
		after            string
	}
	wants := []want{
		{pending, tables.StatusDeactivated, tables.DecisionKeep, pendingAfter},
		{due, tables.StatusDeactivated, tables.DecisionDelete, dueAfter},
		{gap, tables.StatusReview, tables.DecisionReview, dueAfter},
	}

	t.Run("csv", func(t *testing.T) {
		f, err := os.Open(filepath.Join(res.Out, "reports", "findings.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := columns(t, rows[0], "user_id", "status", "decision", "deactivated_on", "delete_after", "reasons")
		for _, w := range wants {
			i := slices.IndexFunc(rows, func(r []string) bool { return r[col["user_id"]] == w.user.UserID })
			if i < 0 {
				t.Fatalf("no CSV row for %s", w.user.UserName)
			}
			r := rows[i]
			if r[col["status"]] != w.status || r[col["decision"]] != w.decision {
				t.Errorf("%s/%s: %s/%s, want %s/%s (%s)", w.user.AccountID, w.user.UserName, r[col["status"]], r[col["decision"]], w.status, w.decision, r[col["reasons"]])
			}
			if r[col["deactivated_on"]] != on+"T00:00:00Z" || r[col["delete_after"]] != w.after+"T00:00:00Z" {
				t.Errorf("%s: deactivated_on %q, delete_after %q; want %s, %s", w.user.UserName, r[col["deactivated_on"]], r[col["delete_after"]], on, w.after)
			}
		}
	})

	t.Run("workbook", func(t *testing.T) {
		x, err := excelize.OpenFile(filepath.Join(res.Out, "reports", "dormant-report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("Findings", excelize.Options{RawCellValue: false})
		if err != nil {
			t.Fatal(err)
		}
		h := rows[0]
		id, st, dec, don, del := slices.Index(h, "User ID"), slices.Index(h, "Status"), slices.Index(h, "Decision"),
			slices.Index(h, "Deactivated on (UTC)"), slices.Index(h, "Delete after (UTC)")
		if id < 0 || st < 0 || dec < 0 || don < 0 || del < 0 {
			t.Fatalf("Findings header lacks a column: %v", h)
		}
		for _, w := range wants {
			i := slices.IndexFunc(rows, func(r []string) bool { return len(r) > id && r[id] == w.user.UserID })
			if i < 0 {
				t.Fatalf("no Findings row for %s", w.user.UserName)
			}
			r := rows[i]
			if r[st] != w.status || r[dec] != w.decision {
				t.Errorf("%s: %s/%s, want %s/%s", w.user.UserName, r[st], r[dec], w.status, w.decision)
			}
			if !strings.HasPrefix(r[don], on) || !strings.HasPrefix(r[del], w.after) {
				t.Errorf("%s: deactivated on %q, delete after %q; want %s, %s", w.user.UserName, r[don], r[del], on, w.after)
			}
		}
	})

	t.Run("manifest", func(t *testing.T) {
		m, err := manifest.Read(filepath.Join(res.Out, "reports", "remediation-manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			i := slices.IndexFunc(m.Entries, func(e manifest.Entry) bool { return e.UserID == w.user.UserID })
			if (i >= 0) != (w.decision == tables.DecisionDelete) {
				t.Fatalf("%s: manifest entry present %v, decision %s", w.user.UserName, i >= 0, w.decision)
			}
			if i < 0 {
				continue
			}
			e := m.Entries[i]
			if e.Decision != manifest.DecisionDelete || e.Evidence.Status != tables.StatusDeactivated ||
				e.Evidence.DeactivatedOn == nil || e.Evidence.DeactivatedOn.Format(time.DateOnly) != on ||
				e.Evidence.DeleteAfter == nil || e.Evidence.DeleteAfter.Format(time.DateOnly) != w.after {
				t.Errorf("%s: entry %s, evidence %+v", w.user.UserName, e.Decision, e.Evidence)
			}
		}
	})

	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Errorf("the bundle does not verify:\n%s", strings.Join(v.Problems, "\n"))
	}
}

// lifecycleUsers are the demo users deactivatedDemo tags: pending (due
// later), due (delete-after passed) and gap (due, in an account whose logs
// do not cover the window), with the tags' dates.
type lifecycleUsers struct {
	pending, due, gap          *demo.Expected
	on, pendingAfter, dueAfter string
}

// deactivatedDemo generates a demo under dir and makes three of its users
// look as an earlier remediation leaves them: no login profile, no active
// key, and the dormant tags.
func deactivatedDemo(t *testing.T, dir string, o demo.Options) (*demo.Output, lifecycleUsers) {
	t.Helper()
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	coverage := map[string]string{}
	for _, a := range src.Accounts {
		coverage[a.AccountID] = a.Coverage
	}
	// Pending and due: removal candidates of accounts whose logs cover the
	// window. Gap: a user of an account whose logs do not.
	var pending, due, gap *demo.Expected
	for i := range src.Truth {
		e := &src.Truth[i]
		if e.UserID == "" {
			continue
		}
		removal := e.Decision == tables.DecisionDelete || e.Decision == tables.DecisionDeactivate
		switch {
		case removal && coverage[e.AccountID] == "full" && pending == nil:
			pending = e
		case removal && coverage[e.AccountID] == "full" && due == nil:
			due = e
		case coverage[e.AccountID] != "full" && e.Status == tables.StatusReview && gap == nil:
			gap = e
		}
	}
	if pending == nil || due == nil || gap == nil {
		t.Fatalf("the demo lacks a pending (%v), due (%v) or uncovered (%v) user: the test tests nothing", pending, due, gap)
	}
	on := o.AsOf.AddDate(0, 0, -80).Format(time.DateOnly) // after their last use, inside the window
	dueAfter := o.AsOf.AddDate(0, 0, -1).Format(time.DateOnly)
	pendingAfter := o.AsOf.AddDate(0, 0, 30).Format(time.DateOnly)
	tags := map[string][2]string{
		pending.UserID: {on, pendingAfter},
		due.UserID:     {on, dueAfter},
		gap.UserID:     {on, dueAfter},
	}
	for _, p := range src.CredentialReports {
		withoutCredentials(t, p, pending.ARN, due.ARN, gap.ARN)
	}
	for _, p := range src.AuthorizationDetails {
		tagUsers(t, p, tags)
	}

	return src, lifecycleUsers{pending, due, gap, on, pendingAfter, dueAfter}
}

// withoutCredentials rewrites a credential report (the CLI's JSON) so that
// the users of the ARNs have no login profile and no active access key, as
// remediation's deactivation leaves them.
func withoutCredentials(t *testing.T, path string, arns ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cli map[string]any
	if err := json.Unmarshal(data, &cli); err != nil {
		t.Fatal(err)
	}
	content, err := base64.StdEncoding.DecodeString(cli["Content"].(string))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(content)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := columns(t, rows[0], "arn", "password_enabled", "access_key_1_active", "access_key_2_active")
	for _, r := range rows[1:] {
		if slices.Contains(arns, r[col["arn"]]) {
			r[col["password_enabled"]], r[col["access_key_1_active"]], r[col["access_key_2_active"]] = "false", "false", "false"
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	cli["Content"] = base64.StdEncoding.EncodeToString(buf.Bytes())
	writeJSONFile(t, path, cli)
}

// tagUsers adds the dormant tags to the users (by unique ID) of an
// authorization details export: {id: {deactivated, delete-after}}.
func tagUsers(t *testing.T, path string, tags map[string][2]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	users, _ := doc["UserDetailList"].([]any)
	for _, u := range users {
		u := u.(map[string]any)
		tv, ok := tags[u["UserId"].(string)]
		if !ok {
			continue
		}
		list, _ := u["Tags"].([]any)
		u["Tags"] = append(list,
			map[string]any{"Key": tables.TagDeactivated, "Value": tv[0]},
			map[string]any{"Key": tables.TagDeleteAfter, "Value": tv[1]})
	}
	writeJSONFile(t, path, doc)
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	out, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Issue 17 item 1 against the fake IAM: the same deactivated users read
// live (tags from GetAccountAuthorizationDetails, credentials from the
// generated credential report) are pending and due as on files.
func TestDeactivatedUsersLive(t *testing.T) {
	dir := t.TempDir()
	o := smallDemo(t)
	o.Users, o.Events = 60, 6000
	src, lc := deactivatedDemo(t, dir, o)

	org, err := demofake.Org(src.Dir)
	if err != nil {
		t.Fatal(err)
	}
	base, t0 := o.AsOf, time.Now()
	srv := awsfake.New(org, awsfake.WithClock(func() time.Time { return base.Add(time.Since(t0)) }))
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
		CloudTrail: src.CloudTrail, AsOf: o.AsOf, Out: filepath.Join(dir, "live"), Logger: quiet,
		Org: true, RoleName: "OrganizationAccountAccessRole", EndpointURL: srv.URL(), ReferenceChecks: []string{"iam"},
	}
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tables.ReadParquet[tables.Finding](filepath.Join(res.Out, pipeline.FindingsTable))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		user             *demo.Expected
		status, decision string
		after            string
	}{
		{lc.pending, tables.StatusDeactivated, tables.DecisionKeep, lc.pendingAfter},
		{lc.due, tables.StatusDeactivated, tables.DecisionDelete, lc.dueAfter},
		{lc.gap, tables.StatusReview, tables.DecisionReview, lc.dueAfter},
	} {
		i := slices.IndexFunc(got, func(f tables.Finding) bool { return f.UserID == w.user.UserID })
		if i < 0 {
			t.Fatalf("no live finding for %s", w.user.UserName)
		}
		f := got[i]
		if f.Status != w.status || f.Decision != w.decision {
			t.Errorf("%s/%s: %s/%s, want %s/%s: %q", f.AccountID, f.UserName, f.Status, f.Decision, w.status, w.decision, f.Reasons)
		}
		if f.DeactivatedOn.Format(time.DateOnly) != lc.on || f.DeleteAfter.Format(time.DateOnly) != w.after {
			t.Errorf("%s: dates %v, %v; want %s, %s", f.UserName, f.DeactivatedOn, f.DeleteAfter, lc.on, w.after)
		}
	}
	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil || !v.OK() {
		t.Fatalf("the live run must verify offline: %v %v", err, v.Problems)
	}
}
