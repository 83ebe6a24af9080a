package findings_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/tables"
)

// Attacks on digest-proven coverage, from log files on disk through the
// local engine to the findings, as a run makes them: logs and digests
// damaged so that a user in use would look unused. Each must send the
// account's candidates to review.

const (
	atkAcct = "111111111111"
	atkHome = "us-east-1"
)

var (
	atkAsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // a run at midnight
	atkDays = 10
)

// atkTrail writes a trail's log files and, when it validates, its hourly
// digests, in CloudTrail's S3 layout under root.
type atkTrail struct {
	t                 *testing.T
	root, name, home  string
	validated         bool
	files             map[string][]atkLog // region -> log files in delivery order
	n                 int
	digestFrom, until time.Time
	// pause: no digest for the hours from pause[0] to pause[1], the next
	// one still naming the last before as its previous (a linked chain
	// across hours it does not cover).
	pause [2]time.Time
}

type atkLog struct {
	key  string
	at   time.Time // delivery time (the name's)
	text []byte
}

func newAtkTrail(t *testing.T, root, name string, validated bool) *atkTrail {
	q := atkQuery()
	first, _ := q.ReadDays()
	return &atkTrail{t: t, root: root, name: name, home: atkHome, validated: validated, files: map[string][]atkLog{},
		digestFrom: first, until: atkAsOf}
}

func atkQuery() activity.Query {
	return activity.Query{Start: atkAsOf.AddDate(0, 0, -atkDays), End: atkAsOf}
}

func atkGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func (tr *atkTrail) put(key string, data []byte) string {
	tr.t.Helper()
	p := filepath.Join(tr.root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tr.t.Fatal(err)
	}
	return p
}

// log delivers one file in region holding one call by user at eventAt,
// delivered five minutes later; it returns the file's path.
func (tr *atkTrail) log(region, user string, eventAt time.Time) string {
	tr.t.Helper()
	tr.n++
	at := eventAt.Add(5 * time.Minute)
	rec := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": atkUserID(user), "arn": "arn:aws:iam::" + atkAcct + ":user/" + user,
			"accountId": atkAcct, "accessKeyId": "AKIA" + strings.ToUpper(user) + "0000000", "userName": user},
		"eventTime": eventAt.Format(time.RFC3339), "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
		"awsRegion": region, "sourceIPAddress": "10.0.0.5", "userAgent": "aws-cli/2", "requestParameters": nil, "responseElements": nil,
		"requestID": fmt.Sprintf("req-%s-%d", tr.name, tr.n), "eventID": fmt.Sprintf("a0a0a0a0-0000-4000-8000-%012d", len(tr.name)*100000+tr.n),
		"readOnly": true, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": atkAcct, "eventCategory": "Management",
	}
	text, err := json.Marshal(map[string]any{"Records": []any{rec}})
	if err != nil {
		tr.t.Fatal(err)
	}
	key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s%010d.json.gz", atkAcct, region, at.Format("2006/01/02"),
		atkAcct, region, at.Format("20060102T1504Z"), tr.name[:1], tr.n)
	tr.files[region] = append(tr.files[region], atkLog{key: key, at: at, text: text})
	return tr.put(key, atkGzip(text))
}

// digests writes the trail's digests for region, one an hour from
// digestFrom to until, each listing the files delivered in its hour and
// chained to the previous one, as CloudTrail does.
func (tr *atkTrail) digests(region string) {
	tr.t.Helper()
	if !tr.validated {
		return
	}
	var prevKey, prevSum string
	for h := tr.digestFrom; h.Before(tr.until); h = h.Add(time.Hour) {
		if !h.Before(tr.pause[0]) && h.Before(tr.pause[1]) {
			continue
		}
		start, end := h.Add(31*time.Second), h.Add(time.Hour+31*time.Second)
		refs := []map[string]string{}
		for _, f := range tr.files[region] {
			if !f.at.Before(start) && f.at.Before(end) {
				sum := sha256.Sum256(f.text)
				refs = append(refs, map[string]string{"s3Bucket": "trail-bucket", "s3Object": f.key, "hashValue": hex.EncodeToString(sum[:]), "hashAlgorithm": "SHA-256"})
			}
		}
		key := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", atkAcct, region,
			end.Format("2006/01/02"), atkAcct, region, tr.name, tr.home, end.Format("20060102T150405Z"))
		d := map[string]any{
			"awsAccountId": atkAcct, "digestStartTime": start.Format(time.RFC3339), "digestEndTime": end.Format(time.RFC3339),
			"digestS3Bucket": "trail-bucket", "digestS3Object": key, "digestPublicKeyFingerprint": "00", "digestSignatureAlgorithm": "SHA256withRSA",
			"previousDigestS3Bucket": nil, "previousDigestS3Object": nil, "previousDigestHashValue": nil,
			"previousDigestHashAlgorithm": nil, "previousDigestSignature": nil, "logFiles": refs,
		}
		if prevKey != "" {
			d["previousDigestS3Bucket"], d["previousDigestS3Object"] = "trail-bucket", prevKey
			d["previousDigestHashValue"], d["previousDigestHashAlgorithm"], d["previousDigestSignature"] = prevSum, "SHA-256", "00"
		}
		text, err := json.Marshal(d)
		if err != nil {
			tr.t.Fatal(err)
		}
		tr.put(key, atkGzip(text))
		sum := sha256.Sum256(text)
		prevKey, prevSum = key, hex.EncodeToString(sum[:])
	}
}

func atkUserID(name string) string {
	return "AIDA" + strings.ToUpper(name) + strings.Repeat("0", 16-len(name))
}

// atkUser is a user whose fresh credential report shows its one key last
// used 200 days ago: inactive unless the logs show use in the window.
func atkUser(name string) tables.User {
	return tables.User{
		AccountID: atkAcct, UserName: name, UserID: atkUserID(name), ARN: "arn:aws:iam::" + atkAcct + ":user/" + name, Path: "/",
		CreateDate:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		PasswordState: tables.PasswordNA, ReportGeneratedAt: atkAsOf.Add(-time.Hour),
		InCredentialReport: true, InAuthorizationDetails: true, CredentialReportGiven: true, AuthorizationDetailsGiven: true,
		Key1Active: true, Key1LastRotated: atkAsOf.AddDate(-2, 0, 0), Key1LastUsed: atkAsOf.AddDate(0, 0, -200), Key1LastUsedRegion: atkHome,
	}
}

// atkClassify runs the local engine over root, with each scanner (or only
// those given), and classifies alice as a run does (pipeline's
// classifyOptions), returning her finding; the scanners must agree.
func atkClassify(t *testing.T, root string, scanners ...string) tables.Finding {
	t.Helper()
	if len(scanners) == 0 {
		scanners = local.Scanners()
	}
	var out []tables.Finding
	for _, sc := range scanners {
		res, err := local.NewLocal(root, local.WithScanner(sc), local.WithLogger(slog.New(slog.DiscardHandler))).Run(context.Background(), atkQuery())
		if err != nil {
			t.Fatalf("scanner %s: %v", sc, err)
		}
		opts := findings.DefaultOptions(atkAsOf)
		opts.WindowDays = atkDays
		opts.SkippedRecords = tables.SkippedByAccount(res.LogFiles)
		opts.DigestProblems, opts.DigestProven = tables.DigestProblems(res.LogFiles), tables.DigestProven(res.LogFiles)
		got, err := findings.Classify([]tables.User{atkUser("alice")}, res.Activity, res.Coverage, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("scanner %s: %d findings, want alice's", sc, len(got))
		}
		if len(out) > 0 && (got[0].Decision != out[0].Decision || !slices.Equal(got[0].Reasons, out[0].Reasons)) {
			t.Errorf("scanner %s: alice is %s with %q; scanner %s: %s with %q", sc, got[0].Decision, got[0].Reasons,
				scanners[0], out[0].Decision, out[0].Reasons)
		}
		out = append(out, got[0])
	}
	return out[0]
}

func isRemoval(f tables.Finding) bool {
	return f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate
}

// everyDay delivers bob's call in region at hour h of every day read up to
// the as-of, so that the day-by-day coverage rule is met in that region.
func (tr *atkTrail) everyDay(region string, h int, skip func(day time.Time) bool) {
	first, _ := atkQuery().ReadDays()
	for d := first; d.Before(atkAsOf); d = d.AddDate(0, 0, 1) {
		if skip == nil || !skip(d) {
			tr.log(region, "bob", d.Add(time.Duration(h)*time.Hour+10*time.Minute))
		}
	}
}

// Two trails write to one bucket and region: "audit" validates its logs
// (and is quiet for three days), "mgmt" does not. Deleting mgmt's files of
// those three days, alice's use among them, leaves the region without a
// record for three days; audit's unbroken digest chain proves its own
// files complete, not mgmt's, so the gap must still send alice to review.
func TestAttackOtherTrailsDigestsDoNotProveARegion(t *testing.T) {
	quiet := func(d time.Time) bool {
		return !d.Before(time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)) && d.Before(time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC))
	}
	build := func(t *testing.T, damaged bool) string {
		root := t.TempDir()
		audit, mgmt := newAtkTrail(t, root, "audit", true), newAtkTrail(t, root, "mgmt", false)
		audit.everyDay(atkHome, 3, quiet)
		mgmt.everyDay(atkHome, 12, func(d time.Time) bool { return damaged && quiet(d) })
		if !damaged {
			mgmt.log(atkHome, "alice", time.Date(2026, 10, 27, 14, 0, 0, 0, time.UTC))
		}
		audit.digests(atkHome)
		return root
	}
	if f := atkClassify(t, build(t, false), local.ScannerGo); f.Status != tables.StatusActive {
		t.Fatalf("intact logs: alice is %s/%s, want active: %q", f.Status, f.Decision, f.Reasons)
	}
	f := atkClassify(t, build(t, true))
	if isRemoval(f) {
		t.Fatalf("mgmt's logs of 2026-10-26..28 deleted: alice is %s/%s on audit's digests, want review: %q", f.Status, f.Decision, f.Reasons)
	}
	if want := "trail coverage gap for account 111111111111 in us-east-1: 2026-10-26..2026-10-28 (3 days)"; !slices.Contains(f.Reasons, want) {
		t.Errorf("reasons %q do not name the gap %q", f.Reasons, want)
	}
}

// One multi-region trail validates its logs in us-east-1 and eu-west-1.
// Deleting eu-west-1's whole digest folder and then the one file holding
// alice's call there must not turn the region into an unvalidated one
// whose remaining daily files satisfy the day-by-day rule.
func TestAttackDeletedRegionDigestsAreAGap(t *testing.T) {
	const west = "eu-west-1"
	build := func(t *testing.T, damaged bool) string {
		root := t.TempDir()
		tr := newAtkTrail(t, root, "main", true)
		tr.everyDay(atkHome, 3, nil)
		tr.everyDay(west, 4, nil)
		alice := tr.log(west, "alice", time.Date(2026, 10, 27, 14, 0, 0, 0, time.UTC))
		tr.digests(atkHome)
		tr.digests(west)
		if damaged {
			if err := os.RemoveAll(filepath.Join(root, "AWSLogs", atkAcct, "CloudTrail-Digest", west)); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(alice); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	if f := atkClassify(t, build(t, false), local.ScannerGo); f.Status != tables.StatusActive {
		t.Fatalf("intact logs: alice is %s/%s, want active: %q", f.Status, f.Decision, f.Reasons)
	}
	f := atkClassify(t, build(t, true))
	if isRemoval(f) {
		t.Fatalf("eu-west-1's digests and alice's file deleted: alice is %s/%s, want review: %q", f.Status, f.Decision, f.Reasons)
	}
	if !slices.ContainsFunc(f.Reasons, func(r string) bool { return strings.Contains(r, west) && strings.Contains(r, "digest") }) {
		t.Errorf("reasons %q do not say eu-west-1's digests are missing", f.Reasons)
	}
}

// Attacks the digests already catch, kept so that they stay caught: in
// each, alice's one call (2026-10-27) is deleted and the digests are left
// or cut so as to hide it.
func TestAttackDigestChainsHoldTheirHours(t *testing.T) {
	aliceAt := time.Date(2026, 10, 27, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		build func(t *testing.T, root string) (alice string)
		want  string // a reason that must be among alice's
	}{
		{
			// Stopped before the days read, there would be no digest to read:
			// the run says coverage is assumed, as for a trail without them.
			name: "validation stopped on the lead-in day, logging went on",
			build: func(t *testing.T, root string) string {
				tr := newAtkTrail(t, root, "main", true)
				tr.everyDay(atkHome, 3, nil)
				alice := tr.log(atkHome, "alice", aliceAt)
				tr.until = atkQuery().Start.Add(-10 * time.Hour)
				tr.digests(atkHome)
				return alice
			},
			want: "digest chain does not cover these hours",
		},
		{
			name: "one trail's chain cut at alice's hour while another trail's goes on",
			build: func(t *testing.T, root string) string {
				x, y := newAtkTrail(t, root, "x", true), newAtkTrail(t, root, "y", true)
				x.everyDay(atkHome, 3, nil)
				y.everyDay(atkHome, 5, nil)
				alice := x.log(atkHome, "alice", aliceAt)
				x.until = aliceAt.Truncate(time.Hour)
				x.digests(atkHome)
				y.digests(atkHome)
				return alice
			},
			want: "digest chain does not cover these hours",
		},
		{
			name: "the digest listing alice's file deleted with it",
			build: func(t *testing.T, root string) string {
				tr := newAtkTrail(t, root, "main", true)
				tr.everyDay(atkHome, 3, nil)
				alice := tr.log(atkHome, "alice", aliceAt)
				tr.digests(atkHome)
				end := aliceAt.Add(5 * time.Minute).Truncate(time.Hour).Add(time.Hour + 31*time.Second)
				d := filepath.Join(root, "AWSLogs", atkAcct, "CloudTrail-Digest", atkHome, end.Format("2006/01/02"),
					atkAcct+"_CloudTrail-Digest_"+atkHome+"_main_"+atkHome+"_"+end.Format("20060102T150405Z")+".json.gz")
				if err := os.Remove(d); err != nil {
					t.Fatal(err)
				}
				return alice
			},
			want: "digest file is missing from the chain",
		},
		{
			name: "digests only for the first half of the window in the region",
			build: func(t *testing.T, root string) string {
				tr := newAtkTrail(t, root, "main", true)
				tr.everyDay(atkHome, 3, nil)
				alice := tr.log(atkHome, "alice", aliceAt)
				tr.until = time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)
				tr.digests(atkHome)
				return alice
			},
			want: "digest chain does not cover these hours",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			alice := tt.build(t, root)
			if err := os.Remove(alice); err != nil {
				t.Fatal(err)
			}
			// The Go scanner only: the chain is checked on rows both build alike.
			f := atkClassify(t, root, local.ScannerGo)
			if isRemoval(f) || !slices.ContainsFunc(f.Reasons, func(r string) bool { return strings.Contains(r, tt.want) }) {
				t.Fatalf("alice is %s/%s, want review naming %q: %q", f.Status, f.Decision, tt.want, f.Reasons)
			}
		})
	}
}

// A chain whose next digest names the previous one as it should, but three
// days later, vouches for none of the hours between (logging stopped, or
// digests removed and the chain relinked): they are not proven empty, and
// the days without a record there are a gap. alice's call, made then, was
// never logged.
func TestAttackLinkedChainAcrossAPause(t *testing.T) {
	root := t.TempDir()
	tr := newAtkTrail(t, root, "main", true)
	from, to := time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC)
	tr.everyDay(atkHome, 3, func(d time.Time) bool { return !d.Before(from) && d.Before(to) })
	tr.pause = [2]time.Time{from, to}
	tr.digests(atkHome)
	f := atkClassify(t, root)
	if want := "trail coverage gap for account 111111111111 in us-east-1: 2026-10-26..2026-10-28 (3 days)"; isRemoval(f) || !slices.Contains(f.Reasons, want) {
		t.Fatalf("alice is %s/%s, want review naming %q: %q", f.Status, f.Decision, want, f.Reasons)
	}
}
