package athena

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/tables"
)

// TestAthenaChecksTrailDigests: with --engine athena, the trail bucket is
// found from the table's location and its digests are checked from S3:
// untouched, the chain and signatures verify, every listed log file exists
// ("listed, exists, not hashed") and bob keeps his decision; deleting a
// listed log object, deleting a digest, or changing a digest is each
// reported with the local engine's rows and issues, and sends bob to review.
func TestAthenaChecksTrailDigests(t *testing.T) {
	const acct, region = "888888888888", "us-east-1"
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	q := activity.Query{Start: start, End: start.AddDate(0, 0, 3)}
	ctx := context.Background()
	bob := tables.User{
		AccountID: acct, UserName: "bob", UserID: "AIDABOB" + acct, ARN: "arn:aws:iam::" + acct + ":user/bob",
		CreateDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), PasswordState: tables.PasswordNA,
		ReportGeneratedAt: q.End.Add(-time.Hour), InCredentialReport: true, InAuthorizationDetails: true,
		Key1Active: true, Key1LastRotated: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		Key1LastUsed: start.AddDate(0, 0, -100), Key1LastUsedRegion: region,
	}
	fopts := findings.DefaultOptions(q.End)
	fopts.WindowDays = 3
	const prefix = "trails/"
	uri := "s3://trail-bucket/" + prefix

	// run uploads a digest trail under a key prefix, lets damage change S3,
	// and runs the Athena engine with the fake's CloudTrail keys.
	run := func(t *testing.T, damage func(s3c *s3.Client, dt *trailtest.DigestTrail, key func(string) string)) (*activity.Result, tables.Finding) {
		t.Helper()
		root := t.TempDir()
		dt := trailtest.WriteDigestTrail(t, root, acct, region, q)
		s := trailtest.NewFake(t, analytics.Config{LogsDir: root, TrailPrefix: prefix, Tables: []analytics.Table{
			{Name: "cloudtrail_logs", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
		}})
		key := func(p string) string {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				t.Fatal(err)
			}
			return prefix + filepath.ToSlash(rel)
		}
		damage(s.S3Client(), dt, key)
		res, err := newTestAthena(t, s, "cloudtrail_logs", func(o *AthenaOptions) { o.PublicKeys = s.CloudTrailClient() }).Run(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Digests == nil || !res.Digests.SignaturesChecked || res.Digests.Note() != local.DigestNoteAthena {
			t.Fatalf("digest report %+v; want signatures checked and the Athena note", res.Digests)
		}
		for _, r := range res.LogFiles {
			if !strings.HasPrefix(r.Path, uri+"AWSLogs/"+acct+"/") || r.Digest != "" && !strings.HasPrefix(r.Digest, uri) {
				t.Errorf("log files row %+v: want paths under %s", r, uri)
			}
		}
		opts := fopts
		opts.DigestProblems, opts.DigestProven = tables.DigestProblems(res.LogFiles), tables.DigestProven(res.LogFiles)
		finds, err := findings.Classify([]tables.User{bob}, res.Activity, res.Coverage, nil, opts)
		if err != nil || len(finds) != 1 {
			t.Fatalf("findings %+v, %v", finds, err)
		}
		return res, finds[0]
	}
	// The hour 2026-09-02T09:00 has a log file, and its digest ends 10:00:31.
	hour := time.Date(2026, 9, 2, 9, 0, 0, 0, time.UTC)
	targetDigest := func(dt *trailtest.DigestTrail) string {
		i := slices.IndexFunc(dt.Digests, func(p string) bool { return strings.Contains(p, "20260902T100031Z") })
		if i < 0 {
			t.Fatalf("no digest delivered at 2026-09-02T10:00:31Z among %q", dt.Digests)
		}
		return dt.Digests[i]
	}
	review := func(t *testing.T, f tables.Finding) {
		t.Helper()
		if f.Decision != tables.DecisionReview || !slices.ContainsFunc(f.Reasons, func(r string) bool {
			return strings.Contains(r, "CloudTrail digests for account "+acct+" in "+region)
		}) {
			t.Errorf("bob: %s/%s, reasons %q; want review naming the digests", f.Status, f.Decision, f.Reasons)
		}
	}
	issue := func(t *testing.T, res *activity.Result, kind, path string) {
		t.Helper()
		if !slices.ContainsFunc(res.Digests.Issues, func(i activity.DigestIssue) bool { return i.Kind == kind && i.Path == path }) {
			t.Errorf("no %q issue for %s among %+v", kind, path, res.Digests.Issues)
		}
	}

	t.Run("untouched", func(t *testing.T) {
		res, f := run(t, func(*s3.Client, *trailtest.DigestTrail, func(string) string) {})
		if len(res.Digests.Issues) != 0 {
			t.Errorf("issues on untouched digests: %+v", res.Digests.Issues)
		}
		logs, digests := 0, 0
		for _, r := range res.LogFiles {
			switch {
			case r.Kind == tables.LogFileKindDigest && r.Verification == tables.VerificationVerified:
				digests++
			case r.Kind == tables.LogFileKindLog && r.Verification == tables.VerificationExists && r.SHA256 == "" && r.Digest != "" && r.Size > 0:
				logs++
			default:
				t.Errorf("row %+v; want digests verified and log files %q, not hashed", r, tables.VerificationExists)
			}
		}
		// Four log files a day over the six days read; a digest an hour
		// over those days and the next.
		if logs != 4*6 || digests != 24*6 {
			t.Errorf("%d log files listed and present, %d digests verified; want 24 and 144", logs, digests)
		}
		if len(res.Digests.Regions) != 1 || !res.Digests.Regions[0].Unbroken || res.Digests.Regions[0].Unhashed != 24 {
			t.Errorf("regions %+v; want one unbroken, with 24 files listed and not hashed", res.Digests.Regions)
		}
		if proven := tables.DigestProven(res.LogFiles); !proven[acct][region] {
			t.Errorf("proven %v; want %s %s", proven, acct, region)
		}
		if f.Decision == tables.DecisionReview {
			t.Errorf("bob: %s/%s, reasons %q; untouched signed digests prove the window", f.Status, f.Decision, f.Reasons)
		}
	})
	t.Run("no S3 client", func(t *testing.T) {
		root := t.TempDir()
		trailtest.WriteDigestTrail(t, root, acct, region, q)
		s := trailtest.NewFake(t, analytics.Config{LogsDir: root, TrailPrefix: prefix})
		a, err := NewAthena(s.AthenaClient(), nil, AthenaOptions{Database: "default", Table: analytics.DefaultTable, OutputLocation: "s3://athena-results/dormant/",
			PollInterval: trailtest.FastPoll, MaxPollInterval: trailtest.FastPollMax, Logger: trailtest.Quiet(), PublicKeys: s.CloudTrailClient()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Run(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// Nothing was checked, so nothing is claimed: coverage is assumed.
		if res.Digests != nil || res.LogFiles != nil || len(res.Activity) == 0 {
			t.Errorf("without S3: digests %+v, %d log files rows, %d activity rows; want no digest evidence and the activity", res.Digests, len(res.LogFiles), len(res.Activity))
		}
	})
	t.Run("listed log file deleted", func(t *testing.T) {
		var gone string
		res, f := run(t, func(s3c *s3.Client, dt *trailtest.DigestTrail, key func(string) string) {
			gone = key(dt.Logs[hour])
			if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(gone)}); err != nil {
				t.Fatal(err)
			}
		})
		issue(t, res, activity.IssueMissing, "s3://trail-bucket/"+gone)
		i := slices.IndexFunc(res.LogFiles, func(r tables.LogFile) bool { return r.Path == "s3://trail-bucket/"+gone })
		if i < 0 || res.LogFiles[i].Verification != tables.VerificationMissing || !res.LogFiles[i].GapStart.Equal(hour) {
			t.Errorf("no %q row from %s for %s in %+v", tables.VerificationMissing, hour, gone, res.LogFiles)
		}
		review(t, f)
	})
	t.Run("digest deleted", func(t *testing.T) {
		var gone, listed string
		res, f := run(t, func(s3c *s3.Client, dt *trailtest.DigestTrail, key func(string) string) {
			gone, listed = key(targetDigest(dt)), key(dt.Logs[hour])
			if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(gone)}); err != nil {
				t.Fatal(err)
			}
		})
		issue(t, res, activity.IssueMissingDigest, "s3://trail-bucket/"+gone)
		// The log file it listed is now unverified: no digest lists it.
		if i := slices.IndexFunc(res.LogFiles, func(r tables.LogFile) bool { return r.Path == "s3://trail-bucket/"+listed }); i < 0 ||
			res.LogFiles[i].Verification != tables.VerificationUnverified {
			t.Errorf("the deleted digest's log file: want %q in %+v", tables.VerificationUnverified, res.LogFiles)
		}
		review(t, f)
	})
	t.Run("digest changed, signature kept", func(t *testing.T) {
		var changed string
		res, f := run(t, func(s3c *s3.Client, dt *trailtest.DigestTrail, key func(string) string) {
			changed = key(targetDigest(dt))
			head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(changed)})
			if err != nil {
				t.Fatal(err)
			}
			text := trailtest.GetDigestText(t, s3c, changed)
			forged := bytes.Replace(text, []byte(`"digestStartTime":"2026-09-02T09:00:31Z"`), []byte(`"digestStartTime":"2026-09-02T09:00:32Z"`), 1)
			if bytes.Equal(forged, text) {
				t.Fatalf("digest %s has no digestStartTime to forge: %s", changed, text)
			}
			trailtest.PutDigest(t, s3c, changed, forged, head.Metadata)
		})
		issue(t, res, activity.IssueBadSignature, "s3://trail-bucket/"+changed)
		issue(t, res, activity.IssueChangedDigest, "s3://trail-bucket/"+changed)
		i := slices.IndexFunc(res.LogFiles, func(r tables.LogFile) bool { return r.Path == "s3://trail-bucket/"+changed })
		if i < 0 || res.LogFiles[i].Verification != tables.VerificationMismatch {
			t.Errorf("no %q row for %s in %+v", tables.VerificationMismatch, changed, res.LogFiles)
		}
		review(t, f)
	})
}

// TestAthenaDigestsOnDemo: the demo organization's signed digests, read
// from the bucket the Athena table names, verify: no issue, every log file a
// digest lists exists, and the findings are those without digest evidence
// (no candidate sent to review by the digests).
func TestAthenaDigestsOnDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a demo organization")
	}
	ctx := context.Background()
	opts := demo.Options{Accounts: 2, Users: 20, Events: 3000, Seed: 5,
		AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), WindowDays: 14, DeleteAfterDays: 365}
	out, err := demo.Generate(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	q := activity.Query{Start: opts.AsOf.AddDate(0, 0, -opts.WindowDays), End: opts.AsOf}
	s := trailtest.NewFake(t, analytics.Config{LogsDir: out.CloudTrail, Tables: []analytics.Table{
		{Name: "cloudtrail_ymd", Partitions: []string{"account", "region", "year", "month", "day"}},
	}})
	res, err := newTestAthena(t, s, "cloudtrail_ymd", func(o *AthenaOptions) { o.PublicKeys = s.CloudTrailClient() }).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digests == nil || !res.Digests.SignaturesChecked || res.Digests.Note() != local.DigestNoteAthena {
		t.Fatalf("digest report %+v; want signatures checked", res.Digests)
	}
	for _, i := range res.Digests.Issues {
		t.Errorf("untouched demo digests: %+v", i)
	}
	logs := 0
	for _, r := range res.LogFiles {
		switch {
		case r.Kind == tables.LogFileKindLog && r.Verification == tables.VerificationExists:
			logs++
		case r.Kind == tables.LogFileKindDigest && r.Verification == tables.VerificationVerified:
		default:
			t.Errorf("untouched demo: row %+v", r)
		}
	}
	if logs == 0 {
		t.Error("no demo log file listed by a digest and found in S3")
	}
	if len(tables.DigestProven(res.LogFiles)) == 0 {
		t.Error("no account's regions proven by the demo's digests")
	}
	inv, err := inventory.LoadFiles(ctx, out.CredentialReports, out.AuthorizationDetails)
	if err != nil {
		t.Fatal(err)
	}
	fopts := findings.DefaultOptions(opts.AsOf)
	fopts.WindowDays, fopts.DeleteAfterDays = opts.WindowDays, opts.DeleteAfterDays
	fopts.DigestProblems, fopts.DigestProven = tables.DigestProblems(res.LogFiles), tables.DigestProven(res.LogFiles)
	finds, err := findings.Classify(inv.Users, res.Activity, res.Coverage, nil, fopts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range finds {
		for _, r := range f.Reasons {
			if strings.Contains(r, "CloudTrail digests for account") {
				t.Errorf("%s %s: %s, reason %q from untouched digests", f.AccountID, f.UserName, f.Decision, r)
			}
		}
	}
}

// TestTrailScopeFromMetadata: the bucket, AWSLogs prefix and any account
// and region come from the table's location (or its projection's template).
func TestTrailScopeFromMetadata(t *testing.T) {
	for _, c := range []struct {
		params map[string]string
		want   local.TrailScope
		err    string
	}{
		{map[string]string{"location": "s3://b/AWSLogs/111111111111/CloudTrail/"}, local.TrailScope{Bucket: "b", Prefix: "AWSLogs/", Account: "111111111111"}, ""},
		{map[string]string{"location": "s3://b/p/q/AWSLogs/111111111111/CloudTrail/eu-west-1"}, local.TrailScope{Bucket: "b", Prefix: "p/q/AWSLogs/", Account: "111111111111", Region: "eu-west-1"}, ""},
		{map[string]string{"location": "s3://b/AWSLogs"}, local.TrailScope{Bucket: "b", Prefix: "AWSLogs/"}, ""},
		{map[string]string{"location": "s3://b/AWSLogs/o-abc123/222222222222/"}, local.TrailScope{Bucket: "b", Prefix: "AWSLogs/", Account: "222222222222"}, ""},
		{map[string]string{"storage.location.template": "s3://b/x/AWSLogs/${account}/CloudTrail/${region}/${timestamp}"}, local.TrailScope{Bucket: "b", Prefix: "x/AWSLogs/"}, ""},
		{map[string]string{"location": "s3://b/copies/cloudtrail/"}, local.TrailScope{}, "no AWSLogs/ folder"},
		{map[string]string{"location": "s3://b/NotAWSLogs/"}, local.TrailScope{}, "no AWSLogs/ folder"},
		{map[string]string{}, local.TrailScope{}, "neither a location"},
		{map[string]string{"location": "https://b/AWSLogs/"}, local.TrailScope{}, "not an S3 URI"},
	} {
		got, err := trailScopeFromMetadata(&athenatypes.TableMetadata{Name: aws.String("t"), Parameters: c.params})
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%v: error %v, want one containing %q", c.params, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%v: %+v, %v; want %+v", c.params, got, err, c.want)
		}
	}
}
