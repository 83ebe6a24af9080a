package activity_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/athena"
	"github.com/dormant-iam/dormant/pipeline/activity/lake"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
)

// The fixture trail holds every identity rule's case (federation, ARN-only
// records, failed and hidden sign-ins, AWSAccount calls, role sessions named
// like users, duplicates, responseElements as a string, events at the
// window's edges): the cloud engines' SQL must give the local engine's
// tables exactly.
func TestCloudEnginesMatchLocalOnFixture(t *testing.T) {
	root := filepath.Join(trailtest.TestdataDir, "trail")
	s := trailtest.NewFake(t, analytics.Config{LogsDir: root, Tables: []analytics.Table{
		{Name: "by_account_region_day", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
		{Name: "by_region_ymd", Partitions: []string{"region", "year", "month", "day"}},
	}})
	ctx := context.Background()
	queries := []struct {
		name string
		q    activity.Query
	}{
		{"every account", activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}},
		{"organization account only", activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Accounts: []string{trailtest.AcctB}}},
		{"window on the lead-in day's edge", activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z"), Accounts: []string{trailtest.AcctA}}},
		{"window ending mid-second", activity.Query{Start: trailtest.FixtureStart, End: trailtest.TS("2026-10-03T11:59:59Z").Add(999 * time.Millisecond)}},
	}
	for _, tt := range queries {
		t.Run(tt.name, func(t *testing.T) {
			want, err := newTestLocal(root).Run(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"by_account_region_day", "by_region_ymd"} {
				for _, api := range []bool{false, true} {
					got, err := newTestAthena(t, s, table, func(o *athena.AthenaOptions) { o.ResultsFromAPI = api }).Run(ctx, tt.q)
					if err != nil {
						t.Fatalf("athena %s: %v", table, err)
					}
					trailtest.SameTables(t, "athena "+table, got, want)
				}
			}
			got, err := newTestLake(t, s, analytics.EventDataStoreARN(analytics.DefaultEventDataStore)).Run(ctx, tt.q)
			if err != nil {
				t.Fatalf("lake: %v", err)
			}
			trailtest.SameTables(t, "lake", got, want)
		})
	}
}

// The evidence of a cloud run: the query ID the service gave, the SQL as
// sent, the bytes scanned and the cost estimate from them.
func TestCloudQueryRuns(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	ctx := context.Background()
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}

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
		run.EngineTime <= 0 || run.CostUSD != athena.AthenaCost(days, 5) || !strings.Contains(run.SQL, `FROM "default"."cloudtrail_logs"`) {
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
		run.CostUSD != lake.LakeCost(run.BytesScanned, lake.DefaultLakePricePerGB) || !strings.Contains(run.SQL, "FROM "+analytics.DefaultEventDataStore+"\n") {
		t.Errorf("lake run = %+v (SQL omitted)", withoutSQL(run))
	}
}

func withoutSQL(r activity.QueryRun) activity.QueryRun {
	r.SQL = ""
	return r
}

// newTestLocal is the local engine the cloud engines are compared with.
func newTestLocal(root string) *local.Local {
	return local.NewLocal(root, local.WithThreads(2), local.WithLogger(trailtest.Quiet()))
}

func newTestAthena(t testing.TB, s *analytics.Server, table string, mod func(*athena.AthenaOptions)) *athena.Athena {
	t.Helper()
	opts := athena.AthenaOptions{
		Database: "default", Table: table, OutputLocation: "s3://athena-results/dormant/",
		PollInterval: trailtest.FastPoll, MaxPollInterval: trailtest.FastPollMax, Logger: trailtest.Quiet(),
	}
	if mod != nil {
		mod(&opts)
	}
	a, err := athena.NewAthena(s.AthenaClient(), s.S3Client(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTestLake(t testing.TB, s *analytics.Server, store string) *lake.Lake {
	t.Helper()
	l, err := lake.NewLake(s.CloudTrailClient(), lake.LakeOptions{EventDataStore: store, PollInterval: trailtest.FastPoll, MaxPollInterval: trailtest.FastPollMax, Logger: trailtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}
