package activity

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/tables"
)

// The demo organization through every engine: Athena (projected and
// year/month/day tables), CloudTrail Lake, and the local engine fed from S3
// give the local engine's activity on the same files, and the same findings.
// Athena and the S3-fed local engine read the same day folders, so their
// coverage is identical too; Lake reads by event time (it has no folders),
// so its coverage is checked against the records of the read days, counted
// here from the files.
func TestDemoThroughEveryEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and scans a demo organization")
	}
	ctx := context.Background()
	opts := demo.Options{Accounts: 4, Users: 60, Events: 40000, Seed: 11,
		AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), WindowDays: 30, DeleteAfterDays: 365}
	out, err := demo.Generate(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	q := Query{Start: opts.AsOf.AddDate(0, 0, -opts.WindowDays), End: opts.AsOf}

	want, err := newTestLocal(out.CloudTrail).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	s := newFake(t, analytics.Config{LogsDir: out.CloudTrail, TrailPrefix: "trails/", Tables: []analytics.Table{
		{Name: "cloudtrail_logs", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
		{Name: "cloudtrail_ymd", Partitions: []string{"account", "region", "year", "month", "day"}},
	}})

	results := map[string]*Result{"local": want}
	for _, table := range []string{"cloudtrail_logs", "cloudtrail_ymd"} {
		got, err := newTestAthena(t, s, table, nil).Run(ctx, q)
		if err != nil {
			t.Fatalf("athena %s: %v", table, err)
		}
		sameTables(t, "athena "+table, got, want)
		results["athena "+table] = got
	}

	fromS3, err := NewS3Local(s.S3Client(), s.TrailURI(), t.TempDir(), SyncOptions{Logger: quiet(), PublicKeys: s.CloudTrailClient()},
		WithThreads(2), WithLogger(quiet())).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// The demo's digests, signed by the fake S3, verify with the fake
	// CloudTrail's key.
	if fromS3.Digests == nil || !fromS3.Digests.SignaturesChecked || fromS3.Digests.Note() != DigestNoteS3 {
		t.Errorf("local from S3: digest report %+v; want signatures checked", fromS3.Digests)
	} else {
		for _, i := range fromS3.Digests.Issues {
			if i.Kind == IssueBadSignature || i.Kind == IssueUnsigned {
				t.Errorf("local from S3: untouched demo digest %s: %s", i.Path, i.Detail)
			}
		}
	}
	sameTables(t, "local from S3", fromS3, want)
	results["local from S3"] = fromS3

	lake, err := newTestLake(t, s, analytics.DefaultEventDataStore).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lake.Activity, want.Activity) {
		t.Error("lake: activity differs")
		diffActivity(t, lake.Activity, want.Activity)
	}
	if oracle := coverageByEventTime(t, out.CloudTrail, q); !reflect.DeepEqual(lake.Coverage, oracle) {
		t.Errorf("lake coverage:\n got %+v\nwant %+v", lake.Coverage, oracle)
	}
	results["lake"] = lake

	// Same findings from every engine's tables.
	inv, err := inventory.LoadFiles(ctx, out.CredentialReports, out.AuthorizationDetails)
	if err != nil {
		t.Fatal(err)
	}
	allow, err := findings.LoadAllowlist(out.Allowlist)
	if err != nil {
		t.Fatal(err)
	}
	fopts := findings.DefaultOptions(opts.AsOf)
	fopts.WindowDays, fopts.DeleteAfterDays, fopts.Allowlist = opts.WindowDays, opts.DeleteAfterDays, allow
	wantFindings, err := findings.Classify(inv.Users, want.Activity, want.Coverage, nil, fopts)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantFindings) < opts.Users {
		t.Fatalf("%d findings for %d users", len(wantFindings), opts.Users)
	}
	for name, res := range results {
		got, err := findings.Classify(inv.Users, res.Activity, res.Coverage, nil, fopts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantFindings) {
			for i := range min(len(got), len(wantFindings)) {
				if !reflect.DeepEqual(got[i], wantFindings[i]) {
					t.Errorf("%s: finding %d:\n got %+v\nwant %+v", name, i, got[i], wantFindings[i])
					break
				}
			}
			t.Errorf("%s: the findings differ from the local engine's", name)
		}
	}
}

var demoLogFile = regexp.MustCompile(`/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/.][^/]*\.json\.gz$`)

// coverageByEventTime counts, from the log files, the records whose event
// time falls in the read days, per recipient account and region: the
// coverage of an engine that reads by event time.
func coverageByEventTime(t *testing.T, root string, q Query) []tables.Coverage {
	t.Helper()
	first, last := q.ReadDays()
	until := last.AddDate(0, 0, 1)
	type key struct {
		account, region string
		hour            time.Time
	}
	cov := map[key]*tables.Coverage{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !demoLogFile.MatchString(filepath.ToSlash(path)) {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		var doc struct {
			Records []struct {
				EventTime          time.Time `json:"eventTime"`
				RecipientAccountID string    `json:"recipientAccountId"`
				AWSRegion          string    `json:"awsRegion"`
			}
		}
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			return err
		}
		for _, r := range doc.Records {
			if r.EventTime.Before(first) || !r.EventTime.Before(until) {
				continue
			}
			k := key{r.RecipientAccountID, r.AWSRegion, r.EventTime.UTC().Truncate(time.Hour)}
			c := cov[k]
			if c == nil {
				c = &tables.Coverage{AccountID: k.account, Region: k.region, Hour: k.hour, FirstEvent: r.EventTime.UTC(), LastEvent: r.EventTime.UTC()}
				cov[k] = c
			}
			if r.EventTime.Before(c.FirstEvent) {
				c.FirstEvent = r.EventTime.UTC()
			}
			if r.EventTime.After(c.LastEvent) {
				c.LastEvent = r.EventTime.UTC()
			}
			c.Events++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]tables.Coverage, 0, len(cov))
	for _, c := range cov {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b tables.Coverage) int {
		if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Region, b.Region); c != 0 {
			return c
		}
		return a.Hour.Compare(b.Hour)
	})
	return out
}
