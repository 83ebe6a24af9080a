package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dormant-iam/dormant/pipeline/changes"
	"github.com/dormant-iam/dormant/pipeline/remediate"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// What a run compared with the previous quarter's (--previous, --history)
// writes: its three tables, and under previous/ the copies verify
// recomputes them from.
const (
	ChangesTable     = "tables/changes.parquet"
	TrendTable       = "tables/trend.parquet"
	RemediationTable = "tables/remediation.parquet"

	PreviousDir      = "previous"
	PreviousRun      = PreviousDir + "/run.json"
	PreviousFindings = PreviousDir + "/findings.parquet"
	PreviousManifest = PreviousDir + "/manifest.json"
	PreviousJournal  = PreviousDir + "/journal.jsonl"
	PreviousListed   = PreviousDir + "/listed.parquet"
	PreviousTrend    = PreviousDir + "/trend.parquet"
)

// Input kinds of the previous/ copies in run.json.
const (
	kindPreviousRun              = "previous-run"
	kindPreviousFindings         = "previous-findings"
	kindPreviousManifest         = "previous-manifest"          // the previous run's own (unreviewed) manifest
	kindPreviousReviewedManifest = "previous-reviewed-manifest" // the reviewed manifest made from its workbook
	kindPreviousJournal          = "previous-journal"
	kindPreviousListed           = "previous-listed"
	kindPreviousTrend            = "previous-trend"
)

// previousInput is the previous quarter as a run compares with it: the
// verified previous bundle, what the history says of earlier runs, and
// the plan to check (its manifest, a reviewed manifest, or a journal).
type previousInput struct {
	dir      string
	rec      RunRecord
	findings []tables.Finding
	listed   []tables.Listing
	trend    []tables.TrendPoint // every earlier run of the history, the previous one included
	history  string              // the --history directory, if any
	// The plan: manifest (the file planPath, of kind planKind) and, given
	// --journal, the journal's records.
	planPath, planKind string
	plan               *manifest.Manifest
	journalPath        string
	journal            []remediate.JournalRecord
}

// historyRun is one bundle found under --history.
type historyRun struct {
	dir string
	rec RunRecord
}

// maxHistoryDepth bounds how deep --history is searched for bundles.
const maxHistoryDepth = 3

// findRuns lists the run bundles under root (a directory holding run.json
// and SHA256SUMS), skipping dormant's hidden siblings and exclude (--out).
func findRuns(root, exclude string) ([]historyRun, error) {
	var out []historyRun
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolving --history %s: %w", root, err)
	}
	err = filepath.WalkDir(absRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("listing --history %s: %w", root, err)
		}
		if !d.IsDir() {
			return nil
		}
		if p != absRoot && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if rel, _ := filepath.Rel(absRoot, p); strings.Count(rel, string(filepath.Separator)) >= maxHistoryDepth {
			return fs.SkipDir
		}
		if _, err := os.Stat(filepath.Join(p, RunFile)); err != nil {
			return nil
		}
		if _, err := os.Stat(filepath.Join(p, SumsFile)); err != nil {
			return nil
		}
		if p == exclude {
			return fs.SkipDir
		}
		rec, err := readRunRecord(p)
		if err != nil {
			return fmt.Errorf("--history: %w", err)
		}
		out = append(out, historyRun{dir: p, rec: *rec})
		return fs.SkipDir
	})
	return out, err
}

func readRunRecord(dir string) (*RunRecord, error) {
	data, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return nil, fmt.Errorf("reading the run record of %s: %w", dir, err)
	}
	var rec RunRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Join(dir, RunFile), err)
	}
	return &rec, nil
}

// openPrevious finds, verifies and reads the previous quarter's run and
// the history; nil when neither --previous nor --history was given. A
// bundle that fails verification is refused, never used.
func openPrevious(ctx context.Context, cfg Config) (*previousInput, error) {
	if cfg.Previous == "" && cfg.History == "" {
		return nil, nil
	}
	out, err := filepath.Abs(cfg.Out)
	if err != nil {
		return nil, fmt.Errorf("resolving --out %s: %w", cfg.Out, err)
	}
	var hist []historyRun
	if cfg.History != "" {
		found, err := findRuns(cfg.History, out)
		if err != nil {
			return nil, err
		}
		for _, h := range found {
			if h.rec.AsOf.Before(cfg.AsOf) {
				hist = append(hist, h)
			}
		}
	}
	var prevDir string
	switch {
	case cfg.Previous != "":
		if prevDir, err = filepath.Abs(cfg.Previous); err != nil {
			return nil, fmt.Errorf("resolving --previous %s: %w", cfg.Previous, err)
		}
	case len(hist) == 0:
		return nil, fmt.Errorf("--history %s holds no run bundle (a directory with run.json and SHA256SUMS) with an as-of before %s: give the directory the quarterly runs are written under, or --previous",
			cfg.History, cfg.AsOf.Format("2006-01-02"))
	default:
		newest := slices.MaxFunc(hist, func(a, b historyRun) int { return a.rec.StartedAt.Compare(b.rec.StartedAt) })
		prevDir = newest.dir
		cfg.Logger.Info("--history: comparing with the newest run found", "run", newest.rec.RunID, "dir", prevDir, "as_of", newest.rec.AsOf)
	}
	if prevDir == out {
		return nil, fmt.Errorf("the previous run %s is --out: this run would replace the bundle it compares with; write it to a new directory", prevDir)
	}
	v, err := Verify(ctx, prevDir)
	if err != nil {
		return nil, fmt.Errorf("verifying the previous run %s: %w; give an intact copy of the bundle", prevDir, err)
	}
	if !v.OK() {
		return nil, fmt.Errorf("the previous run %s fails verification (%s): run `dormant verify %s` to see every problem, then give an intact copy of the bundle or leave out --previous/--history",
			prevDir, summarize(v.Problems), prevDir)
	}
	rec, err := readRunRecord(prevDir)
	if err != nil {
		return nil, err
	}
	if !rec.AsOf.Before(cfg.AsOf) {
		return nil, fmt.Errorf("the previous run %s has as-of %s, not before this run's %s: give an earlier run",
			prevDir, rec.AsOf.Format("2006-01-02"), cfg.AsOf.Format("2006-01-02"))
	}
	p := &previousInput{dir: prevDir, rec: *rec, history: cfg.History}
	if p.findings, err = tables.ReadParquet[tables.Finding](joinRel(prevDir, FindingsTable)); err != nil {
		return nil, fmt.Errorf("reading the previous run's findings: %w", err)
	}

	// The history: every earlier run's candidates (for their first listing)
	// and counts (for the trend). The previous run was verified in full;
	// the others are checked against their SHA256SUMS.
	runs := []changes.Run{{ID: rec.RunID, AsOf: rec.AsOf, Findings: p.findings}}
	for _, h := range hist {
		if h.rec.RunID == rec.RunID || h.dir == prevDir {
			continue
		}
		bad, err := evidence.VerifySums(ctx, h.dir)
		if err != nil {
			return nil, fmt.Errorf("verifying history run %s: %w", h.dir, err)
		}
		if len(bad) > 0 {
			msgs := make([]string, len(bad))
			for i, m := range bad {
				msgs[i] = m.String()
			}
			return nil, fmt.Errorf("history run %s does not match its %s (%s): run `dormant verify %s`, then restore an intact copy or move it out of --history",
				h.dir, SumsFile, summarize(msgs), h.dir)
		}
		finds, err := tables.ReadParquet[tables.Finding](joinRel(h.dir, FindingsTable))
		if err != nil {
			return nil, fmt.Errorf("reading history run %s: %w", h.dir, err)
		}
		runs = append(runs, changes.Run{ID: h.rec.RunID, AsOf: h.rec.AsOf, Findings: finds})
	}
	changes.SortRuns(runs)
	var upToPrevious []changes.Run
	for _, r := range runs {
		p.trend = append(p.trend, changes.Point(r.ID, r.AsOf, r.Findings))
		if !r.AsOf.After(rec.AsOf) {
			upToPrevious = append(upToPrevious, r)
		}
	}
	p.listed = changes.Listings(upToPrevious)

	// The plan: a reviewed manifest of the previous run, else its own.
	runManifest := joinRel(prevDir, reports.ManifestPath)
	p.planPath, p.planKind = runManifest, kindPreviousManifest
	own, err := manifest.Read(runManifest)
	if err != nil {
		return nil, fmt.Errorf("reading the previous run's manifest: %w", err)
	}
	p.plan = own
	if cfg.PreviousManifest != "" {
		m, err := manifest.Read(cfg.PreviousManifest)
		if err != nil {
			return nil, fmt.Errorf("reading --previous-manifest: %w", err)
		}
		if err := m.Verify(); err != nil {
			return nil, fmt.Errorf("checking --previous-manifest %s: %w; use the reviewed manifest as `dormant manifest` wrote it", cfg.PreviousManifest, err)
		}
		switch {
		case m.RunID != rec.RunID:
			return nil, fmt.Errorf("--previous-manifest %s is of run %s, not of the previous run %s: give the reviewed manifest made from that run's workbook", cfg.PreviousManifest, m.RunID, rec.RunID)
		case m.ReviewedFrom == nil:
			return nil, fmt.Errorf("--previous-manifest %s is not a reviewed manifest (no reviewed_from): give the one `dormant manifest --from-workbook` wrote, or leave the flag out to check the run's own manifest", cfg.PreviousManifest)
		case m.ReviewedFrom.RunDigest != own.Digest:
			return nil, fmt.Errorf("--previous-manifest %s was reviewed from a manifest with digest %s, but the previous run's is %s: give the reviewed manifest of this bundle", cfg.PreviousManifest, m.ReviewedFrom.RunDigest, own.Digest)
		}
		p.plan, p.planPath, p.planKind = m, cfg.PreviousManifest, kindPreviousReviewedManifest
	}
	if cfg.Journal != "" {
		f, err := os.Open(cfg.Journal)
		if err != nil {
			return nil, fmt.Errorf("reading --journal: %w", err)
		}
		p.journal, err = remediate.ReadJournal(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading --journal %s: %w", cfg.Journal, err)
		}
		if _, err := changes.FromJournal(p.journal, rec.RunID, p.plan); err != nil {
			return nil, fmt.Errorf("--journal %s: %w", cfg.Journal, err)
		}
		p.journalPath = cfg.Journal
	}
	return p, nil
}

// summarize is the first problems of a list, and how many more.
func summarize(problems []string) string {
	const shown = 3
	if len(problems) <= shown {
		return strings.Join(problems, "; ")
	}
	return strings.Join(problems[:shown], "; ") + fmt.Sprintf("; and %d more", len(problems)-shown)
}

// changesOutput is what the changes stage hands on: the inputs it stored.
type changesOutput struct{ inputs []record.Input }

func (o changesOutput) recordTo(rec *RunRecord) { rec.AddInputs(o.inputs...) }

// runChanges stores under previous/ what the comparison reads, compares,
// and writes the changes, trend and remediation tables.
func runChanges(st *staging, p *previousInput, runID string, rec *RunRecord, finds []tables.Finding) (changesOutput, error) {
	var out changesOutput
	copies := []struct{ src, rel, kind string }{
		{joinRel(p.dir, RunFile), PreviousRun, kindPreviousRun},
		{joinRel(p.dir, FindingsTable), PreviousFindings, kindPreviousFindings},
		{p.planPath, PreviousManifest, p.planKind},
	}
	if p.journalPath != "" {
		copies = append(copies, struct{ src, rel, kind string }{p.journalPath, PreviousJournal, kindPreviousJournal})
	}
	for _, c := range copies {
		if err := copyInput(st, c.src, c.rel); err != nil {
			return out, err
		}
		out.inputs = append(out.inputs, record.Input{Path: c.rel, Kind: c.kind, Source: c.src})
	}
	source := cmp.Or(p.history, p.dir)
	if err := tables.WriteParquet(st.path(PreviousListed), p.listed); err != nil {
		return out, fmt.Errorf("writing %s: %w", PreviousListed, err)
	}
	if err := tables.WriteParquet(st.path(PreviousTrend), p.trend); err != nil {
		return out, fmt.Errorf("writing %s: %w", PreviousTrend, err)
	}
	out.inputs = append(out.inputs,
		record.Input{Path: PreviousListed, Kind: kindPreviousListed, Source: source},
		record.Input{Path: PreviousTrend, Kind: kindPreviousTrend, Source: source})
	users, err := tables.ReadParquet[tables.User](st.path(InventoryTable))
	if err != nil {
		return out, fmt.Errorf("reading back %s: %w", InventoryTable, err)
	}
	ch, trend, rem, err := compareRuns(comparison{
		previous: p.rec, previousFindings: p.findings, listed: p.listed, earlier: p.trend,
		plan: p.plan, planKind: p.planKind, journal: p.journal, hasJournal: p.journalPath != "",
		runID: runID, rec: rec, findings: finds, users: users,
	})
	if err != nil {
		return out, err
	}
	for _, w := range []struct {
		rel   string
		write func(string) error
	}{
		{ChangesTable, func(p string) error { return tables.WriteParquet(p, ch) }},
		{TrendTable, func(p string) error { return tables.WriteParquet(p, trend) }},
		{RemediationTable, func(p string) error { return tables.WriteParquet(p, rem) }},
	} {
		if err := w.write(st.path(w.rel)); err != nil {
			return out, fmt.Errorf("writing %s: %w", w.rel, err)
		}
	}
	return out, nil
}

// comparison is what compareRuns reads: the run's own tables and the
// previous quarter's, whether fresh (the run) or stored (verify).
type comparison struct {
	previous         RunRecord
	previousFindings []tables.Finding
	listed           []tables.Listing
	earlier          []tables.TrendPoint
	plan             *manifest.Manifest
	planKind         string
	journal          []remediate.JournalRecord
	hasJournal       bool

	runID    string
	rec      *RunRecord
	findings []tables.Finding
	users    []tables.User
}

// compareRuns computes the changes, trend and remediation tables; the run
// and verify both call it.
func compareRuns(c comparison) ([]tables.Change, []tables.TrendPoint, []tables.RemediationCheck, error) {
	ch := changes.Compare(changes.Input{
		Previous: changes.Run{ID: c.previous.RunID, AsOf: c.previous.AsOf, Findings: c.previousFindings},
		Listings: c.listed,
		Current:  changes.Run{ID: c.runID, AsOf: c.rec.AsOf, Findings: c.findings},
		Users:    c.users,
	})
	trend := append(slices.Clone(c.earlier), changes.Point(c.runID, c.rec.AsOf, c.findings))
	var entries []changes.Entry
	if c.hasJournal {
		var err error
		if entries, err = changes.FromJournal(c.journal, c.previous.RunID, c.plan); err != nil {
			return nil, nil, nil, fmt.Errorf("reading the journal's entries: %w", err)
		}
	} else {
		source := tables.PlanRun
		if c.planKind == kindPreviousReviewedManifest {
			source = tables.PlanReviewed
		}
		entries = changes.FromManifest(c.plan, source)
	}
	rem := changes.Check(entries, c.users, c.rec.Orphans)
	return ch, trend, rem, nil
}

// changesReportInput adds a compared run's tables to the reports' input;
// a run without --previous has none.
func changesReportInput(dir string, in *reports.Input) error {
	if _, err := os.Stat(joinRel(dir, ChangesTable)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var err error
	if in.Changes, err = tables.ReadParquet[tables.Change](joinRel(dir, ChangesTable)); err != nil {
		return fmt.Errorf("reading %s: %w", ChangesTable, err)
	}
	if in.Trend, err = tables.ReadParquet[tables.TrendPoint](joinRel(dir, TrendTable)); err != nil {
		return fmt.Errorf("reading %s: %w", TrendTable, err)
	}
	if in.Remediation, err = tables.ReadParquet[tables.RemediationCheck](joinRel(dir, RemediationTable)); err != nil {
		return fmt.Errorf("reading %s: %w", RemediationTable, err)
	}
	in.Compared = true
	return nil
}

// verifyChanges recomputes the changes, trend and remediation tables from
// the bundle's previous/ copies and its own tables.
func verifyChanges(v *Verification, dir string, rec *RunRecord, finds []tables.Finding, users []tables.User) {
	kinds := map[string]string{}
	for _, in := range rec.Inputs {
		kinds[in.Kind] = in.Path
	}
	_, compared := kinds[kindPreviousRun]
	if _, err := os.Stat(joinRel(dir, ChangesTable)); !compared && errors.Is(err, fs.ErrNotExist) {
		v.Checked = append(v.Checked, "changes since a previous run: none compared in this run")
		return
	} else if !compared {
		v.problem("%s is present but run.json lists no previous run (%s) it was computed from", ChangesTable, PreviousRun)
		return
	}
	c := comparison{runID: rec.RunID, rec: rec, findings: finds, users: users}
	prevRec, err := readRunRecordFile(joinRel(dir, PreviousRun))
	if err != nil {
		v.problem("%s: %v", PreviousRun, err)
		return
	}
	c.previous = *prevRec
	if c.previousFindings, err = tables.ReadParquet[tables.Finding](joinRel(dir, PreviousFindings)); err != nil {
		v.problem("%s: %v", PreviousFindings, err)
		return
	}
	if c.listed, err = tables.ReadParquet[tables.Listing](joinRel(dir, PreviousListed)); err != nil {
		v.problem("%s: %v", PreviousListed, err)
		return
	}
	if c.earlier, err = tables.ReadParquet[tables.TrendPoint](joinRel(dir, PreviousTrend)); err != nil {
		v.problem("%s: %v", PreviousTrend, err)
		return
	}
	// The stored trend must count the stored previous findings as they are.
	want := changes.Point(prevRec.RunID, prevRec.AsOf, c.previousFindings)
	if i := slices.IndexFunc(c.earlier, func(p tables.TrendPoint) bool { return p.RunID == prevRec.RunID }); i < 0 || !equalRows(c.earlier[i], want) {
		v.problem("%s: the previous run %s's counts do not match %s", PreviousTrend, prevRec.RunID, PreviousFindings)
	}
	if c.plan, err = manifest.Read(joinRel(dir, PreviousManifest)); err != nil {
		v.problem("%s: %v", PreviousManifest, err)
		return
	}
	if err := c.plan.Verify(); err != nil {
		v.problem("%s: %v", PreviousManifest, err)
	}
	if kinds[kindPreviousReviewedManifest] != "" {
		c.planKind = kindPreviousReviewedManifest
	}
	if kinds[kindPreviousJournal] != "" {
		data, err := os.ReadFile(joinRel(dir, PreviousJournal))
		if err == nil {
			c.journal, err = remediate.ReadJournal(bytes.NewReader(data))
		}
		if err != nil {
			v.problem("%s: %v", PreviousJournal, err)
			return
		}
		c.hasJournal = true
	}
	ch, trend, rem, err := compareRuns(c)
	if err != nil {
		v.problem("recomputing the changes: %v", err)
		return
	}
	compareTable(v, joinRel(dir, ChangesTable), ChangesTable, ch, nil)
	compareTable(v, joinRel(dir, TrendTable), TrendTable, trend, nil)
	compareTable(v, joinRel(dir, RemediationTable), RemediationTable, rem, nil)
	v.Checked = append(v.Checked, "changes, trend and remediation recomputed from "+PreviousDir+"/ and this run's tables")
}

func readRunRecordFile(path string) (*RunRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec RunRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &rec, nil
}
