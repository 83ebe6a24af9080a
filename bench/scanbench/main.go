//go:build unix

// Command scanbench measures the local engine against its references on
// the same files in the same run (bench/scan.sh and bench/incremental.sh
// run it):
//
//	scanbench -mode scan        Go scanner and DuckDB scanner vs `gzip -dc`, two processes
//	scanbench -mode incremental first 90-day run with --cache vs the run after one more day
//
// It generates a demo organization's CloudTrail (internal/demo) unless -dir
// already holds one, and prints wall and CPU times (getrusage) and ratios.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/profiling"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
)

func main() {
	var (
		mode   = flag.String("mode", "scan", "scan or incremental")
		events = flag.Int("events", 2_000_000, "CloudTrail records to generate")
		users  = flag.Int("users", 2000, "IAM users in the generated organization")
		dir    = flag.String("dir", "", "folder for the generated organization (default: a temporary folder, removed after)")
		runs   = flag.Int("runs", 1, "times to run each measurement (the fastest is reported)")
		prof   = flag.String("cpuprofile", "", "write a CPU profile of the measured Go runs (the Go scanner's scan, or the next day's cached run) to this file")
		mprof  = flag.String("memprofile", "", "write a heap profile at the end of the same runs to this file")
		refs   = flag.Bool("refs", true, "scan mode: measure the references (gzip -dc, the DuckDB scanner) too")
	)
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	cpuProfile, memProfile, withRefs = *prof, *mprof, *refs
	if err := run(*mode, *events, *users, *dir, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

// cpuProfile and memProfile are where profiled() writes its profiles;
// empty for none.
var cpuProfile, memProfile string

// withRefs: the scan mode measures gzip -dc and the DuckDB scanner too.
var withRefs = true

// profiled runs f under the profilers -cpuprofile and -memprofile ask for.
func profiled(f func() error) error {
	if cpuProfile == "" && memProfile == "" {
		return f()
	}
	stop, err := profiling.Start(cpuProfile, memProfile)
	if err != nil {
		return err
	}
	err = f()
	if serr := stop(); err == nil {
		err = serr
	}
	return err
}

// The generated organization's as-of: its last day folder is the day before.
var asOf = time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)

func run(mode string, events, users int, dir string, runs int) error {
	ctx := context.Background()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "dormant-scanbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	out, err := generate(ctx, dir, events, users)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), loadAverage())
	switch mode {
	case "scan":
		return benchScan(ctx, out.CloudTrail, runs)
	case "incremental":
		return benchIncremental(ctx, dir, out.CloudTrail, runs)
	}
	return fmt.Errorf("unknown -mode %q: want scan or incremental", mode)
}

// generate writes the demo organization under dir, or reuses the one there
// if it has the same size.
func generate(ctx context.Context, dir string, events, users int) (*demo.Output, error) {
	o := demo.DefaultOptions()
	o.Events, o.Users, o.AsOf = events, users, asOf
	marker := filepath.Join(dir, fmt.Sprintf(".scanbench-%d-%d", events, users))
	if _, err := os.Stat(marker); err == nil {
		fmt.Printf("reusing the organization in %s\n", dir)
		return &demo.Output{CloudTrail: filepath.Join(dir, "logs")}, nil
	}
	start, cpu := time.Now(), selfCPU()
	out, err := demo.Generate(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	fmt.Printf("generated %d records in %d log files (%.2f GB of JSON) in %.1f s (CPU %.1f s)\n",
		out.Events, out.LogFiles, float64(out.RawBytes)/1e9, time.Since(start).Seconds(), (selfCPU() - cpu).Seconds())
	return out, os.WriteFile(marker, nil, 0o644)
}

// measurement is the best of runs of one thing.
type measurement struct {
	name      string
	wall, cpu time.Duration
}

// best runs f runs times; f returns the wall and CPU time of what it
// measures (not of its preparation).
func best(name string, runs int, f func() (wall, cpu time.Duration, err error)) (measurement, error) {
	m := measurement{name: name}
	for i := range runs {
		wall, cpu, err := f()
		if err != nil {
			return m, fmt.Errorf("%s: %w", name, err)
		}
		if i == 0 || wall < m.wall {
			m.wall, m.cpu = wall, cpu
		}
	}
	return m, nil
}

// timed measures f's wall and CPU time (this process's).
func timed(f func() error) (wall, cpu time.Duration, err error) {
	start, c := time.Now(), selfCPU()
	err = f()
	return time.Since(start), selfCPU() - c, err
}

// window is the 90-day window ending at end.
func window(end time.Time) activity.Query {
	return activity.Query{Start: end.AddDate(0, 0, -90), End: end}
}

func benchScan(ctx context.Context, root string, runs int) error {
	q := window(asOf)
	files, err := local.DiscoverFiles(ctx, root, q)
	if err != nil {
		return err
	}
	var gz, raw int64
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i], gz, raw = f.Path, gz+f.Size, raw+f.Uncompressed
	}
	fmt.Printf("files: %d, %.1f MB gzipped, %.2f GB of JSON\n", len(files), float64(gz)/1e6, float64(raw)/1e9)
	if !withRefs {
		m, err := best("scanner go", runs, func() (time.Duration, time.Duration, error) {
			return timed(func() error {
				return profiled(func() error {
					_, err := local.NewLocal(root).Run(ctx, q)
					return err
				})
			})
		})
		if err != nil {
			return err
		}
		fmt.Printf("scanner go: %.2f s wall, %.2f s CPU, %.0f MB/s; peak RSS %d MiB\n",
			m.wall.Seconds(), m.cpu.Seconds(), float64(raw)/m.wall.Seconds()/1e6, peakRSS()>>20)
		return nil
	}
	if _, err := gunzip(paths); err != nil { // warm the page cache
		return err
	}
	ref, err := best("gzip -dc, 2 processes", runs, func() (time.Duration, time.Duration, error) {
		start := time.Now()
		cpu, err := gunzip(paths)
		return time.Since(start), cpu, err
	})
	if err != nil {
		return err
	}
	results := map[string]*activity.Result{}
	ms := []measurement{ref}
	for _, s := range local.Scanners() {
		m, err := best("scanner "+s, runs, func() (time.Duration, time.Duration, error) {
			run := func() error {
				res, err := local.NewLocal(root, local.WithScanner(s)).Run(ctx, q)
				results[s] = res
				return err
			}
			if s == local.ScannerGo {
				return timed(func() error { return profiled(run) })
			}
			return timed(run)
		})
		if err != nil {
			return err
		}
		ms = append(ms, m)
		if s == local.ScannerGo {
			// The Go scanner runs first: the peak so far is its own.
			fmt.Printf("peak RSS after the Go scanner: %d MiB\n", peakRSS()>>20)
		}
	}
	fmt.Printf("\n%-24s %9s %9s %11s %11s %9s\n", "", "wall s", "CPU s", "wall/gzip", "CPU/gzip", "MB/s")
	for _, m := range ms {
		fmt.Printf("%-24s %9.2f %9.2f %11.2f %11.2f %9.0f\n", m.name, m.wall.Seconds(), m.cpu.Seconds(),
			m.wall.Seconds()/ref.wall.Seconds(), m.cpu.Seconds()/ref.cpu.Seconds(), float64(raw)/m.wall.Seconds()/1e6)
	}
	same := reflect.DeepEqual(results[local.ScannerGo].Activity, results[local.ScannerDuckDB].Activity) &&
		reflect.DeepEqual(results[local.ScannerGo].Coverage, results[local.ScannerDuckDB].Coverage)
	fmt.Printf("\nactivity rows %d, coverage rows %d; Go and DuckDB tables identical: %v\n",
		len(results[local.ScannerGo].Activity), len(results[local.ScannerGo].Coverage), same)
	if !same {
		return errors.New("the scanners disagree")
	}
	return nil
}

// gunzip decompresses paths with `gzip -dc`, two processes in parallel, the
// output discarded, and returns the processes' CPU time.
func gunzip(paths []string) (time.Duration, error) {
	gz, err := exec.LookPath("gzip")
	if err != nil {
		return 0, err
	}
	const procs, batch = 2, 500
	cpu := childCPU()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for p := range procs {
		wg.Go(func() {
			var mine []string
			for i := p; i < len(paths); i += procs {
				mine = append(mine, paths[i])
			}
			for i := 0; i < len(mine); i += batch {
				cmd := exec.Command(gz, append([]string{"-dc"}, mine[i:min(i+batch, len(mine))]...)...)
				// Stdout stays nil: the null device, as `> /dev/null` (capturing
				// it would time a pipe and a copy, not decompression).
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("gzip -dc: %v: %s", err, stderr.String()))
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return childCPU() - cpu, errors.Join(errs...)
}

// benchIncremental: the first 90-day run with a cache, without the last
// day's logs; then that day arrives and the next day's run reads only it.
func benchIncremental(ctx context.Context, dir, root string, runs int) error {
	last := asOf.AddDate(0, 0, -1).Format("2006/01/02")
	hold := filepath.Join(dir, "held-back")
	if err := moveDay(root, hold, last); err != nil {
		return err
	}
	cacheDir := filepath.Join(dir, "activity-cache")
	first, next := window(asOf.AddDate(0, 0, -1)), window(asOf)

	full, err := best("full scan, no cache", runs, func() (time.Duration, time.Duration, error) {
		return timed(func() error {
			_, err := local.NewLocal(root).Run(ctx, first)
			return err
		})
	})
	if err != nil {
		return err
	}
	cold, err := best("first run, --cache", runs, func() (time.Duration, time.Duration, error) {
		if err := os.RemoveAll(cacheDir); err != nil {
			return 0, 0, err
		}
		return timed(func() error {
			_, err := local.NewLocal(root, local.WithCache(cacheDir)).Run(ctx, first)
			return err
		})
	})
	if err != nil {
		return err
	}
	if err := moveDay(hold, root, last); err != nil {
		return err
	}
	saved := filepath.Join(dir, "activity-cache-first")
	if err := os.RemoveAll(saved); err != nil {
		return err
	}
	if err := os.CopyFS(saved, os.DirFS(cacheDir)); err != nil {
		return err
	}
	var incr *activity.Result
	warm, err := best("next day, --cache", runs, func() (time.Duration, time.Duration, error) {
		// Each run starts from the first run's cache.
		if err := os.RemoveAll(cacheDir); err != nil {
			return 0, 0, err
		}
		if err := os.CopyFS(cacheDir, os.DirFS(saved)); err != nil {
			return 0, 0, err
		}
		return timed(func() error {
			return profiled(func() error {
				res, err := local.NewLocal(root, local.WithCache(cacheDir)).Run(ctx, next)
				incr = res
				return err
			})
		})
	})
	if err != nil {
		return err
	}
	ref, err := local.NewLocal(root).Run(ctx, next)
	if err != nil {
		return err
	}
	fmt.Printf("\n%-24s %9s %9s %14s\n", "", "wall s", "CPU s", "wall/first")
	for _, m := range []measurement{full, cold, warm} {
		fmt.Printf("%-24s %9.2f %9.2f %14.3f\n", m.name, m.wall.Seconds(), m.cpu.Seconds(), m.wall.Seconds()/cold.wall.Seconds())
	}
	run := incr.Runs[0]
	same := reflect.DeepEqual(incr.Activity, ref.Activity) && reflect.DeepEqual(incr.Coverage, ref.Coverage)
	fmt.Printf("\npeak RSS: %d MiB\n", peakRSS()>>20)
	fmt.Printf("next day's run read %d files (%.1f MB); tables identical to a full scan: %v\n",
		run.Files, float64(run.BytesScanned)/1e6, same)
	if !same {
		return errors.New("the cached run disagrees with the full scan")
	}
	return nil
}

// moveDay moves every day folder named day (YYYY/MM/DD) from one tree to
// the same place in another.
func moveDay(from, to, day string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || !strings.HasSuffix(filepath.ToSlash(p), "/"+day) {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(to, rel)), 0o755); err != nil {
			return err
		}
		if err := os.Rename(p, filepath.Join(to, rel)); err != nil {
			return err
		}
		return fs.SkipDir
	})
}

func selfCPU() time.Duration  { return rusage(syscall.RUSAGE_SELF) }
func childCPU() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

// peakRSS is this process's peak resident set size, in bytes (Linux
// reports kilobytes).
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) << 10
}

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load average unknown"
	}
	return "load average " + strings.Join(f[:3], " ")
}
