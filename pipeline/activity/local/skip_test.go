package local

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 13 item 13: each odd record or file, in a real gzipped log file in
// the trail's S3 layout, gives the same stated outcome on both scanners.

const skipUser = `"userIdentity":{"type":"IAMUser","principalId":"AIDASKIPUSER000000001","arn":"arn:aws:iam::111111111111:user/skip",` +
	`"accountId":"111111111111","accessKeyId":"AKIASKIPUSERKEY00001","userName":"skip"}`

// skipRecord is a management event of the skip user at the given time
// field (the whole "eventTime":... member, or empty for none).
func skipRecord(id, timeField, identity string) string {
	s := `{"eventVersion":"1.09","eventID":"` + id + `","eventSource":"iam.amazonaws.com","eventName":"ListUsers",` +
		`"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","recipientAccountId":"111111111111","eventType":"AwsApiCall"`
	if timeField != "" {
		s += "," + timeField
	}
	if identity != "" {
		s += "," + identity
	}
	return s + "}"
}

func TestScannersSkipRecordsAndCountThem(t *testing.T) {
	good := skipRecord("00000000-0000-4000-8000-00000000a001", `"eventTime":"2026-10-01T09:00:00Z"`, skipUser)
	tests := []struct {
		name    string
		records []string
		skipped int64
		reasons string
		users   int // activity rows
	}{
		{"null eventTime", []string{good, skipRecord("00000000-0000-4000-8000-00000000a002", `"eventTime":null`, skipUser)},
			1, tables.SkipNoEventTime + ": 1", 1},
		{"missing eventTime", []string{good, skipRecord("00000000-0000-4000-8000-00000000a002", "", skipUser)},
			1, tables.SkipNoEventTime + ": 1", 1},
		{"malformed eventTime", []string{good,
			skipRecord("00000000-0000-4000-8000-00000000a002", `"eventTime":"yesterday"`, skipUser),
			skipRecord("00000000-0000-4000-8000-00000000a003", `"eventTime":5`, skipUser),
			skipRecord("00000000-0000-4000-8000-00000000a004", `"eventTime":"2026-10-01t09:00:00z"`, skipUser)},
			3, tables.SkipBadEventTime + ": 3", 1},
		{"missing userIdentity", []string{good,
			skipRecord("00000000-0000-4000-8000-00000000a002", `"eventTime":"2026-10-01T09:30:00Z"`, ""),
			skipRecord("00000000-0000-4000-8000-00000000a003", `"eventTime":"2026-10-01T09:31:00Z"`, `"userIdentity":null`)},
			2, tables.SkipNoUserIdentity + ": 2", 1},
		{"null record", []string{good, `null`}, 1, tables.SkipNullRecord + ": 1", 1},
		{"every reason", []string{`null`, skipRecord("b", `"eventTime":null`, skipUser), skipRecord("c", `"eventTime":"x"`, skipUser),
			skipRecord("d", `"eventTime":"2026-10-01T09:30:00Z"`, "")},
			4, tables.SkipNullRecord + ": 1; " + tables.SkipNoEventTime + ": 1; " + tables.SkipBadEventTime + ": 1; " + tables.SkipNoUserIdentity + ": 1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			p := writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/01", trailtest.AcctA+"_CloudTrail_us-east-1_20261001T0905Z_Skip000000000001.json.gz", tt.records)
			q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
			got := runScanner(t, root, ScannerGo, q)
			agreeTables(t, "go vs duckdb", got, runScanner(t, root, ScannerDuckDB, q))
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			want := []tables.LogFile{{AccountID: trailtest.AcctA, Region: "us-east-1", Path: sqlPath(p), Size: info.Size(), Kind: tables.LogFileKindLog,
				Records: int64(len(tt.records)), Skipped: tt.skipped, SkipReasons: tt.reasons}}
			if g, w := comparableFiles(got.LogFiles, want); !reflect.DeepEqual(g, w) {
				t.Errorf("log files:\n got %+v\nwant %+v", g, w)
			}
			if len(got.Activity) != tt.users {
				t.Errorf("%d activity rows, want %d: %+v", len(got.Activity), tt.users, got.Activity)
			}
			// A skipped record is never use: the user's only event is the good one.
			for _, a := range got.Activity {
				if a.Events != 1 {
					t.Errorf("%s has %d events, want only the well-formed record's", a.PrincipalID, a.Events)
				}
			}
		})
	}
}

// A record without userIdentity still shows the trail delivering for its
// account and region (coverage); one without a usable time shows nothing.
func TestSkippedRecordsAndCoverage(t *testing.T) {
	root := t.TempDir()
	writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/01", trailtest.AcctA+"_CloudTrail_us-east-1_20261001T0905Z_Skip000000000001.json.gz", []string{
		skipRecord("a", `"eventTime":"2026-10-01T09:30:00Z"`, ""),
		skipRecord("b", `"eventTime":"x"`, skipUser),
	})
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	for _, s := range Scanners() {
		res := runScanner(t, root, s, q)
		want := []tables.Coverage{{AccountID: trailtest.AcctA, Region: "us-east-1", Hour: trailtest.TS("2026-10-01T09:00:00Z"), FirstEvent: trailtest.TS("2026-10-01T09:30:00Z"), LastEvent: trailtest.TS("2026-10-01T09:30:00Z"), Events: 1}}
		if !reflect.DeepEqual(res.Coverage, want) {
			t.Errorf("%s scanner: coverage\n got %+v\nwant %+v", s, res.Coverage, want)
		}
		if got := tables.SkippedByAccount(res.LogFiles); !reflect.DeepEqual(got, map[string]int64{trailtest.AcctA: 2}) {
			t.Errorf("%s scanner: skipped records per account = %v, want 2 in %s", s, got, trailtest.AcctA)
		}
	}
}

// CloudTrail-Digest and CloudTrail-Insight files that lie among the log
// files (a bucket synced flat, a copy of the wrong prefix) are recognised
// and counted, never scanned as activity or coverage.
func TestScannersRecogniseDigestAndInsightFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01")
	// As AWS documents the digest file's structure (CloudTrail user guide,
	// "CloudTrail digest file structure"), for this trail.
	digest := `{"awsAccountId":"111111111111","digestStartTime":"2026-10-01T08:15:00Z","digestEndTime":"2026-10-01T09:15:00Z",` +
		`"digestS3Bucket":"example-trail-bucket","digestS3Object":"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/10/01/111111111111_CloudTrail-Digest_us-east-1_management_us-east-1_20261001T091500Z.json.gz",` +
		`"digestPublicKeyFingerprint":"0123456789abcdef0123456789abcdef","digestSignatureAlgorithm":"SHA256withRSA",` +
		`"newestEventTime":"2026-10-01T09:03:00Z","oldestEventTime":"2026-10-01T07:00:00Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,` +
		`"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,` +
		`"logFiles":[{"s3Bucket":"example-trail-bucket","s3Object":"AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/x.json.gz",` +
		`"hashValue":"00","hashAlgorithm":"SHA-256","newestEventTime":"2026-10-01T09:03:00Z","oldestEventTime":"2026-10-01T07:00:00Z"}]}`
	digestPath := filepath.Join(dir, trailtest.AcctA+"_CloudTrail-Digest_us-east-1_management_us-east-1_20261001T091500Z.json.gz")
	writeGzipFile(t, digestPath, digest)
	// As AWS documents an Insights event for trails ("CloudTrail record
	// contents for Insights events for trails"): no userIdentity.
	insight := `{"Records":[{"eventVersion":"1.08","eventTime":"2026-10-01T09:10:00Z","awsRegion":"us-east-1",` +
		`"eventID":"a9edc959-9488-4790-be0f-05d60e56b547","eventType":"AwsCloudTrailInsight","recipientAccountId":"111111111111",` +
		`"sharedEventID":"c2806063-d85d-42c3-9027-d2c56a477314","insightDetails":{"state":"Start","eventSource":"ssm.amazonaws.com",` +
		`"eventName":"UpdateInstanceAssociationStatus","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":1.7},` +
		`"insight":{"average":6}}}},"eventCategory":"Insight"}]}`
	insightPath := filepath.Join(dir, trailtest.AcctA+"_CloudTrail-Insight_us-east-1_20261001T0915Z_Ins0000000000001.json.gz")
	writeGzipFile(t, insightPath, insight)
	logPath := writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/01", trailtest.AcctA+"_CloudTrail_us-east-1_20261001T0905Z_Skip000000000001.json.gz",
		[]string{skipRecord("00000000-0000-4000-8000-00000000a001", `"eventTime":"2026-10-01T09:00:00Z"`, skipUser)})

	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	got := runScanner(t, root, ScannerGo, q)
	agreeTables(t, "go vs duckdb", got, runScanner(t, root, ScannerDuckDB, q))
	size := func(p string) int64 {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	want := []tables.LogFile{
		{AccountID: trailtest.AcctA, Region: "us-east-1", Path: sqlPath(digestPath), Size: size(digestPath), Kind: tables.LogFileKindDigest},
		{AccountID: trailtest.AcctA, Region: "us-east-1", Path: sqlPath(insightPath), Size: size(insightPath), Kind: tables.LogFileKindInsight, Records: 1},
		{AccountID: trailtest.AcctA, Region: "us-east-1", Path: sqlPath(logPath), Size: size(logPath), Kind: tables.LogFileKindLog, Records: 1},
	}
	if g, w := comparableFiles(got.LogFiles, want); !reflect.DeepEqual(g, w) {
		t.Errorf("log files:\n got %+v\nwant %+v", g, w)
	}
	// Coverage is the log file's record alone: the Insights event is not a
	// delivered API call.
	wantCov := []tables.Coverage{{AccountID: trailtest.AcctA, Region: "us-east-1", Hour: trailtest.TS("2026-10-01T09:00:00Z"), FirstEvent: trailtest.TS("2026-10-01T09:00:00Z"), LastEvent: trailtest.TS("2026-10-01T09:00:00Z"), Events: 1}}
	if !reflect.DeepEqual(got.Coverage, wantCov) {
		t.Errorf("coverage:\n got %+v\nwant %+v", got.Coverage, wantCov)
	}
}

// A gzip bomb (a few MB inflating far beyond the limit) is refused naming
// the file, on both scanners, without inflating it whole.
func TestScannersRefuseGzipBomb(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01")
	bomb := filepath.Join(dir, trailtest.AcctA+"_CloudTrail_us-east-1_20261001T0905Z_Bomb000000000001.json.gz")
	const limit = 4 << 20
	// 64 MiB of spaces after the opening brace: valid JSON so far, so only
	// the size can stop it; written streaming, about 64 KB on disk.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(bomb)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(fh, gzip.BestCompression)
	bw := bufio.NewWriter(zw)
	bw.WriteString(`{"Records":[`)
	chunk := []byte(strings.Repeat(" ", 1<<20))
	for range 64 {
		bw.Write(chunk)
	}
	bw.WriteString(`]}`)
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/01", trailtest.AcctA+"_CloudTrail_us-east-1_20261001T0900Z_Good000000000000.json.gz",
		[]string{skipRecord("a", `"eventTime":"2026-10-01T09:00:00Z"`, skipUser)})
	refused := func(t *testing.T) {
		t.Helper()
		for _, s := range Scanners() {
			_, err := NewLocal(root, WithThreads(2), WithLogger(trailtest.Quiet()), WithScanner(s), WithMaxLogFileSize(limit)).
				Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrLogFileTooLarge) {
				t.Fatalf("%s scanner: got %v, want a FileError for a file too large", s, err)
			}
			if fe.Path != sqlPath(bomb) || fe.Fix != fixTooLarge {
				t.Errorf("%s scanner: error names %s with fix %q, want %s with fix %q", s, fe.Path, fe.Fix, bomb, fixTooLarge)
			}
		}
	}
	refused(t)
	// A gzip trailer that lies (ISIZE says 100 bytes) does not get past the
	// limit either: the Go scanner stops inflating at it, DuckDB at its
	// maximum_object_size.
	b, err := os.ReadFile(bomb)
	if err != nil {
		t.Fatal(err)
	}
	lying := slices.Clone(b)
	binary.LittleEndian.PutUint32(lying[len(lying)-4:], 100)
	if err := os.WriteFile(bomb, lying, 0o644); err != nil {
		t.Fatal(err)
	}
	refused(t)
	if err := os.WriteFile(bomb, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Without the small limit the same file reads (it is valid JSON).
	if _, err := NewLocal(root, WithThreads(2), WithLogger(trailtest.Quiet())).Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}); err != nil {
		t.Errorf("with the default limit: %v", err)
	}
}

// A plain .json file larger than the limit is refused too, by its size.
func TestScannersRefuseLargePlainFile(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01", trailtest.AcctA+"_CloudTrail_us-east-1_20261001T0905Z_Big0000000000001.json")
	writeFile(t, p, `{"Records":[`+strings.Repeat(" ", 2<<20)+`]}`)
	for _, s := range Scanners() {
		_, err := NewLocal(root, WithThreads(2), WithLogger(trailtest.Quiet()), WithScanner(s), WithMaxLogFileSize(1<<20)).
			Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
		var fe *FileError
		if !errors.As(err, &fe) || !errors.Is(err, ErrLogFileTooLarge) || fe.Path != sqlPath(p) {
			t.Errorf("%s scanner: got %v, want %s refused as too large", s, err, p)
		}
	}
}

func writeGzipFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(fh)
	if _, err := zw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

// The cache carries each file's counts: a warm run, which reads no file,
// still lists the files and their skipped records.
func TestCacheKeepsSkipCounts(t *testing.T) {
	root := edgeTrail(t)
	q := edgeWindows[0].q
	full := runScanner(t, root, ScannerGo, q)
	var skipped int64
	for _, f := range full.LogFiles {
		skipped += f.Skipped
	}
	if skipped == 0 {
		t.Fatal("the edge trail has no skipped record: the test tests nothing")
	}
	dir := t.TempDir()
	cachedRun(t, root, dir, q)
	warm, files := cachedRun(t, root, dir, q)
	if files != 0 {
		t.Fatalf("the warm run read %d files, want 0", files)
	}
	if !reflect.DeepEqual(warm.LogFiles, full.LogFiles) {
		t.Errorf("warm cache log files:\n got %+v\nwant %+v", warm.LogFiles, full.LogFiles)
	}
}
