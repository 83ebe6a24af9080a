package reports

import (
	"context"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const benchFindings = 100_000

// countingWriter counts bytes without keeping them.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// peakHeap samples the live heap while fn runs: what "bounded memory" means
// for a 100,000-user workbook. B/op counts every allocation, freed or not.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

func benchmarkWriter(b *testing.B, w Writer) {
	in := largeInput(benchFindings)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	b.ReportAllocs()
	b.ResetTimer()
	var out countingWriter
	var peak uint64
	for b.Loop() {
		out.n = 0
		peak = max(peak, peakHeap(func() {
			if err := w.Write(context.Background(), &out, in); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(out.n)/(1<<20), "MB-output")
	b.ReportMetric(float64(peak-min(peak, base.HeapInuse))/(1<<20), "MB-peak-heap-over-input")
	b.ReportMetric(float64(benchFindings)*float64(b.N)/b.Elapsed().Seconds(), "findings/s")
}

// BenchmarkCSVWriter writes 100,000 findings as CSV.
func BenchmarkCSVWriter(b *testing.B) { benchmarkWriter(b, NewCSVWriter()) }

// BenchmarkXLSXWriter writes a 100,000-finding workbook, streaming the
// Findings sheet. The peak-heap metric is the figure for the README.
func BenchmarkXLSXWriter(b *testing.B) { benchmarkWriter(b, NewXLSXWriter()) }

// BenchmarkManifestWriter plans and encodes remediation for 100,000 findings.
func BenchmarkManifestWriter(b *testing.B) { benchmarkWriter(b, NewManifestWriter()) }

var _ io.Writer = (*countingWriter)(nil)
