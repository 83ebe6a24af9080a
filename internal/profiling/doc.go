// Package profiling writes the CPU and heap profiles that --cpuprofile and
// --memprofile ask for, so that a user can attach them to a bug report
// (`go tool pprof dormant cpu.prof` reads them), and reads the process's
// user and kernel CPU time for the demo's report of its generator.
package profiling
