package local

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// BenchmarkDigestValidation runs the Go scanner over the same demo trail
// (which carries digests) with and without integrity validation: hashing
// every file in the scan's read and checking it and the chain against the
// digests. Issue 14 bounds the cost at 10% of the plain scan, e.g.
//
//	go test ./pipeline/activity/local -run '^$' -bench DigestValidation -cache.events 1000000 -count 5
func BenchmarkDigestValidation(b *testing.B) {
	asOf := trailtest.TS("2026-10-02T00:00:00Z")
	o := demo.DefaultOptions()
	o.Events, o.Users, o.AsOf = *cacheEvents, 1000, asOf
	out, err := demo.Generate(context.Background(), filepath.Join(b.TempDir(), "demo"), o)
	if err != nil {
		b.Fatal(err)
	}
	q := activity.Query{Start: asOf.AddDate(0, 0, -90), End: asOf}
	for _, tc := range []struct {
		name  string
		plain bool
	}{{"plain", true}, {"validated", false}} {
		b.Run(tc.name, func(b *testing.B) {
			eng := NewLocal(out.CloudTrail, WithLogger(trailtest.Quiet()), WithScanner(ScannerGo))
			eng.noDigests = tc.plain
			for b.Loop() {
				res, err := eng.Run(context.Background(), q)
				if err != nil {
					b.Fatal(err)
				}
				if (res.Digests == nil) != tc.plain {
					b.Fatalf("digest report %v with plain=%v", res.Digests, tc.plain)
				}
			}
			b.ReportMetric(float64(out.RawBytes)/1e6/(b.Elapsed().Seconds()/float64(b.N)), "MB/s")
		})
	}
}
