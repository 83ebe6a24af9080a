package athena

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/progress/progresstest"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/internal/remote"
	"github.com/dormant-iam/dormant/pipeline/activity/lake"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
)

func TestTableLayoutFilters(t *testing.T) {
	str := func(names ...string) []PartitionKey {
		var keys []PartitionKey
		for _, n := range names {
			keys = append(keys, PartitionKey{Name: n, Type: "string"})
		}
		return keys
	}
	window := func(start, end string) activity.Query {
		return activity.Query{Start: trailtest.TS(start), End: trailtest.TS(end)}
	}
	// Read days: 2026-09-30 to 2026-10-04.
	fixture := window("2026-10-01T00:00:00Z", "2026-10-03T12:00:00Z")
	tests := []struct {
		name   string
		keys   []PartitionKey
		q      activity.Query
		want   []string
		err    string
		byDays bool // the filter prunes by day: check it selects exactly the read days
	}{
		{
			name:   "projected timestamp, one account and region (AWS's DDL)",
			keys:   []PartitionKey{{Name: "timestamp", Type: "string", Projection: "date", Format: "yyyy/MM/dd"}},
			q:      fixture,
			want:   []string{`"timestamp" BETWEEN '2026/09/30' AND '2026/10/04'`},
			byDays: true,
		},
		{
			name:   "account, region and projected timestamp",
			keys:   []PartitionKey{{Name: "account", Type: "string", Projection: "enum"}, {Name: "region", Type: "string", Projection: "enum"}, {Name: "timestamp", Type: "string", Projection: "date", Format: "yyyy/MM/dd"}},
			q:      activity.Query{Start: fixture.Start, End: fixture.End, Accounts: []string{trailtest.AcctB, trailtest.AcctA, trailtest.AcctB}},
			want:   []string{`"timestamp" BETWEEN '2026/09/30' AND '2026/10/04'`, `"account" IN ('111111111111', '222222222222')`},
			byDays: true,
		},
		{
			name:   "account partition, every account",
			keys:   []PartitionKey{{Name: "account", Type: "string"}, {Name: "timestamp", Type: "string"}},
			q:      fixture,
			want:   []string{`"timestamp" BETWEEN '2026/09/30' AND '2026/10/04'`},
			byDays: true,
		},
		{
			name:   "timestamp partitions added by hand (no projection)",
			keys:   str("region", "timestamp"),
			q:      window("2025-12-31T00:00:00Z", "2026-01-01T00:00:00Z"),
			want:   []string{`"timestamp" BETWEEN '2025/12/30' AND '2026/01/02'`},
			byDays: true,
		},
		{
			name:   "a date projection under another name and format",
			keys:   []PartitionKey{{Name: "dt", Type: "string", Projection: "date", Format: "yyyy-MM-dd"}},
			q:      fixture,
			want:   []string{`"dt" BETWEEN '2026-09-30' AND '2026-10-04'`},
			byDays: true,
		},
		{
			name:   "region, year, month, day across a month end",
			keys:   str("region", "year", "month", "day"),
			q:      fixture,
			want:   []string{`(("year" = '2026' AND "month" = '09' AND "day" = '30')` + "\n           OR " + `("year" = '2026' AND "month" = '10' AND "day" IN ('01', '02', '03', '04')))`},
			byDays: true,
		},
		{
			name: "year, month, day: whole months run together, a whole year at once",
			keys: str("account", "region", "year", "month", "day"),
			q:    window("2025-11-16T00:00:00Z", "2027-02-09T00:00:00Z"),
			want: []string{`(("year" = '2025' AND "month" = '11' AND "day" IN ('15', '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30'))` +
				"\n           OR " + `("year" = '2025' AND "month" = '12')` +
				"\n           OR " + `"year" = '2026'` +
				"\n           OR " + `("year" = '2027' AND "month" = '01')` +
				"\n           OR " + `("year" = '2027' AND "month" = '02' AND "day" IN ('01', '02', '03', '04', '05', '06', '07', '08', '09', '10')))`},
			byDays: true,
		},
		{
			name: "year, month, day: a run of whole months inside a year",
			keys: str("year", "month", "day"),
			q:    window("2026-01-02T00:00:00Z", "2026-04-30T00:00:00Z"),
			want: []string{`(("year" = '2026' AND "month" IN ('01', '02', '03', '04'))` + "\n           OR " +
				`("year" = '2026' AND "month" = '05' AND "day" = '01'))`},
			byDays: true,
		},
		{
			name: "year, month, day as integers",
			keys: []PartitionKey{{Name: "year", Type: "int"}, {Name: "month", Type: "int"}, {Name: "day", Type: "int"}},
			q:    fixture,
			want: []string{`(("year" = 2026 AND "month" = 9 AND "day" = 30)` + "\n           OR " +
				`("year" = 2026 AND "month" = 10 AND "day" IN (1, 2, 3, 4)))`},
			byDays: true,
		},
		{
			name: "year, month, day projected as integers without padding",
			keys: []PartitionKey{{Name: "year", Type: "string", Projection: "integer"}, {Name: "month", Type: "string", Projection: "integer"}, {Name: "day", Type: "string", Projection: "integer"}},
			q:    fixture,
			want: []string{`(("year" = '2026' AND "month" = '9' AND "day" = '30')` + "\n           OR " +
				`("year" = '2026' AND "month" = '10' AND "day" IN ('1', '2', '3', '4')))`},
			byDays: true,
		},
		{
			name: "year, month, day projected with two digits",
			keys: []PartitionKey{{Name: "year", Type: "string", Projection: "integer", Digits: 4}, {Name: "month", Type: "string", Projection: "integer", Digits: 2}, {Name: "day", Type: "string", Projection: "integer", Digits: 2}},
			q:    window("2026-10-10T00:00:00Z", "2026-10-11T00:00:00Z"),
			want: []string{`("year" = '2026' AND "month" = '10' AND "day" IN ('09', '10', '11', '12'))`},
		},
		{
			name: "account as an integer",
			keys: []PartitionKey{{Name: "accountid", Type: "bigint"}, {Name: "timestamp", Type: "string"}},
			q:    activity.Query{Start: fixture.Start, End: fixture.End, Accounts: []string{"012345678901"}},
			want: []string{`"timestamp" BETWEEN '2026/09/30' AND '2026/10/04'`, `"accountid" IN (12345678901)`},
		},
		{
			name: "injected account with the accounts named",
			keys: []PartitionKey{{Name: "account", Type: "string", Projection: "injected"}, {Name: "timestamp", Type: "string", Projection: "date", Format: "yyyy/MM/dd"}},
			q:    activity.Query{Start: fixture.Start, End: fixture.End, Accounts: []string{trailtest.AcctA}},
			want: []string{`"timestamp" BETWEEN '2026/09/30' AND '2026/10/04'`, `"account" IN ('111111111111')`},
		},
		{
			name: "no date partition: the read days by event time (no pruning)",
			keys: str("region"),
			q:    fixture,
			want: []string{`from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp('2026-09-30T00:00:00Z') AND from_iso8601_timestamp(eventtime) < from_iso8601_timestamp('2026-10-05T00:00:00Z')`},
		},
		{
			name: "year and month without day: by event time",
			keys: str("year", "month"),
			q:    fixture,
			want: []string{`from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp('2026-09-30T00:00:00Z') AND from_iso8601_timestamp(eventtime) < from_iso8601_timestamp('2026-10-05T00:00:00Z')`},
		},
		{
			name: "unpartitioned",
			q:    fixture,
			want: []string{`from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp('2026-09-30T00:00:00Z') AND from_iso8601_timestamp(eventtime) < from_iso8601_timestamp('2026-10-05T00:00:00Z')`},
		},
		{
			name: "injected account without accounts",
			keys: []PartitionKey{{Name: "account", Type: "string", Projection: "injected"}, {Name: "timestamp", Type: "string"}},
			q:    fixture,
			err:  "partition key account is an injected projection, so Athena needs the accounts named in every query: pass --accounts",
		},
		{
			name: "another injected key",
			keys: []PartitionKey{{Name: "org", Type: "string", Projection: "injected"}, {Name: "timestamp", Type: "string"}},
			q:    fixture,
			err:  "partition key org is an injected projection",
		},
		{
			name: "injected region",
			keys: []PartitionKey{{Name: "region", Type: "string", Projection: "injected"}, {Name: "timestamp", Type: "string"}},
			q:    fixture,
			err:  "partition key region is an injected projection",
		},
		{
			name: "a date format that does not sort as dates",
			keys: []PartitionKey{{Name: "dt", Type: "string", Projection: "date", Format: "dd/MM/yyyy"}},
			q:    fixture,
			err:  `date format "dd/MM/yyyy": dormant reads day partitions formatted with yyyy, MM and dd, once each and in that order`,
		},
		{
			name: "an hourly date format",
			keys: []PartitionKey{{Name: "dt", Type: "string", Projection: "date", Format: "yyyy/MM/dd/HH"}},
			q:    fixture,
			err:  `date format "yyyy/MM/dd/HH"`,
		},
		{name: "no window", keys: str("timestamp"), q: activity.Query{}, err: "needs a start and an end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TableLayout{Keys: tt.keys}.Filters(tt.q)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("filters:\n got %q\nwant %q", got, tt.want)
			}
			if tt.byDays {
				checkDaysSelected(t, tt.keys, got[0], tt.q)
			}
		})
	}
}

// checkDaysSelected evaluates a date filter over the partitions of every day
// from 60 days before the read days to 60 after, and checks that it selects
// the read days and nothing else.
func checkDaysSelected(t *testing.T, keys []PartitionKey, filter string, q activity.Query) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first, last := q.ReadDays()
	var cols, rows []string
	for _, k := range keys {
		typ := "VARCHAR"
		if isIntegerType(k.Type) {
			typ = "BIGINT"
		}
		cols = append(cols, sqlIdent(k.Name)+" "+typ)
	}
	cols = append(cols, "d DATE")
	for d := first.AddDate(0, 0, -60); !d.After(last.AddDate(0, 0, 60)); d = d.AddDate(0, 0, 1) {
		var vals []string
		for _, k := range keys {
			switch strings.ToLower(k.Name) {
			case "year":
				vals = append(vals, dateLiteral(k, d.Year(), 4))
			case "month":
				vals = append(vals, dateLiteral(k, int(d.Month()), 2))
			case "day":
				vals = append(vals, dateLiteral(k, d.Day(), 2))
			case "account", "accountid":
				vals = append(vals, accountLiteral(k, trailtest.AcctA))
			case "region":
				vals = append(vals, "'us-east-1'")
			default: // the date key
				layout, err := dateLayout(cmpOr(k.Format, "yyyy/MM/dd"))
				if err != nil {
					t.Fatal(err)
				}
				vals = append(vals, sqlString(d.Format(layout)))
			}
		}
		rows = append(rows, "("+strings.Join(vals, ", ")+", DATE "+sqlString(d.Format(time.DateOnly))+")")
	}
	if _, err := db.Exec("CREATE TABLE p (" + strings.Join(cols, ", ") + "); INSERT INTO p VALUES " + strings.Join(rows, ", ")); err != nil {
		t.Fatal(err)
	}
	var lo, hi time.Time
	var n int
	if err := db.QueryRow("SELECT min(d), max(d), count(*) FROM p WHERE "+filter).Scan(&lo, &hi, &n); err != nil {
		t.Fatal(err)
	}
	if want := int(last.Sub(first).Hours()/24) + 1; !lo.Equal(first) || !hi.Equal(last) || n != want {
		t.Errorf("the filter selects %d days from %s to %s; want the %d read days %s to %s",
			n, lo.Format(time.DateOnly), hi.Format(time.DateOnly), want, first.Format(time.DateOnly), last.Format(time.DateOnly))
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestLayoutFromMetadata(t *testing.T) {
	md := &athenatypes.TableMetadata{
		PartitionKeys: []athenatypes.Column{{Name: aws.String("account"), Type: aws.String("string")}, {Name: aws.String("Month"), Type: aws.String("STRING")}, {Name: aws.String("timestamp"), Type: aws.String("string")}},
		Parameters: map[string]string{
			"projection.enabled": "TRUE", "projection.account.type": "injected",
			"projection.month.type": "integer", "projection.month.digits": "2",
			"projection.timestamp.type": "date", "projection.timestamp.format": "yyyy/MM/dd",
		},
	}
	want := TableLayout{Keys: []PartitionKey{
		{Name: "account", Type: "string", Projection: "injected"},
		{Name: "Month", Type: "string", Projection: "integer", Digits: 2},
		{Name: "timestamp", Type: "string", Projection: "date", Format: "yyyy/MM/dd"},
	}}
	if got := LayoutFromMetadata(md); !slices.Equal(got.Keys, want.Keys) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// Projection parameters count only when projection is enabled.
	md.Parameters["projection.enabled"] = "false"
	for _, k := range LayoutFromMetadata(md).Keys {
		if k.Projection != "" || k.Format != "" {
			t.Errorf("key %+v: projection read though disabled", k)
		}
	}
}

func TestAthenaCost(t *testing.T) {
	const mb, tb = 1 << 20, 1 << 40
	tests := []struct {
		bytes int64
		want  float64
	}{
		{0, 10 * 5.0 / (1 << 20)},                    // the 10 MB minimum
		{10*mb + 1, 11 * 5.0 / (1 << 20)},            // rounded up to the MB
		{tb, 5.0},                                    // a TB
		{3 * tb / 2, 7.5},                            // a TB and a half
		{-1, 10 * 5.0 / (1 << 20)},                   // nonsense counts as nothing
		{100 * mb, 100 * 5.0 / (1 << 20)},            // exactly 100 MB
		{100*mb - 1, 100 * 5.0 / (1 << 20)},          // just under
		{2 * tb, 10.0},                               // two TB
		{5 * mb, 10 * 5.0 / (1 << 20)},               // under the minimum
		{tb + mb/2, (1<<20 + 1) * 5.0 / (1 << 20)},   // half a MB over a TB
		{7 * tb, 35.0},                               // seven TB
		{tb / 1024, (1 << 10) * 5.0 / (1 << 20)},     // a GB
		{tb / 1024 * 3, (3 << 10) * 5.0 / (1 << 20)}, // three GB
	}
	for _, tt := range tests {
		if got := AthenaCost(tt.bytes, 5.0); got != tt.want {
			t.Errorf("AthenaCost(%d) = %v, want %v", tt.bytes, got, tt.want)
		}
	}
	if got := lake.LakeCost(3<<30, 0.005); got != 0.015 {
		t.Errorf("LakeCost(3 GiB) = %v, want 0.015", got)
	}
}

// Partition predicates make Athena scan only the read days' files: the
// bytes scanned are those of the read days' folders, less than the table.
func TestAthenaPruning(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail"), Tables: []analytics.Table{
		{Name: "pruned", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
		{Name: "pruned_ymd", Partitions: []string{"region", "year", "month", "day"}},
		{Name: "unpartitioned"},
	}})
	ctx := context.Background()
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	first, last := q.ReadDays()
	want, err := newTestLocal(filepath.Join(trailtest.TestdataDir, "trail")).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var scanned = map[string]int64{}
	for _, table := range []string{"pruned", "pruned_ymd", "unpartitioned"} {
		res, err := newTestAthena(t, s, table, nil).Run(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// The unpartitioned table reads the days by event time: the
		// same events, hence the same activity.
		if !slicesEqualActivity(res, want) {
			t.Errorf("table %s: the activity differs from the local engine's", table)
		}
		all, days, err := s.TableBytes(table, first, last)
		if err != nil {
			t.Fatal(err)
		}
		scanned[table] = res.Runs[0].BytesScanned
		wantBytes := days
		if table == "unpartitioned" {
			wantBytes = all
		}
		if res.Runs[0].BytesScanned != wantBytes || days >= all {
			t.Errorf("table %s: scanned %d bytes, want %d (the read days' files: %d of %d)", table, res.Runs[0].BytesScanned, wantBytes, days, all)
		}
	}
	if !(scanned["pruned"] < scanned["unpartitioned"]) || scanned["pruned"] != scanned["pruned_ymd"] {
		t.Errorf("scanned %v: pruning by either layout should scan the same, less than no pruning", scanned)
	}
}

func slicesEqualActivity(a, b *activity.Result) bool {
	return fmt.Sprint(a.Activity) == fmt.Sprint(b.Activity)
}

// A failed query's reason, as Athena gives it, reaches the error.
func TestAthenaFailedQuery(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	ctx := context.Background()
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}

	const reason = "HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: Unterminated string at 201 [character 202 line 1]"
	s.SetBehavior(analytics.Behavior{Fail: reason, Polls: 3})
	_, err := newTestAthena(t, s, analytics.DefaultTable, nil).Run(ctx, q)
	var qe *remote.QueryError
	if !errors.As(err, &qe) || qe.State != "FAILED" || qe.Engine != "athena" || !strings.Contains(err.Error(), reason) {
		t.Fatalf("got %v, want a FAILED QueryError with Athena's reason", err)
	}
	if len(s.CallsTo("GetQueryExecution")) < 4 {
		t.Errorf("polled %d times; the query was QUEUED or RUNNING for 3 polls", len(s.CallsTo("GetQueryExecution")))
	}

	// A query someone else stops: CANCELLED, with Athena's reason.
	s.SetBehavior(analytics.Behavior{Hold: true})
	errc := make(chan error, 1)
	go func() {
		_, err := newTestAthena(t, s, analytics.DefaultTable, nil).Run(ctx, q)
		errc <- err
	}()
	trailtest.WaitFor(t, func() bool { return len(s.CallsTo("StartQueryExecution")) == 2 })
	id := s.CallsTo("StartQueryExecution")[1].QueryID
	if _, err := s.AthenaClient().StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	err = <-errc
	if !errors.As(err, &qe) || qe.State != "CANCELLED" || qe.QueryID != id || !strings.Contains(err.Error(), "Query was cancelled by user") {
		t.Errorf("got %v, want a CANCELLED QueryError with Athena's reason", err)
	}

	// A query Athena itself refuses (here: a catalog that does not exist).
	s.SetBehavior(analytics.Behavior{})
	a := newTestAthena(t, s, analytics.DefaultTable, nil)
	a.opts.Catalog = "OtherCatalog"
	if _, err := a.Run(ctx, q); err == nil || !strings.Contains(err.Error(), "Catalog OtherCatalog is not found") {
		t.Errorf("got %v, want GetTableMetadata's error", err)
	}
}

// Cancelling the context (Ctrl-C) stops the running query.
func TestAthenaCancel(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	s.SetBehavior(analytics.Behavior{Hold: true})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := newTestAthena(t, s, analytics.DefaultTable, nil).Run(ctx, activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
		errc <- err
	}()
	trailtest.WaitFor(t, func() bool { return len(s.CallsTo("GetQueryExecution")) >= 2 })
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	starts, stops := s.CallsTo("StartQueryExecution"), s.CallsTo("StopQueryExecution")
	if len(starts) != 1 || len(stops) != 1 || stops[0].QueryID != starts[0].QueryID || stops[0].Status != 200 {
		t.Fatalf("started %+v, stopped %+v: want the query stopped", starts, stops)
	}
	// The fake saw the stop: the query is CANCELLED.
	out, err := s.AthenaClient().GetQueryExecution(context.Background(), &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(starts[0].QueryID)})
	if err != nil {
		t.Fatal(err)
	}
	if out.QueryExecution.Status.State != athenatypes.QueryExecutionStateCancelled {
		t.Errorf("the query is %s, want CANCELLED", out.QueryExecution.Status.State)
	}
}

// When the result file cannot be read from S3, the results are paged.
func TestAthenaResultFileFallback(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	want, err := newTestLocal(filepath.Join(trailtest.TestdataDir, "trail")).Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAthena(t, s, analytics.DefaultTable, nil)
	a.s3 = deniedS3{}
	got, err := a.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	trailtest.SameTables(t, "paged after S3 denied", got, want)
	if len(s.CallsTo("GetQueryResults")) == 0 {
		t.Error("GetQueryResults was not called")
	}
}

type deniedS3 struct{}

func (deniedS3) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return nil, errors.New("AccessDenied: Access Denied")
}

func TestNewAthenaErrors(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{})
	tests := []struct {
		name string
		opts AthenaOptions
		want string
	}{
		{"no table", AthenaOptions{Database: "default"}, "--athena-table"},
		{"no database", AthenaOptions{Table: "t"}, "--athena-database"},
		{"bad output", AthenaOptions{Database: "d", Table: "t", OutputLocation: "bucket/prefix"}, "--athena-output"},
		{"negative price", AthenaOptions{Database: "d", Table: "t", PricePerTB: -1}, "cannot be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewAthena(s.AthenaClient(), nil, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// A table that does not exist: GetTableMetadata's answer, and what to check.
	a := newTestAthena(t, s, "nope", nil)
	if _, err := a.Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}); err == nil ||
		!strings.Contains(err.Error(), "Table nope is not found") || !strings.Contains(err.Error(), "--athena-table") {
		t.Errorf("got %v, want the missing table named", err)
	}
}

func newTestAthena(t testing.TB, s *analytics.Server, table string, mod func(*AthenaOptions)) *Athena {
	t.Helper()
	opts := AthenaOptions{
		Database: "default", Table: table, OutputLocation: "s3://athena-results/dormant/",
		PollInterval: trailtest.FastPoll, MaxPollInterval: trailtest.FastPollMax, Logger: trailtest.Quiet(),
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

// newTestLocal is the local engine the Athena results are compared with.
func newTestLocal(root string) *local.Local {
	return local.NewLocal(root, local.WithThreads(2), local.WithLogger(trailtest.Quiet()))
}

// A query against the fake reports its state, elapsed time and bytes
// scanned while it runs: a redrawn line on a terminal, log lines otherwise.
func TestAthenaProgress(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	slow := func(o *AthenaOptions) {
		o.PollInterval, o.MaxPollInterval, o.progressEvery = 4*time.Millisecond, 4*time.Millisecond, time.Millisecond
	}

	var term, logs progresstest.Buffer
	s.SetBehavior(analytics.Behavior{Polls: 30})
	if _, err := newTestAthena(t, s, analytics.DefaultTable, func(o *AthenaOptions) { slow(o); o.Progress = &term }).Run(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	id := s.CallsTo("GetQueryExecution")[0].QueryID
	out := term.String()
	for _, want := range []string{"\r\033[KAthena query " + id + ": QUEUED, ", "\r\033[KAthena query " + id + ": RUNNING, ", " B scanned"} {
		if !strings.Contains(out, want) {
			t.Errorf("the progress lines lack %q:\n%q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("the progress line is not cleared at the end: %q", out)
	}

	s.SetBehavior(analytics.Behavior{Polls: 30})
	if _, err := newTestAthena(t, s, analytics.DefaultTable, func(o *AthenaOptions) {
		slow(o)
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}).Run(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`msg="Athena query running"`, "state=RUNNING", "state=QUEUED", "elapsed=", "bytes_scanned="} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the query's log lacks %q:\n%s", want, logs.String())
		}
	}
}
