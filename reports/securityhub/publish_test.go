package securityhub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/internal/reporttest"
	"github.com/dormant-iam/dormant/tables"
)

const acct = "111111111111"

var target = Target{Partition: "aws", Region: "us-east-1", AccountID: acct}

func user(name string, n int) tables.Finding {
	f := reporttest.User(acct, name, fmt.Sprintf("AIDA%016d", n), reporttest.AsOf.AddDate(-3, 0, 0))
	return f
}

// run is a run's input: inactive users (a password unused 200 days,
// failing), dave active with key 2 unused 400 days (a key finding), and
// extra active users that pass.
func run(extra int, daveKey2Unused bool, withAlice bool) *reports.Input {
	asOf := reporttest.AsOf
	var fs []tables.Finding
	if withAlice {
		alice := user("alice", 1)
		alice.PasswordEnabled, alice.PasswordLastUsed = true, asOf.AddDate(0, 0, -200)
		alice.Status, alice.Decision, alice.Reasons = tables.StatusInactive, tables.DecisionDeactivate, []string{"last activity 200 days ago"}
		fs = append(fs, alice)
	}
	dave := user("dave", 2)
	dave.Key1Active, dave.Key1LastRotated, dave.Key1LastUsed = true, asOf.AddDate(-1, 0, 0), asOf.AddDate(0, 0, -1)
	dave.Key2Active, dave.Key2LastRotated, dave.Key2LastUsed = true, asOf.AddDate(-2, 0, 0), asOf.AddDate(0, 0, -400)
	dave.Status, dave.Decision = tables.StatusActive, tables.DecisionKeep
	if daveKey2Unused {
		dave.UnusedKeys = []int64{2}
	} else {
		dave.Key2LastUsed = asOf.AddDate(0, 0, -2)
	}
	fs = append(fs, dave)
	noReport := user("nora", 3)
	noReport.InCredentialReport = false
	noReport.Status, noReport.Decision = tables.StatusReview, tables.DecisionReview
	fs = append(fs, noReport)
	for i := range extra {
		u := user(fmt.Sprintf("user%03d", i), 100+i)
		u.PasswordEnabled, u.PasswordLastUsed = true, asOf.AddDate(0, 0, -3)
		u.Status, u.Decision = tables.StatusActive, tables.DecisionKeep
		fs = append(fs, u)
	}
	root := reporttest.User(acct, tables.RootUserName, "", asOf.AddDate(-9, 0, 0))
	root.Status, root.Decision = tables.StatusRoot, tables.DecisionReview
	fs = append(fs, root)
	// Another account's user goes to that account's Security Hub, not this one.
	fs = append(fs, reporttest.User("222222222222", "zed", "AIDAZED0000000000009", asOf.AddDate(-1, 0, 0)))
	return &reports.Input{Run: record.Run{RunID: "run-1", StartedAt: asOf, AsOf: asOf, WindowDays: 90, ToolVersion: "v1.2.3"}, Findings: fs}
}

func byID(srv *awsfake.Server) map[string]map[string]json.RawMessage {
	out := map[string]map[string]json.RawMessage{}
	for _, f := range srv.SecurityHubFindings(acct) {
		var id string
		_ = json.Unmarshal(f["Id"], &id)
		out[id] = f
	}
	return out
}

func field(f map[string]json.RawMessage, path ...string) string {
	var cur any
	_ = json.Unmarshal(mustJSON(f), &cur)
	for _, p := range path {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestPublishRoundTrip: create, update in place, resolve, through the real
// SDK client against the fake Security Hub.
func TestPublishRoundTrip(t *testing.T) {
	ctx := context.Background()
	org := awsfake.NewOrg(acct)
	srv := awsfake.New(org)
	defer srv.Close()
	client := srv.SecurityHubClient(org.CallerCredentials())
	t1 := reporttest.AsOf.Add(time.Hour)

	// Run 1: created.
	in := run(250, true, true)
	fs, err := Findings(in, target, t1)
	if err != nil {
		t.Fatal(err)
	}
	// alice, dave, dave's key 2, nora, 250 passing users; not root, not zed.
	if len(fs) != 254 {
		t.Fatalf("%d findings, want 254", len(fs))
	}
	res, err := Publish(ctx, client, fs, Options{Target: target, Now: t1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 254 || res.Updated != 0 || res.Archived != 0 || res.Imported != 254 || res.Resolved != 0 || res.Failed != nil {
		t.Errorf("first run = %+v, want 254 created", res)
	}
	if got := srv.Calls("BatchImportFindings"); got != 3 {
		t.Errorf("%d BatchImportFindings calls for 254 findings, want 3 (batches of 100)", got)
	}
	got := byID(srv)
	if len(got) != 254 {
		t.Fatalf("Security Hub holds %d findings, want 254", len(got))
	}
	alice := got["dormant/"+acct+"/AIDA0000000000000001"]
	if field(alice, "Compliance", "Status") != "FAILED" || field(alice, "Workflow", "Status") != "NEW" || field(alice, "RecordState") != "ACTIVE" ||
		field(alice, "ProductArn") != "arn:aws:securityhub:us-east-1:"+acct+":product/"+acct+"/default" || field(alice, "Severity", "Label") != "MEDIUM" {
		t.Errorf("alice = %s", mustJSON(alice))
	}
	key := got["dormant/"+acct+"/AIDA0000000000000002/access-key-2"]
	if field(key, "Compliance", "Status") != "FAILED" || !strings.Contains(string(key["Resources"]), `"AwsIamAccessKey"`) {
		t.Errorf("dave's key 2 = %s", mustJSON(key))
	}
	nora := got["dormant/"+acct+"/AIDA0000000000000003"]
	if field(nora, "Compliance", "Status") != "WARNING" {
		t.Errorf("nora, without a credential report row = %s, want WARNING (unknown is not PASSED)", field(nora, "Compliance", "Status"))
	}
	if u := got["dormant/"+acct+"/AIDA0000000000000100"]; field(u, "Compliance", "Status") != "PASSED" || field(u, "Workflow", "Status") != "RESOLVED" {
		t.Errorf("a passing user = %s", mustJSON(u))
	}
	if !strings.Contains(string(alice["Compliance"]), "PCI DSS v4.0/8.2.6") || !strings.Contains(string(alice["Compliance"]), "CIS AWS Foundations Benchmark v5.0.0/1.11") {
		t.Errorf("alice's related requirements: %s", alice["Compliance"])
	}

	// Run 2, a day later: alice is gone, dave's key 2 was used again.
	t2 := t1.Add(24 * time.Hour)
	in = run(250, false, false)
	in.StartedAt, in.RunID = t2, "run-2"
	fs, err = Findings(in, target, t2)
	if err != nil {
		t.Fatal(err)
	}
	res, err = Publish(ctx, client, fs, Options{Target: target, Now: t2})
	if err != nil {
		t.Fatal(err)
	}
	// Resolved: the 2 archived and dave, who fails no more; the passing
	// users were created RESOLVED and are left alone.
	if res.Created != 0 || res.Updated != 252 || res.Archived != 2 || res.Imported != 254 || res.Resolved != 3 || res.Failed != nil {
		t.Errorf("second run = %+v, want 252 updated in place, 2 archived, 3 resolved", res)
	}
	if n := srv.Calls("BatchUpdateFindings"); n != 1 {
		t.Errorf("%d BatchUpdateFindings calls, want 1", n)
	}
	got = byID(srv)
	if len(got) != 254 {
		t.Fatalf("Security Hub holds %d findings after the update, want the same 254 (updated in place)", len(got))
	}
	for _, id := range []string{"dormant/" + acct + "/AIDA0000000000000001", "dormant/" + acct + "/AIDA0000000000000002/access-key-2"} {
		f := got[id]
		if field(f, "RecordState") != "ARCHIVED" || field(f, "Workflow", "Status") != "RESOLVED" {
			t.Errorf("%s no longer assessed = %s/%s, want ARCHIVED/RESOLVED", id, field(f, "RecordState"), field(f, "Workflow", "Status"))
		}
	}
	dave := got["dormant/"+acct+"/AIDA0000000000000002"]
	stamp1, stamp2 := t1.UTC().Format(timeFormat), t2.UTC().Format(timeFormat)
	if field(dave, "Compliance", "Status") != "PASSED" || field(dave, "Workflow", "Status") != "RESOLVED" ||
		field(dave, "CreatedAt") != stamp1 || field(dave, "UpdatedAt") != stamp2 || field(dave, "ProductFields", "dormant/RunId") != "run-2" {
		t.Errorf("dave, active again = %s", mustJSON(dave))
	}

	// Run 3: the archived findings stay archived and are not archived again.
	before := srv.Calls("BatchImportFindings")
	res, err = Publish(ctx, client, fs, Options{Target: target, Now: t2.Add(time.Hour)})
	if err != nil || res.Updated != 252 || res.Created+res.Archived+res.Resolved != 0 || res.Imported != 252 {
		t.Errorf("third run = %+v, %v; want 252 updated", res, err)
	}
	if n := srv.Calls("BatchUpdateFindings"); n != 1 {
		t.Errorf("the third run resolved again: %d BatchUpdateFindings calls in all, want 1", n)
	}
	if srv.Calls("BatchImportFindings")-before != 3 {
		t.Errorf("third run made %d import calls, want 3", srv.Calls("BatchImportFindings")-before)
	}
}

func TestPublishRefusesForeignFindings(t *testing.T) {
	in := run(0, true, true)
	fs, err := Findings(in, Target{Partition: "aws", Region: "eu-west-1", AccountID: acct}, reporttest.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Publish(context.Background(), nil, fs, Options{Target: target})
	if err == nil || !strings.Contains(err.Error(), "not the target's") {
		t.Errorf("findings for eu-west-1 published to us-east-1: %v", err)
	}
	if _, err := Findings(in, Target{Partition: "aws", Region: "us-east-1", AccountID: "12"}, reporttest.AsOf); err == nil {
		t.Errorf("a 2-digit account ID was accepted")
	}
}

func TestPublishReportsRejectedFindings(t *testing.T) {
	org := awsfake.NewOrg(acct)
	srv := awsfake.New(org)
	defer srv.Close()
	fs, err := Findings(run(0, true, true), target, reporttest.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	fs[0].Types = nil // Security Hub requires Types
	res, err := Publish(context.Background(), srv.SecurityHubClient(org.CallerCredentials()), fs, Options{Target: target})
	if err == nil || !strings.Contains(err.Error(), aws.ToString(fs[0].Id)) || !strings.Contains(err.Error(), "InvalidInput") {
		t.Errorf("a rejected finding: %v, want its ID and code", err)
	}
	if len(res.Failed) != 1 || res.Failed[0].ID != aws.ToString(fs[0].Id) || res.Failed[0].Code != "InvalidInput" || res.Imported != len(fs)-1 {
		t.Errorf("result %+v, want the one failure and %d imported", res, len(fs)-1)
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("é", 600) // 1200 bytes
	got := truncate(s, maxDescription)
	if len(got) > maxDescription || !strings.HasSuffix(got, "…") || !utf8Valid(got) {
		t.Errorf("truncate to %d: %d bytes, valid %v", maxDescription, len(got), utf8Valid(got))
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestPublishRun publishes each account into its own Security Hub.
func TestPublishRun(t *testing.T) {
	ctx := context.Background()
	org := awsfake.NewOrg(acct)
	org.AddAccount("222222222222").AddRole("OrganizationAccountAccessRole")
	srv := awsfake.New(org)
	defer srv.Close()
	in := run(3, true, true)
	in.Findings[len(in.Findings)-1].ARN = "arn:aws:iam::222222222222:user/zed"
	targets := []Target{target, {Partition: "aws", Region: "us-east-1", AccountID: "222222222222"}}
	res, errs := PublishRun(ctx, in, targets, reporttest.AsOf, func(ctx context.Context, id string) (API, error) {
		if id == acct {
			return srv.SecurityHubClient(org.CallerCredentials()), nil
		}
		creds, err := srv.AssumeRole(ctx, org.CallerCredentials(), "arn:aws:iam::"+id+":role/OrganizationAccountAccessRole", "")
		return srv.SecurityHubClient(creds), err
	}, nil)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if res[acct].Created != 7 || res["222222222222"].Created != 1 {
		t.Errorf("results %+v, want 7 findings in %s and zed's in 222222222222", res, acct)
	}
	if n := len(srv.SecurityHubFindings("222222222222")); n != 1 {
		t.Errorf("222222222222 holds %d findings, want 1", n)
	}
}
