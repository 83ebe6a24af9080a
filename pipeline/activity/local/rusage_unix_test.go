//go:build unix

package local

import (
	"syscall"
	"time"
)

// processCPU is this process's user and system CPU time; 0 if unknown.
func processCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// childrenCPU is the CPU time of this process's finished children.
func childrenCPU() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
