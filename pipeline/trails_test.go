package pipeline_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/demo/demofake"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/tables"
	"github.com/xuri/excelize/v2"
)

// trailCase is the demo run the trail tests share: a run without trail
// settings (the baseline), and the accounts that have removal candidates
// in it, to give a write-only trail (writeOnly), a trail excluding KMS
// (noKMS) and a complete trail (complete).
type trailCase struct {
	src                        *demo.Output
	asOf                       time.Time
	base                       pipeline.Config
	baseline                   []tables.Finding
	writeOnly, noKMS, complete string
}

func newTrailCase(t *testing.T) *trailCase {
	t.Helper()
	dir := t.TempDir()
	o := smallDemo(t)
	o.Accounts, o.Users, o.Events = 6, 120, 12000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	base := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, Allowlist: src.Allowlist, AsOf: o.AsOf, Logger: quiet,
		Out: filepath.Join(dir, "baseline"),
	}
	res, err := pipeline.Run(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	tc := &trailCase{src: src, asOf: o.AsOf, base: base, baseline: readFindings(t, res.Out)}
	var withCandidates []string
	for _, f := range tc.baseline {
		if isRemoval(f) && !slices.Contains(withCandidates, f.AccountID) {
			withCandidates = append(withCandidates, f.AccountID)
		}
	}
	if len(withCandidates) < 3 {
		t.Fatalf("the demo has removal candidates in %d accounts; the test needs 3", len(withCandidates))
	}
	tc.writeOnly, tc.noKMS, tc.complete = withCandidates[0], withCandidates[1], withCandidates[2]
	// Every account says "trail settings unknown" and nothing is held for it.
	for _, r := range res.Record.Trails {
		if r.Known || r.Note != "trail settings unknown" {
			t.Errorf("a file run without --trail-description records %+v", r)
		}
	}
	return tc
}

func isRemoval(f tables.Finding) bool {
	return f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate
}

// check compares a run with trail settings to the baseline: the removal
// candidates of the write-only and no-KMS accounts are review naming the
// gap, the complete account's keep their decisions, and every other finding
// (the active users, those whose report shows key use among them) is as it
// was.
func (tc *trailCase) check(t *testing.T, got []tables.Finding) {
	t.Helper()
	byKey := map[string]tables.Finding{}
	for _, f := range got {
		byKey[f.AccountID+"/"+f.ARN] = f
	}
	held, kept, keyUsers := 0, 0, 0
	for _, w := range tc.baseline {
		g, ok := byKey[w.AccountID+"/"+w.ARN]
		if !ok {
			t.Errorf("%s/%s missing", w.AccountID, w.UserName)
			continue
		}
		want := map[string]string{
			tc.writeOnly: "trails of " + tc.writeOnly + " record only write management events: a user who only reads (List, Describe, Get) would look unused",
			tc.noKMS:     "trails of " + tc.noKMS + " exclude kms.amazonaws.com events",
		}[w.AccountID]
		switch {
		case isRemoval(w) && want != "":
			if g.Status != tables.StatusReview || g.Decision != tables.DecisionReview || !slices.ContainsFunc(g.Reasons, func(r string) bool { return strings.Contains(r, want) }) {
				t.Errorf("%s/%s: %s/%s %q; want review naming %q", w.AccountID, w.UserName, g.Status, g.Decision, g.Reasons, want)
			}
			held++
		case g.Status != w.Status || g.Decision != w.Decision:
			t.Errorf("%s/%s: %s/%s %q; without trail settings %s/%s", w.AccountID, w.UserName, g.Status, g.Decision, g.Reasons, w.Status, w.Decision)
		case isRemoval(w):
			kept++
		}
		ws := tc.asOf.AddDate(0, 0, -90)
		if (w.AccountID == tc.writeOnly || w.AccountID == tc.noKMS) && w.Status == tables.StatusActive && (w.Key1LastUsed.After(ws) || w.Key2LastUsed.After(ws)) {
			keyUsers++ // still active: checked above
		}
	}
	if held == 0 || kept == 0 || keyUsers == 0 {
		t.Errorf("held %d candidates, kept %d, compared %d users active by key use: each must be some", held, kept, keyUsers)
	}
}

// writeDescription writes a --trail-description file as a user assembles it
// from the CLI's three outputs.
func writeDescription(t *testing.T, dir, account, name string, selectors string) string {
	t.Helper()
	doc := `{"Trail": {"Name": "` + name + `", "S3BucketName": "logs", "IsMultiRegionTrail": true, "HomeRegion": "us-east-1",
	  "TrailARN": "arn:aws:cloudtrail:us-east-1:` + account + `:trail/` + name + `", "IsOrganizationTrail": false},
	  ` + selectors + `,
	  "Status": {"IsLogging": true, "StartLoggingTime": "2024-01-01T00:00:00+00:00", "LatestDeliveryTime": "2026-10-31T23:55:00+00:00"}}`
	path := filepath.Join(dir, account+"-"+name+".json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrailDescriptionsHoldCandidates: the same run with --trail-description
// files (a write-only trail, one excluding KMS, a complete one) holds the
// candidates the trails cannot vouch for, and says so in run.json, the
// workbook's Trails sheet and on verify.
func TestTrailDescriptionsHoldCandidates(t *testing.T) {
	tc := newTrailCase(t)
	dir := t.TempDir()
	cfg := tc.base
	cfg.Out = filepath.Join(dir, "out")
	cfg.TrailDescriptions = []string{
		writeDescription(t, dir, tc.writeOnly, "writes", `"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}]`),
		writeDescription(t, dir, tc.noKMS, "no-kms", `"AdvancedEventSelectors": [{"Name": "Management events", "FieldSelectors": [
		  {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}]`),
		writeDescription(t, dir, tc.complete, "all", `"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true}]`),
	}
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.check(t, readFindings(t, res.Out))

	known := map[string]record.Trail{}
	for _, r := range res.Record.Trails {
		known[r.AccountID] = r
	}
	if r := known[tc.complete]; !r.Known || len(r.Gaps) != 0 || !slices.Equal(r.Trails, []string{"all"}) {
		t.Errorf("run.json records the complete account as %+v", r)
	}
	if r := known[tc.writeOnly]; !r.Known || len(r.Gaps) != 1 {
		t.Errorf("run.json records the write-only account as %+v", r)
	}
	unknown := 0
	for _, r := range res.Record.Trails {
		if !r.Known && r.Note == "trail settings unknown" {
			unknown++
		}
	}
	if unknown != len(tc.src.Accounts)-3 {
		t.Errorf("%d accounts say trail settings unknown, want %d: %+v", unknown, len(tc.src.Accounts)-3, res.Record.Trails)
	}
	rows, err := tables.ReadParquet[tables.Trail](filepath.Join(res.Out, pipeline.TrailsTable))
	if err != nil || len(rows) != 3 {
		t.Fatalf("trails table: %d rows, %v", len(rows), err)
	}

	// The workbook lists per account what its trails record.
	f, err := excelize.OpenFile(filepath.Join(res.Out, reports.XLSXPath))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, err := f.GetRows(reports.SheetTrails)
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet) != len(tc.src.Accounts)+1 {
		t.Fatalf("Trails sheet has %d rows, want a header and one per account", len(sheet))
	}
	for _, row := range sheet[1:] {
		switch row[0] {
		case tc.writeOnly:
			if row[1] != "known" || row[3] != "FALSE" || row[4] != "TRUE" || !strings.Contains(row[7], "record only write management events") {
				t.Errorf("Trails row of the write-only account: %q", row)
			}
		case tc.noKMS:
			if row[5] != "kms.amazonaws.com" || !strings.Contains(row[7], "exclude kms.amazonaws.com") {
				t.Errorf("Trails row of the no-KMS account: %q", row)
			}
		case tc.complete:
			if row[3] != "TRUE" || row[4] != "TRUE" || !strings.HasPrefix(row[7], "none") {
				t.Errorf("Trails row of the complete account: %q", row)
			}
		default:
			if row[1] != "trail settings unknown" {
				t.Errorf("Trails row of an account without settings: %q", row)
			}
		}
	}
	method, err := f.GetRows(reports.SheetMethod)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(method, func(r []string) bool {
		return len(r) > 1 && r[0] == "Trail settings" && strings.Contains(r[1], "record no read-only")
	}) {
		t.Error("the Method sheet does not state the trail rule")
	}

	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil || !v.OK() {
		t.Fatalf("the run must verify offline: %v %v", err, v.Problems)
	}
	if !slices.ContainsFunc(v.Checked, func(s string) bool { return strings.Contains(s, "trails recomputed") }) {
		t.Errorf("verify did not recompute the trails: %q", v.Checked)
	}
}

// TestTrailDescriptionRefusedNamingField: a malformed file stops the run
// before anything is written, naming the file and field.
func TestTrailDescriptionRefusedNamingField(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Trail": {"Name": "x", "HomeRegion": "us-east-1", "TrailARN": "arn:aws:cloudtrail:us-east-1:111111111111:trail/x"},
	  "EventSelectors": [{"ReadWriteType": "Sometimes"}], "Status": {"IsLogging": true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := smallDemo(t)
	o.Accounts, o.Users, o.Events = 1, 10, 500
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.Run(context.Background(), pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, AsOf: o.AsOf, Logger: quiet, Out: filepath.Join(dir, "out"),
		TrailDescriptions: []string{bad},
	})
	if err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), `EventSelectors[0].ReadWriteType "Sometimes"`) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a refused run left %s: %v", filepath.Join(dir, "out"), err)
	}
}

// TestLiveTrailsHoldCandidates: a live run reads each account's trails from
// the fake CloudTrail (the caller's own account with its credentials, the
// others through the audit role) with the real SDK, and holds the same
// candidates as the description files do.
func TestLiveTrailsHoldCandidates(t *testing.T) {
	tc := newTrailCase(t)
	dir := t.TempDir()
	org, err := demofake.Org(tc.src.Dir)
	if err != nil {
		t.Fatal(err)
	}
	base, t0 := tc.asOf, time.Now()
	iamSrv := awsfake.New(org, awsfake.WithClock(func() time.Time { return base.Add(time.Since(t0)) }))
	defer iamSrv.Close()
	long := tc.asOf.AddDate(-2, 0, 0)
	ct, err := analytics.New(context.Background(), analytics.Config{
		AccountOf: iamSrv.AccountOfAccessKey,
		Trails: []analytics.Trail{
			{Owner: tc.writeOnly, Name: "writes", MultiRegion: true, IsLogging: true, StartLogging: long,
				EventSelectors: []analytics.EventSelector{{ReadWriteType: "WriteOnly"}}},
			{Owner: tc.noKMS, Name: "no-kms", MultiRegion: true, IsLogging: true, StartLogging: long,
				AdvancedEventSelectors: []analytics.AdvancedEventSelector{{Name: "mgmt", FieldSelectors: []analytics.FieldSelector{
					{Field: "eventCategory", Equals: []string{"Management"}},
					{Field: "eventSource", NotEquals: []string{"kms.amazonaws.com"}},
				}}}},
			// Every other account sees the complete organization trail.
			{Owner: org.Accounts[0].ID, Name: "org", Organization: true, MultiRegion: true, IsLogging: true, StartLogging: long,
				Accounts: slices.DeleteFunc(accountIDs(tc.src), func(a string) bool { return a == tc.writeOnly || a == tc.noKMS })},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ct.Close()
	// One endpoint, as --endpoint-url gives: CloudTrail's calls go to the
	// CloudTrail fake, the rest to IAM, STS and Organizations.
	toIAM, toCT := proxyTo(t, iamSrv.URL()), proxyTo(t, ct.URL())
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "CloudTrail_20131101.") {
			toCT.ServeHTTP(w, r)
			return
		}
		toIAM.ServeHTTP(w, r)
	}))
	defer front.Close()
	creds := org.CallerCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", creds.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_PROFILE", "")

	cfg := tc.base
	cfg.CredentialReports, cfg.AuthorizationDetails = nil, nil
	cfg.Org, cfg.RoleName = true, "OrganizationAccountAccessRole"
	cfg.EndpointURL = front.URL
	cfg.ReferenceChecks = []string{"iam"}
	cfg.Out = filepath.Join(dir, "live")
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.check(t, readFindings(t, res.Out))
	for _, r := range res.Record.Trails {
		if !r.Known || r.Error != "" {
			t.Errorf("live run could not read the trails of %s: %+v", r.AccountID, r)
		}
	}
	// Each account's trails were read with that account's credentials.
	if n := len(ct.CallsTo("DescribeTrails")); n != len(tc.src.Accounts) {
		t.Errorf("%d DescribeTrails calls, want one per account (%d)", n, len(tc.src.Accounts))
	}
	stored := 0
	for _, in := range res.Record.Inputs {
		if in.Kind == "trail-description" && in.Source == "aws:cloudtrail" {
			stored++
		}
	}
	if stored != len(tc.src.Accounts) {
		t.Errorf("%d trail descriptions stored, want one per account", stored)
	}
	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil || !v.OK() {
		t.Fatalf("a live run must verify offline: %v %v", err, v.Problems)
	}
	var rec map[string]any
	data, _ := os.ReadFile(filepath.Join(res.Out, pipeline.RunFile))
	if err := json.Unmarshal(data, &rec); err != nil || rec["trails"] == nil {
		t.Errorf("run.json has no trails: %v", err)
	}
}

func accountIDs(src *demo.Output) []string {
	var out []string
	for _, a := range src.Accounts {
		out = append(out, a.AccountID)
	}
	return out
}

func proxyTo(t *testing.T, raw string) *httputil.ReverseProxy {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}
