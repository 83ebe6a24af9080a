package manifest

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/reports/internal/reporttest"
	"github.com/dormant-iam/dormant/tables"
)

const benchUsers = 100_000

// benchInput is a run of n users in which every status and decision recurs.
func benchInput(n int) Input {
	statuses := []struct{ status, decision string }{
		{tables.StatusActive, tables.DecisionKeep},
		{tables.StatusInactive, tables.DecisionDeactivate},
		{tables.StatusInactive, tables.DecisionDelete},
		{tables.StatusNeverUsed, tables.DecisionDeactivate},
		{tables.StatusNew, tables.DecisionKeep},
		{tables.StatusExempt, tables.DecisionKeep},
		{tables.StatusReview, tables.DecisionReview},
	}
	in := testInput()
	in.Findings = make([]tables.Finding, n)
	for i := range in.Findings {
		acct := fmt.Sprintf("%012d", 100000000000+i%20)
		f := reporttest.User(acct, fmt.Sprintf("user-%07d", i), fmt.Sprintf("AIDA%017d", i), day("2022-01-15"))
		s := statuses[i%len(statuses)]
		f.Status, f.Decision = s.status, s.decision
		f.PasswordEnabled = i%2 == 0
		f.PasswordLastUsed = testAsOf.Add(-time.Duration(100+i%800) * 24 * time.Hour)
		f.Key1Active, f.Key1LastRotated, f.Key1LastUsed = true, day("2023-01-01"), testAsOf.Add(-time.Duration(i%500)*time.Hour)
		f.LastActivity, f.LastActivitySource, f.DaysInactive = f.PasswordLastUsed, tables.SourceConsole, int64(100+i%800)
		f.Reasons = []string{"last activity before the window start 2026-08-03", fmt.Sprintf("inactive %d days", 100+i%800)}
		switch s.status {
		case tables.StatusActive:
			f.UnusedKeys = []int64{1}
			f.LastActivity, f.DaysInactive = testAsOf.Add(-time.Hour), 0
		case tables.StatusNeverUsed:
			f.PasswordEnabled, f.PasswordLastUsed, f.Key1Active, f.Key1LastUsed = false, time.Time{}, false, time.Time{}
			f.LastActivity, f.LastActivitySource = time.Time{}, ""
		case tables.StatusInactive:
			if s.decision == tables.DecisionDelete {
				f.DaysInactive = 400 + int64(i%400)
			}
		}
		in.Findings[i] = f
	}
	return in
}

// peakHeap samples the heap in use while fn runs: what the process holds at
// its peak, where B/op counts every allocation, freed or not.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak.Store(max(peak.Load(), ms.HeapInuse))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it moves less with the load than the wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchmarkPeak(b *testing.B, fn func() error) {
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	cpu := cpuTime()
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			if err := fn(); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkBuild plans and signs remediation for 100,000 users, as every run does.
func BenchmarkBuild(b *testing.B) {
	in := benchInput(benchUsers)
	benchmarkPeak(b, func() error { _, err := Build(in); return err })
}

// BenchmarkEncode writes the 100,000-user manifest, as every run does.
func BenchmarkEncode(b *testing.B) {
	m, err := Build(benchInput(benchUsers))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkPeak(b, func() error { return m.Encode(io.Discard) })
}

// BenchmarkRead parses, checks against the schema and verifies the
// 100,000-user manifest, as remediation, review and verify do.
func BenchmarkRead(b *testing.B) {
	m, err := Build(benchInput(benchUsers))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	m = nil
	b.ReportMetric(float64(len(data))/(1<<20), "MB-file")
	benchmarkPeak(b, func() error {
		got, err := Parse(data)
		if err != nil {
			return err
		}
		if len(got.Entries) == 0 {
			return fmt.Errorf("no entries")
		}
		return got.Verify()
	})
}

// TestBuildReadsBack: Build checks no JSON Schema itself, so what it signs for
// a varied run must pass the reader's checks (schema, cross-field rules, digest).
func TestBuildReadsBack(t *testing.T) {
	m, err := Build(benchInput(3000))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("Parse of what Build wrote: %v", err)
	}
	if err := got.Verify(); err != nil {
		t.Fatalf("Verify of what Build wrote: %v", err)
	}
	kinds := map[string]int{}
	for _, e := range got.Entries {
		kinds[e.Kind+"/"+e.Decision]++
	}
	if len(kinds) != 3 {
		t.Errorf("entries by kind/decision %v, want user deactivate and delete and access_key deactivate", kinds)
	}
}
