package profiling

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// burn spends some CPU time, so the CPU profile has samples.
func burn() int {
	n := 0
	for i := range 30_000_000 {
		n += i % 7
	}
	return n
}

func TestStart(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	stop, err := Start(cpu, mem)
	if err != nil {
		t.Fatal(err)
	}
	keep := make([]byte, 8<<20) // live at the heap profile
	burn()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
	_ = keep[len(keep)-1]
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// pprof profiles are gzipped protocol buffers.
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil || len(raw) == 0 {
			t.Errorf("%s: %d bytes, %v", p, len(raw), err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the folder holds %d entries, want the 2 profiles", len(entries))
	}
}

func TestStartOnlyOne(t *testing.T) {
	dir := t.TempDir()
	mem := filepath.Join(dir, "mem.prof")
	stop, err := Start("", mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mem); err != nil {
		t.Error(err)
	}
	// The CPU profiler is free again.
	stop, err = Start(filepath.Join(dir, "cpu.prof"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStartBadPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "folder", "cpu.prof")
	if _, err := Start(missing, ""); err == nil || !strings.Contains(err.Error(), "cannot be written") {
		t.Errorf("got %v, want the path refused", err)
	}
	// A refused memory path releases the CPU profiler it had started.
	dir := t.TempDir()
	if _, err := Start(filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "no", "mem.prof")); err == nil {
		t.Error("bad memory path accepted")
	}
	stop, err := Start(filepath.Join(dir, "cpu.prof"), "")
	if err != nil {
		t.Fatalf("the CPU profiler was left running: %v", err)
	}
	stop()
}
