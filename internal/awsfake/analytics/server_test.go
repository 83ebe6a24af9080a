package analytics

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// trail is the activity engine's fixture trail: two accounts (one in the
// organization layout), three regions, day folders 2026-09-29 to 10-05,
// digests and insights, a hidden download and a note in a day folder.
var trail = filepath.Join("..", "..", "trailtest", "testdata", "trail")

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// runAthena runs a query to its end and returns its execution.
func runAthena(t *testing.T, s *Server, in *athena.StartQueryExecutionInput) *athenatypes.QueryExecution {
	t.Helper()
	ctx := context.Background()
	c := s.AthenaClient()
	out, err := c.StartQueryExecution(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for {
		got, err := c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: out.QueryExecutionId})
		if err != nil {
			t.Fatal(err)
		}
		switch got.QueryExecution.Status.State {
		case athenatypes.QueryExecutionStateSucceeded, athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			return got.QueryExecution
		}
		time.Sleep(time.Millisecond)
	}
}

// Athena's results: the CSV file as Athena writes it, and GetQueryResults
// pages with the header row first and NULL as a Datum without a value.
func TestAthenaResults(t *testing.T) {
	s := newServer(t, Config{})
	exec := runAthena(t, s, &athena.StartQueryExecutionInput{
		QueryString:         aws.String(`SELECT 'say "hi"' AS x, NULL AS y, '' AS z, 42::BIGINT AS n, TIMESTAMPTZ '2026-10-01 09:00:00+00' AS t FROM range(3)`),
		ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://athena-results/q/")},
	})
	if exec.Status.State != athenatypes.QueryExecutionStateSucceeded {
		t.Fatalf("query %s: %s", exec.Status.State, aws.ToString(exec.Status.StateChangeReason))
	}
	id := aws.ToString(exec.QueryExecutionId)
	if got := aws.ToString(exec.ResultConfiguration.OutputLocation); got != "s3://athena-results/q/"+id+".csv" {
		t.Errorf("OutputLocation = %s", got)
	}
	obj, err := s.S3Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("athena-results"), Key: aws.String("q/" + id + ".csv")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	row := `"say ""hi""",,"","42","2026-10-01 09:00:00.000 UTC"` + "\n"
	if want := `"x","y","z","n","t"` + "\n" + row + row + row; string(data) != want {
		t.Errorf("result file:\n%s\nwant\n%s", data, want)
	}

	var rows []athenatypes.Row
	var token *string
	for pages := 0; ; pages++ {
		out, err := s.AthenaClient().GetQueryResults(context.Background(), &athena.GetQueryResultsInput{
			QueryExecutionId: aws.String(id), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 {
			var types []string
			for _, c := range out.ResultSet.ResultSetMetadata.ColumnInfo {
				types = append(types, aws.ToString(c.Name)+" "+aws.ToString(c.Type))
			}
			if want := []string{"x varchar", "y integer", "z varchar", "n bigint", "t timestamp with time zone"}; !slices.Equal(types, want) {
				t.Errorf("columns %q, want %q", types, want)
			}
		}
		rows = append(rows, out.ResultSet.Rows...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(rows) != 4 || aws.ToString(rows[0].Data[0].VarCharValue) != "x" {
		t.Fatalf("got %d rows, want the header and 3", len(rows))
	}
	d := rows[1].Data
	if aws.ToString(d[0].VarCharValue) != `say "hi"` || d[1].VarCharValue != nil || d[2].VarCharValue == nil || *d[2].VarCharValue != "" {
		t.Errorf("row 1 = %+v; want the text, NULL without a value, the empty string with one", d)
	}
	if exec.Statistics == nil || aws.ToInt64(exec.Statistics.DataScannedInBytes) != 0 {
		t.Errorf("a query reading no table scanned %v bytes", exec.Statistics)
	}
}

func TestAthenaStartErrors(t *testing.T) {
	s := newServer(t, Config{WorkGroupOutput: ""})
	ctx := context.Background()
	c := s.AthenaClient()
	_, err := c.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT 1")})
	if !isCode(err, "InvalidRequestException") || !strings.Contains(err.Error(), "No output location provided") {
		t.Errorf("without an output location: %v", err)
	}
	in := func(q string) *athena.StartQueryExecutionInput {
		return &athena.StartQueryExecutionInput{QueryString: aws.String(q), ClientRequestToken: aws.String("token-0123456789abcdef0123456789abcdef"),
			ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://athena-results/")}}
	}
	a, err := c.StartQueryExecution(ctx, in("SELECT 1"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.StartQueryExecution(ctx, in("SELECT 1"))
	if err != nil || aws.ToString(b.QueryExecutionId) != aws.ToString(a.QueryExecutionId) {
		t.Errorf("the same token started %v (%v), want the first query %s again", b, err, aws.ToString(a.QueryExecutionId))
	}
	if _, err := c.StartQueryExecution(ctx, in("SELECT 2")); !isCode(err, "InvalidRequestException") {
		t.Errorf("the same token with another query: %v, want InvalidRequestException", err)
	}
	if len(s.CallsTo("StartQueryExecution")) != 4 {
		t.Errorf("calls: %+v", s.Calls())
	}

	// SQL DuckDB refuses fails the query with its message.
	exec := runAthena(t, s, &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT nope FROM nowhere"),
		ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://athena-results/")}})
	if exec.Status.State != athenatypes.QueryExecutionStateFailed || !strings.Contains(aws.ToString(exec.Status.StateChangeReason), "nowhere") ||
		exec.Status.AthenaError == nil || !strings.Contains(aws.ToString(exec.Status.AthenaError.ErrorMessage), "nowhere") {
		t.Errorf("a bad query: %+v", exec.Status)
	}
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// The tables: GetTableMetadata's shape, the partition columns' values, and
// DataScannedInBytes counting only the folders the predicates leave.
func TestAthenaTables(t *testing.T) {
	s := newServer(t, Config{LogsDir: trail, Tables: []Table{
		{Name: "by_day", Partitions: []string{"account", "region", "timestamp"}, Projection: true, InjectedAccount: true},
		{Name: "ymd", Partitions: []string{"region", "year", "month", "day"}},
		{Name: "one_region", Partitions: []string{"timestamp"}, Account: "111111111111", Region: "us-east-2"},
	}})
	ctx := context.Background()
	md, err := s.AthenaClient().GetTableMetadata(ctx, &athena.GetTableMetadataInput{
		CatalogName: aws.String("AwsDataCatalog"), DatabaseName: aws.String("default"), TableName: aws.String("by_day")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range md.TableMetadata.PartitionKeys {
		keys = append(keys, aws.ToString(k.Name)+" "+aws.ToString(k.Type))
	}
	p := md.TableMetadata.Parameters
	if !slices.Equal(keys, []string{"account string", "region string", "timestamp string"}) || p["projection.enabled"] != "true" ||
		p["projection.timestamp.type"] != "date" || p["projection.timestamp.format"] != "yyyy/MM/dd" || p["projection.account.type"] != "injected" ||
		p["projection.region.values"] != "eu-west-1,us-east-1,us-east-2" || len(md.TableMetadata.Columns) != len(athenaColumns) {
		t.Errorf("metadata: keys %q, parameters %v, %d columns", keys, p, len(md.TableMetadata.Columns))
	}
	if _, err := s.AthenaClient().GetTableMetadata(ctx, &athena.GetTableMetadataInput{
		CatalogName: aws.String("AwsDataCatalog"), DatabaseName: aws.String("default"), TableName: aws.String("nope")}); !isCode(err, "MetadataException") {
		t.Errorf("a missing table: %v", err)
	}

	day := func(rel string) int64 {
		var n int64
		entries, _ := os.ReadDir(filepath.Join(trail, "AWSLogs", rel))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "1") || strings.HasPrefix(e.Name(), "2") {
				info, _ := e.Info()
				n += info.Size()
			}
		}
		return n
	}
	tests := []struct {
		name, sql string
		want      [][]string
		scanned   int64
	}{
		{
			name:    "projected day and account",
			sql:     `SELECT account, region, "timestamp", count(*) FROM "default".by_day WHERE "timestamp" = '2026/10/02' AND account = '222222222222' GROUP BY ALL`,
			want:    [][]string{{"222222222222", "eu-west-1", "2026/10/02", "2"}},
			scanned: day("o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/10/02"),
		},
		{
			name: "year, month and day",
			sql:  `SELECT region, year, month, day, count(*) FROM ymd WHERE year = '2026' AND month = '10' AND day IN ('01') GROUP BY ALL ORDER BY region`,
			want: [][]string{{"us-east-1", "2026", "10", "01", "9"}, {"us-east-2", "2026", "10", "01", "1"}},
			scanned: day("111111111111/CloudTrail/us-east-1/2026/10/01") +
				day("111111111111/CloudTrail/us-east-2/2026/10/01"),
		},
		{
			name:    "one account and region's table, the hidden $path column",
			sql:     `SELECT "timestamp", regexp_extract("$path", '[^/]+$'), eventid FROM one_region WHERE "timestamp" = '2026/10/01'`,
			want:    [][]string{{"2026/10/01", "111111111111_CloudTrail_us-east-2_20261001T1005Z_Gh6JkLz7Xc8Vb9Nm.json.gz", "2a100000-0000-4000-8000-000000000001"}},
			scanned: day("111111111111/CloudTrail/us-east-2/2026/10/01"),
		},
		{
			name: "the SerDe's text of responseElements, an object or a string",
			sql: `SELECT json_extract_scalar(responseelements, '$.ConsoleLogin'), responseelements FROM by_day
				WHERE eventname = 'ConsoleLogin' AND region = 'us-east-2' ORDER BY eventtime`,
			want: [][]string{{"Success", `{"ConsoleLogin":"Success"}`}, {"Failure", `{"ConsoleLogin":"Failure"}`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec := runAthena(t, s, &athena.StartQueryExecutionInput{QueryString: aws.String(tt.sql),
				QueryExecutionContext: &athenatypes.QueryExecutionContext{Database: aws.String("default")},
				ResultConfiguration:   &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://athena-results/")}})
			if exec.Status.State != athenatypes.QueryExecutionStateSucceeded {
				t.Fatalf("%s: %s", exec.Status.State, aws.ToString(exec.Status.StateChangeReason))
			}
			out, err := s.AthenaClient().GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: exec.QueryExecutionId})
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, r := range out.ResultSet.Rows[1:] {
				var row []string
				for _, d := range r.Data {
					row = append(row, aws.ToString(d.VarCharValue))
				}
				got = append(got, row)
			}
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
			if tt.scanned != 0 && aws.ToInt64(exec.Statistics.DataScannedInBytes) != tt.scanned {
				t.Errorf("scanned %d bytes, want %d", aws.ToInt64(exec.Statistics.DataScannedInBytes), tt.scanned)
			}
		})
	}
}

// Lake: the event data store named by ID in FROM, its shapes, paged rows of
// one-key maps.
func TestLake(t *testing.T) {
	s := newServer(t, Config{LogsDir: trail})
	ctx := context.Background()
	c := s.CloudTrailClient()
	start, err := c.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(
		`SELECT eventid, eventtime, element_at(responseelements, 'ConsoleLogin') AS outcome, readonly
		 FROM ` + DefaultEventDataStore + ` WHERE eventname = 'ConsoleLogin' AND useridentity.type = 'Root' ORDER BY eventtime`)})
	if err != nil {
		t.Fatal(err)
	}
	var desc *cloudtrail.DescribeQueryOutput
	for {
		if desc, err = c.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: start.QueryId}); err != nil {
			t.Fatal(err)
		}
		if desc.QueryStatus != cttypes.QueryStatusQueued && desc.QueryStatus != cttypes.QueryStatusRunning {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if desc.QueryStatus != cttypes.QueryStatusFinished || aws.ToInt64(desc.QueryStatistics.BytesScanned) == 0 {
		t.Fatalf("query %s (%s), %+v", desc.QueryStatus, aws.ToString(desc.ErrorMessage), desc.QueryStatistics)
	}
	var rows [][]map[string]string
	var token *string
	for {
		out, err := c.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: start.QueryId, MaxQueryResults: aws.Int32(1), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, out.QueryResultRows...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	want := [][]map[string]string{
		{{"eventid": "2a000000-0000-4000-8000-000000000001"}, {"eventtime": "2026-10-01 07:00:00.000"}, {"outcome": "Success"}, {"readonly": "false"}},
		{{"eventid": "3b000000-0000-4000-8000-000000000001"}, {"eventtime": "2026-10-02 07:00:00.000"}, {"outcome": "Failure"}, {"readonly": "false"}},
	}
	if !slices.EqualFunc(rows, want, func(a, b []map[string]string) bool {
		return slices.EqualFunc(a, b, func(x, y map[string]string) bool { return strings.Join(mapKV(x), ",") == strings.Join(mapKV(y), ",") })
	}) {
		t.Errorf("rows %v, want %v", rows, want)
	}

	for _, tt := range []struct{ stmt, code string }{
		{"SELECT 1 FROM EXAMPLE0000-0000-0000-0000-unknown", "EventDataStoreNotFoundException"},
		{"SELECT 1", "InvalidQueryStatementException"},
		{"SELECT 1 FROM " + DefaultEventDataStore + " -- " + strings.Repeat("x", 10000), "InvalidQueryStatementException"},
	} {
		if _, err := c.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(tt.stmt)}); !isCode(err, tt.code) {
			t.Errorf("StartQuery(%.60q): %v, want %s", tt.stmt, err, tt.code)
		}
	}
	if _, err := c.CancelQuery(ctx, &cloudtrail.CancelQueryInput{QueryId: start.QueryId}); !isCode(err, "InactiveQueryException") {
		t.Errorf("cancelling a finished query: %v, want InactiveQueryException", err)
	}
}

func mapKV(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// Held queries run until stopped; failing ones end with the given reason.
func TestBehavior(t *testing.T) {
	s := newServer(t, Config{WorkGroupOutput: "s3://athena-results/wg/"})
	ctx := context.Background()
	s.SetBehavior(Behavior{Hold: true})
	out, err := s.AthenaClient().StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT 1")})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	got, err := s.AthenaClient().GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: out.QueryExecutionId})
	if err != nil || got.QueryExecution.Status.State != athenatypes.QueryExecutionStateRunning {
		t.Fatalf("a held query: %v, %v", got, err)
	}
	if _, err := s.AthenaClient().StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: out.QueryExecutionId}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.AthenaClient().GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: out.QueryExecutionId})
	if got.QueryExecution.Status.State != athenatypes.QueryExecutionStateCancelled {
		t.Errorf("after StopQueryExecution: %s", got.QueryExecution.Status.State)
	}
	if _, err := s.AthenaClient().GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: out.QueryExecutionId}); !isCode(err, "InvalidRequestException") {
		t.Errorf("results of a cancelled query: %v", err)
	}

	s.SetBehavior(Behavior{Fail: "boom", Polls: 2})
	out, err = s.AthenaClient().StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT 1")})
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for {
		got, err := s.AthenaClient().GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: out.QueryExecutionId})
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, string(got.QueryExecution.Status.State))
		if got.QueryExecution.Status.State == athenatypes.QueryExecutionStateFailed {
			if aws.ToString(got.QueryExecution.Status.StateChangeReason) != "boom" {
				t.Errorf("reason %q", aws.ToString(got.QueryExecution.Status.StateChangeReason))
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	if states[0] != "QUEUED" || states[1] != "RUNNING" {
		t.Errorf("states %q, want QUEUED, RUNNING, then FAILED", states)
	}
}
