package activity_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/tables"
)

// The damaged trails of issue 14, through every engine: each returns the
// same (account, region, hour) cells, and from them the account whose logs
// lost days, the one that lost a region, and the one whose logs start 20
// days late behind one stray early record send their candidates to review,
// naming the gap; the intact account's inactive user is still deactivated.
func TestCoverageDamageThroughEveryEngine(t *testing.T) {
	const (
		acctGap    = "111111111111" // day folders 2026-09-03..09 deleted in both regions
		acctRegion = "222222222222" // eu-west-1 deleted, the credential report shows a key used there
		acctLate   = "333333333333" // logs start 2026-09-21, one stray record on the lead-in day
		acctIntact = "444444444444"
	)
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	q := activity.Query{Start: start, End: start.AddDate(0, 0, 30)}
	readFrom, readTo := q.ReadDays()
	regions := []string{"us-east-1", "eu-west-1"}
	userID := func(acct, name string) string { return "AIDA" + strings.ToUpper(name) + acct }

	root := t.TempDir()
	n := 0
	write := func(acct, region string, day time.Time, recs []trailtest.Rec) {
		t.Helper()
		n++
		dir := filepath.Join(root, "AWSLogs", acct, "CloudTrail", region, day.Format("2006/01/02"))
		name := fmt.Sprintf("%s_CloudTrail_%s_%sZ_cov%08d.json.gz", acct, region, day.Add(23*time.Hour).Format("20060102T1504"), n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), trailtest.Fixture{Records: recs}.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id := func() string { n++; return fmt.Sprintf("c0c0c0c0-0000-4000-8000-%012d", n) }
	for _, acct := range []string{acctGap, acctRegion, acctLate, acctIntact} {
		for _, region := range regions {
			for d := readFrom; !d.After(readTo); d = d.AddDate(0, 0, 1) {
				switch {
				case acct == acctGap && !d.Before(start.AddDate(0, 0, 2)) && !d.After(start.AddDate(0, 0, 8)):
					continue
				case acct == acctRegion && region == "eu-west-1":
					continue
				case acct == acctLate && d.Before(start.AddDate(0, 0, 20)):
					if region == "us-east-1" && d.Equal(readFrom) {
						write(acct, region, d, []trailtest.Rec{trailtest.Event(id(), d.Add(20*time.Hour).Format(time.RFC3339), "ec2.amazonaws.com", "DescribeInstances", region, "10.0.0.5",
							trailtest.AssumedRole(acct, "AROAAPPROLE"+acct, "app", "i-0abc"), nil)})
					}
					continue
				}
				// Background: a role session a few times a day.
				var recs []trailtest.Rec
				for _, h := range []int{3, 11, 19} {
					recs = append(recs, trailtest.Event(id(), d.Add(time.Duration(h)*time.Hour).Format(time.RFC3339), "ec2.amazonaws.com", "DescribeInstances", region, "10.0.0.5",
						trailtest.AssumedRole(acct, "AROAAPPROLE"+acct, "app", "i-0abc"), nil))
				}
				// alice works in eu-west-1 on 2026-09-05: only the logs know.
				if region == "eu-west-1" && d.Equal(start.AddDate(0, 0, 4)) {
					recs = append(recs, trailtest.Event(id(), d.Add(14*time.Hour).Format(time.RFC3339), "s3.amazonaws.com", "ListBuckets", region, "203.0.113.10",
						trailtest.IAMUser(acct, userID(acct, "alice"), "alice", "AKIAALICE"+acct), nil))
				}
				write(acct, region, d, recs)
			}
		}
	}

	// The inventory: alice's and carol's keys were last used long before
	// the window (alice's credential report lags her logged use); bob's
	// report shows his key used in eu-west-1 inside the window.
	var users []tables.User
	for _, acct := range []string{acctGap, acctRegion, acctLate, acctIntact} {
		for _, name := range []string{"alice", "carol", "bob"} {
			u := tables.User{
				AccountID: acct, UserName: name, UserID: userID(acct, name), ARN: "arn:aws:iam::" + acct + ":user/" + name,
				CreateDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), PasswordState: tables.PasswordNA,
				ReportGeneratedAt: q.End.Add(-time.Hour), InCredentialReport: true, InAuthorizationDetails: true,
				Key1Active: true, Key1LastRotated: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
				Key1LastUsed: start.AddDate(0, 0, -100), Key1LastUsedRegion: "eu-west-1",
			}
			if name == "bob" {
				u.Key1LastUsed = start.AddDate(0, 0, 10)
			}
			users = append(users, u)
		}
	}
	fopts := findings.DefaultOptions(q.End)
	fopts.WindowDays = 30

	s := trailtest.NewFake(t, analytics.Config{LogsDir: root, TrailPrefix: "trails/", Tables: []analytics.Table{
		{Name: "cloudtrail_logs", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
	}})
	engines := []struct {
		name string
		e    activity.Engine
	}{
		{"local go", local.NewLocal(root, local.WithThreads(2), local.WithLogger(trailtest.Quiet()), local.WithScanner(local.ScannerGo))},
		{"local duckdb", local.NewLocal(root, local.WithThreads(2), local.WithLogger(trailtest.Quiet()), local.WithScanner(local.ScannerDuckDB))},
		{"athena", newTestAthena(t, s, "cloudtrail_logs", nil)},
		{"lake", newTestLake(t, s, analytics.DefaultEventDataStore)},
	}
	var first *activity.Result
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			if eng.name == "local duckdb" && !local.DuckDBBuilt {
				t.Skip("the DuckDB scanner is built only with -tags duckdb (scripts/test passes it)")
			}
			res, err := eng.e.Run(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = res
			} else {
				trailtest.SameTables(t, eng.name, res, first)
			}
			// The stray record is a cell of its own, on the lead-in day.
			stray := tables.Coverage{AccountID: acctLate, Region: "us-east-1", Hour: readFrom.Add(20 * time.Hour),
				FirstEvent: readFrom.Add(20 * time.Hour), LastEvent: readFrom.Add(20 * time.Hour), Events: 1}
			if !slices.Contains(res.Coverage, stray) {
				t.Errorf("no cell %+v among the coverage", stray)
			}
			finds, err := findings.Classify(users, res.Activity, res.Coverage, nil, fopts)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				acctGap:    "trail coverage gap for account 111111111111 in eu-west-1: 2026-09-03..2026-09-09 (7 days)",
				acctRegion: "trail coverage gap for account 222222222222 in eu-west-1: 2026-09-01..2026-09-30 (30 days) (no log files for the region, though the credential report shows an access key used there 2026-09-11)",
				acctLate:   "trail coverage gap for account 333333333333 in eu-west-1: 2026-09-01..2026-09-20 (20 days)",
			}
			for _, f := range finds {
				switch {
				case f.UserName == "bob":
				case f.AccountID == acctIntact:
					if f.UserName == "alice" && f.Status != tables.StatusActive || f.UserName == "carol" && f.Decision != tables.DecisionDeactivate {
						t.Errorf("%s in the intact account: %s/%s, reasons %q", f.UserName, f.Status, f.Decision, f.Reasons)
					}
				default:
					if f.Decision != tables.DecisionReview || !slices.Contains(f.Reasons, want[f.AccountID]) {
						t.Errorf("%s/%s: %s/%s, reasons %q; want review with %q", f.AccountID, f.UserName, f.Status, f.Decision, f.Reasons, want[f.AccountID])
					}
				}
			}
		})
	}
}

// A record without a usable eventTime proves no hour: both local scanners
// skip it (counted in the log files table, which sends the account's
// candidates to review), so it makes no cell. Athena, which cannot count
// skipped records per file, places it at midnight of its file's date
// folder, with no first or last event: a delivery that day, never use.
func TestCoverageCellWithoutEventTime(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "eu-west-1", "2026", "10", "02")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := trailtest.Event("d0d0d0d0-0000-4000-8000-000000000001", "2026-10-02T08:00:00Z", "ec2.amazonaws.com", "DescribeInstances", "eu-west-1", "10.0.0.5",
		trailtest.AssumedRole(trailtest.AcctA, "AROAAPPROLEEXAMPLE001", "app", "i-0abc"), nil)
	delete(r, "eventTime")
	name := filepath.Join(dir, "111111111111_CloudTrail_eu-west-1_20261002T0805Z_NoTime0000000001.json.gz")
	if err := os.WriteFile(name, trailtest.Fixture{Records: []trailtest.Rec{r}}.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	athenaCell := []tables.Coverage{{AccountID: trailtest.AcctA, Region: "eu-west-1", Hour: trailtest.TS("2026-10-02T00:00:00Z"), Events: 1}}
	s := trailtest.NewFake(t, analytics.Config{LogsDir: root, TrailPrefix: "trails/", Tables: []analytics.Table{
		{Name: "cloudtrail_logs", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
	}})
	for name, eng := range map[string]activity.Engine{
		local.ScannerGo:     local.NewLocal(root, local.WithThreads(1), local.WithLogger(trailtest.Quiet()), local.WithScanner(local.ScannerGo)),
		local.ScannerDuckDB: local.NewLocal(root, local.WithThreads(1), local.WithLogger(trailtest.Quiet()), local.WithScanner(local.ScannerDuckDB)),
		"athena":            newTestAthena(t, s, "cloudtrail_logs", nil),
	} {
		if name == local.ScannerDuckDB && !local.DuckDBBuilt {
			continue // built only with -tags duckdb, which scripts/test passes
		}
		res, err := eng.Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := athenaCell
		if name != "athena" {
			want = nil
			if len(res.LogFiles) != 1 || res.LogFiles[0].Skipped != 1 {
				t.Errorf("%s: log files %+v, want the one file with its record skipped", name, res.LogFiles)
			}
		}
		if !slices.Equal(res.Coverage, want) {
			t.Errorf("%s: coverage\n got %+v\nwant %+v", name, res.Coverage, want)
		}
	}
}
