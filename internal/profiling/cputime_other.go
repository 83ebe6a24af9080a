//go:build !unix

package profiling

import "time"

// ProcessCPU is not available here: ok is false.
func ProcessCPU() (user, system time.Duration, ok bool) { return 0, 0, false }
