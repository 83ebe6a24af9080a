package activity

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
)

// The fixture trail holds every identity rule's case (federation, ARN-only
// records, failed and hidden sign-ins, AWSAccount calls, role sessions named
// like users, duplicates, responseElements as a string, events at the
// window's edges): the cloud engines' SQL must give the local engine's
// tables exactly.
func TestCloudEnginesMatchLocalOnFixture(t *testing.T) {
	root := filepath.Join(TestdataDir, "trail")
	s := NewFake(t, analytics.Config{LogsDir: root, Tables: []analytics.Table{
		{Name: "by_account_region_day", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
		{Name: "by_region_ymd", Partitions: []string{"region", "year", "month", "day"}},
	}})
	ctx := context.Background()
	queries := []struct {
		name string
		q    Query
	}{
		{"every account", Query{Start: FixtureStart, End: FixtureEnd}},
		{"organization account only", Query{Start: FixtureStart, End: FixtureEnd, Accounts: []string{AcctB}}},
		{"window on the lead-in day's edge", Query{Start: TS("2026-10-01T00:00:00Z"), End: TS("2026-10-01T00:00:00Z"), Accounts: []string{AcctA}}},
		{"window ending mid-second", Query{Start: FixtureStart, End: TS("2026-10-03T11:59:59Z").Add(999 * time.Millisecond)}},
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
					SameTables(t, "athena "+table, got, want)
				}
			}
			got, err := newTestLake(t, s, analytics.EventDataStoreARN(analytics.DefaultEventDataStore)).Run(ctx, tt.q)
			if err != nil {
				t.Fatalf("lake: %v", err)
			}
			SameTables(t, "lake", got, want)
		})
	}
}

// The evidence of a cloud run: the query ID the service gave, the SQL as
// sent, the bytes scanned and the cost estimate from them.
func TestCloudQueryRuns(t *testing.T) {
	s := NewFake(t, analytics.Config{LogsDir: filepath.Join(TestdataDir, "trail")})
	ctx := context.Background()
	q := Query{Start: FixtureStart, End: FixtureEnd}

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
	if len(s.CallsTo("GetObject")) != 1 || len(s.CallsTo("GetQueryResults")) != 0 {
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
