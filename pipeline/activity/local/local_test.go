package local

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

func newTestLocal(root string) *Local {
	return NewLocal(root, WithThreads(2), WithLogger(trailtest.Quiet()))
}

// The whole fixture trail, every account.
var (
	wantRoot = tables.Activity{
		AccountID: trailtest.AcctA, ARN: "arn:aws:iam::111111111111:root", UserName: tables.RootUserName,
		FirstEvent: trailtest.TS("2026-10-01T07:00:00Z"), LastEvent: trailtest.TS("2026-10-01T07:00:00Z"), Events: 1,
		LastEventName: "ConsoleLogin", LastEventSource: "signin.amazonaws.com", LastSourceIP: "198.51.100.1", LastRegion: "us-east-1",
		ConsoleLogins: 1, FailedConsoleLogins: 1, LastFailedConsoleLogin: trailtest.TS("2026-10-02T07:00:00Z"),
	}
	wantFrank = tables.Activity{
		AccountID: trailtest.AcctA, ARN: "arn:aws:iam::111111111111:user/frank", UserName: "frank",
		FirstEvent: trailtest.TS("2026-10-02T09:00:00Z"), LastEvent: trailtest.TS("2026-10-02T09:30:00Z"), Events: 2,
		LastEventName: "GetBucketPolicy", LastEventSource: "s3.amazonaws.com", LastSourceIP: "203.0.113.51", LastRegion: "us-east-1",
	}
	wantAlice = tables.Activity{
		AccountID: trailtest.AcctA, PrincipalID: trailtest.AliceID, ARN: "arn:aws:iam::111111111111:user/alice", UserName: "alice",
		FirstEvent: trailtest.TS("2026-10-01T09:00:00Z"), LastEvent: trailtest.TS("2026-10-03T12:00:00Z"), Events: 6,
		LastEventName: "ListBuckets", LastEventSource: "s3.amazonaws.com", LastSourceIP: "203.0.113.12", LastRegion: "us-east-1",
		ConsoleLogins: 1, AccessKeyIDs: []string{"AKIAALICEKEY00000001", "AKIAALICEKEY00000002"},
	}
	wantBob = tables.Activity{
		AccountID: trailtest.AcctA, PrincipalID: trailtest.BobID, ARN: "arn:aws:iam::111111111111:user/bob", UserName: "bob",
		FailedConsoleLogins: 2, LastFailedConsoleLogin: trailtest.TS("2026-10-02T08:00:00Z"),
	}
	wantCarol = tables.Activity{
		AccountID: trailtest.AcctA, PrincipalID: trailtest.CarolID, ARN: "arn:aws:iam::111111111111:user/carol", UserName: "carol",
		FirstEvent: trailtest.TS("2026-10-02T13:00:00Z"), LastEvent: trailtest.TS("2026-10-03T11:59:00Z"), Events: 3,
		LastEventName: "DescribeRegions", LastEventSource: "ec2.amazonaws.com", LastSourceIP: "198.51.100.7", LastRegion: "us-east-1",
		AccessKeyIDs: []string{"AKIACAROLKEY00000001"},
	}
	wantHenry = tables.Activity{
		AccountID: trailtest.AcctA, PrincipalID: trailtest.HenryID, ARN: "arn:aws:iam::111111111111:user/henry", UserName: "henry",
		FirstEvent: trailtest.TS("2026-10-02T10:00:00Z"), LastEvent: trailtest.TS("2026-10-02T10:00:00Z"), Events: 1,
		LastEventName: "ListUsers", LastEventSource: "iam.amazonaws.com", LastSourceIP: "203.0.113.60", LastRegion: "us-east-1",
		AccessKeyIDs: []string{"AKIAHENRYKEY00000001"},
	}
	wantErin = tables.Activity{
		AccountID: trailtest.AcctB, PrincipalID: trailtest.ErinID, ARN: "arn:aws:iam::222222222222:user/erin", UserName: "erin",
		FirstEvent: trailtest.TS("2026-10-02T08:10:00Z"), LastEvent: trailtest.TS("2026-10-02T11:00:00Z"), Events: 2,
		LastEventName: "AssumeRole", LastEventSource: "sts.amazonaws.com", LastSourceIP: "192.0.2.15", LastRegion: "us-east-1",
		AccessKeyIDs: []string{"AKIAERINKEY000000001"},
	}
	coverageAEast1 = tables.Coverage{AccountID: trailtest.AcctA, Region: "us-east-1",
		FirstEvent: trailtest.TS("2026-09-30T11:58:00Z"), LastEvent: trailtest.TS("2026-10-04T00:05:00Z"), Events: 26}
	coverageAEast2 = tables.Coverage{AccountID: trailtest.AcctA, Region: "us-east-2",
		FirstEvent: trailtest.TS("2026-10-01T10:00:00Z"), LastEvent: trailtest.TS("2026-10-02T08:01:00Z"), Events: 3}
	coverageB = tables.Coverage{AccountID: trailtest.AcctB, Region: "eu-west-1",
		FirstEvent: trailtest.TS("2026-10-02T08:10:00Z"), LastEvent: trailtest.TS("2026-10-02T08:12:00Z"), Events: 2}
)

func TestLocalRun(t *testing.T) {
	erinOwnAccountOnly := tables.Activity{
		AccountID: trailtest.AcctB, PrincipalID: trailtest.ErinID, ARN: "arn:aws:iam::222222222222:user/erin", UserName: "erin",
		FirstEvent: trailtest.TS("2026-10-02T08:10:00Z"), LastEvent: trailtest.TS("2026-10-02T08:10:00Z"), Events: 1,
		LastEventName: "DescribeVpcs", LastEventSource: "ec2.amazonaws.com", LastSourceIP: "192.0.2.15", LastRegion: "eu-west-1",
		AccessKeyIDs: []string{"AKIAERINKEY000000001"},
	}
	tests := []struct {
		name         string
		q            activity.Query
		wantFiles    []string // relative to testdata/trail/AWSLogs
		wantActivity []tables.Activity
		wantCoverage []tables.Coverage
	}{
		{
			name: "every account",
			q:    activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd},
			wantFiles: []string{
				"111111111111/CloudTrail/us-east-1/2026/09/30/111111111111_CloudTrail_us-east-1_20260930T2005Z_Hk2LrT8sVn4QpZ1x.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0910Z_Zt9QwErTy5UiOp3A.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/02/111111111111_CloudTrail_us-east-1_20261002T1405Z_Pa4SdFgHj6KlZx7C.json",
				"111111111111/CloudTrail/us-east-1/2026/10/03/111111111111_CloudTrail_us-east-1_20261003T1305Z_Xc8VbNm2Qw1Er4Ty.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/03/111111111111_CloudTrail_us-east-1_20261003T1310Z_Em9TyRe3Wq2Lk5Jh.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/04/111111111111_CloudTrail_us-east-1_20261004T0010Z_Lp0OkIj9Uh8Yg7Tf.json.gz",
				"111111111111/CloudTrail/us-east-2/2026/10/01/111111111111_CloudTrail_us-east-2_20261001T1005Z_Gh6JkLz7Xc8Vb9Nm.json.gz",
				"111111111111/CloudTrail/us-east-2/2026/10/02/111111111111_CloudTrail_us-east-2_20261002T0805Z_Qa1Ws2Ed3Rf4Tg5Y.json.gz",
				"o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/10/02/222222222222_CloudTrail_eu-west-1_20261002T0815Z_Uj7Ik8Ol9Pz0Xa1S.json.gz",
			},
			wantActivity: []tables.Activity{wantRoot, wantFrank, wantAlice, wantBob, wantCarol, wantHenry, wantErin},
			wantCoverage: []tables.Coverage{coverageAEast1, coverageAEast2, coverageB},
		},
		{
			// erin's cross-account call is in account A's trail, which is not read.
			name: "organization account only",
			q:    activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Accounts: []string{trailtest.AcctB}},
			wantFiles: []string{
				"o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/10/02/222222222222_CloudTrail_eu-west-1_20261002T0815Z_Uj7Ik8Ol9Pz0Xa1S.json.gz",
			},
			wantActivity: []tables.Activity{erinOwnAccountOnly},
			wantCoverage: []tables.Coverage{coverageB},
		},
		{
			// The lead-in day alone: grace's and bob's events are before Start.
			name: "window on the lead-in day's edge",
			q:    activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z"), Accounts: []string{trailtest.AcctA}},
			wantFiles: []string{
				"111111111111/CloudTrail/us-east-1/2026/09/30/111111111111_CloudTrail_us-east-1_20260930T2005Z_Hk2LrT8sVn4QpZ1x.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0910Z_Zt9QwErTy5UiOp3A.json.gz",
				"111111111111/CloudTrail/us-east-1/2026/10/02/111111111111_CloudTrail_us-east-1_20261002T1405Z_Pa4SdFgHj6KlZx7C.json",
				"111111111111/CloudTrail/us-east-2/2026/10/01/111111111111_CloudTrail_us-east-2_20261001T1005Z_Gh6JkLz7Xc8Vb9Nm.json.gz",
				"111111111111/CloudTrail/us-east-2/2026/10/02/111111111111_CloudTrail_us-east-2_20261002T0805Z_Qa1Ws2Ed3Rf4Tg5Y.json.gz",
			},
			wantActivity: nil,
			wantCoverage: []tables.Coverage{
				{AccountID: trailtest.AcctA, Region: "us-east-1", FirstEvent: trailtest.TS("2026-09-30T11:58:00Z"), LastEvent: trailtest.TS("2026-10-02T13:05:00Z"), Events: 20},
				coverageAEast2,
			},
		},
	}
	root := filepath.Join(trailtest.TestdataDir, "trail")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newTestLocal(root).Run(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			trailtest.DiffActivity(t, res.Activity, tt.wantActivity)
			if got := coverageSpans(res.Coverage); !reflect.DeepEqual(got, tt.wantCoverage) {
				t.Errorf("coverage:\n got %+v\nwant %+v", got, tt.wantCoverage)
			}

			if len(res.Runs) != 1 {
				t.Fatalf("got %d query runs, want 1", len(res.Runs))
			}
			run := res.Runs[0]
			var wantBytes int64
			for _, f := range tt.wantFiles {
				p := filepath.Join(root, "AWSLogs", filepath.FromSlash(f))
				info, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				wantBytes += info.Size()
				if !strings.Contains(run.SQL, "'"+sqlPath(p)+"'") {
					t.Errorf("the SQL does not read %s", f)
				}
			}
			if run.Files != len(tt.wantFiles) || strings.Count(run.SQL, "/AWSLogs/") != len(tt.wantFiles) {
				t.Errorf("read %d files (%d in the SQL), want %d", run.Files, strings.Count(run.SQL, "/AWSLogs/"), len(tt.wantFiles))
			}
			if run.Engine != "local" || run.Name != "activity" || run.BytesScanned != wantBytes || run.EngineTime <= 0 ||
				!strings.HasPrefix(run.QueryID, "local-") || run.CostUSD != 0 {
				t.Errorf("query run = %+v (SQL omitted), want engine local, name activity, %d bytes, a time and an ID",
					activity.QueryRun{Engine: run.Engine, Name: run.Name, QueryID: run.QueryID, BytesScanned: run.BytesScanned,
						EngineTime: run.EngineTime, Files: run.Files}, wantBytes)
			}
		})
	}
}

// A root whose path holds a single quote: paths are SQL string literals.
func TestLocalRunQuotedPath(t *testing.T) {
	root := filepath.Join(t.TempDir(), "it's the \"trail\"")
	if err := os.CopyFS(root, os.DirFS(filepath.Join(trailtest.TestdataDir, "trail"))); err != nil {
		t.Fatal(err)
	}
	res, err := newTestLocal(root).Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	trailtest.DiffActivity(t, res.Activity, []tables.Activity{wantRoot, wantFrank, wantAlice, wantBob, wantCarol, wantHenry, wantErin})
	if got, want := coverageSpans(res.Coverage), []tables.Coverage{coverageAEast1, coverageAEast2, coverageB}; !reflect.DeepEqual(got, want) {
		t.Errorf("coverage:\n got %+v\nwant %+v", got, want)
	}
	if !strings.Contains(res.Runs[0].SQL, "it''s the \"trail\"") {
		t.Errorf("the SQL does not quote the path: %.300s", res.Runs[0].SQL)
	}
}

func TestLocalRunCorruptFile(t *testing.T) {
	_, err := newTestLocal(filepath.Join(trailtest.TestdataDir, "corrupt")).Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a FileError", err)
	}
	if !strings.HasSuffix(fe.Path, "111111111111_CloudTrail_us-east-1_20261001T0910Z_Lm6No7Pq8Rs9Tu0V.json.gz") || fe.Fix != fixDamaged {
		t.Errorf("error names %s with fix %q, want the cut-off file as damaged", fe.Path, fe.Fix)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %q does not say the file ends early", err)
	}
	if !strings.Contains(err.Error(), "download it again") {
		t.Errorf("error %q does not say what to do", err)
	}
}

// Files that are intact but not CloudTrail's shape name the file and say so.
func TestLocalRunBadShape(t *testing.T) {
	tests := []struct{ name, content string }{
		{"userIdentity a string", `{"Records":[{"eventID":"x","eventTime":"2026-10-01T09:00:00Z","userIdentity":"alice"}]}`},
		{"Records an object", `{"Records":{"eventID":"x"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01",
				"111111111111_CloudTrail_us-east-1_20261001T0905Z_Aa1Bb2Cc3Dd4Ee5F.json")
			writeFile(t, p, tt.content)
			_, err := newTestLocal(root).Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FileError", err)
			}
			if fe.Path != sqlPath(p) || fe.Fix != fixShape {
				t.Errorf("error names %s with fix %q, want %s as not CloudTrail's shape", fe.Path, fe.Fix, p)
			}
		})
	}
}

// Record shapes real trails mix must all scan: free-form fields of any JSON
// type, missing fields, unknown fields.
func TestLocalRunRecordShapes(t *testing.T) {
	root := t.TempDir()
	user := `"userIdentity":{"type":"IAMUser","principalId":"` + trailtest.AliceID + `","arn":"arn:aws:iam::111111111111:user/alice","accountId":"111111111111","userName":"alice"`
	records := []string{
		`{"eventID":"s1","eventTime":"2026-10-01T09:00:00Z",` + user + `},"requestParameters":{"a":[1,{"b":null}],"c":true},"responseElements":{"x":1.5},"additionalEventData":{"y":[]}}`,
		`{"eventID":"s2","eventTime":"2026-10-01T09:01:00Z",` + user + `},"requestParameters":null,"responseElements":null,"additionalEventData":null}`,
		`{"eventID":"s3","eventTime":"2026-10-01T09:02:00Z",` + user + `},"requestParameters":"text","responseElements":"text","additionalEventData":"text"}`,
		`{"eventID":"s4","eventTime":"2026-10-01T09:03:00Z",` + user + `},"requestParameters":[1,2],"responseElements":true,"additionalEventData":42}`,
		`{"eventID":"s5","eventTime":"2026-10-01T09:04:00Z",` + user + `,"sessionContext":{"attributes":{"mfaAuthenticated":"true"}}},"newFieldFromTheFuture":{"z":"z"}}`,
		`{"eventID":"s6","eventTime":"2026-10-01T09:05:00Z",` + user + `,"sessionContext":{"sessionIssuer":{}}},"eventName":"ConsoleLogin","responseElements":"not json"}`,
		`{"eventID":"s7","eventTime":"2026-10-01T09:06:00Z","userIdentity":{"type":"Unknown"}}`,
		`{"eventID":"s8","eventTime":"2026-10-01T09:07:00Z"}`,
		`{"eventTime":"2026-10-01T09:08:00Z",` + user + `},"eventName":"NoEventID"}`,
		`{"eventTime":"2026-10-01T09:08:00Z",` + user + `},"eventName":"NoEventID"}`,
	}
	writeFile(t, filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01",
		"111111111111_CloudTrail_us-east-1_20261001T0905Z_Aa1Bb2Cc3Dd4Ee5F.json"), `{"Records":[`+strings.Join(records, ",\n")+"]}")
	res, err := newTestLocal(root).Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	// s1-s6 and one of the two identical records without an eventID.
	trailtest.DiffActivity(t, res.Activity, []tables.Activity{{
		AccountID: trailtest.AcctA, PrincipalID: trailtest.AliceID, ARN: "arn:aws:iam::111111111111:user/alice", UserName: "alice",
		FirstEvent: trailtest.TS("2026-10-01T09:00:00Z"), LastEvent: trailtest.TS("2026-10-01T09:08:00Z"), Events: 7,
		LastEventName: "NoEventID",
	}})
	want := []tables.Coverage{{AccountID: trailtest.AcctA, Region: "us-east-1", Hour: trailtest.TS("2026-10-01T09:00:00Z"), FirstEvent: trailtest.TS("2026-10-01T09:00:00Z"), LastEvent: trailtest.TS("2026-10-01T09:08:00Z"), Events: 10}}
	if !reflect.DeepEqual(res.Coverage, want) {
		t.Errorf("coverage:\n got %+v\nwant %+v", res.Coverage, want)
	}
}

func TestLocalRunNoFiles(t *testing.T) {
	tests := []struct {
		name string
		q    activity.Query
	}{
		{"window without logs", activity.Query{Start: trailtest.TS("2027-01-01T00:00:00Z"), End: trailtest.TS("2027-03-01T00:00:00Z")}},
		{"account without logs", activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Accounts: []string{"999999999999"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newTestLocal(filepath.Join(trailtest.TestdataDir, "trail")).Run(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Activity) != 0 || len(res.Coverage) != 0 || len(res.Runs) != 0 {
				t.Errorf("got %+v, want an empty result", res)
			}
		})
	}
}

func TestLocalRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newTestLocal(filepath.Join(trailtest.TestdataDir, "trail")).Run(ctx, activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// Cancelling the context stops a running scan (Ctrl-C).
func TestLocalRunCancelledMidScan(t *testing.T) {
	dir := t.TempDir()
	generateBenchTrail(t, dir, 100_000)
	eng := NewLocal(dir, WithThreads(1), WithLogger(trailtest.Quiet()))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	started := time.Now()
	_, err := eng.Run(ctx, activity.Query{Start: benchDays[0], End: benchDays[len(benchDays)-1]})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v after %s, want context.Canceled", err, time.Since(started))
	}
}

func TestLocalRunBadInput(t *testing.T) {
	tests := []struct {
		name, root string
		q          activity.Query
		want       string
	}{
		{"no root", filepath.Join(trailtest.TestdataDir, "nope"), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}, "opening CloudTrail folder"},
		{"no AWSLogs", filepath.Join(trailtest.TestdataDir, "trail", "AWSLogs", trailtest.AcctA), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}, "no AWSLogs folder"},
		{"window backwards", filepath.Join(trailtest.TestdataDir, "trail"), activity.Query{Start: trailtest.FixtureEnd, End: trailtest.FixtureStart}, "ends"},
		{"no window", filepath.Join(trailtest.TestdataDir, "trail"), activity.Query{}, "needs a start and an end"},
		{"bad account", filepath.Join(trailtest.TestdataDir, "trail"), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Accounts: []string{"12345"}}, `"12345"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTestLocal(tt.root).Run(context.Background(), tt.q)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// An explicit memory limit too small for the read buffers is refused before
// DuckDB runs, saying what to raise.
func TestLocalRunMemoryLimit(t *testing.T) {
	eng := NewLocal(filepath.Join(trailtest.TestdataDir, "trail"), WithThreads(4), WithMemoryLimit(100<<20), WithLogger(trailtest.Quiet()))
	_, err := eng.Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if err == nil || !strings.Contains(err.Error(), "raise the memory limit to at least 192 MiB") {
		t.Errorf("got %v, want the memory limit refused", err)
	}
	eng = NewLocal(filepath.Join(trailtest.TestdataDir, "trail"), WithThreads(1), WithMemoryLimit(100<<20), WithLogger(trailtest.Quiet()))
	if _, err := eng.Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}); err != nil {
		t.Errorf("one thread in 100 MiB: %v", err)
	}
	if eng.Name() != "local" {
		t.Errorf("Name() = %q", eng.Name())
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
