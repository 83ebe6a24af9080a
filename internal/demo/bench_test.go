package demo

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGenerate reports generation throughput: CloudTrail records per
// second and uncompressed JSON megabytes per second (inputs and ground truth
// included in the time).
func BenchmarkGenerate(b *testing.B) {
	o := opts(4, 2000, 1_000_000, 1)
	var events, raw int64
	start := time.Now()
	for b.Loop() {
		dir, err := os.MkdirTemp(b.TempDir(), "gen")
		if err != nil {
			b.Fatal(err)
		}
		out, err := Generate(b.Context(), dir, o)
		if err != nil {
			b.Fatal(err)
		}
		events += out.Events
		raw += out.RawBytes
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
	}
	sec := time.Since(start).Seconds()
	b.ReportMetric(float64(events)/sec, "events/s")
	b.ReportMetric(float64(raw)/sec/1e6, "MB/s")
}

// TestGenerateAtScale measures a large generation when asked to, e.g.
//
//	DORMANT_DEMO_SCALE=100000x10000000 go test -run TestGenerateAtScale -v ./internal/demo/
//
// It writes under the system temp directory and removes it afterwards; peak
// Go heap is sampled (run it under /usr/bin/time -v for the process RSS).
func TestGenerateAtScale(t *testing.T) {
	spec := os.Getenv("DORMANT_DEMO_SCALE")
	if spec == "" {
		t.Skip("set DORMANT_DEMO_SCALE=<users>x<events> to run")
	}
	var users, events int
	if _, err := fmt.Sscanf(strings.Replace(spec, "x", " ", 1), "%d %d", &users, &events); err != nil {
		t.Fatalf("DORMANT_DEMO_SCALE=%q: want <users>x<events>: %v", spec, err)
	}
	o := opts(4, users, events, 1)
	dir, err := os.MkdirTemp("", "dormant-demo-scale-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var peakHeap, peakSys atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
			if ms.Sys > peakSys.Load() {
				peakSys.Store(ms.Sys)
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	out, err := Generate(t.Context(), dir, o)
	took := time.Since(start)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("users %d, events %d, log files %d, raw %.2f GB in %s: %.0f events/s, %.0f MB/s; peak heap in use %d MiB, runtime Sys %d MiB, GOMAXPROCS %d",
		users, out.Events, out.LogFiles, float64(out.RawBytes)/1e9, took.Round(time.Millisecond),
		float64(out.Events)/took.Seconds(), float64(out.RawBytes)/took.Seconds()/1e6,
		peakHeap.Load()>>20, peakSys.Load()>>20, runtime.GOMAXPROCS(0))
}
