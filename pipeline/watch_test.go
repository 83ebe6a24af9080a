package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 17 item 2, end to end: a user dormant deactivated (its tags in the
// authorization details) is watched from its deactivation date; an
// AccessDenied call by it afterwards is in tables/watch.parquet, one before
// is not; the bundle verifies, verify --logs re-derives the same table, and
// a watch row for a user nobody deactivated fails verify.
func TestWatchTableInBundle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := smallDemo(t)
	o.Users, o.Events, o.WindowDays = 30, 2000, 30
	src, err := demo.Generate(ctx, filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	since := o.AsOf.AddDate(0, 0, -10)
	acct, name, uid := tagDeactivated(t, src.AuthorizationDetails[0], since.Format(time.DateOnly), o.AsOf.AddDate(0, 0, 80).Format(time.DateOnly))

	day := func(d time.Time) string { return d.Format("2006/01/02") }
	logs, _ := filepath.Glob(filepath.Join(src.CloudTrail, "AWSLogs", acct, "CloudTrail", "*"))
	logs2, _ := filepath.Glob(filepath.Join(src.CloudTrail, "AWSLogs", "*", acct, "CloudTrail", "*"))
	logs = append(logs, logs2...)
	if len(logs) == 0 {
		t.Fatalf("no CloudTrail folder for account %s", acct)
	}
	region := filepath.Base(logs[0])
	event := func(id string, at time.Time) string {
		return `{"eventVersion":"1.09","eventID":"` + id + `","eventTime":"` + at.Format(time.RFC3339) +
			`","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"` + region +
			`","sourceIPAddress":"203.0.113.7","errorCode":"AccessDenied","recipientAccountId":"` + acct +
			`","userIdentity":{"type":"IAMUser","principalId":"` + uid + `","arn":"arn:aws:iam::` + acct + `:user/` + name +
			`","accountId":"` + acct + `","accessKeyId":"AKIAWATCHEDKEY000001","userName":"` + name + `"}}`
	}
	after, before := o.AsOf.AddDate(0, 0, -3).Add(9*time.Hour), since.Add(-2*24*time.Hour)
	for _, e := range []struct {
		at time.Time
		id string
	}{{after, "00000000-0000-4000-8000-0000000000a1"}, {before, "00000000-0000-4000-8000-0000000000a2"}} {
		p := filepath.Join(logs[0], filepath.FromSlash(day(e.at)), acct+"_CloudTrail_"+region+"_"+e.at.Format("20060102T1504Z")+"_Watched000000001.json.gz")
		writeGzip(t, p, `{"Records":[`+event(e.id, e.at)+`]}`)
	}

	cfg := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, AsOf: o.AsOf, WindowDays: o.WindowDays, Out: filepath.Join(dir, "out"), Logger: quiet,
	}
	res, err := pipeline.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	watch, err := tables.ReadParquet[tables.WatchEvent](filepath.Join(res.Out, filepath.FromSlash(pipeline.WatchTable)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range watch {
		if w.AccountID != acct || w.UserName != name || w.UserID != uid {
			t.Errorf("watch row for %s/%s (%s): only %s/%s is deactivated", w.AccountID, w.UserName, w.UserID, acct, name)
		}
		if w.EventTime.Before(since) {
			t.Errorf("watch row %s at %s is before the deactivation on %s", w.EventID, w.EventTime, since.Format(time.DateOnly))
		}
		if w.EventID == "00000000-0000-4000-8000-0000000000a1" {
			found = w.Kind == tables.WatchUse && w.ErrorCode == "AccessDenied" && w.AccessKeyID == "AKIAWATCHEDKEY000001" && w.EventTime.Equal(after)
		}
	}
	if !found {
		t.Errorf("the AccessDenied call after the deactivation is not in the watch table: %+v", watch)
	}

	v, err := pipeline.Verify(ctx, res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("the bundle does not verify:\n%s", strings.Join(v.Problems, "\n"))
	}
	if err := pipeline.VerifyLogs(ctx, v, pipeline.VerifyLogsOptions{Logs: src.CloudTrail, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	if !v.OK() || !strings.Contains(strings.Join(v.Checked, "\n"), "the watch over 1 deactivated users") {
		t.Fatalf("verify --logs: problems %q, checked %q", v.Problems, v.Checked)
	}

	// A row for a user nobody deactivated is refused.
	forged := append([]tables.WatchEvent{{AccountID: acct, UserName: "nobody", UserID: "AIDANOBODYEXAMPLE0001", Kind: tables.WatchUse,
		EventTime: after, EventID: "forged"}}, watch...)
	if err := tables.WriteParquet(filepath.Join(res.Out, filepath.FromSlash(pipeline.WatchTable)), forged); err != nil {
		t.Fatal(err)
	}
	if v, err = pipeline.Verify(ctx, res.Out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(v.Problems, "\n"), pipeline.WatchTable+": row 1 is for "+acct+"/nobody") {
		t.Errorf("verify does not name the forged watch row:\n%s", strings.Join(v.Problems, "\n"))
	}
}

// tagDeactivated tags the first IAM user of an authorization details file
// as dormant remediation does, and returns it.
func tagDeactivated(t *testing.T, path, on, deleteAfter string) (acct, name, uid string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	users, _ := doc["UserDetailList"].([]any)
	for _, u := range users {
		m, _ := u.(map[string]any)
		id, _ := m["UserId"].(string)
		if !strings.HasPrefix(id, "AIDA") {
			continue
		}
		tags, _ := m["Tags"].([]any)
		m["Tags"] = append(tags, map[string]any{"Key": tables.TagDeactivated, "Value": on}, map[string]any{"Key": tables.TagDeleteAfter, "Value": deleteAfter})
		arn, _ := m["Arn"].(string)
		name, _ = m["UserName"].(string)
		acct = strings.Split(arn, ":")[4]
		out, err := json.MarshalIndent(doc, "", "    ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return acct, name, id
	}
	t.Fatalf("no IAM user in %s", path)
	return "", "", ""
}
