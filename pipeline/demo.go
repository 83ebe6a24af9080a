package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/demo/demofake"
	"github.com/dormant-iam/dormant/internal/profiling"
	"github.com/dormant-iam/dormant/internal/progress"
	"github.com/dormant-iam/dormant/pipeline/remediate"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// DemoConfig generates a synthetic organization under Out/source and runs the
// whole job on it into Out/run; with Quarters above 1, quarter N's
// organization and run go to Out/qN/source and Out/qN/run, and between two
// quarters the earlier one's manifest is carried out against the fake IAM
// (Out/qN/remediation).
type DemoConfig struct {
	Out     string
	Options demo.Options
	Config  Config // thresholds and logger; inputs and Out are filled by Demo
	// Quarters is how many quarters to generate and run, 1 to
	// MaxDemoQuarters (0 counts as 1). Options.AsOf is the last quarter's
	// as-of; each earlier one is DemoQuarterDays before the next.
	Quarters int
}

// MaxDemoQuarters bounds DemoConfig.Quarters: a year of quarterly runs.
const MaxDemoQuarters = 4

// DemoQuarterDays is how far the demo's clock moves from one quarter's
// as-of to the next.
const DemoQuarterDays = 91

// DemoResult is the generated organization, the run, and every user whose
// finding differs from the generator's ground truth. With several quarters,
// Source, Generation and Run are the last quarter's, Mismatches every
// quarter's (each prefixed "qN: "), and Quarters holds each one.
type DemoResult struct {
	Source *demo.Output
	// Generation is how long writing the organization took (CloudTrail
	// files included), to compare with the run's scan.
	Generation time.Duration
	Run        *Result
	Mismatches []string
	Quarters   []DemoQuarter // set when DemoConfig.Quarters > 1
}

// DemoQuarter is one quarter of a multi-quarter demo.
type DemoQuarter struct {
	Number     int
	AsOf       time.Time
	Dir        string // Out/qN
	Source     *demo.Output
	Generation time.Duration
	Run        *Result
	Mismatches []string
	// Reenabled is the admin's re-enabling the quarter's logs hold (a
	// quarter after the first).
	Reenabled *demo.Reenabled
	// Remediation is this quarter's manifest carried out against the fake
	// IAM before the next quarter: the deactivate-first pass of one delete
	// entry, then the rest (nil for the last quarter).
	Remediation []*remediate.Result
}

// Summary is the quarter in a few lines, for the demo's output: where it
// is, what the ground truth holds, what was remediated after it, and how
// much of its ground truth was checked.
func (q *DemoQuarter) Summary() string {
	var b strings.Builder
	roles := map[string]int{}
	for _, e := range q.Source.Truth {
		roles[e.Lifecycle]++
	}
	fmt.Fprintf(&b, "quarter %d (as-of %s): %d users, %d CloudTrail records; source %s, run %s\n",
		q.Number, q.AsOf.Format(time.DateOnly), len(q.Source.Truth), q.Source.Events, filepath.Join(q.Dir, "source"), q.Run.Out)
	if len(q.Source.Truth) > roles[""] {
		fmt.Fprintf(&b, "  lifecycle: %d deactivated pending, %d deactivated due for deletion, %d used after deactivation, %d reactivated; %d deleted users named by a policy\n",
			roles[demo.LifecycleDeactivatedPending], roles[demo.LifecycleDeactivatedDue], roles[demo.LifecycleUsedAfter], roles[demo.LifecycleReactivated], len(q.Source.Orphans))
	}
	if re := q.Reenabled; re != nil {
		fmt.Fprintf(&b, "  re-enabled: %s/%s's key %s by %s/%s at %s\n", re.AccountID, re.UserName, re.AccessKeyID, re.RoleName, re.SessionName, re.At.Format(time.RFC3339))
	}
	for _, r := range q.Remediation {
		fmt.Fprintf(&b, "  remediated in the fake IAM: %d done, %d skipped, %d already done (journal %s)\n",
			r.Count(remediate.OutcomeDone), r.Count(remediate.OutcomeSkipped), r.Count(remediate.OutcomeAlreadyDone), r.Journal)
	}
	fmt.Fprintf(&b, "  ground truth: %d mismatches", len(q.Mismatches))
	return b.String()
}

// Demo runs the job end to end on generated data and checks it against the
// ground truth the generator wrote.
func Demo(ctx context.Context, dc DemoConfig) (*DemoResult, error) {
	if dc.Out == "" {
		return nil, fmt.Errorf("--out is required")
	}
	switch {
	case dc.Quarters == 0 || dc.Quarters == 1:
	case dc.Quarters < 0 || dc.Quarters > MaxDemoQuarters:
		return nil, fmt.Errorf("--quarters %d: want 1 to %d", dc.Quarters, MaxDemoQuarters)
	default:
		return demoQuarters(ctx, dc)
	}
	if err := checkDemoSource(dc.Out); err != nil {
		return nil, err
	}
	// Refused before the source is regenerated, as Run would refuse after.
	if err := checkOut(ctx, filepath.Join(dc.Out, "run"), dc.Config.Replace || dc.Config.Resume); err != nil {
		return nil, err
	}
	gen, took, err := demoGenerate(ctx, dc, filepath.Join(dc.Out, "source"), dc.Options)
	if err != nil {
		return nil, err
	}
	res, finds, err := demoRun(ctx, dc, gen, dc.Options, filepath.Join(dc.Out, "run"), "")
	if err != nil {
		return nil, err
	}
	return &DemoResult{Source: gen, Generation: took, Run: res, Mismatches: CompareTruth(gen.Truth, finds)}, nil
}

// demoGenerate writes the organization of opts into src (cleared first).
func demoGenerate(ctx context.Context, dc DemoConfig, src string, opts demo.Options) (*demo.Output, time.Duration, error) {
	// The source folder is ours alone: regenerate it from scratch so that an
	// older, larger demo's files never mix in.
	if err := os.RemoveAll(src); err != nil {
		return nil, 0, fmt.Errorf("clearing %s: %w", src, err)
	}
	t0 := time.Now()
	u0, s0, cpuOK := profiling.ProcessCPU()
	stopProgress := func() {}
	if opts.Progress == nil {
		stopProgress = demoProgress(dc.Config, &opts).Start().Stop
	}
	gen, err := demo.Generate(ctx, src, opts)
	stopProgress()
	if err != nil {
		return nil, 0, fmt.Errorf("generating the demo organization: %w", err)
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
	return gen, took, nil
}

// demoRun runs the job on gen into out and reads back its findings.
func demoRun(ctx context.Context, dc DemoConfig, gen *demo.Output, opts demo.Options, out, previous string) (*Result, []tables.Finding, error) {
	cfg := dc.Config
	cfg.CredentialReports = gen.CredentialReports
	cfg.AuthorizationDetails = gen.AuthorizationDetails
	cfg.CloudTrail = gen.CloudTrail
	cfg.Allowlist = gen.Allowlist
	cfg.AsOf = opts.AsOf
	cfg.WindowDays = opts.WindowDays
	cfg.DeleteAfterDays = opts.DeleteAfterDays
	cfg.Out = out
	cfg.Previous = previous
	res, err := Run(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	finds, err := tables.ReadParquet[tables.Finding](filepath.Join(res.Out, FindingsTable))
	if err != nil {
		return nil, nil, err
	}
	return res, finds, nil
}

// CompareTruth lists every user whose status, decision or unused keys differ
// from the ground truth, and every user present on one side only.
// Reason keywords (a lifecycle user's) are checked too.
func CompareTruth(truth []demo.Expected, finds []tables.Finding) (out []string) {
	type key struct{ account, user string }
	got := make(map[key]tables.Finding, len(finds))
	for _, f := range finds {
		got[key{f.AccountID, f.UserName}] = f
	}
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
		reasons := strings.ToLower(strings.Join(f.Reasons, "\n"))
		for _, w := range e.ReasonKeywords {
			if !strings.Contains(reasons, strings.ToLower(w)) {
				out = append(out, fmt.Sprintf("%s/%s (%s): expected a reason naming %q, got %v", e.AccountID, e.UserName, e.Lifecycle, w, f.Reasons))
			}
		}
	}
	for _, f := range finds {
		if !seen[key{f.AccountID, f.UserName}] {
			out = append(out, fmt.Sprintf("%s/%s: in the findings (%s) but not in the ground truth", f.AccountID, f.UserName, f.Status))
		}
	}
	return out
}

// compareOrphans lists every expected orphan (a deleted user's unique ID a
// policy still names) the run did not report.
func compareOrphans(want []demo.ExpectedOrphan, got []record.Orphan) []string {
	var out []string
	for _, w := range want {
		found := slices.ContainsFunc(got, func(o record.Orphan) bool {
			return o.AccountID == w.AccountID && o.UniqueID == w.UniqueID && o.ResourceARN == w.ResourceARN
		})
		if !found {
			out = append(out, fmt.Sprintf("%s: the deleted user %s's unique ID %s is named by %s, not in the run's orphans", w.AccountID, w.UserName, w.UniqueID, w.ResourceARN))
		}
	}
	return out
}

// demoQuarters runs DemoConfig.Quarters quarters: each generated and run in
// Out/qN, checked against its ground truth, and, but for the last, its
// manifest carried out against the fake IAM before the clock moves on.
func demoQuarters(ctx context.Context, dc DemoConfig) (*DemoResult, error) {
	log := dc.Config.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for n := 1; n <= dc.Quarters; n++ {
		if err := checkDemoSource(quarterDir(dc.Out, n)); err != nil {
			return nil, err
		}
		if err := checkOut(ctx, filepath.Join(quarterDir(dc.Out, n), "run"), dc.Config.Replace || dc.Config.Resume); err != nil {
			return nil, err
		}
	}
	res := &DemoResult{}
	var q *demo.Quarter
	previous := ""
	for n := 1; n <= dc.Quarters; n++ {
		dir := quarterDir(dc.Out, n)
		opts := dc.Options
		// Options.AsOf is the last quarter's: a run refuses a future as-of,
		// so the earlier quarters lie in the past.
		opts.AsOf = dc.Options.AsOf.AddDate(0, 0, -(dc.Quarters-n)*DemoQuarterDays)
		opts.Quarter = q
		gen, took, err := demoGenerate(ctx, dc, filepath.Join(dir, "source"), opts)
		if err != nil {
			return nil, fmt.Errorf("quarter %d: %w", n, err)
		}
		run, finds, err := demoRun(ctx, dc, gen, opts, filepath.Join(dir, "run"), previous)
		if err != nil {
			return nil, fmt.Errorf("quarter %d: %w", n, err)
		}
		dq := DemoQuarter{Number: n, AsOf: opts.AsOf, Dir: dir, Source: gen, Generation: took, Run: run}
		if q != nil {
			dq.Reenabled = q.Reenabled
		}
		dq.Mismatches = CompareTruth(gen.Truth, finds)
		if run.Record != nil {
			dq.Mismatches = append(dq.Mismatches, compareOrphans(gen.Orphans, run.Record.Orphans)...)
		}
		if q != nil {
			dq.Mismatches = append(dq.Mismatches, compareRemediation(run.Out, q, gen.Orphans)...)
		}
		for _, m := range dq.Mismatches {
			res.Mismatches = append(res.Mismatches, fmt.Sprintf("q%d: %s", n, m))
		}
		log.Info("demo quarter checked", "quarter", n, "as_of", opts.AsOf.Format(time.DateOnly), "users", len(gen.Truth),
			"mismatches", len(dq.Mismatches))
		if n < dc.Quarters {
			next := opts.AsOf.AddDate(0, 0, DemoQuarterDays)
			if dq.Remediation, q, err = demoBetweenQuarters(ctx, log, dir, gen, run, opts.AsOf, next, n+1); err != nil {
				return nil, fmt.Errorf("after quarter %d: %w", n, err)
			}
		}
		res.Quarters = append(res.Quarters, dq)
		res.Source, res.Generation, res.Run = gen, took, run
		previous = run.Out
	}
	return res, nil
}

// compareRemediation checks the previous quarter's plan as the run's
// remediation table judged it against what the demo did: the entry its
// reviewer only deactivated and a deletion a policy still names are not
// carried out, the re-enabled user's deactivation is undone, every other
// entry is carried out.
func compareRemediation(runDir string, q *demo.Quarter, orphans []demo.ExpectedOrphan) []string {
	rows, err := tables.ReadParquet[tables.RemediationCheck](filepath.Join(runDir, RemediationTable))
	if err != nil {
		return []string{fmt.Sprintf("reading the remediation table: %v", err)}
	}
	if len(rows) == 0 {
		return []string{"the remediation table is empty: the previous quarter's plan was not checked"}
	}
	want := map[string]string{}
	if q.DeactivatedFirst != "" {
		want[q.DeactivatedFirst] = tables.OutcomeNotCarriedOut
	}
	for _, o := range orphans {
		want[o.AccountID+"/"+o.UserName] = tables.OutcomeNotCarriedOut
	}
	if re := q.Reenabled; re != nil {
		want[re.AccountID+"/"+re.UserName] = tables.OutcomeUndone
	}
	var out []string
	for _, r := range rows {
		k := r.AccountID + "/" + r.UserName
		w, ok := want[k]
		if !ok || r.Kind != "user" {
			w = tables.OutcomeCarriedOut
		}
		if r.Outcome != w {
			out = append(out, fmt.Sprintf("remediation of %s (%s %s): expected %q, got %q (%s)", k, r.Kind, r.Planned, w, r.Outcome, r.Reasons))
		}
	}
	return out
}

// demoRemediationFiles are what demoBetweenQuarters writes in a quarter's
// remediation folder: a backup folder and a journal per pass.
var demoRemediationFiles = []string{"backup-deactivate-first", "backup-planned", "deactivate-first.journal.jsonl", "planned.journal.jsonl"}

// clearDemoRemediation removes an earlier demo's remediation folder: its
// journal would make this run's passes "already done" against a fresh fake
// IAM. A folder holding anything else is refused, never removed.
func clearDemoRemediation(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the earlier demo's remediation folder: %w", err)
	}
	for _, e := range entries {
		if !slices.Contains(demoRemediationFiles, e.Name()) {
			return fmt.Errorf("%w: %s holds %s, which no demo wrote: refusing to replace it; nothing was touched; choose another --out", ErrForeignDemoSource, dir, e.Name())
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the earlier demo's remediation folder: %w", err)
	}
	return nil
}

func quarterDir(out string, n int) string { return filepath.Join(out, fmt.Sprintf("q%d", n)) }

// demoBetweenQuarters is what happens between a quarter at asOf and the next
// at next: the quarter's manifest carried out against the fake IAM holding
// its organization, an admin re-enabling one deactivated user, and the
// state IAM is left in, for the next quarter's inputs.
//
// The demo's reviewer approves every entry, except that the first delete
// entry is only deactivated (remediate --mode deactivate --only), the
// "deactivate first, delete when due" routine: its delete-after is the
// grace period away, so the next quarter holds a deactivated user that is
// due for deletion.
func demoBetweenQuarters(ctx context.Context, log *slog.Logger, dir string, gen *demo.Output, run *Result, asOf, next time.Time, number int) ([]*remediate.Result, *demo.Quarter, error) {
	fake, err := demofake.Serve(gen.Dir, asOf)
	if err != nil {
		return nil, nil, err
	}
	defer fake.Close()
	plan := filepath.Join(run.Out, filepath.FromSlash(reports.ManifestPath))
	data, err := os.ReadFile(plan)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the quarter's manifest: %w", err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the quarter's manifest %s: %w", plan, err)
	}
	var first string
	var rest []string
	seen := map[string]bool{}
	for _, e := range m.Entries {
		k := e.AccountID + "/" + e.UserName
		if first == "" && e.Kind == manifest.KindUser && e.Decision == manifest.DecisionDelete {
			first = k
		}
		if !seen[k] {
			seen[k] = true
			rest = append(rest, k)
		}
	}
	rest = slices.DeleteFunc(rest, func(k string) bool { return k == first })
	remDir := filepath.Join(dir, "remediation")
	if err := clearDemoRemediation(remDir); err != nil {
		return nil, nil, err
	}
	now := func() time.Time { return asOf }
	var results []*remediate.Result
	carry := func(name string, only []string, opts ...remediate.Option) error {
		if len(only) == 0 {
			return nil
		}
		opts = append(opts, remediate.WithApply(true), remediate.WithOnly(only...),
			remediate.WithBackupDir(filepath.Join(remDir, "backup-"+name)), remediate.WithJournal(filepath.Join(remDir, name+".journal.jsonl")))
		r, err := remediate.New(remediate.Deps{Clients: fake.Clients(), Now: now}, opts...)
		if err != nil {
			return err
		}
		res, err := r.Run(ctx, plan)
		if err != nil {
			return fmt.Errorf("carrying out %s against the fake IAM (%s): %w", plan, name, err)
		}
		results = append(results, res)
		if n := res.Count(remediate.OutcomeFailed) + res.Count(remediate.OutcomeInterrupted); n > 0 {
			return fmt.Errorf("carrying out %s against the fake IAM (%s): %w", plan, name, res.Err())
		}
		log.Info("demo remediation carried out", "pass", name, "entries", len(res.Entries), "done", res.Count(remediate.OutcomeDone),
			"skipped", res.Count(remediate.OutcomeSkipped), "journal", res.Journal)
		return nil
	}
	if first != "" {
		if err := carry("deactivate-first", []string{first}, remediate.WithMode(remediate.ModeDeactivate)); err != nil {
			return nil, nil, err
		}
	}
	if err := carry("planned", rest); err != nil {
		return nil, nil, err
	}

	users := fake.Users()
	q := &demo.Quarter{Number: number, PreviousAsOf: asOf, Users: users, DeactivatedFirst: first}
	if u, ok := demo.PickReenable(gen.Accounts, gen.Truth, users, next); ok {
		// A month into the next quarter, at an odd minute.
		at := asOf.AddDate(0, 0, 30).Add(10*time.Hour + 17*time.Minute)
		if q.Reenabled, err = fake.Reenable(ctx, u, at); err != nil {
			return nil, nil, err
		}
		q.Users = fake.Users()
	} else {
		log.Warn("demo: no deactivated user qualifies for re-enabling; the next quarter has no reactivated user")
	}
	return results, q, nil
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
