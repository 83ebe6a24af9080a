package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/profiling"
	"github.com/dormant-iam/dormant/internal/progress"
	"github.com/dormant-iam/dormant/tables"
)

// DemoConfig generates a synthetic organization under Out/source and runs the
// whole job on it into Out/run.
type DemoConfig struct {
	Out     string
	Options demo.Options
	Config  Config // thresholds and logger; inputs and Out are filled by Demo
}

// DemoResult is the generated organization, the run, and every user whose
// finding differs from the generator's ground truth.
type DemoResult struct {
	Source *demo.Output
	// Generation is how long writing the organization took (CloudTrail
	// files included), to compare with the run's scan.
	Generation time.Duration
	Run        *Result
	Mismatches []string
}

// Demo runs the job end to end on generated data and checks it against the
// ground truth the generator wrote.
func Demo(ctx context.Context, dc DemoConfig) (*DemoResult, error) {
	if dc.Out == "" {
		return nil, fmt.Errorf("--out is required")
	}
	if err := checkDemoSource(dc.Out); err != nil {
		return nil, err
	}
	src := filepath.Join(dc.Out, "source")
	// The source folder is ours alone: regenerate it from scratch so that an
	// older, larger demo's files never mix in.
	if err := os.RemoveAll(src); err != nil {
		return nil, fmt.Errorf("clearing %s: %w", src, err)
	}
	t0 := time.Now()
	u0, s0, cpuOK := profiling.ProcessCPU()
	opts := dc.Options
	stopProgress := func() {}
	if opts.Progress == nil {
		stopProgress = demoProgress(dc.Config, &opts).Start().Stop
	}
	gen, err := demo.Generate(ctx, src, opts)
	stopProgress()
	if err != nil {
		return nil, fmt.Errorf("generating the demo organization: %w", err)
	}
	took := time.Since(t0)
	if log := dc.Config.Logger; log != nil {
		attrs := []any{"users", len(gen.Truth), "events", gen.Events, "log_files", gen.LogFiles,
			"json_bytes", gen.RawBytes, "seconds", took.Seconds(), "mb_per_s", int(float64(gen.RawBytes) / 1e6 / max(took.Seconds(), 1e-9))}
		if u1, s1, ok := profiling.ProcessCPU(); ok && cpuOK {
			// User and kernel CPU apart: on some filesystems creating the
			// files costs more than rendering and compressing them.
			attrs = append(attrs, "user_s", (u1 - u0).Seconds(), "system_s", (s1 - s0).Seconds())
		}
		log.Info("generated the demo organization", attrs...)
	}
	t1 := time.Now()
	ferr := flushToDisk(src)
	if log := dc.Config.Logger; log != nil {
		if ferr != nil {
			log.Warn("flushing the demo files to disk", "err", ferr)
		} else {
			log.Info("flushed the demo files to disk", "seconds", time.Since(t1).Seconds())
		}
	}
	cfg := dc.Config
	cfg.CredentialReports = gen.CredentialReports
	cfg.AuthorizationDetails = gen.AuthorizationDetails
	cfg.CloudTrail = gen.CloudTrail
	cfg.Allowlist = gen.Allowlist
	cfg.AsOf = dc.Options.AsOf
	cfg.WindowDays = dc.Options.WindowDays
	cfg.DeleteAfterDays = dc.Options.DeleteAfterDays
	cfg.Out = filepath.Join(dc.Out, "run")
	res, err := Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	finds, err := tables.ReadParquet[tables.Finding](filepath.Join(res.Out, FindingsTable))
	if err != nil {
		return nil, err
	}
	return &DemoResult{Source: gen, Generation: took, Run: res, Mismatches: CompareTruth(gen.Truth, finds)}, nil
}

// CompareTruth lists every user whose status, decision or unused keys differ
// from the ground truth, and every user present on one side only.
func CompareTruth(truth []demo.Expected, finds []tables.Finding) []string {
	type key struct{ account, user string }
	got := make(map[key]tables.Finding, len(finds))
	for _, f := range finds {
		got[key{f.AccountID, f.UserName}] = f
	}
	var out []string
	seen := make(map[key]bool, len(truth))
	for _, e := range truth {
		k := key{e.AccountID, e.UserName}
		seen[k] = true
		f, ok := got[k]
		if !ok {
			out = append(out, fmt.Sprintf("%s/%s (%s): expected %s, not in the findings", e.AccountID, e.UserName, e.Case, e.Status))
			continue
		}
		keys := make([]int, 0, len(f.UnusedKeys))
		for _, k := range f.UnusedKeys {
			keys = append(keys, int(k))
		}
		if f.Status != e.Status || f.Decision != e.Decision || !slices.Equal(keys, e.UnusedKeys) {
			out = append(out, fmt.Sprintf("%s/%s (%s): expected %s/%s keys %v, got %s/%s keys %v (%v)",
				e.AccountID, e.UserName, e.Case, e.Status, e.Decision, e.UnusedKeys, f.Status, f.Decision, keys, f.Reasons))
		}
	}
	for _, f := range finds {
		if !seen[key{f.AccountID, f.UserName}] {
			out = append(out, fmt.Sprintf("%s/%s: in the findings (%s) but not in the ground truth", f.AccountID, f.UserName, f.Status))
		}
	}
	return out
}

// ErrForeignDemoSource is returned when --out's source/ folder is not an
// earlier demo's: a usage error, found before anything is written.
var ErrForeignDemoSource = errors.New("not a demo's source folder")

// demoTruthFile marks a source/ folder an earlier demo generated
// (internal/demo writes it last).
const demoTruthFile = "ground-truth.json"

// checkDemoSource refuses an --out whose source/ folder holds anything but
// an earlier demo: pipeline.Demo clears source/ before generating, which
// must never reach someone's own folder of that name.
func checkDemoSource(out string) error {
	src := filepath.Join(out, "source")
	entries, err := os.ReadDir(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--out %s: reading %s: %w", out, src, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if st, err := os.Lstat(filepath.Join(src, demoTruthFile)); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%w: --out %s: %s is not empty and holds no %s of an earlier demo: refusing to replace it; nothing was touched; choose another --out", ErrForeignDemoSource, out, src, demoTruthFile)
	}
	return nil
}

// demoProgress reports the demo's generation (records written of the
// target, files, bytes, time left) on cfg.ScanProgress, a terminal, or as
// log lines, through opts.Progress; Start the reporter, and Stop it when the
// generation is done.
func demoProgress(cfg Config, opts *demo.Options) *progress.Reporter {
	var (
		mu   sync.Mutex
		last demo.Progress
	)
	opts.Progress = func(p demo.Progress) {
		mu.Lock()
		defer mu.Unlock()
		// Writers report concurrently: keep the furthest counts.
		last.Records, last.Files, last.Bytes = max(last.Records, p.Records), max(last.Files, p.Files), max(last.Bytes, p.Bytes)
		last.Target = p.Target
	}
	return progress.New(cfg.ScanProgress, cfg.Logger, "generating the demo organization", func(elapsed time.Duration) (string, []any) {
		mu.Lock()
		p := last
		mu.Unlock()
		_, eta := progress.Rate(p.Records, max(p.Target, p.Records), elapsed)
		line := fmt.Sprintf("generating the demo: %d/%d CloudTrail records (%.0f%%), %d files, %s of JSON, %s left",
			p.Records, p.Target, progress.Percent(p.Records, p.Target), p.Files, progress.Size(p.Bytes), eta.Round(time.Second))
		return line, []any{"records_done", p.Records, "records", p.Target, "files", p.Files, "json_bytes", p.Bytes,
			"eta", eta.Round(time.Second).String()}
	})
}
