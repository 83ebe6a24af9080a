package demo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// TestEveryCaseAppears checks that, at the default number of users and
// accounts, every case appears in every account where it makes sense, and
// that the situations the demo promises are all in the ground truth and in
// the logs.
func TestEveryCaseAppears(t *testing.T) {
	o := DefaultOptions()
	o.AsOf, o.Events = testAsOf, 40000
	out := generate(t, o)

	byAccount := map[string]map[string]int{}
	for _, e := range out.Truth {
		if byAccount[e.AccountID] == nil {
			byAccount[e.AccountID] = map[string]int{}
		}
		byAccount[e.AccountID][e.Case]++
	}
	covs := map[string]int{}
	for _, a := range out.Accounts {
		covs[a.Coverage]++
		c := map[string]coverage{"full": coverageFull, "partial": coveragePartial, "none": coverageNone}[a.Coverage]
		for _, cs := range casesFor(c, true) {
			if byAccount[a.AccountID][cs.name] == 0 {
				t.Errorf("account %s (%s coverage) has no %s user", a.AccountID, a.Coverage, cs.name)
			}
		}
		if byAccount[a.AccountID][CaseRoot] != 1 {
			t.Errorf("account %s has %d root rows", a.AccountID, byAccount[a.AccountID][CaseRoot])
		}
	}
	if covs["full"] != 2 || covs["partial"] != 1 || covs["none"] != 1 {
		t.Errorf("coverage of the 4 default accounts: %v, want 2 full, 1 partial, 1 none", covs)
	}

	// The situations, as the ground truth must state them.
	has := func(what string, f func(e Expected, cov string) bool) {
		t.Helper()
		for _, e := range out.Truth {
			for _, a := range out.Accounts {
				if a.AccountID == e.AccountID && f(e, a.Coverage) {
					return
				}
			}
		}
		t.Errorf("no user: %s", what)
	}
	is := func(e Expected, c, status, decision string) bool {
		return e.Case == c && e.Status == status && e.Decision == decision
	}
	full := func(cov string) bool { return cov == "full" }
	has("active through the console", func(e Expected, cov string) bool {
		return is(e, CaseActiveConsole, tables.StatusActive, tables.DecisionKeep) && e.LastActivitySource == tables.SourceCloudTrail
	})
	has("active by key only, in an account without logs", func(e Expected, cov string) bool {
		return is(e, CaseActiveKey, tables.StatusActive, tables.DecisionKeep) && e.LastActivitySource == tables.SourceAccessKey && cov == "none"
	})
	has("active only through CloudTrail", func(e Expected, cov string) bool {
		return is(e, CaseActiveCloudTrailOnly, tables.StatusActive, tables.DecisionKeep) && e.LastActivitySource == tables.SourceCloudTrail
	})
	has("active only through federated sessions", func(e Expected, cov string) bool {
		return is(e, CaseActiveFederated, tables.StatusActive, tables.DecisionKeep) && e.LastActivitySource == tables.SourceCloudTrail && slices.Equal(e.UnusedKeys, []int{1})
	})
	has("active only through a call logged in another account, from the account without logs", func(e Expected, cov string) bool {
		return is(e, CaseActiveCrossAccount, tables.StatusActive, tables.DecisionKeep) && e.LastActivitySource == tables.SourceCloudTrail && cov == "none"
	})
	has("active with an unused second key", func(e Expected, cov string) bool {
		return is(e, CaseActiveUnusedKey2, tables.StatusActive, tables.DecisionKeep) && slices.Equal(e.UnusedKeys, []int{2})
	})
	has("inactive, deactivate", func(e Expected, cov string) bool {
		return is(e, CaseInactiveDeactivate, tables.StatusInactive, tables.DecisionDeactivate) && e.DaysInactive >= 120 && e.DaysInactive <= 300
	})
	has("inactive, delete", func(e Expected, cov string) bool {
		return is(e, CaseInactiveDelete, tables.StatusInactive, tables.DecisionDelete) && e.DaysInactive > 365
	})
	has("never used, deactivate", func(e Expected, cov string) bool {
		return is(e, CaseNeverUsedDeactivate, tables.StatusNeverUsed, tables.DecisionDeactivate)
	})
	has("never used, delete", func(e Expected, cov string) bool {
		return is(e, CaseNeverUsedDelete, tables.StatusNeverUsed, tables.DecisionDelete)
	})
	has("no_information before 2014-10-20", func(e Expected, cov string) bool {
		return is(e, CasePre2014NoInformation, tables.StatusInactive, tables.DecisionDelete) && e.LastActivity.IsZero()
	})
	has("new", func(e Expected, cov string) bool { return is(e, CaseNew, tables.StatusNew, tables.DecisionKeep) })
	has("exempt by tag", func(e Expected, cov string) bool {
		return is(e, CaseExemptTag, tables.StatusExempt, tables.DecisionKeep)
	})
	has("exempt by allowlist, in the account without logs", func(e Expected, cov string) bool {
		return is(e, CaseExemptAllowlist, tables.StatusExempt, tables.DecisionKeep) && cov == "none"
	})
	has("expired allowlist entry, classified normally", func(e Expected, cov string) bool {
		return is(e, CaseAllowlistExpired, tables.StatusInactive, tables.DecisionDeactivate)
	})
	has("re-created user", func(e Expected, cov string) bool { return is(e, CaseRecreated, tables.StatusNew, tables.DecisionKeep) })
	has("role sessions named like an inactive user", func(e Expected, cov string) bool {
		return is(e, CaseRoleSessionLikeUser, tables.StatusInactive, tables.DecisionDeactivate) && full(cov)
	})
	has("failed sign-ins only", func(e Expected, cov string) bool {
		return is(e, CaseFailedLoginsOnly, tables.StatusReview, tables.DecisionReview) && slices.Equal(e.Review, []string{ReviewFailedLogins})
	})
	has("inactive in the account without logs", func(e Expected, cov string) bool {
		return e.Case == CaseInactiveDeactivate && e.Status == tables.StatusReview && slices.Equal(e.Review, []string{ReviewCoverage}) && cov == "none"
	})
	has("inactive in the account whose trail starts mid-window", func(e Expected, cov string) bool {
		return e.Case == CaseInactiveDelete && e.Status == tables.StatusReview && slices.Equal(e.Review, []string{ReviewCoverage}) && cov == "partial"
	})
	has("failed sign-ins where the trail starts mid-window", func(e Expected, cov string) bool {
		return e.Case == CaseFailedLoginsOnly && slices.Equal(e.Review, []string{ReviewCoverage, ReviewFailedLogins})
	})
	has("named in a trust policy", func(e Expected, cov string) bool {
		return is(e, CaseReferencedTrust, tables.StatusReview, tables.DecisionReview) && slices.Equal(e.Review, []string{ReviewReferences})
	})
	has("named in a managed policy", func(e Expected, cov string) bool {
		return is(e, CaseReferencedPolicy, tables.StatusReview, tables.DecisionReview) && slices.Equal(e.Review, []string{ReviewReferences})
	})
	has("only in the authorization details", func(e Expected, cov string) bool {
		return e.Case == CaseNotInReport && slices.Equal(e.Review, []string{ReviewNotInReport})
	})
	has("only in the credential report", func(e Expected, cov string) bool {
		return e.Case == CaseNotInAuthDetails && slices.Equal(e.Review, []string{ReviewNotInAuthorizationDetails}) && e.UserID == ""
	})
	has("root", func(e Expected, cov string) bool { return is(e, CaseRoot, tables.StatusRoot, tables.DecisionKeep) })

	if out.Events != int64(o.Events) {
		t.Errorf("wrote %d records, asked for %d", out.Events, o.Events)
	}
	// Most users are active.
	active := 0
	for _, e := range out.Truth {
		if e.Status == tables.StatusActive {
			active++
		}
	}
	if active*2 < len(out.Truth) {
		t.Errorf("%d of %d users active, want most", active, len(out.Truth))
	}

	// The logs hold what a real trail holds.
	p := parseDemo(t, out, o.AsOf, o.WindowDays)
	for _, f := range []string{
		"identity:AssumedRole", "identity:AWSService", "identity:IAMUser", "identity:FederatedUser", "identity:AWSAccount",
		"identity:Root", "identity:SAMLUser", "identity:WebIdentityUser",
		"requestParameters:object", "requestParameters:null", "requestParameters:string",
		"responseElements:object", "responseElements:null",
		"error:AccessDenied", "hidden", "failed-login", "akia", "console-session",
		"login:IAMUser:us-east-1", "login:IAMUser:us-east-2", "login:IAMUser:eu-north-1", "login:Root:us-east-1",
		"region:us-east-1", "region:us-east-2", "region:eu-west-1",
	} {
		if p.facts[f] == 0 {
			t.Errorf("no record with %s in the logs", f)
		}
	}
	if p.dupIDs == 0 {
		t.Error("no duplicate delivery (same eventID in two files)")
	}
	if p.digests == 0 {
		t.Error("no CloudTrail-Digest files")
	}
	// A bare CSV has no generation time; the JSON carries IAM's.
	if p.jsonRep == 0 || p.csvRep != 0 {
		t.Errorf("%d CSV and %d JSON credential reports; want every report as the CLI's JSON", p.csvRep, p.jsonRep)
	}
	if p.encoded == 0 || p.objects == 0 {
		t.Errorf("%d policy documents as objects, %d URL-encoded; want both", p.objects, p.encoded)
	}
	// A role session carries the name of a role_session_named_like_user user.
	for _, e := range out.Truth {
		if e.Case == CaseRoleSessionLikeUser && p.coverage[e.AccountID] != nil {
			if !grepLogs(t, out.CloudTrail, e.AccountID, `:assumed-role/AWSReservedSSO_`, `/`+e.UserName+`"`) {
				t.Errorf("no role session named %s in account %s", e.UserName, e.AccountID)
			}
			break
		}
	}
	// The account whose trail starts mid-window has no file before it.
	for _, a := range out.Accounts {
		c := p.coverage[a.AccountID]
		switch a.Coverage {
		case "none":
			if c != nil {
				t.Errorf("account %s has no trail but %d..%d in the logs", a.AccountID, c.first.Unix(), c.last.Unix())
			}
		case "partial":
			if c == nil || !c.first.After(o.AsOf.Add(-days(int64(o.WindowDays)))) || c.first.Before(a.TrailStart) {
				t.Errorf("account %s: coverage %+v, trail start %s", a.AccountID, c, a.TrailStart)
			}
		case "full":
			if c == nil || !c.first.Before(o.AsOf.Add(-days(int64(o.WindowDays)))) || c.last.Before(o.AsOf.Add(-time.Hour)) || !c.last.Before(o.AsOf) {
				t.Errorf("account %s: coverage %+v, want from before the window start to within an hour of as-of", a.AccountID, c)
			}
		}
	}
}

func grepLogs(t *testing.T, root, acct string, subs ...string) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(filepath.Join(root, "AWSLogs", acct, "CloudTrail"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		data := gunzip(t, path)
		for _, rec := range bytes.Split(data, []byte(`},{"eventVersion"`)) {
			ok := true
			for _, s := range subs {
				ok = ok && bytes.Contains(rec, []byte(s))
			}
			if ok {
				found = true
				return filepath.SkipAll
			}
		}
		return nil
	})
	return found
}

// TestDeterministic: the same seed and as-of give the same bytes, whatever
// the number of workers; another seed gives another organization.
func TestDeterministic(t *testing.T) {
	o := opts(4, 60, 15000, 42)
	a := generate(t, o)
	prev := runtime.GOMAXPROCS(1)
	b := generate(t, o)
	runtime.GOMAXPROCS(prev)
	fa, fb := tree(t, a.Dir), tree(t, b.Dir)
	if len(fa) == 0 || len(fa) != len(fb) {
		t.Fatalf("%d files, then %d", len(fa), len(fb))
	}
	for name, data := range fa {
		if !bytes.Equal(data, fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	// The report's generation time is in the file (GeneratedTime), never
	// in its modification time.
	for _, p := range a.CredentialReports {
		var cli struct{ GeneratedTime time.Time }
		if data, err := os.ReadFile(p); err != nil || json.Unmarshal(data, &cli) != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
		want := a.Accounts[slices.IndexFunc(a.Accounts, func(x AccountInfo) bool { return strings.Contains(p, x.AccountID) })].ReportGeneratedAt
		if !cli.GeneratedTime.Equal(want) || want.After(o.AsOf) || want.Before(o.AsOf.Add(-24*time.Hour)) {
			t.Errorf("%s: GeneratedTime %s, ground truth %s: want the same, within a day before as-of", p, cli.GeneratedTime, want)
		}
	}
	o.Seed = 43
	c := generate(t, o)
	if bytes.Equal(fa["ground-truth.json"], tree(t, c.Dir)["ground-truth.json"]) {
		t.Error("seed 43 gave the same ground truth as seed 42")
	}
}

func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFormats checks the outputs' shapes against AWS's: the report header,
// the CLI's JSON, the log files, the layout.
func TestFormats(t *testing.T) {
	out := generate(t, opts(4, 40, 8000, 9))
	for _, p := range out.CredentialReports {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(p, ".json") {
			t.Fatalf("%s: want the CLI's JSON, which carries the generation time", p)
		}
		var cli map[string]any
		if err := json.Unmarshal(data, &cli); err != nil {
			t.Fatal(err)
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range cli {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(keys, []string{"Content", "GeneratedTime", "ReportFormat"}) {
			t.Errorf("%s: keys %v", p, keys)
		}
		if !bytes.HasPrefix(data, []byte("{\n    \"Content\": \"")) {
			t.Errorf("%s: not indented like the AWS CLI: %.40q", p, data)
		}
		content, _ := cli["Content"].(string)
		if data, err = base64.StdEncoding.DecodeString(content); err != nil {
			t.Fatalf("%s: Content: %v", p, err)
		}
		if !bytes.HasPrefix(data, []byte(awsReportHeader+"\n<root_account>,arn:aws:iam::")) {
			t.Errorf("%s: does not start with the 22-column header and the root row: %.300q", p, data)
		}
		if n := len(strings.Split(awsReportHeader, ",")); n != 22 {
			t.Fatalf("header has %d columns", n)
		}
	}
	for _, p := range out.AuthorizationDetails {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) || !bytes.HasPrefix(data, []byte("{\n    \"UserDetailList\": [")) {
			t.Errorf("%s: not the CLI's JSON: %.60q", p, data)
		}
	}
	// One log file: gzip, {"Records":[...]}, and each record carries the
	// fields every CloudTrail record has.
	var one string
	_ = filepath.WalkDir(out.CloudTrail, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(path, "/CloudTrail/") {
			one = path
			return filepath.SkipAll
		}
		return err
	})
	if one == "" {
		t.Fatal("no log file")
	}
	var f map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(gunzip(t, one), &f); err != nil {
		t.Fatalf("%s: %v", one, err)
	}
	if len(f) != 1 || len(f["Records"]) == 0 {
		t.Fatalf("%s: want {\"Records\":[...]}, got keys %v", one, len(f))
	}
	for _, r := range f["Records"] {
		for _, k := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "eventID", "eventType", "recipientAccountId"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: record without %s", one, k)
			}
		}
	}
	for _, name := range []string{"allowlist.yaml", "ground-truth.json", "inputs", "logs/AWSLogs"} {
		if _, err := os.Stat(filepath.Join(out.Dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestReadGroundTruth(t *testing.T) {
	out := generate(t, opts(2, 30, 3000, 11))
	got, err := ReadGroundTruth(out.GroundTruth)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(out.Truth) {
		t.Fatalf("read %d users, wrote %d", len(got), len(out.Truth))
	}
	for i := range got {
		if !equalExpected(got[i], out.Truth[i]) {
			t.Errorf("users[%d]: read %+v, wrote %+v", i, got[i], out.Truth[i])
		}
	}
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, wantErr string }{
		{"not json", "{", "parsing ground truth"},
		{"other schema", `{"schema_version":2,"users":[]}`, "schema_version 2"},
		{"unknown status", `{"schema_version":1,"users":[{"account_id":"111122223333","user_name":"a","status":"dormant","decision":"keep"}]}`, `unknown status "dormant"`},
		{"unknown decision", `{"schema_version":1,"users":[{"account_id":"111122223333","user_name":"a","status":"active","decision":"purge"}]}`, `unknown decision "purge"`},
		{"no name", `{"schema_version":1,"users":[{"account_id":"111122223333","status":"active","decision":"keep"}]}`, "users[0] has no account_id or user_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadGroundTruth(p)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %v, want one naming %s and saying %q", err, p, tc.wantErr)
			}
		})
	}
	if _, err := ReadGroundTruth(filepath.Join(dir, "missing.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestOptionsRejected(t *testing.T) {
	base := opts(4, 10, 100, 1)
	for _, tc := range []struct {
		name    string
		mod     func(*Options)
		wantErr string
	}{
		{"no accounts", func(o *Options) { o.Accounts = 0 }, "--accounts 0"},
		{"negative users", func(o *Options) { o.Users = -1 }, "--users -1"},
		{"negative events", func(o *Options) { o.Events = -5 }, "--events -5"},
		{"tiny window", func(o *Options) { o.WindowDays = 3 }, "window of 3 days"},
		{"delete before window", func(o *Options) { o.DeleteAfterDays = 95 }, "delete-after of 95 days"},
		{"no as-of", func(o *Options) { o.AsOf = time.Time{} }, "as-of is not set"},
		{"as-of in 2012", func(o *Options) { o.AsOf = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC) }, "as-of 2012-01-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.mod(&o)
			dir := t.TempDir()
			_, err := Generate(t.Context(), dir, o)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("rejected options left %d entries behind", len(entries))
			}
		})
	}
}

// TestDirectoryHandling: a previous demo is replaced; a directory with
// someone else's logs/ is refused; a cancelled run leaves nothing behind.
func TestDirectoryHandling(t *testing.T) {
	o := opts(2, 12, 2000, 1)
	dir := t.TempDir()
	if _, err := Generate(t.Context(), dir, o); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "logs", "AWSLogs", "999999999999", "stale.json.gz")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(t.Context(), dir, o); err != nil {
		t.Fatalf("regenerating over a previous demo: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file of the previous demo survived: %v", err)
	}

	foreign := t.TempDir()
	if err := os.MkdirAll(filepath.Join(foreign, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(t.Context(), foreign, o); err == nil || !strings.Contains(err.Error(), "already holds logs") {
		t.Errorf("generating over a foreign logs/: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	gone := t.TempDir()
	if _, err := Generate(ctx, gone, o); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
	if entries, _ := os.ReadDir(gone); len(entries) != 0 {
		t.Errorf("a cancelled run left %d entries behind", len(entries))
	}
}

// TestProportions: at large sizes every case is kept and most users are active.
func TestProportions(t *testing.T) {
	for _, c := range []coverage{coverageFull, coveragePartial, coverageNone} {
		specs := casesFor(c, true)
		got := assignCases(specs, 25000)
		if len(got) != 25000 {
			t.Fatalf("%d cases for 25000 users", len(got))
		}
		n := map[string]int{}
		for _, x := range got {
			n[x]++
		}
		active := 0
		for _, cs := range specs {
			if n[cs.name] == 0 {
				t.Errorf("%s coverage: no %s", c, cs.name)
			}
			if isActiveCase(cs.name) {
				active += n[cs.name]
			}
		}
		if active < 25000*6/10 {
			t.Errorf("%s coverage: %d active of 25000", c, active)
		}
	}
	if got := assignCases(casesFor(coverageFull, true), 3); !slices.Equal(got, []string{CaseActiveConsole, CaseActiveKey, CaseInactiveDeactivate}) {
		t.Errorf("3 users: %v, want the first cases in priority order", got)
	}
}

// TestCatalog checks the static tables the renderer relies on.
func TestCatalog(t *testing.T) {
	if serviceGroups[grpSTS].namespace != "sts" {
		t.Errorf("grpSTS points at %q", serviceGroups[grpSTS].namespace)
	}
	for _, g := range serviceGroups {
		if len(g.tmpls) == 0 {
			t.Errorf("service group %s has no templates", g.namespace)
		}
		for _, i := range g.tmpls {
			if catalog[i].global != g.global {
				t.Errorf("%s:%s: global %v in a group with global %v", catalog[i].src, catalog[i].name, catalog[i].global, g.global)
			}
		}
	}
	for r, rc := range regionCatalogs {
		if len(rc.idx) == 0 || len(rc.ro) == 0 {
			t.Errorf("region %s has no templates", regions[r])
		}
	}
	// Every template renders valid JSON in every shape slot.
	o := &org{seed: 1}
	a := &account{id: "123456789012", buckets: []string{"b"}, functions: []string{"f"}, tables: []string{"t"}, kmsKeys: []string{"k"}, subnets: []string{"subnet-1"}, vpc: "vpc-1",
		roles: []*role{{name: "r", id: "AROAEXAMPLE", arn: "arn:aws:iam::123456789012:role/r"}}}
	w := &renderer{o: o, r: newRNG(1), a: a}
	for _, tm := range catalog {
		for _, part := range []string{tm.req, tm.resp, tm.res, tm.add} {
			if part == "" {
				continue
			}
			w.b = w.b[:0]
			w.reset(1_700_000_000)
			w.expand(part)
			if !json.Valid(w.b) {
				t.Errorf("%s:%s renders invalid JSON: %s", tm.src, tm.name, w.b)
			}
		}
	}
}
