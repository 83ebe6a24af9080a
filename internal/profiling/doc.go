// Package profiling writes the CPU and heap profiles that --cpuprofile and
// --memprofile ask for, so that a user can attach them to a bug report
// (`go tool pprof dormant cpu.prof` reads them).
package profiling
