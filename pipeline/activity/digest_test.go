package activity

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/tables"
)

// digestTrail writes one account and region's logs in the real S3 layout,
// one log file every hour that has a record, and a digest every hour of the
// days read (as CloudTrail does, also for hours without log files), each
// chained to the previous by key and SHA-256 of its decompressed content.
type digestTrail struct {
	root, acct, region, trail string
	logs                      map[time.Time]string // hour -> log file path
	digests                   []string             // in time order
}

func writeDigestTrail(t *testing.T, root, acct, region string, q Query) *digestTrail {
	return writeQuietDigestTrail(t, root, acct, region, q, nil)
}

// writeQuietDigestTrail is writeDigestTrail with no log file in the hours
// quiet reports (their digests list none, as CloudTrail's do).
func writeQuietDigestTrail(t *testing.T, root, acct, region string, q Query, quiet func(time.Time) bool) *digestTrail {
	t.Helper()
	dt := &digestTrail{root: root, acct: acct, region: region, trail: "org-trail", logs: map[time.Time]string{}}
	first, last := q.ReadDays()
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	put := func(key string, data []byte) string {
		p := filepath.Join(root, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var prevKey, prevSum string
	n := 0
	for h := first; h.Before(last.AddDate(0, 0, 1)); h = h.Add(time.Hour) {
		type logRef struct {
			Bucket string `json:"s3Bucket"`
			Object string `json:"s3Object"`
			Hash   string `json:"hashValue"`
			Algo   string `json:"hashAlgorithm"`
		}
		refs := []logRef{}
		if h.Hour()%6 == 3 && (quiet == nil || !quiet(h)) { // a log file four times a day
			n++
			at := h.Add(10 * time.Minute)
			text := fixture{records: []rec{event(fmt.Sprintf("d1d1d1d1-0000-4000-8000-%012d", n), at.Format(time.RFC3339),
				"ec2.amazonaws.com", "DescribeInstances", region, "10.0.0.5", iamUser(acct, "AIDAALICE"+acct, "alice", "AKIAALICE"+acct), nil)}}.content()
			key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_dg%06d.json.gz", acct, region,
				at.Format("2006/01/02"), acct, region, at.Format("20060102T1504Z"), n)
			dt.logs[h] = put(key, gz(text))
			sum := sha256.Sum256(text)
			refs = append(refs, logRef{"trail-bucket", key, hex.EncodeToString(sum[:]), "SHA-256"})
		}
		end := h.Add(time.Hour + 31*time.Second)
		key := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", acct, region,
			end.Format("2006/01/02"), acct, region, dt.trail, region, end.Format("20060102T150405Z"))
		d := map[string]any{
			"awsAccountId": acct, "digestStartTime": h.Add(31 * time.Second).Format(time.RFC3339),
			"digestEndTime": end.Format(time.RFC3339), "digestS3Bucket": "trail-bucket", "digestS3Object": key,
			"digestPublicKeyFingerprint": demo.DigestKeyFingerprint(), "digestSignatureAlgorithm": "SHA256withRSA",
			"previousDigestS3Bucket": nil, "previousDigestS3Object": nil, "previousDigestHashValue": nil,
			"previousDigestHashAlgorithm": nil, "previousDigestSignature": nil, "logFiles": refs,
		}
		if prevKey != "" {
			d["previousDigestS3Bucket"], d["previousDigestS3Object"] = "trail-bucket", prevKey
			d["previousDigestHashValue"], d["previousDigestHashAlgorithm"] = prevSum, "SHA-256"
			d["previousDigestSignature"] = "00"
		}
		text, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		dt.digests = append(dt.digests, put(key, gz(text)))
		sum := sha256.Sum256(text)
		prevKey, prevSum = key, hex.EncodeToString(sum[:])
	}
	return dt
}

// TestDigestsDetectTampering: on digest-bearing logs, each of deleting a log
// file, editing one, deleting a digest and injecting a file no digest lists
// is detected and named; untouched logs verify and their chain is unbroken.
func TestDigestsDetectTampering(t *testing.T) {
	const acct, region = "555555555555", "us-east-1"
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	q := Query{Start: start, End: start.AddDate(0, 0, 3)}
	hour := start.AddDate(0, 0, 1).Add(9 * time.Hour) // a log hour inside the window

	run := func(t *testing.T, damage func(dt *digestTrail)) *Result {
		t.Helper()
		root := t.TempDir()
		dt := writeDigestTrail(t, root, acct, region, q)
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
	count := func(res *Result, v string) int {
		n := 0
		for _, f := range res.LogFiles {
			if f.Verification == v {
				n++
			}
		}
		return n
	}
	issue := func(t *testing.T, res *Result, kind string, wantStart time.Time) DigestIssue {
		t.Helper()
		for _, i := range res.Digests.Issues {
			if i.Kind == kind && i.Start.Equal(wantStart) {
				return i
			}
		}
		t.Fatalf("no %q issue at %s in %+v", kind, wantStart, res.Digests.Issues)
		return DigestIssue{}
	}

	t.Run("untouched", func(t *testing.T) {
		res := run(t, func(*digestTrail) {})
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
		res := run(t, func(dt *digestTrail) { gone = dt.logs[hour]; os.Remove(gone) })
		if count(res, tables.VerificationMissing) != 1 || res.Digests.Regions[0].Missing != 1 {
			// one log file row; no digest row is missing
			t.Fatalf("missing rows: %+v", res.LogFiles)
		}
		i := issue(t, res, IssueMissing, hour)
		if !strings.HasSuffix(gone, filepath.FromSlash(strings.SplitN(i.Path, "AWSLogs/", 2)[1])) || i.Region != region {
			t.Fatalf("issue %+v does not name %s", i, gone)
		}
	})
	t.Run("log file edited", func(t *testing.T) {
		res := run(t, func(dt *digestTrail) {
			p := dt.logs[hour]
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(`{"Records":[]}`))
			zw.Close()
			os.WriteFile(p, b.Bytes(), 0o644)
		})
		if count(res, tables.VerificationMismatch) != 1 || res.Digests.Regions[0].Mismatch != 1 {
			t.Fatalf("mismatch rows: %+v", res.LogFiles)
		}
		issue(t, res, IssueMismatch, hour)
	})
	t.Run("digest deleted", func(t *testing.T) {
		res := run(t, func(dt *digestTrail) {
			for _, d := range dt.digests {
				if strings.Contains(d, hour.Add(time.Hour+31*time.Second).Format("20060102T150405Z")) {
					os.Remove(d)
				}
			}
		})
		if res.Digests.Regions[0].Unbroken {
			t.Fatal("chain with a deleted digest reported unbroken")
		}
		i := issue(t, res, IssueMissingDigest, hour)
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
		res := run(t, func(dt *digestTrail) {
			p := dt.digests[24*2+9] // 2026-09-02 09:00, inside the window
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
			found = found || i.Kind == IssueChangedDigest
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
			res := run(t, func(dt *digestTrail) {
				for _, d := range dt.digests {
					if ts := strings.TrimSuffix(d[strings.LastIndexByte(d, '_')+1:], ".json.gz"); ts > q.End.Add(-tc.lag).Format("20060102T150405Z") {
						os.Remove(d)
					}
				}
			})
			n := 0
			for _, i := range res.Digests.Issues {
				if i.Kind == IssueNoDigest {
					n++
				}
			}
			if n != tc.want {
				t.Errorf("digests missing for the last %s: %d window-edge issues, want %d: %+v", tc.lag, n, tc.want, res.Digests.Issues)
			}
		}
	})
	t.Run("file injected", func(t *testing.T) {
		res := run(t, func(dt *digestTrail) {
			p := filepath.Join(filepath.Dir(dt.logs[hour]), acct+"_CloudTrail_"+region+"_20260902T0955Z_injected.json.gz")
			os.WriteFile(p, fixture{records: []rec{}}.bytes(), 0o644)
		})
		if count(res, tables.VerificationUnverified) != 1 || res.Digests.Regions[0].Unverified != 1 {
			t.Fatalf("unverified rows: %+v", res.LogFiles)
		}
		if !res.Digests.Regions[0].Unbroken {
			t.Fatal("an injected file broke the chain")
		}
	})
	t.Run("all logs deleted", func(t *testing.T) {
		res := run(t, func(dt *digestTrail) {
			for _, p := range dt.logs {
				os.Remove(p)
			}
		})
		if got := res.Digests.Regions[0].Missing; got != len(logRows(res)) || got == 0 {
			t.Fatalf("missing %d, rows %d", got, len(logRows(res)))
		}
	})
}

func logRows(res *Result) []tables.LogFile {
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
	q := Query{Start: start, End: start.AddDate(0, 0, 3)}
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
	classify := func(t *testing.T, damage func(dt *digestTrail)) tables.Finding {
		t.Helper()
		root := t.TempDir()
		dt := writeQuietDigestTrail(t, root, acct, region, q, func(h time.Time) bool { return day(h).Equal(quietDay) })
		damage(dt)
		res, err := NewLocal(root, WithLogger(quiet())).Run(context.Background(), q)
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
		f := classify(t, func(*digestTrail) {})
		if f.Decision == tables.DecisionReview {
			t.Fatalf("bob: %s/%s, reasons %q; the digests prove the quiet day empty", f.Status, f.Decision, f.Reasons)
		}
	})
	t.Run("quiet day without digests is a gap", func(t *testing.T) {
		f := classify(t, func(dt *digestTrail) {
			for _, d := range dt.digests {
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
		f := classify(t, func(dt *digestTrail) { os.Remove(dt.logs[hour]) })
		want := "CloudTrail digests for account " + acct + " in " + region + ", 2026-09-03T15:00Z..2026-09-03T17:00Z: log file listed by its digest is missing"
		if f.Decision != tables.DecisionReview || !slices.ContainsFunc(f.Reasons, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Fatalf("bob: %s/%s, reasons %q; want review with %q", f.Status, f.Decision, f.Reasons, want)
		}
	})
}
