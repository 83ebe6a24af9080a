package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/tables"
)

// TestDigestsDetectTampering: on digest-bearing logs, each of deleting a log
// file, editing one, deleting a digest and injecting a file no digest lists
// is detected and named; untouched logs verify and their chain is unbroken.
func TestDigestsDetectTampering(t *testing.T) {
	const acct, region = "555555555555", "us-east-1"
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	q := activity.Query{Start: start, End: start.AddDate(0, 0, 3)}
	hour := start.AddDate(0, 0, 1).Add(9 * time.Hour) // a log hour inside the window

	run := func(t *testing.T, damage func(dt *trailtest.DigestTrail)) *activity.Result {
		t.Helper()
		root := t.TempDir()
		dt := trailtest.WriteDigestTrail(t, root, acct, region, q)
		damage(dt)
		res, err := NewLocal(root).Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Digests == nil || len(res.Digests.Regions) != 1 {
			t.Fatalf("digest report = %+v, want one region", res.Digests)
		}
		return res
	}
	count := func(res *activity.Result, v string) int {
		n := 0
		for _, f := range res.LogFiles {
			if f.Verification == v {
				n++
			}
		}
		return n
	}
	issue := func(t *testing.T, res *activity.Result, kind string, wantStart time.Time) activity.DigestIssue {
		t.Helper()
		for _, i := range res.Digests.Issues {
			if i.Kind == kind && i.Start.Equal(wantStart) {
				return i
			}
		}
		t.Fatalf("no %q issue at %s in %+v", kind, wantStart, res.Digests.Issues)
		return activity.DigestIssue{}
	}

	t.Run("untouched", func(t *testing.T) {
		res := run(t, func(*trailtest.DigestTrail) {})
		r := res.Digests.Regions[0]
		if !r.Unbroken || r.Missing+r.Mismatch+r.Unverified != 0 || len(res.Digests.Issues) != 0 {
			t.Fatalf("untouched trail: %+v, issues %+v", r, res.Digests.Issues)
		}
		if got, want := count(res, tables.VerificationVerified), len(res.LogFiles); got != want || got == 0 {
			// log files and digests alike
			t.Fatalf("verified %d of %d files", got, want)
		}
		if !tables.DigestProven(res.LogFiles)[acct][region] || len(tables.DigestProblems(res.LogFiles)) != 0 {
			t.Fatal("untouched region not proven by its digests")
		}
		for _, f := range res.LogFiles {
			if len(f.SHA256) != 64 || f.Digest == "" {
				t.Fatalf("row without hash or digest: %+v", f)
			}
		}
	})
	t.Run("log file deleted", func(t *testing.T) {
		var gone string
		res := run(t, func(dt *trailtest.DigestTrail) { gone = dt.Logs[hour]; os.Remove(gone) })
		if count(res, tables.VerificationMissing) != 1 || res.Digests.Regions[0].Missing != 1 {
			// one log file row; no digest row is missing
			t.Fatalf("missing rows: %+v", res.LogFiles)
		}
		i := issue(t, res, activity.IssueMissing, hour)
		if !strings.HasSuffix(gone, filepath.FromSlash(strings.SplitN(i.Path, "AWSLogs/", 2)[1])) || i.Region != region {
			t.Fatalf("issue %+v does not name %s", i, gone)
		}
	})
	t.Run("log file edited", func(t *testing.T) {
		res := run(t, func(dt *trailtest.DigestTrail) {
			p := dt.Logs[hour]
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(`{"Records":[]}`))
			zw.Close()
			os.WriteFile(p, b.Bytes(), 0o644)
		})
		if count(res, tables.VerificationMismatch) != 1 || res.Digests.Regions[0].Mismatch != 1 {
			t.Fatalf("mismatch rows: %+v", res.LogFiles)
		}
		issue(t, res, activity.IssueMismatch, hour)
	})
	t.Run("digest deleted", func(t *testing.T) {
		res := run(t, func(dt *trailtest.DigestTrail) {
			for _, d := range dt.Digests {
				if strings.Contains(d, hour.Add(time.Hour+31*time.Second).Format("20060102T150405Z")) {
					os.Remove(d)
				}
			}
		})
		if res.Digests.Regions[0].Unbroken {
			t.Fatal("chain with a deleted digest reported unbroken")
		}
		i := issue(t, res, activity.IssueMissingDigest, hour)
		// The digest covered 09:00:31-10:00:31: both hours it touches are unproven.
		if !i.End.Equal(hour.Add(2*time.Hour)) || !strings.Contains(i.Detail, "missing") {
			t.Fatalf("chain break %+v, want the hour %s", i, hour)
		}
		probs := tables.DigestProblems(res.LogFiles)[acct]
		if len(probs) != 1 || !strings.Contains(probs[0], "us-east-1, 2026-09-02T09:00Z..2026-09-02T11:00Z: digest file is missing") {
			t.Fatalf("review reasons %q", probs)
		}
		if tables.DigestProven(res.LogFiles)[acct][region] {
			t.Fatal("region proven despite a missing digest")
		}
		// The deleted digest's log file is now vouched for by no digest.
		if count(res, tables.VerificationUnverified) != 1 {
			t.Fatalf("unverified rows: %+v", res.LogFiles)
		}
	})
	t.Run("digest edited", func(t *testing.T) {
		res := run(t, func(dt *trailtest.DigestTrail) {
			p := dt.Digests[24*2+9] // 2026-09-02 09:00, inside the window
			raw, _ := os.ReadFile(p)
			zr, _ := gzip.NewReader(bytes.NewReader(raw))
			var d map[string]any
			json.NewDecoder(zr).Decode(&d)
			d["logFiles"] = []any{}
			text, _ := json.Marshal(d)
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(text)
			zw.Close()
			os.WriteFile(p, b.Bytes(), 0o644)
		})
		found := false
		for _, i := range res.Digests.Issues {
			found = found || i.Kind == activity.IssueChangedDigest
		}
		if !found || res.Digests.Regions[0].Unbroken {
			t.Fatalf("edited digest not reported: %+v", res.Digests.Issues)
		}
	})
	t.Run("newest digests not yet delivered", func(t *testing.T) {
		// A run at "now" finds the last hour's digest not yet written:
		// like the records, the chain must reach 24 hours before the as-of.
		for _, tc := range []struct {
			lag  time.Duration
			want int
		}{{2 * time.Hour, 0}, {30 * time.Hour, 1}} {
			res := run(t, func(dt *trailtest.DigestTrail) {
				for _, d := range dt.Digests {
					if ts := strings.TrimSuffix(d[strings.LastIndexByte(d, '_')+1:], ".json.gz"); ts > q.End.Add(-tc.lag).Format("20060102T150405Z") {
						os.Remove(d)
					}
				}
			})
			n := 0
			for _, i := range res.Digests.Issues {
				if i.Kind == activity.IssueNoDigest {
					n++
				}
			}
			if n != tc.want {
				t.Errorf("digests missing for the last %s: %d window-edge issues, want %d: %+v", tc.lag, n, tc.want, res.Digests.Issues)
			}
		}
	})
	t.Run("file injected", func(t *testing.T) {
		res := run(t, func(dt *trailtest.DigestTrail) {
			p := filepath.Join(filepath.Dir(dt.Logs[hour]), acct+"_CloudTrail_"+region+"_20260902T0955Z_injected.json.gz")
			os.WriteFile(p, trailtest.Fixture{Records: []trailtest.Rec{}}.Bytes(), 0o644)
		})
		if count(res, tables.VerificationUnverified) != 1 || res.Digests.Regions[0].Unverified != 1 {
			t.Fatalf("unverified rows: %+v", res.LogFiles)
		}
		if !res.Digests.Regions[0].Unbroken {
			t.Fatal("an injected file broke the chain")
		}
	})
	t.Run("all logs deleted", func(t *testing.T) {
		res := run(t, func(dt *trailtest.DigestTrail) {
			for _, p := range dt.Logs {
				os.Remove(p)
			}
		})
		if got := res.Digests.Regions[0].Missing; got != len(logRows(res)) || got == 0 {
			t.Fatalf("missing %d, rows %d", got, len(logRows(res)))
		}
	})
}

func logRows(res *activity.Result) []tables.LogFile {
	var out []tables.LogFile
	for _, f := range res.LogFiles {
		if f.Kind == tables.LogFileKindLog {
			out = append(out, f)
		}
	}
	return out
}

// The findings see the digests through the log files table: a deleted log
// file sends the account's removal candidate to review naming the region and
// hours; a day without log files is a coverage gap unless an unbroken digest
// chain proves it empty.
func TestDigestFindings(t *testing.T) {
	const acct, region = "666666666666", "us-east-1"
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	q := activity.Query{Start: start, End: start.AddDate(0, 0, 3)}
	quietDay := start.AddDate(0, 0, 1)
	bob := tables.User{
		AccountID: acct, UserName: "bob", UserID: "AIDABOB" + acct, ARN: "arn:aws:iam::" + acct + ":user/bob",
		CreateDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), PasswordState: tables.PasswordNA,
		ReportGeneratedAt: q.End.Add(-time.Hour), InCredentialReport: true, InAuthorizationDetails: true,
		Key1Active: true, Key1LastRotated: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		Key1LastUsed: start.AddDate(0, 0, -100), Key1LastUsedRegion: region,
	}
	fopts := findings.DefaultOptions(q.End)
	fopts.WindowDays = 3
	classify := func(t *testing.T, damage func(dt *trailtest.DigestTrail)) tables.Finding {
		t.Helper()
		root := t.TempDir()
		dt := trailtest.WriteQuietDigestTrail(t, root, acct, region, q, func(h time.Time) bool { return day(h).Equal(quietDay) })
		damage(dt)
		res, err := NewLocal(root, WithLogger(trailtest.Quiet())).Run(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		opts := fopts
		opts.DigestProblems, opts.DigestProven = tables.DigestProblems(res.LogFiles), tables.DigestProven(res.LogFiles)
		finds, err := findings.Classify([]tables.User{bob}, res.Activity, res.Coverage, nil, opts)
		if err != nil || len(finds) != 1 {
			t.Fatalf("findings %+v, %v", finds, err)
		}
		return finds[0]
	}

	t.Run("quiet day proven by the chain", func(t *testing.T) {
		f := classify(t, func(*trailtest.DigestTrail) {})
		if f.Decision == tables.DecisionReview {
			t.Fatalf("bob: %s/%s, reasons %q; the digests prove the quiet day empty", f.Status, f.Decision, f.Reasons)
		}
	})
	t.Run("quiet day without digests is a gap", func(t *testing.T) {
		f := classify(t, func(dt *trailtest.DigestTrail) {
			for _, d := range dt.Digests {
				os.Remove(d)
			}
		})
		if f.Decision != tables.DecisionReview || !slices.ContainsFunc(f.Reasons, func(r string) bool {
			return strings.Contains(r, "trail coverage gap for account "+acct+" in "+region+": 2026-09-02")
		}) {
			t.Fatalf("bob: %s/%s, reasons %q", f.Status, f.Decision, f.Reasons)
		}
	})
	t.Run("deleted log file", func(t *testing.T) {
		hour := start.AddDate(0, 0, 2).Add(15 * time.Hour)
		f := classify(t, func(dt *trailtest.DigestTrail) { os.Remove(dt.Logs[hour]) })
		want := "CloudTrail digests for account " + acct + " in " + region + ", 2026-09-03T15:00Z..2026-09-03T17:00Z: log file listed by its digest is missing"
		if f.Decision != tables.DecisionReview || !slices.ContainsFunc(f.Reasons, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Fatalf("bob: %s/%s, reasons %q; want review with %q", f.Status, f.Decision, f.Reasons, want)
		}
	})
}

// TestDigestChainPauseIsAGap: a digest that names its predecessor correctly,
// but starts hours after it ended, leaves the hours between unproven.
func TestDigestChainPauseIsAGap(t *testing.T) {
	const acct, region = "555555555555", "us-east-1"
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	q := activity.Query{Start: start, End: start.AddDate(0, 0, 3)}
	pauseFrom, pauseTo := start.AddDate(0, 0, 1).Add(8*time.Hour), start.AddDate(0, 0, 1).Add(14*time.Hour)
	root := t.TempDir()
	trailtest.WritePausedDigestTrail(t, root, acct, region, q, nil, func(h time.Time) bool {
		return !h.Before(pauseFrom) && h.Before(pauseTo)
	})
	res, err := NewLocal(root).Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, i := range res.Digests.Issues {
		if i.Kind == activity.IssueChainBreak && !i.Start.After(pauseFrom) && !i.End.Before(pauseTo) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no chain break over %s..%s in %+v", pauseFrom, pauseTo, res.Digests.Issues)
	}
	if res.Digests.Regions[0].Unbroken || tables.DigestProven(res.LogFiles)[acct][region] {
		t.Fatal("a region whose digests pause for six hours is proven")
	}
	if len(tables.DigestProblems(res.LogFiles)) == 0 {
		t.Fatal("the pause is not a review reason")
	}
}
