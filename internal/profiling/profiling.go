package profiling

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// Start begins CPU profiling into cpuPath and arranges for a heap profile
// to be written to memPath; either path may be empty to skip it. The
// returned stop ends the CPU profile and writes the heap profile (after a
// garbage collection, so it shows live memory); call it once, when the
// command ends, and report its error. Profiles are written atomically: an
// interrupted run leaves no half-written file.
func Start(cpuPath, memPath string) (stop func() error, err error) {
	var cpu bytes.Buffer
	if cpuPath != "" {
		// Check the destination now rather than after a long run.
		if err := checkWritable(cpuPath); err != nil {
			return nil, fmt.Errorf("starting the CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(&cpu); err != nil {
			return nil, fmt.Errorf("starting the CPU profile: %w", err)
		}
	}
	if memPath != "" {
		if err := checkWritable(memPath); err != nil {
			if cpuPath != "" {
				pprof.StopCPUProfile()
			}
			return nil, fmt.Errorf("preparing the memory profile: %w", err)
		}
	}
	stopped := false
	return func() error {
		if stopped {
			return nil
		}
		stopped = true
		var errs []error
		if cpuPath != "" {
			pprof.StopCPUProfile()
			if err := atomicfile.WriteBytes(cpuPath, cpu.Bytes()); err != nil {
				errs = append(errs, fmt.Errorf("writing the CPU profile %s: %w", cpuPath, err))
			}
		}
		if memPath != "" {
			runtime.GC()
			var heap bytes.Buffer
			if err := pprof.Lookup("heap").WriteTo(&heap, 0); err != nil {
				errs = append(errs, fmt.Errorf("writing the memory profile %s: %w", memPath, err))
			} else if err := atomicfile.WriteBytes(memPath, heap.Bytes()); err != nil {
				errs = append(errs, fmt.Errorf("writing the memory profile %s: %w", memPath, err))
			}
		}
		return errors.Join(errs...)
	}, nil
}

// checkWritable reports whether a file can be created at path, without
// leaving one there.
func checkWritable(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".profile-check-*")
	if err != nil {
		return fmt.Errorf("%s cannot be written: %w", path, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
