package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/tables"
)

// Input kinds in run.json.
const (
	kindCredentialReport     = "credential-report"
	kindAuthorizationDetails = "authorization-details"
	kindAllowlist            = "allowlist"
	AllowlistInput           = InputsDir + "/allowlist.yaml"
)

// Fingerprints say what a stage's output depends on: its inputs' bytes (or,
// for log files, names, sizes and modification times), its settings, the
// tool version and the fingerprints of the stages it reads. Each is versioned
// so a change to what a stage computes can invalidate old runs.

type fingerprint struct{ h hash.Hash }

func newFingerprint(stage string, toolVersion string) *fingerprint {
	f := &fingerprint{h: sha256.New()}
	f.add(stage + "/v1")
	f.add(toolVersion)
	return f
}

func (f *fingerprint) add(parts ...string) {
	for _, p := range parts {
		fmt.Fprintf(f.h, "%d:%s;", len(p), p)
	}
}

func (f *fingerprint) addFile(path string) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	f.add(path, hex.EncodeToString(h.Sum(nil)))
	return nil
}

func (f *fingerprint) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

func (s *state) inventoryFingerprint(ctx context.Context) (string, error) {
	if s.cfg.Live() {
		return "", nil // AWS is read every time; the stage fingerprints what it got
	}
	f := newFingerprint("inventory", s.cfg.ToolVersion)
	for _, p := range s.cfg.CredentialReports {
		if err := f.addFile(p); err != nil {
			return "", err
		}
	}
	// A stated generation time changes the rows (a file's mtime does not).
	f.add("report-generated-at")
	for _, acct := range slices.Sorted(maps.Keys(s.cfg.ReportGeneratedAt)) {
		f.add(acct + "=" + s.cfg.ReportGeneratedAt[acct].UTC().Format(time.RFC3339Nano))
	}
	f.add("authorization-details")
	for _, p := range s.cfg.AuthorizationDetails {
		if err := f.addFile(p); err != nil {
			return "", err
		}
	}
	return s.remember("inventory", f.sum()), nil
}

func (s *state) referencesFingerprint(ctx context.Context) (string, error) {
	checks, err := s.referenceChecks()
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(checks, func(n string) bool { return n != references.CheckIAM }) {
		return "", nil // live checks read AWS every time
	}
	f := newFingerprint("references", s.cfg.ToolVersion)
	f.add(s.fps["inventory"])
	f.add(checks...)
	return s.remember("references", f.sum()), nil
}

func (s *state) findingsFingerprint(ctx context.Context) (string, error) {
	if s.fps["inventory"] == "" || s.fps["references"] == "" || s.fps["activity"] == "" {
		return "", nil
	}
	f := newFingerprint("findings", s.cfg.ToolVersion)
	f.add(s.fps["inventory"], s.fps["references"], s.fps["activity"], s.fps["trails"])
	f.add(s.cfg.AsOf.Format(time.RFC3339Nano), fmt.Sprint(s.cfg.WindowDays), fmt.Sprint(s.cfg.DeleteAfterDays),
		s.cfg.ExemptTag, s.cfg.ReportMaxAge.String())
	if s.cfg.Allowlist != "" {
		if err := f.addFile(s.cfg.Allowlist); err != nil {
			return "", err
		}
	}
	return s.remember("findings", f.sum()), nil
}

func (s *state) remember(stage, fp string) string {
	if s.fps == nil {
		s.fps = map[string]string{}
	}
	s.fps[stage] = fp
	return fp
}

// previousRun is the run already in --out.
type previousRun struct {
	dir  string
	rec  RunRecord
	sums map[string]string // relative path -> sha256
}

func openPreviousRun(dir string) (*previousRun, error) {
	data, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return nil, err
	}
	p := &previousRun{dir: dir, sums: map[string]string{}}
	if err := json.Unmarshal(data, &p.rec); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Join(dir, RunFile), err)
	}
	f, err := os.Open(filepath.Join(dir, SumsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums, err := evidence.ReadSums(f, SumsFile)
	if err != nil {
		return nil, err
	}
	for _, s := range sums {
		p.sums[s.Path] = s.Hash
	}
	return p, nil
}

func (p *previousRun) stage(name string) *StageRecord {
	for i := range p.rec.Stages {
		if p.rec.Stages[i].Name == name {
			return &p.rec.Stages[i]
		}
	}
	return nil
}

// outputs lists the files a stage of the previous run wrote.
func (p *previousRun) outputs(stage string) []string {
	switch stage {
	case "inventory":
		out := []string{InventoryTable, PoliciesTable}
		for _, in := range p.rec.Inputs {
			if in.Kind == kindCredentialReport || in.Kind == kindAuthorizationDetails {
				out = append(out, in.Path)
			}
		}
		return out
	case "references":
		return []string{ReferenceTable}
	case "activity":
		out := []string{ActivityTable, CoverageTable}
		if p.rec.Settings.Engine == EngineLocal {
			out = append(out, LogFilesTable)
		}
		for _, q := range p.rec.Queries {
			out = append(out, q.SQLFile)
		}
		return out
	case "findings":
		out := []string{FindingsTable}
		for _, in := range p.rec.Inputs {
			if in.Kind == kindAllowlist {
				out = append(out, in.Path)
			}
		}
		return out
	}
	return nil
}

// reuse copies a stage's outputs from the previous run when its fingerprint
// matches and every output still has the hash SHA256SUMS recorded; otherwise
// it reports false and the stage runs.
func (s *state) reuse(ctx context.Context, step stage, fp string) (bool, error) {
	if s.prev == nil || fp == "" || step.load == nil {
		return false, nil
	}
	old := s.prev.stage(step.name)
	if old == nil || old.Fingerprint != fp {
		return false, nil
	}
	files := s.prev.outputs(step.name)
	for _, rel := range files {
		sum, _, err := evidence.HashFile(filepath.Join(s.prev.dir, filepath.FromSlash(rel)))
		if err != nil || sum != s.prev.sums[rel] {
			s.cfg.Logger.Warn("--resume: a previous output changed or is missing; running the stage again", "stage", step.name, "file", rel)
			return false, nil
		}
	}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(s.prev.dir, filepath.FromSlash(rel)))
		if err != nil {
			return false, err
		}
		if err := atomicfile.WriteBytes(s.st.path(rel), data); err != nil {
			return false, err
		}
	}
	s.carryRecord(step.name)
	if err := step.load(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// carryRecord copies into this run's record what the reused stage had recorded.
func (s *state) carryRecord(stage string) {
	prev := &s.prev.rec
	switch stage {
	case "inventory":
		for _, in := range prev.Inputs {
			if in.Kind == kindCredentialReport || in.Kind == kindAuthorizationDetails {
				s.rec.addInput(in.Path, in.AccountID, in.Kind, in.Source, in.GeneratedAt)
			}
		}
		s.rec.Accounts = prev.Accounts
		s.rec.Counts.Users, s.rec.Counts.Policies = prev.Counts.Users, prev.Counts.Policies
	case "references":
		s.rec.ReferenceChecks = prev.ReferenceChecks
		s.rec.Orphans = prev.Orphans
		s.rec.Unchecked = prev.Unchecked
		s.rec.Counts.References = prev.Counts.References
	case "activity":
		s.rec.Queries = prev.Queries
		s.rec.Coverage = prev.Coverage
		s.rec.Counts.ActivityRows = prev.Counts.ActivityRows
	case "findings":
		for _, in := range prev.Inputs {
			if in.Kind == kindAllowlist {
				s.rec.addInput(in.Path, in.AccountID, in.Kind, in.Source, in.GeneratedAt)
			}
		}
	}
}

func (s *state) loadInventory(ctx context.Context) error {
	var err error
	if s.users, err = tables.ReadParquet[tables.User](s.st.path(InventoryTable)); err != nil {
		return err
	}
	if s.policies, err = tables.ReadParquet[tables.Policy](s.st.path(PoliciesTable)); err != nil {
		return err
	}
	return nil
}

func (s *state) loadReferences(ctx context.Context) error {
	var err error
	s.refs, err = tables.ReadParquet[tables.Reference](s.st.path(ReferenceTable))
	return err
}

func (s *state) loadActivity(ctx context.Context) error {
	var err error
	if s.act, err = tables.ReadParquet[tables.Activity](s.st.path(ActivityTable)); err != nil {
		return err
	}
	s.cov, err = tables.ReadParquet[tables.Coverage](s.st.path(CoverageTable))
	return err
}

func (s *state) loadFindings(ctx context.Context) error {
	var err error
	if s.finds, err = tables.ReadParquet[tables.Finding](s.st.path(FindingsTable)); err != nil {
		return err
	}
	s.summary = findings.Summarize(s.finds)
	s.rec.Counts.Findings = s.summary
	return nil
}
