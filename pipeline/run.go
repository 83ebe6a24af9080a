package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/internal/atomicfile"
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
}

// state carries what the stages hand each other within one run.
type state struct {
	cfg     Config
	st      *staging
	rec     *RunRecord
	inv     *inventory.Inventory
	refs    []tables.Reference
	act     *activity.Result
	finds   []tables.Finding
	allow   []findings.AllowEntry
	summary findings.Summary
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
	st, err := newStaging(cfg.Out, runID)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			st.abort()
		}
	}()

	s := &state{cfg: cfg, st: st, rec: newRunRecord(cfg, runID, started)}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"inventory", s.inventory},
		{"references", s.references},
		{"activity", s.activity},
		{"findings", s.findings},
		{"reports", s.reports},
	}
	for i, step := range steps {
		if err := context.Cause(ctx); err != nil {
			return nil, fmt.Errorf("run cancelled before %s: %w", step.name, err)
		}
		cfg.Logger.Info("stage", "step", fmt.Sprintf("%d/%d", i+1, len(steps)), "name", step.name)
		t0 := time.Now()
		if err := step.fn(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", step.name, err)
		}
		s.rec.addStage(step.name, t0, time.Since(t0))
	}

	s.rec.FinishedAt = time.Now().UTC()
	if err := writeJSON(st.path(RunFile), s.rec); err != nil {
		return nil, fmt.Errorf("writing %s: %w", RunFile, err)
	}
	if err := evidence.WriteSums(ctx, st.dir); err != nil {
		return nil, fmt.Errorf("writing %s: %w", SumsFile, err)
	}
	if err := st.commit(); err != nil {
		return nil, err
	}
	committed = true
	cfg.Logger.Info("run complete", "out", st.final, "users", s.summary.Total, "duration", time.Since(started).Round(time.Millisecond))
	return &Result{RunID: runID, Out: st.final, Record: s.rec, Summary: s.summary}, nil
}

// inventory parses the exported files, keeps them raw under inputs/<account>/
// and writes the inventory and policy tables.
func (s *state) inventory(ctx context.Context) error {
	inv, err := inventory.LoadFiles(ctx, s.cfg.CredentialReports, s.cfg.AuthorizationDetails)
	if err != nil {
		return err
	}
	s.inv = inv
	for _, r := range inv.Reports {
		ext := ".csv"
		if r.Format != "csv" {
			ext = ".json"
		}
		rel := filepath.ToSlash(filepath.Join(InputsDir, r.AccountID, "credential-report"+ext))
		if err := s.copyInput(r.Name, rel); err != nil {
			return err
		}
		meta := reportMeta{AccountID: r.AccountID, Source: r.Name, Format: r.Format, GeneratedAt: r.GeneratedAt}
		if err := writeJSON(s.st.path(filepath.Join(InputsDir, r.AccountID, "credential-report.meta.json")), meta); err != nil {
			return fmt.Errorf("writing credential report metadata for %s: %w", r.AccountID, err)
		}
		s.rec.addInput(rel, r.AccountID, "credential-report", r.Name, r.GeneratedAt)
	}
	seen := map[string]int{}
	for _, d := range inv.Details {
		seen[d.AccountID]++
		name := "authorization-details.json"
		if n := seen[d.AccountID]; n > 1 {
			name = fmt.Sprintf("authorization-details-%d.json", n)
		}
		rel := filepath.ToSlash(filepath.Join(InputsDir, d.AccountID, name))
		if err := s.copyInput(d.Name, rel); err != nil {
			return err
		}
		s.rec.addInput(rel, d.AccountID, "authorization-details", d.Name, time.Time{})
	}
	s.rec.Accounts = accountsOf(inv)
	if err := tables.WriteParquet(s.st.path(InventoryTable), inv.Users); err != nil {
		return fmt.Errorf("writing inventory table: %w", err)
	}
	if err := tables.WriteParquet(s.st.path(PoliciesTable), inv.Policies); err != nil {
		return fmt.Errorf("writing policies table: %w", err)
	}
	s.rec.Counts.Users = len(inv.Users)
	s.rec.Counts.Policies = len(inv.Policies)
	return nil
}

// references finds the policies that name each user, from the authorization details.
func (s *state) references(ctx context.Context) error {
	refs, err := references.Scan(s.inv.Users, s.inv.Policies)
	if err != nil {
		return err
	}
	s.refs = refs
	s.rec.Counts.References = len(refs)
	s.rec.ReferenceChecks = []string{"authorization-details"}
	return tables.WriteParquet(s.st.path(ReferenceTable), refs)
}

// activity runs the engine's queries over CloudTrail for the window.
func (s *state) activity(ctx context.Context) error {
	eng := activity.NewLocal(s.cfg.CloudTrail)
	// Every account's logs are read, not only the inventory's: a user's
	// cross-account calls are logged in the other account's trail.
	q := activity.Query{Start: s.cfg.WindowStart(), End: s.cfg.AsOf}
	res, err := eng.Run(ctx, q)
	if err != nil {
		return fmt.Errorf("querying CloudTrail with the %s engine: %w", eng.Name(), err)
	}
	s.act = res
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
	if err := tables.WriteParquet(s.st.path(ActivityTable), res.Activity); err != nil {
		return fmt.Errorf("writing activity table: %w", err)
	}
	if err := tables.WriteParquet(s.st.path(CoverageTable), res.Coverage); err != nil {
		return fmt.Errorf("writing coverage table: %w", err)
	}
	s.rec.Counts.ActivityRows = len(res.Activity)
	s.rec.Coverage = res.Coverage
	return nil
}

// findings joins the stage tables in Arrow and classifies every user.
func (s *state) findings(ctx context.Context) error {
	opts := findings.DefaultOptions(s.cfg.AsOf)
	opts.WindowDays = s.cfg.WindowDays
	opts.DeleteAfterDays = s.cfg.DeleteAfterDays
	opts.ExemptTagKey = s.cfg.ExemptTag
	opts.ReportMaxAge = s.cfg.ReportMaxAge
	if s.cfg.Allowlist != "" {
		allow, err := findings.LoadAllowlist(s.cfg.Allowlist)
		if err != nil {
			return err
		}
		opts.Allowlist = allow
		s.allow = allow
		if err := s.copyInput(s.cfg.Allowlist, InputsDir+"/allowlist.yaml"); err != nil {
			return err
		}
		s.rec.addInput(InputsDir+"/allowlist.yaml", "", "allowlist", s.cfg.Allowlist, time.Time{})
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	mem := memory.NewGoAllocator()
	users, err := tables.Encode(mem, s.inv.Users)
	if err != nil {
		return err
	}
	defer users.Release()
	act, err := tables.Encode(mem, s.act.Activity)
	if err != nil {
		return err
	}
	defer act.Release()
	cov, err := tables.Encode(mem, s.act.Coverage)
	if err != nil {
		return err
	}
	defer cov.Release()
	refs, err := tables.Encode(mem, s.refs)
	if err != nil {
		return err
	}
	defer refs.Release()
	out, err := findings.Join(mem, users, act, cov, refs, opts)
	if err != nil {
		return err
	}
	defer out.Release()
	if s.finds, err = tables.Decode[tables.Finding](out); err != nil {
		return err
	}
	s.summary = findings.Summarize(s.finds)
	s.rec.Counts.Findings = s.summary
	return tables.WriteParquet(s.st.path(FindingsTable), s.finds)
}

// reports writes the workbook, the CSV and the remediation manifest.
func (s *state) reports(ctx context.Context) error {
	in := &reports.Input{
		RunID: s.rec.RunID, GeneratedAt: s.rec.StartedAt, AsOf: s.cfg.AsOf,
		WindowDays: s.cfg.WindowDays, DeleteAfterDays: s.cfg.DeleteAfterDays,
		Engine: s.cfg.Engine, ToolVersion: s.cfg.ToolVersion,
		Findings: s.finds, Coverage: s.act.Coverage, References: s.refs,
	}
	for _, a := range s.rec.Accounts {
		in.Accounts = append(in.Accounts, reports.AccountScope{AccountID: a.AccountID, Assessed: a.Assessed, Error: a.Error, CredentialReportGeneratedAt: a.ReportGeneratedAt})
	}
	for _, f := range s.rec.Inputs {
		sum, n, err := evidence.HashFile(s.st.path(f.Path))
		if err != nil {
			return err
		}
		in.Inputs = append(in.Inputs, reports.EvidenceFile{Path: f.Path, SHA256: sum, Bytes: n})
	}
	for _, q := range s.rec.Queries {
		sqlText, err := os.ReadFile(s.st.path(q.SQLFile))
		if err != nil {
			return err
		}
		in.Queries = append(in.Queries, reports.QueryEvidence{Engine: q.Engine, Name: q.Name, QueryID: q.QueryID, SQL: string(sqlText), BytesScanned: q.BytesScanned, CostUSD: q.CostUSD})
	}
	return reports.WriteAll(ctx, s.st.dir, in, reports.NewCSVWriter(), reports.NewXLSXWriter(), reports.NewManifestWriter())
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

func accountIDs(inv *inventory.Inventory) []string {
	var ids []string
	for _, r := range inv.Reports {
		ids = append(ids, r.AccountID)
	}
	for _, d := range inv.Details {
		ids = append(ids, d.AccountID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func accountsOf(inv *inventory.Inventory) []AccountRecord {
	gen := map[string]time.Time{}
	for _, r := range inv.Reports {
		gen[r.AccountID] = r.GeneratedAt
	}
	var out []AccountRecord
	for _, id := range accountIDs(inv) {
		out = append(out, AccountRecord{AccountID: id, Assessed: true, ReportGeneratedAt: gen[id]})
	}
	return out
}
