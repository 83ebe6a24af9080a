//go:build !unix

package local

import "time"

// processCPU is unknown here: the benchmarks report no CPU time.
func processCPU() time.Duration { return 0 }

// childrenCPU is unknown here: the benchmarks report no CPU time.
func childrenCPU() time.Duration { return 0 }
