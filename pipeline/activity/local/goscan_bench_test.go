package local

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// Scanner benchmarks, on the same generated trail as BenchmarkLocalScan and
// BenchmarkGzipDecompress (see bench_test.go), e.g.
//
//	go test ./pipeline/activity/local -run '^$' -bench 'Scanners|GzipDecompress' -scan.events 2000000
//	go test ./pipeline/activity/local -run '^$' -bench SmallFiles
//	go test ./pipeline/activity/local -run '^$' -bench CacheNextDay -cache.events 1000000
//
// bench/scan.sh and bench/incremental.sh measure the same on a demo
// organization, with the references in the same process run.
var (
	smallFiles  = flag.Int("scan.smallfiles", 20_000, "files in the trail BenchmarkSmallFiles generates (one to four records each)")
	cacheEvents = flag.Int("cache.events", 200_000, "records in the demo trail BenchmarkCacheNextDay generates")
)

// BenchmarkScanners runs each scanner over the generated trail.
func BenchmarkScanners(b *testing.B) {
	dir := b.TempDir()
	tr := generateBenchTrail(b, dir, *scanEvents)
	q := activity.Query{Start: benchDays[0], End: benchDays[len(benchDays)-1].Add(24*time.Hour - time.Second)}
	for _, s := range Scanners() {
		b.Run(s, func(b *testing.B) {
			eng := NewLocal(dir, WithLogger(trailtest.Quiet()), WithScanner(s))
			cpu := processCPU()
			b.ReportAllocs()
			for b.Loop() {
				res, err := eng.Run(context.Background(), q)
				if err != nil {
					b.Fatal(err)
				}
				var records int64
				for _, c := range res.Coverage {
					records += c.Events
				}
				if records != tr.events {
					b.Fatalf("scanned %d records; the trail has %d", records, tr.events)
				}
			}
			tr.report(b, processCPU()-cpu)
		})
	}
}

// BenchmarkSmallFiles measures the per-file cost: many files of a few
// records, as quiet regions deliver, for each scanner and `gzip -dc`.
func BenchmarkSmallFiles(b *testing.B) {
	dir := b.TempDir()
	var paths []string
	day := benchDays[0]
	for i := range *smallFiles {
		acct := benchAccounts[i%len(benchAccounts)]
		region := benchRegions[(i/2)%len(benchRegions)]
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_%016d.json.gz", acct.id, region, day.Format("20060102T1504Z"), i)
		p := filepath.Join(dir, filepath.FromSlash(acct.prefix), "CloudTrail", region, day.Format("2006/01/02"), name)
		if _, err := writeGzip(p, appendBenchFile(nil, acct.id, region, day, i, 1+i%4)); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	q := activity.Query{Start: day, End: day.Add(24*time.Hour - time.Second)}
	for _, s := range Scanners() {
		b.Run(s, func(b *testing.B) {
			eng := NewLocal(dir, WithLogger(trailtest.Quiet()), WithScanner(s))
			cpu := processCPU()
			for b.Loop() {
				if _, err := eng.Run(context.Background(), q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(paths))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
			b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
	b.Run("gzip-dc", func(b *testing.B) {
		gz, err := exec.LookPath("gzip")
		if err != nil {
			b.Skip("gzip is not on PATH")
		}
		cpu := childrenCPU()
		for b.Loop() {
			errs := make(chan error, 2)
			for half := range 2 {
				go func() {
					var mine []string
					for i := half; i < len(paths); i += 2 {
						mine = append(mine, paths[i])
					}
					for i := 0; i < len(mine); i += 500 {
						cmd := exec.Command(gz, append([]string{"-dc"}, mine[i:min(i+500, len(mine))]...)...)
						var stderr strings.Builder
						cmd.Stderr = &stderr
						if err := cmd.Run(); err != nil {
							errs <- fmt.Errorf("gzip -dc: %v: %s", err, stderr.String())
							return
						}
					}
					errs <- nil
				}()
			}
			for range 2 {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(paths))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
		b.ReportMetric((childrenCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	})
}

// BenchmarkCacheNextDay measures a 90-day run with --cache after one more
// day of logs arrived, against the first run that filled the cache
// (reported as first-s/op); each iteration starts from the first run's
// cache.
func BenchmarkCacheNextDay(b *testing.B) {
	asOf := trailtest.TS("2026-10-02T00:00:00Z")
	base := b.TempDir()
	o := demo.DefaultOptions()
	o.Events, o.Users, o.AsOf = *cacheEvents, 1000, asOf
	out, err := demo.Generate(context.Background(), filepath.Join(base, "demo"), o)
	if err != nil {
		b.Fatal(err)
	}
	root, hold := out.CloudTrail, filepath.Join(base, "hold")
	first, cache := filepath.Join(base, "first"), filepath.Join(base, "cache")
	moveDays(b, root, hold, "2026/10/01")
	started := time.Now()
	if _, err := NewLocal(root, WithLogger(trailtest.Quiet()), WithCache(first)).Run(context.Background(),
		activity.Query{Start: asOf.AddDate(0, 0, -91), End: asOf.AddDate(0, 0, -1)}); err != nil {
		b.Fatal(err)
	}
	firstRun := time.Since(started)
	moveDays(b, hold, root, "2026/10/01")

	next := activity.Query{Start: asOf.AddDate(0, 0, -90), End: asOf}
	for b.Loop() {
		b.StopTimer()
		if err := os.RemoveAll(cache); err != nil {
			b.Fatal(err)
		}
		if err := os.CopyFS(cache, os.DirFS(first)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := NewLocal(root, WithLogger(trailtest.Quiet()), WithCache(cache)).Run(context.Background(), next); err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(firstRun.Seconds(), "first-s/op")
	b.ReportMetric(per/firstRun.Seconds(), "next/first")
}
