package athena

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// benchResultRows is the size of the result BenchmarkAthenaResults reads.
const benchResultRows = 100_000

// benchResultSQL returns benchResultRows activity rows shaped as the
// activity query's, run by the fake's DuckDB.
const benchResultSQL = `SELECT
    'activity' AS kind,
    '111111111111' AS account_id,
    'AIDA' || lpad(CAST(i AS VARCHAR), 17, '0') AS principal_id,
    'arn:aws:iam::111111111111:user/user-' || CAST(i AS VARCHAR) AS arn,
    'user-' || CAST(i AS VARCHAR) AS user_name,
    NULL AS region,
    '2026-08-03T09:00:00.000Z' AS first_event,
    '2026-10-31T17:45:12.000Z' AS last_event,
    i % 5000 AS events,
    'ListBuckets' AS last_event_name,
    's3.amazonaws.com' AS last_event_source,
    '203.0.113.' || CAST(i % 250 AS VARCHAR) AS last_source_ip,
    'us-east-1' AS last_region,
    i % 3 AS console_logins,
    i % 2 AS failed_console_logins,
    CASE WHEN i % 2 = 1 THEN '2026-10-30T08:00:00.000Z' END AS last_failed_console_login,
    'AKIA' || lpad(CAST(i AS VARCHAR), 16, '0') AS access_key_ids
FROM range(100000) t(i)`

// BenchmarkAthenaResults reads the same 100k-row Athena result both ways,
// in the same run: the CSV file from S3 (one GetObject), and pages of
// GetQueryResults (100 calls of 1000 rows), through the fake. It reports
// each way's time per read and their ratio:
//
//	go test ./pipeline/activity/athena -run '^$' -bench AthenaResults -benchtime 5x
func BenchmarkAthenaResults(b *testing.B) {
	s := trailtest.NewFake(b, analytics.Config{})
	a := newTestAthena(b, s, analytics.DefaultTable, nil)
	ctx := context.Background()
	out, err := s.AthenaClient().StartQueryExecution(ctx, &athena.StartQueryExecutionInput{
		QueryString:         aws.String(benchResultSQL),
		ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: aws.String("s3://athena-results/bench/")},
	})
	if err != nil {
		b.Fatal(err)
	}
	exec, err := a.wait(ctx, aws.ToString(out.QueryExecutionId))
	if err != nil {
		b.Fatal(err)
	}
	read := func(fromAPI bool) time.Duration {
		a.opts.ResultsFromAPI = fromAPI
		res := &activity.Result{}
		started := time.Now()
		if err := a.readResults(ctx, exec, res); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(started)
		if len(res.Activity) != benchResultRows || res.Activity[benchResultRows-1].AccessKeyIDs[0] != "AKIA0000000000099999" {
			b.Fatalf("read %d rows, want %d", len(res.Activity), benchResultRows)
		}
		return elapsed
	}
	var csv, pages time.Duration
	for b.Loop() {
		csv += read(false)
		pages += read(true)
	}
	n := float64(b.N)
	b.ReportMetric(csv.Seconds()*1000/n, "csv-ms/read")
	b.ReportMetric(pages.Seconds()*1000/n, "pages-ms/read")
	b.ReportMetric(pages.Seconds()/csv.Seconds(), "pages/csv")
	b.ReportMetric(benchResultRows/csv.Seconds()*n, "csv-rows/s")
	b.ReportMetric(benchResultRows/pages.Seconds()*n, "pages-rows/s")
}
