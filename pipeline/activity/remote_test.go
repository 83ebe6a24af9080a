package activity

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/tables"
)

// newFake starts the analytics fake over a logs folder.
func newFake(t testing.TB, cfg analytics.Config) *analytics.Server {
	t.Helper()
	s, err := analytics.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// fast polls the fakes without the production back-off.
const (
	fastPoll    = time.Millisecond
	fastPollMax = 5 * time.Millisecond
)

func newTestAthena(t testing.TB, s *analytics.Server, table string, mod func(*AthenaOptions)) *Athena {
	t.Helper()
	opts := AthenaOptions{
		Database: "default", Table: table, OutputLocation: "s3://athena-results/dormant/",
		PollInterval: fastPoll, MaxPollInterval: fastPollMax, Logger: quiet(),
	}
	if mod != nil {
		mod(&opts)
	}
	a, err := NewAthena(s.AthenaClient(), s.S3Client(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTestLake(t testing.TB, s *analytics.Server, store string) *Lake {
	t.Helper()
	l, err := NewLake(s.CloudTrailClient(), LakeOptions{EventDataStore: store, PollInterval: fastPoll, MaxPollInterval: fastPollMax, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sameTables compares two results' activity and coverage tables.
func sameTables(t *testing.T, what string, got, want *Result) {
	t.Helper()
	if len(want.Activity)+len(want.Coverage) == 0 {
		t.Fatalf("%s: the expected result is empty: the comparison proves nothing", what)
	}
	if !reflect.DeepEqual(got.Activity, want.Activity) {
		t.Errorf("%s: activity differs", what)
		diffActivity(t, got.Activity, want.Activity)
	}
	if !reflect.DeepEqual(got.Coverage, want.Coverage) {
		t.Errorf("%s: coverage differs:\n got %+v\nwant %+v", what, got.Coverage, want.Coverage)
	}
}

// The fixture trail holds every identity rule's case (federation, ARN-only
// records, failed and hidden sign-ins, AWSAccount calls, role sessions named
// like users, duplicates, responseElements as a string, events at the
// window's edges): the cloud engines' SQL must give the local engine's
// tables exactly.
func TestCloudEnginesMatchLocalOnFixture(t *testing.T) {
	root := filepath.Join("testdata", "trail")
	s := newFake(t, analytics.Config{LogsDir: root, Tables: []analytics.Table{
		{Name: "by_account_region_day", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
		{Name: "by_region_ymd", Partitions: []string{"region", "year", "month", "day"}},
	}})
	ctx := context.Background()
	queries := []struct {
		name string
		q    Query
	}{
		{"every account", Query{Start: fixtureStart, End: fixtureEnd}},
		{"organization account only", Query{Start: fixtureStart, End: fixtureEnd, Accounts: []string{acctB}}},
		{"window on the lead-in day's edge", Query{Start: ts("2026-10-01T00:00:00Z"), End: ts("2026-10-01T00:00:00Z"), Accounts: []string{acctA}}},
		{"window ending mid-second", Query{Start: fixtureStart, End: ts("2026-10-03T11:59:59Z").Add(999 * time.Millisecond)}},
	}
	for _, tt := range queries {
		t.Run(tt.name, func(t *testing.T) {
			want, err := newTestLocal(root).Run(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"by_account_region_day", "by_region_ymd"} {
				for _, api := range []bool{false, true} {
					got, err := newTestAthena(t, s, table, func(o *AthenaOptions) { o.ResultsFromAPI = api }).Run(ctx, tt.q)
					if err != nil {
						t.Fatalf("athena %s: %v", table, err)
					}
					sameTables(t, "athena "+table, got, want)
				}
			}
			got, err := newTestLake(t, s, analytics.EventDataStoreARN(analytics.DefaultEventDataStore)).Run(ctx, tt.q)
			if err != nil {
				t.Fatalf("lake: %v", err)
			}
			sameTables(t, "lake", got, want)
		})
	}
}

// The evidence of a cloud run: the query ID the service gave, the SQL as
// sent, the bytes scanned and the cost estimate from them.
func TestCloudQueryRuns(t *testing.T) {
	s := newFake(t, analytics.Config{LogsDir: filepath.Join("testdata", "trail")})
	ctx := context.Background()
	q := Query{Start: fixtureStart, End: fixtureEnd}

	res, err := newTestAthena(t, s, analytics.DefaultTable, nil).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	starts := s.CallsTo("StartQueryExecution")
	if len(res.Runs) != 1 || len(starts) != 1 {
		t.Fatalf("got %d runs and %d StartQueryExecution calls, want 1 and 1", len(res.Runs), len(starts))
	}
	run := res.Runs[0]
	first, last := q.ReadDays()
	_, days, err := s.TableBytes(analytics.DefaultTable, first, last)
	if err != nil {
		t.Fatal(err)
	}
	if run.Engine != "athena" || run.Name != "activity" || run.QueryID != starts[0].QueryID || run.BytesScanned != days ||
		run.EngineTime <= 0 || run.CostUSD != AthenaCost(days, 5) || !strings.Contains(run.SQL, `FROM "default"."cloudtrail_logs"`) {
		t.Errorf("athena run = %+v (SQL omitted), want query %s, %d bytes and their cost", withoutSQL(run), starts[0].QueryID, days)
	}
	// The digest check reads the trail bucket's digests; the results are
	// the one object read from the output bucket.
	results := 0
	for _, c := range s.CallsTo("GetObject") {
		if c.Params["bucket"] == "athena-results" {
			results++
		}
	}
	if results != 1 || len(s.CallsTo("GetQueryResults")) != 0 {
		t.Errorf("the results were not read from the S3 result file: calls %+v", s.Calls())
	}

	res, err = newTestLake(t, s, analytics.DefaultEventDataStore).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	lakeStarts := s.CallsTo("StartQuery")
	run = res.Runs[0]
	if len(lakeStarts) != 1 || run.Engine != "lake" || run.QueryID != lakeStarts[0].QueryID || run.BytesScanned <= 0 ||
		run.CostUSD != LakeCost(run.BytesScanned, DefaultLakePricePerGB) || !strings.Contains(run.SQL, "FROM "+analytics.DefaultEventDataStore+"\n") {
		t.Errorf("lake run = %+v (SQL omitted)", withoutSQL(run))
	}
}

func withoutSQL(r QueryRun) QueryRun {
	r.SQL = ""
	return r
}

func TestCSVReader(t *testing.T) {
	tests := []struct {
		name, in string
		want     [][]resultCell
		err      string
	}{
		{
			name: "quoted values, NULL and empty string apart",
			in:   "\"a\",\"b\",\"c\"\n\"x\",,\"\"\n",
			want: [][]resultCell{{{text: "a"}, {text: "b"}, {text: "c"}}, {{text: "x"}, {null: true}, {text: ""}}},
		},
		{
			name: "quotes doubled, commas and line breaks inside values",
			in:   "\"a\",\"b\"\n\"say \"\"hi\"\", ok\",\"two\nlines\"\r\n",
			want: [][]resultCell{{{text: "a"}, {text: "b"}}, {{text: `say "hi", ok`}, {text: "two\nlines"}}},
		},
		{
			name: "trailing NULL, no final line break",
			in:   "\"a\",\"b\"\n\"x\",",
			want: [][]resultCell{{{text: "a"}, {text: "b"}}, {{text: "x"}, {null: true}}},
		},
		{
			name: "unquoted value",
			in:   "\"a\"\n42\n",
			want: [][]resultCell{{{text: "a"}}, {{text: "42"}}},
		},
		{name: "unclosed quote", in: "\"a\"\n\"x\n", err: "line 2: a quoted value is not closed"},
		{name: "text after a quoted value", in: "\"a\"\n\"x\"y\n", err: "line 2: text after a quoted value"},
		{name: "quote in an unquoted value", in: "\"a\"\nx\"y\n", err: "line 2: a quote inside an unquoted value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newCSVReader(strings.NewReader(tt.in))
			var got [][]resultCell
			var err error
			for {
				var row []resultCell
				if row, err = r.next(); err != nil {
					break
				}
				got = append(got, append([]resultCell(nil), row...))
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadResultRows(t *testing.T) {
	header := "\"kind\",\"account_id\",\"principal_id\",\"arn\",\"user_name\",\"region\",\"first_event\",\"last_event\",\"events\",\"last_event_name\",\"last_event_source\",\"last_source_ip\",\"last_region\",\"console_logins\",\"failed_console_logins\",\"last_failed_console_login\",\"access_key_ids\",\"hour\"\n"
	tests := []struct {
		name, rows string
		want       *Result
		err        string
	}{
		{
			name: "activity and coverage rows, times in every form the engines give",
			rows: `"activity","111111111111","AIDAX","arn:aws:iam::111111111111:user/a","a",,"2026-10-01T09:00:00.000Z","2026-10-02T09:00:00.000","3","ListBuckets","s3.amazonaws.com","203.0.113.1","us-east-1","1","2","2026-10-02 07:00:00.000 UTC","AKIA1,AKIA2",` + "\n" +
				`"coverage","111111111111",,,,"us-east-1","2026-09-30 11:58:00.000","2026-09-30T11:59:00Z","26",,,,,,,,,"2026-09-30T11:00:00.000Z"` + "\n",
			want: &Result{
				Activity: []tables.Activity{{AccountID: acctA, PrincipalID: "AIDAX", ARN: "arn:aws:iam::111111111111:user/a", UserName: "a",
					FirstEvent: ts("2026-10-01T09:00:00Z"), LastEvent: ts("2026-10-02T09:00:00Z"), Events: 3,
					LastEventName: "ListBuckets", LastEventSource: "s3.amazonaws.com", LastSourceIP: "203.0.113.1", LastRegion: "us-east-1",
					ConsoleLogins: 1, FailedConsoleLogins: 2, LastFailedConsoleLogin: ts("2026-10-02T07:00:00Z"), AccessKeyIDs: []string{"AKIA1", "AKIA2"}}},
				Coverage: []tables.Coverage{{AccountID: acctA, Region: "us-east-1", Hour: ts("2026-09-30T11:00:00Z"), FirstEvent: ts("2026-09-30T11:58:00Z"), LastEvent: ts("2026-09-30T11:59:00Z"), Events: 26}},
			},
		},
		{name: "bad time", rows: `"coverage","111111111111",,,,"us-east-1","yesterday",,"1",,,,,,,,,` + "\n", err: `row 1: column first_event: "yesterday" is not a time`},
		{name: "bad hour", rows: `"coverage","111111111111",,,,"us-east-1",,,"1",,,,,,,,,"noon"` + "\n", err: `row 1: column hour: "noon" is not a time`},
		{name: "bad count", rows: `"coverage","111111111111",,,,"us-east-1",,,"many",,,,,,,,,` + "\n", err: `column events: "many" is not a whole number`},
		{name: "bad kind", rows: `"other",,,,,,,,,,,,,,,,,` + "\n", err: `unknown row kind "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &Result{}
			_, err := readCSVResults(strings.NewReader(header+tt.rows), "test.csv", res)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res, tt.want) {
				t.Errorf("got %+v\nwant %+v", res, tt.want)
			}
		})
	}
	if _, err := readCSVResults(strings.NewReader("\"kind\",\"account_id\"\n"), "short.csv", &Result{}); err == nil ||
		!strings.Contains(err.Error(), "lack the columns principal_id") {
		t.Errorf("a result without dormant's columns: got %v", err)
	}
}
