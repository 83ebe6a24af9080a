package reports

import (
	"context"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const benchFindings = 100_000

// countingWriter counts bytes without keeping them.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// peakHeap samples the heap in use while fn runs. B/op counts every
// allocation, freed or not; this is what the process holds at its peak.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
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

// heapInUse is the heap in use after a collection: the input's footprint
// when called before a writer runs.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

const mib = 1 << 20

func benchmarkWriter(b *testing.B, w Writer) {
	in := largeInput(benchFindings)
	base := heapInUse()
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
	b.StopTimer()
	b.ReportMetric(float64(out.n)/mib, "MB-output")
	b.ReportMetric(float64(benchFindings)*float64(b.N)/b.Elapsed().Seconds(), "findings/s")
	// peak-heap-MiB is the whole heap at its peak, the 100,000 findings
	// included: the figure for the README (target: under 400 MiB).
	b.ReportMetric(float64(peak)/mib, "peak-heap-MiB")
	b.ReportMetric(float64(base)/mib, "input-heap-MiB")
	b.ReportMetric(float64(liveOverhead(b, w, in))/mib, "MB-live-peak")
}

// liveOverhead is the most heap the writer holds at once beyond its input,
// measured in an untimed pass with the collector running almost constantly,
// so garbage the pacer would tolerate does not count as memory the writer
// needs. For the workbook this stays flat as findings grow: bounded memory.
func liveOverhead(b *testing.B, w Writer, in *Input) uint64 {
	old := debug.SetGCPercent(5)
	defer debug.SetGCPercent(old)
	base := heapInUse()
	peak := peakHeap(func() {
		if err := w.Write(context.Background(), &countingWriter{}, in); err != nil {
			b.Fatal(err)
		}
	})
	return peak - min(peak, base)
}

// BenchmarkCSVWriter writes 100,000 findings as CSV.
func BenchmarkCSVWriter(b *testing.B) { benchmarkWriter(b, NewCSVWriter()) }

// BenchmarkXLSXWriter writes a 100,000-user workbook, every list sheet
// streamed. peak-heap-MiB is the memory figure for the README.
func BenchmarkXLSXWriter(b *testing.B) { benchmarkWriter(b, NewXLSXWriter()) }

// BenchmarkManifestWriter plans and encodes remediation for 100,000 findings.
func BenchmarkManifestWriter(b *testing.B) { benchmarkWriter(b, NewManifestWriter()) }

// BenchmarkWriteAll writes every report of a 100,000-user run to disk, as
// the reports stage does.
func BenchmarkWriteAll(b *testing.B) {
	in := largeInput(benchFindings)
	base := heapInUse()
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		dir := b.TempDir()
		peak = max(peak, peakHeap(func() {
			if err := WriteAll(context.Background(), dir, in, All()...); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.StopTimer()
	b.ReportMetric(float64(peak)/mib, "peak-heap-MiB")
	b.ReportMetric(float64(base)/mib, "input-heap-MiB")
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkOCSFWriter is the OCSF findings writer's time and heap at 100,000 users.
func BenchmarkOCSFWriter(b *testing.B) { benchmarkWriter(b, NewOCSFWriter()) }

// BenchmarkHTMLWriter is the HTML report writer's time and heap at 100,000 users.
func BenchmarkHTMLWriter(b *testing.B) { benchmarkWriter(b, NewHTMLWriter()) }
