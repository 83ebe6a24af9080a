package profiling

import (
	"runtime"
	"testing"
	"time"
)

func TestProcessCPUCountsWork(t *testing.T) {
	u0, s0, ok := ProcessCPU()
	if !ok {
		if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
			t.Fatal("ProcessCPU is not available")
		}
		t.Skip("no process CPU times here")
	}
	// Spin for 200 ms of wall time: at least most of it is CPU.
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		x++
	}
	u1, s1, _ := ProcessCPU()
	if got := (u1 - u0) + (s1 - s0); got < 50*time.Millisecond {
		t.Errorf("200 ms of spinning counted as %v of CPU (%d loops)", got, x)
	}
	if u1 < u0 || s1 < s0 {
		t.Errorf("CPU times went backwards: user %v -> %v, system %v -> %v", u0, u1, s0, s1)
	}
}
