package live

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
)

// BenchmarkCollect200Accounts reads a 200-account Organization through the
// fakes with 50 ms of latency on every call and 2 s of credential report
// generation, with the production defaults (adaptive retry, 500 ms first
// poll), and reports the wall time against the ideal: accounts / concurrency
// x one account's critical path. That path is the calls an account cannot
// overlap, AssumeRole, GenerateCredentialReport and GetCredentialReport, one
// latency each, plus the report's generation; its authorization details
// (one page) are read during the generation. The ideal leaves out the
// run's own calls (GetCallerIdentity, DescribeOrganization and ten pages of
// ListAccounts, 0.6 s in all), so they count against the ratio.
//
//	go test -run '^$' -bench Collect200Accounts -benchtime 1x ./pipeline/inventory/live/
func BenchmarkCollect200Accounts(b *testing.B) {
	const (
		accounts    = 200
		latency     = 50 * time.Millisecond
		reportDelay = 2 * time.Second
	)
	critical := 3*latency + reportDelay
	for _, concurrency := range []int{8, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
			var wall time.Duration
			for range b.N {
				b.StopTimer()
				org, _ := memberOrg(accounts - 1)
				srv := awsfake.New(org, awsfake.WithLatency(latency), awsfake.WithReportDelay(reportDelay))
				if err := srv.Err(); err != nil {
					b.Fatal(err)
				}
				cfg := srv.AWSConfig(org.CallerCredentials())
				cfg.HTTPClient, cfg.Retryer = nil, nil // New's own pooled client and adaptive retry
				src := New(cfg, WithOrg(), WithRole(roleOA, ""), WithConcurrency(concurrency),
					WithLogger(slog.New(slog.DiscardHandler)))
				b.StartTimer()
				start := time.Now()
				results, err := src.Collect(context.Background())
				wall += time.Since(start)
				b.StopTimer()
				srv.Close()
				if err != nil {
					b.Fatal(err)
				}
				if len(results) != accounts {
					b.Fatalf("%d accounts read, want %d", len(results), accounts)
				}
				for _, r := range results {
					if r.Err != nil {
						b.Fatalf("account %s: %v", r.AccountID, r.Err)
					}
				}
				b.StartTimer()
			}
			perRun := wall / time.Duration(b.N)
			ideal := time.Duration(float64(accounts) / float64(concurrency) * float64(critical))
			b.ReportMetric(perRun.Seconds(), "wall-s")
			b.ReportMetric(ideal.Seconds(), "ideal-s")
			b.ReportMetric(perRun.Seconds()/ideal.Seconds(), "x-ideal")
		})
	}
}
