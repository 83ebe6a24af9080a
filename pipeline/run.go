package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/tables"
)

// Result is what a finished run reports back to the caller.
type Result struct {
	RunID   string
	Out     string
	Record  *RunRecord
	Summary findings.Summary
	// Partial is set when some accounts could not be assessed (see
	// Record.Accounts for why); their users are in no report.
	Partial bool
}

// state carries what the stages hand each other within one run.
type state struct {
	cfg  Config
	st   *staging
	rec  *RunRecord
	prev *previousRun      // the run already in --out, for --resume; nil otherwise
	fps  map[string]string // stage fingerprints of this run

	awsSess *awsSession     // created on first use
	eng     activity.Engine // the activity engine, once built

	users    []tables.User
	policies []tables.Policy
	// usersTable and actTable are users and act as the Arrow tables the
	// inventory and activity stages wrote, when they ran in this process
	// (nil when reused from a previous run): the join reads them as they
	// are, and the rows can go once the references stage is done.
	usersTable arrow.RecordBatch
	actTable   arrow.RecordBatch
	refs       []tables.Reference
	trails     map[string][]tables.Trail // by account, the accounts whose trail settings are known
	act        []tables.Activity
	cov        []tables.Coverage
	finds      []tables.Finding
	summary    findings.Summary

	// pending is the findings table being written in the background while
	// the reports are; waitPending collects it.
	pending chan error
}

// waitPending waits for a table still being written and returns its error.
func (s *state) waitPending() error {
	if s.pending == nil {
		return nil
	}
	err := <-s.pending
	s.pending = nil
	return err
}

// stage is one numbered step of the run. A stage with a fingerprint can be
// reused under --resume: when the run in --out recorded the same fingerprint,
// its outputs are copied instead of recomputed, and load reads them back.
type stage struct {
	name        string
	fingerprint func(context.Context) (string, error) // nil: always run
	run         func(context.Context) error
	load        func(context.Context) error
}

// Run executes the whole job: inventory, references, activity, findings,
// reports, then the evidence checksums. Nothing is left under cfg.Out unless
// every step succeeded.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	started := time.Now().UTC()
	runID := newRunID(started)
	st, err := newStaging(ctx, cfg.Out, runID, cfg.Logger)
	if err != nil {
		return nil, err
	}
	committed := false
	s := &state{cfg: cfg, st: st, rec: newRunRecord(cfg, runID, started)}
	defer func() {
		if !committed {
			s.waitPending() // nothing may still write into what abort removes
			st.abort()
		}
	}()

	if cfg.Resume {
		if s.prev, err = openPreviousRun(st.final); err != nil {
			cfg.Logger.Warn("--resume: no reusable run in --out; running every stage", "reason", err)
		}
	}
	steps := []stage{
		{"inventory", s.inventoryFingerprint, s.inventory, s.loadInventory},
		{"trails", nil, s.readTrails, nil},
		{"activity", s.activityFingerprint, s.activity, s.loadActivity},
		{"references", s.referencesFingerprint, s.references, s.loadReferences},
		{"findings", s.findingsFingerprint, s.findings, s.loadFindings},
		{"reports", nil, s.reports, nil},
	}
	for i, step := range steps {
		if err := context.Cause(ctx); err != nil {
			return nil, fmt.Errorf("run cancelled before %s: %w", step.name, err)
		}
		log := cfg.Logger.With("step", fmt.Sprintf("%d/%d", i+1, len(steps)), "stage", step.name)
		t0 := time.Now()
		fp := ""
		if step.fingerprint != nil {
			if fp, err = step.fingerprint(ctx); err != nil {
				return nil, fmt.Errorf("%s: fingerprinting inputs: %w", step.name, err)
			}
		}
		reused, err := s.reuse(ctx, step, fp)
		if err != nil {
			return nil, fmt.Errorf("%s: reusing the previous run's outputs: %w", step.name, err)
		}
		if reused {
			log.Info("stage unchanged since the previous run: reused its outputs", "fingerprint", fp[:12])
		} else {
			log.Info("stage")
			// The stage's name labels its CPU profile samples (--cpuprofile),
			// goroutines it starts included.
			pprof.Do(ctx, pprof.Labels("stage", step.name), func(ctx context.Context) { err = step.run(ctx) })
			if err != nil {
				return nil, fmt.Errorf("%s: %w", step.name, err)
			}
		}
		s.rec.addStage(step.name, t0, time.Since(t0), fp, reused)
	}

	s.rec.FinishedAt = time.Now().UTC()
	if err := writeJSON(st.path(RunFile), s.rec); err != nil {
		return nil, fmt.Errorf("writing %s: %w", RunFile, err)
	}
	if err := evidence.WriteSums(ctx, st.dir); err != nil {
		return nil, fmt.Errorf("writing %s: %w", SumsFile, err)
	}
	if cfg.Signer != nil {
		if _, err := signature.SignFile(ctx, cfg.Signer, st.path(SumsFile)); err != nil {
			return nil, fmt.Errorf("signing %s: %w", SumsFile, err)
		}
	}
	if err := st.commit(); err != nil {
		return nil, err
	}
	committed = true
	cfg.Logger.Info("run complete", "out", st.final, "users", s.summary.Total, "duration", time.Since(started).Round(time.Millisecond))
	res := &Result{RunID: runID, Out: st.final, Record: s.rec, Summary: s.summary}
	for _, a := range s.rec.Accounts {
		res.Partial = res.Partial || !a.Assessed
	}
	return res, nil
}

// inventory parses the exported files, keeps them raw under inputs/<account>/
// and writes the inventory and policy tables.
func (s *state) inventory(ctx context.Context) error {
	if s.cfg.Live() {
		if err := s.liveInventory(ctx); err != nil {
			return err
		}
		return s.writeInventory()
	}
	inv, err := inventory.LoadFiles(ctx, s.cfg.CredentialReports, s.cfg.AuthorizationDetails,
		inventory.WithReportGeneratedAt(s.cfg.ReportGeneratedAt))
	if err != nil {
		return err
	}
	for _, r := range inv.Reports {
		ext := ".csv"
		if r.Format != inventory.FormatCSV {
			ext = ".json"
		}
		rel := InputsDir + "/" + r.AccountID + "/credential-report" + ext
		if err := s.copyInput(r.Name, rel); err != nil {
			return err
		}
		s.rec.addInput(rel, r.AccountID, kindCredentialReport, r.Name, r.GeneratedAt)
	}
	seen := map[string]int{}
	for _, d := range inv.Details {
		seen[d.AccountID]++
		name := "authorization-details.json"
		if n := seen[d.AccountID]; n > 1 {
			name = fmt.Sprintf("authorization-details-%d.json", n)
		}
		rel := InputsDir + "/" + d.AccountID + "/" + name
		if err := s.copyInput(d.Name, rel); err != nil {
			return err
		}
		s.rec.addInput(rel, d.AccountID, kindAuthorizationDetails, d.Name, time.Time{})
	}
	s.users, s.policies = inv.Users, inv.Policies
	s.rec.Accounts = accountsOf(inv)
	return s.writeInventory()
}

func (s *state) writeInventory() error {
	// The users table is kept encoded for the join, so the findings stage
	// does not encode the same rows again.
	rec, err := tables.Encode(memory.NewGoAllocator(), s.users)
	if err != nil {
		return fmt.Errorf("encoding inventory table: %w", err)
	}
	s.usersTable = rec
	if err := tables.WriteRecordParquet(s.st.path(InventoryTable), rec); err != nil {
		return fmt.Errorf("writing inventory table: %w", err)
	}
	if err := tables.WriteParquet(s.st.path(PoliciesTable), s.policies); err != nil {
		return fmt.Errorf("writing policies table: %w", err)
	}
	s.rec.Counts.Users, s.rec.Counts.Policies = len(s.users), len(s.policies)
	return nil
}

// referenceChecks are the checks this run makes: what the user asked for, or
// every check that can run (live AWS access: all; files: the policies in the
// authorization details).
func (s *state) referenceChecks() ([]string, error) {
	if s.cfg.SkipReferences {
		return nil, nil
	}
	if len(s.cfg.ReferenceChecks) > 0 {
		for _, n := range s.cfg.ReferenceChecks {
			if !slices.Contains(references.KnownChecks, n) {
				return nil, fmt.Errorf("--reference-checks %q is not a check; use %s", n, strings.Join(references.KnownChecks, ","))
			}
			if n != references.CheckIAM && !s.cfg.Live() {
				return nil, fmt.Errorf("--reference-checks %s reads AWS live; it cannot run on exported files (only iam can)", n)
			}
		}
		return s.cfg.ReferenceChecks, nil
	}
	if s.cfg.Live() {
		return references.KnownChecks, nil
	}
	return []string{references.CheckIAM}, nil
}

// references finds who and what still names each user: the policies in the
// authorization details for every user, and, live, resource policies and
// owner tags for the users a first classification would offer for removal.
func (s *state) references(ctx context.Context) error {
	checks, err := s.referenceChecks()
	if err != nil {
		return err
	}
	s.rec.ReferenceChecks = checks
	var refs []tables.Reference
	if slices.Contains(checks, references.CheckIAM) {
		// Two independent passes over the policies: one per core.
		var orphans []references.Orphan
		var wg sync.WaitGroup
		wg.Go(func() { orphans = references.Orphans(s.users, s.policies) })
		refs, err = references.Scan(s.users, s.policies)
		wg.Wait()
		if err != nil {
			return err
		}
		s.rec.Orphans = append(s.rec.Orphans, orphans...)
	}
	liveChecks := slices.DeleteFunc(slices.Clone(checks), func(n string) bool { return n == references.CheckIAM })
	if len(liveChecks) > 0 {
		candidates, err := s.candidates()
		if err != nil {
			return err
		}
		res, err := s.liveReferences(ctx, candidates, liveChecks)
		if err != nil {
			return fmt.Errorf("checking references live: %w", err)
		}
		refs = append(refs, res.References...)
		for _, u := range res.Unchecked {
			s.rec.Unchecked = append(s.rec.Unchecked, reports.Unchecked{AccountID: u.AccountID, Kind: u.Kind, ResourceARN: u.ResourceARN, Region: u.Region, Error: u.Error})
		}
		s.rec.Orphans = append(s.rec.Orphans, res.Orphans...)
	}
	references.SortReferences(refs)
	references.SortOrphans(s.rec.Orphans)
	if n := len(s.rec.Orphans); n > 0 {
		s.cfg.Logger.Warn("policies name unique IDs of users that no longer exist (broken references left by earlier deletions); see orphans in run.json", "count", n)
	}
	s.refs = refs
	s.rec.Counts.References = len(refs)
	// No later stage reads the policies (their documents are most of the
	// inventory's memory), nor the users' and activity rows when the join
	// has their tables: the collector need not keep marking them. A
	// collection that starts during the join would otherwise mark every
	// user's strings (seen: 0.4 s of a 0.9 s findings stage at 100k users).
	s.policies = nil
	if s.usersTable != nil {
		s.users = nil
	}
	if s.actTable != nil {
		s.act = nil
	}
	return tables.WriteParquet(s.st.path(ReferenceTable), refs)
}

// candidates are the users a classification without references would offer
// for removal: the only ones whose accounts the live checks call.
func (s *state) candidates() ([]tables.User, error) {
	opts, err := s.classifyOptions()
	if err != nil {
		return nil, err
	}
	// Users held only for their trails are still checked, for the reviewer.
	opts.Trails = nil
	prelim, err := findings.Classify(s.users, s.act, s.cov, nil, opts)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range prelim {
		if f.Status == tables.StatusInactive || f.Status == tables.StatusNeverUsed {
			want[f.AccountID+"/"+f.ARN] = true
		}
	}
	var out []tables.User
	for _, u := range s.users {
		if want[u.AccountID+"/"+u.ARN] {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *state) query() activity.Query {
	// Every account's logs are read, not only the inventory's: a user's
	// cross-account calls are logged in the other account's trail.
	return activity.Query{Start: s.cfg.WindowStart(), End: s.cfg.AsOf}
}

// activity runs the engine's queries over CloudTrail for the window.
func (s *state) activity(ctx context.Context) error {
	eng := s.eng // built (and, from S3, synced) by the fingerprint
	if eng == nil {
		var err error
		if eng, err = s.engine(ctx); err != nil {
			return err
		}
	}
	res, err := eng.Run(ctx, s.query())
	if err != nil {
		return fmt.Errorf("querying CloudTrail with the %s engine: %w", eng.Name(), err)
	}
	var sqlFiles []string
	for i, r := range res.Runs {
		rel := fmt.Sprintf("%s/%s.sql", QueriesDir, r.Name)
		if slices.Contains(sqlFiles, rel) {
			rel = fmt.Sprintf("%s/%s-%d.sql", QueriesDir, r.Name, i+1)
		}
		sqlFiles = append(sqlFiles, rel)
		if err := atomicfile.WriteBytes(s.st.path(rel), []byte(strings.TrimRight(r.SQL, "\n")+"\n")); err != nil {
			return fmt.Errorf("writing %s: %w", rel, err)
		}
		s.rec.Queries = append(s.rec.Queries, QueryRecord{
			Engine: r.Engine, Name: r.Name, QueryID: r.QueryID, SQLFile: rel,
			BytesScanned: r.BytesScanned, EngineTimeMS: r.EngineTime.Milliseconds(), Files: r.Files, CostUSD: r.CostUSD,
		})
	}
	s.act, s.cov = res.Activity, res.Coverage
	rec, err := tables.Encode(memory.NewGoAllocator(), res.Activity)
	if err != nil {
		return fmt.Errorf("encoding activity table: %w", err)
	}
	s.actTable = rec
	if err := tables.WriteRecordParquet(s.st.path(ActivityTable), rec); err != nil {
		return fmt.Errorf("writing activity table: %w", err)
	}
	if err := tables.WriteParquet(s.st.path(CoverageTable), res.Coverage); err != nil {
		return fmt.Errorf("writing coverage table: %w", err)
	}
	// Only the local engine reads files one by one; for Athena and Lake the
	// table's absence says "not counted by this engine".
	if eng.Name() == EngineLocal {
		if err := tables.WriteParquet(s.st.path(LogFilesTable), res.LogFiles); err != nil {
			return fmt.Errorf("writing log files table: %w", err)
		}
	}
	s.rec.Counts.ActivityRows = len(res.Activity)
	// The record keeps each region's span; the hourly cells are in the coverage table.
	s.rec.Coverage = tables.CoverageSpans(res.Coverage)
	return nil
}

func (s *state) classifyOptions() (findings.Options, error) {
	opts, err := classifyOptions(s.cfg.AsOf, s.cfg.WindowDays, s.cfg.DeleteAfterDays, s.cfg.ExemptTag, s.cfg.ReportMaxAge, s.cfg.Allowlist)
	if err != nil {
		return opts, err
	}
	// The activity stage has written (or carried) the log files table.
	files, _, err := readLogFiles(s.st.dir)
	if err != nil {
		return opts, err
	}
	opts.SkippedRecords = tables.SkippedByAccount(files)
	opts.Trails = s.trails
	opts.DigestProblems, opts.DigestProven = tables.DigestProblems(files), tables.DigestProven(files)
	return opts, nil
}

func classifyOptions(asOf time.Time, window, deleteAfter int, exemptTag string, maxAge time.Duration, allowlist string) (findings.Options, error) {
	opts := findings.DefaultOptions(asOf)
	opts.WindowDays, opts.DeleteAfterDays = window, deleteAfter
	opts.ExemptTagKey, opts.ReportMaxAge = exemptTag, maxAge
	if allowlist != "" {
		allow, err := findings.LoadAllowlist(allowlist)
		if err != nil {
			return opts, err
		}
		opts.Allowlist = allow
	}
	return opts, opts.Validate()
}

// findings joins the stage tables in Arrow and classifies every user.
func (s *state) findings(ctx context.Context) error {
	opts, err := s.classifyOptions()
	if err != nil {
		return err
	}
	if s.cfg.Allowlist != "" {
		if err := s.copyInput(s.cfg.Allowlist, AllowlistInput); err != nil {
			return err
		}
		s.rec.addInput(AllowlistInput, "", kindAllowlist, s.cfg.Allowlist, time.Time{})
	}
	mem := memory.NewGoAllocator()
	users, act := s.usersTable, s.actTable
	s.usersTable, s.actTable = nil, nil
	var uerr, err1 error
	var wg sync.WaitGroup
	if users == nil {
		// The users table is the largest: encoded while the others are.
		wg.Go(func() { users, uerr = tables.Encode(mem, s.users) })
	}
	if act == nil {
		act, err1 = tables.Encode(mem, s.act)
	}
	cov, err2 := tables.Encode(mem, s.cov)
	refs, err3 := tables.Encode(mem, s.refs)
	wg.Wait()
	for _, r := range []arrow.RecordBatch{users, act, cov, refs} {
		if r != nil {
			defer r.Release()
		}
	}
	if err := errors.Join(uerr, err1, err2, err3); err != nil {
		return fmt.Errorf("encoding the join's input tables: %w", err)
	}
	// From here on the tables are the inventory and activity: nothing reads
	// the rows again, and letting them go halves what the collector marks
	// during the join and the reports (Arrow buffers hold no pointers).
	s.users, s.act = nil, nil
	finds, out, err := findings.JoinRows(mem, users, act, cov, refs, opts)
	if err != nil {
		return err
	}
	// The findings table goes to disk while the reports are written from
	// its rows; the reports stage waits for it.
	done := make(chan error, 1)
	s.pending = done
	go func() {
		err := tables.WriteRecordParquet(s.st.path(FindingsTable), out)
		out.Release()
		done <- err
	}()
	s.finds = finds
	s.summary = findings.Summarize(s.finds)
	s.rec.Counts.Findings = s.summary
	return nil
}

// reports writes the workbook, the CSV and the remediation manifest.
func (s *state) reports(ctx context.Context) error {
	in, err := reportInput(s.st.dir, s.rec, s.finds, s.cov, s.refs)
	if err != nil {
		return err
	}
	err = reports.WriteAll(ctx, s.st.dir, in, reports.All()...)
	if werr := s.waitPending(); werr != nil && err == nil {
		err = fmt.Errorf("writing %s: %w", FindingsTable, werr)
	}
	return err
}

// reportInput gathers what the reports show from the run record and tables;
// verify calls it on a stored run to regenerate the same reports.
// LogFilesTable lists every file the local engine read, with its records
// and the records skipped, by reason (tables.LogFile).
const LogFilesTable = "tables/logfiles.parquet"

// readLogFiles reads a run's log files table; counted is false when the run
// has none (its engine cannot count per file).
func readLogFiles(dir string) (files []tables.LogFile, counted bool, err error) {
	p := filepath.Join(dir, filepath.FromSlash(LogFilesTable))
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	files, err = tables.ReadParquet[tables.LogFile](p)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", LogFilesTable, err)
	}
	return files, true, nil
}

func reportInput(dir string, rec *RunRecord, finds []tables.Finding, cov []tables.Coverage, refs []tables.Reference) (*reports.Input, error) {
	in := &reports.Input{
		RunID: rec.RunID, GeneratedAt: rec.StartedAt, AsOf: rec.AsOf,
		WindowDays: rec.WindowDays, DeleteAfterDays: rec.Settings.DeleteAfterDays,
		ReportMaxAge: rec.Settings.reportMaxAge(), ExemptTag: rec.Settings.ExemptTag,
		Engine: rec.Settings.Engine, ToolVersion: rec.ToolVersion,
		Findings: finds, Coverage: cov, References: refs,
		ReferenceChecks: rec.ReferenceChecks, Unchecked: rec.Unchecked,
	}
	var err error
	if in.LogFiles, in.LogFilesCounted, err = readLogFiles(dir); err != nil {
		return nil, err
	}
	if in.Trails, err = readTrailAccounts(dir, rec); err != nil {
		return nil, err
	}
	for _, o := range rec.Orphans {
		in.Orphans = append(in.Orphans, reports.Orphan{AccountID: o.AccountID, Kind: o.Kind, ResourceARN: o.ResourceARN, Location: o.Location, UniqueID: o.UniqueID})
	}
	for _, a := range rec.Accounts {
		in.Accounts = append(in.Accounts, reports.AccountScope{AccountID: a.AccountID, Assessed: a.Assessed, Error: a.Error, CredentialReportGeneratedAt: a.ReportGeneratedAt})
	}
	for _, f := range rec.Inputs {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		sum, n, err := evidence.HashFile(path)
		if err != nil {
			return nil, err
		}
		in.Inputs = append(in.Inputs, reports.EvidenceFile{Path: f.Path, SHA256: sum, Bytes: n, AccountID: f.AccountID, Kind: f.Kind, Source: f.Source, GeneratedAt: f.GeneratedAt})
		if f.Kind == kindAllowlist {
			entries, err := findings.LoadAllowlist(path)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				in.Allowlist = append(in.Allowlist, reports.AllowlistEntry{AccountID: e.AccountID, UserName: e.UserName, Reason: e.Reason, Owner: e.Owner, Expires: e.Expires})
			}
		}
	}
	for _, q := range rec.Queries {
		sqlText, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(q.SQLFile)))
		if err != nil {
			return nil, fmt.Errorf("reading the stored query %s: %w", q.SQLFile, err)
		}
		in.Queries = append(in.Queries, reports.QueryEvidence{
			Engine: q.Engine, Name: q.Name, QueryID: q.QueryID, SQL: string(sqlText), SQLFile: q.SQLFile,
			BytesScanned: q.BytesScanned, CostUSD: q.CostUSD, EngineTime: time.Duration(q.EngineTimeMS) * time.Millisecond,
		})
	}
	return in, nil
}

// copyInput keeps an input byte for byte, as the user (or AWS) gave it.
func (s *state) copyInput(src, rel string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading input %s: %w", src, err)
	}
	if err := atomicfile.WriteBytes(s.st.path(rel), data); err != nil {
		return fmt.Errorf("storing input %s as %s: %w", src, rel, err)
	}
	return nil
}

func accountsOf(inv *inventory.Inventory) []AccountRecord {
	gen := map[string]time.Time{}
	var ids []string
	for _, r := range inv.Reports {
		gen[r.AccountID] = r.GeneratedAt
		ids = append(ids, r.AccountID)
	}
	for _, d := range inv.Details {
		ids = append(ids, d.AccountID)
	}
	slices.Sort(ids)
	var out []AccountRecord
	for _, id := range slices.Compact(ids) {
		out = append(out, AccountRecord{AccountID: id, Assessed: true, ReportGeneratedAt: gen[id]})
	}
	return out
}
