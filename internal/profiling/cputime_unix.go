//go:build unix

package profiling

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time the process has used so far, in user code and
// in the kernel on its behalf; ok is false where the system does not say.
// The split matters for the demo generator, whose kernel time (creating
// tens of thousands of files) depends on the filesystem more than on us.
func ProcessCPU() (user, system time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), true
}
