package demo

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/profiling"
	"github.com/klauspost/compress/gzip"
)

// BenchmarkGenerate reports generation throughput: CloudTrail records per
// second and uncompressed JSON megabytes per second (inputs and ground truth
// included), and the process CPU time per GB of JSON (user + system, all
// cores; and each part), the figure to compare with the scan's (issue 8,
// target 5). Removing the output between iterations is left out of all of
// them.
func BenchmarkGenerate(b *testing.B) {
	o := opts(4, 2000, 1_000_000, 1)
	var events, raw int64
	var wall, user, sys time.Duration
	for b.Loop() {
		dir, err := os.MkdirTemp(b.TempDir(), "gen")
		if err != nil {
			b.Fatal(err)
		}
		u0, s0 := processCPU(b)
		start := time.Now()
		out, err := Generate(b.Context(), dir, o)
		wall += time.Since(start)
		u1, s1 := processCPU(b)
		user, sys = user+u1-u0, sys+s1-s0
		if err != nil {
			b.Fatal(err)
		}
		events += out.Events
		raw += out.RawBytes
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	gb := float64(raw) / 1e9
	b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(raw)/wall.Seconds()/1e6, "MB/s")
	b.ReportMetric((user+sys).Seconds()/gb, "CPU-s/GB")
	b.ReportMetric(user.Seconds()/gb, "user-s/GB")
	b.ReportMetric(sys.Seconds()/gb, "sys-s/GB")
}

// processCPU is the user and system CPU time of the process so far.
func processCPU(b *testing.B) (user, sys time.Duration) {
	user, sys, ok := profiling.ProcessCPU()
	if !ok {
		b.Skip("no process CPU times here")
	}
	return user, sys
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

// BenchmarkGenerateVsGzip puts the generator's cost next to the floor of
// any generator that writes gzipped CloudTrail: compressing the same JSON
// at gzip level 1 (klauspost, the fastest LZ level) and, for scale,
// decompressing it, all in CPU-s per GB of JSON from the same files in the
// same run (issue 8, target 5: generation at least as fast as the scan).
func BenchmarkGenerateVsGzip(b *testing.B) {
	o := opts(4, 2000, 500_000, 1)
	dir := b.TempDir()
	u0, s0 := processCPU(b)
	out, err := Generate(b.Context(), dir, o)
	if err != nil {
		b.Fatal(err)
	}
	u1, s1 := processCPU(b)
	gb := float64(out.RawBytes) / 1e9
	var files []string
	err = filepath.WalkDir(out.CloudTrail, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "/CloudTrail/") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	var gunzip, gzip1 time.Duration
	var raw int64
	var plain bytes.Buffer
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	b.ResetTimer()
	for b.Loop() {
		gunzip, gzip1, raw = 0, 0, 0
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			plain.Reset()
			t0 := time.Now()
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := plain.ReadFrom(zr); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			zw.Reset(io.Discard)
			if _, err := zw.Write(plain.Bytes()); err != nil {
				b.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				b.Fatal(err)
			}
			gunzip += t1.Sub(t0)
			gzip1 += time.Since(t1)
			raw += int64(plain.Len())
		}
	}
	b.StopTimer()
	rgb := float64(raw) / 1e9
	b.ReportMetric(((u1-u0)+(s1-s0)).Seconds()/gb, "generate-CPU-s/GB")
	b.ReportMetric(gzip1.Seconds()/rgb, "gzip1-CPU-s/GB")
	b.ReportMetric(gunzip.Seconds()/rgb, "gunzip-CPU-s/GB")
}
