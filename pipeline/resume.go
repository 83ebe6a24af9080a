package pipeline

import (
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
	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports/evidence"
)

// Input kinds in run.json.
const (
	kindCredentialReport     = "credential-report"
	kindAuthorizationDetails = "authorization-details"
	kindAllowlist            = "allowlist"
	kindAccessKeys           = "access-keys" // an --access-keys export
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

// inventoryFingerprint covers the exported files and the stated generation
// times; a live inventory is fingerprinted by what AWS returned
// (inventoryOutput.liveFP), so it has none beforehand.
func inventoryFingerprint(cfg Config) (string, error) {
	if cfg.Live() {
		return "", nil
	}
	f := newFingerprint("inventory", cfg.ToolVersion)
	for _, p := range cfg.CredentialReports {
		if err := f.addFile(p); err != nil {
			return "", err
		}
	}
	// A stated generation time changes the rows (a file's mtime does not).
	f.add("report-generated-at")
	for _, acct := range slices.Sorted(maps.Keys(cfg.ReportGeneratedAt)) {
		f.add(acct + "=" + cfg.ReportGeneratedAt[acct].UTC().Format(time.RFC3339Nano))
	}
	f.add("authorization-details")
	for _, p := range cfg.AuthorizationDetails {
		if err := f.addFile(p); err != nil {
			return "", err
		}
	}
	f.add("access-keys")
	for _, p := range cfg.AccessKeysFiles {
		if err := f.addFile(p); err != nil {
			return "", err
		}
	}
	return f.sum(), nil
}

// referencesFingerprint is "" when a live check runs (AWS is read every time).
func referencesFingerprint(cfg Config, checks []string, inventoryFP string) string {
	if slices.ContainsFunc(checks, isLiveCheck) {
		return ""
	}
	// The searched trees and states change without the inventory changing:
	// searched every time.
	if slices.Contains(checks, references.CheckCode) && (len(cfg.Search) > 0 || len(cfg.TerraformState) > 0) {
		return ""
	}
	f := newFingerprint("references", cfg.ToolVersion)
	f.add(inventoryFP)
	f.add(checks...)
	return f.sum()
}

// findingsFingerprint is "" unless every table the findings read has one.
func findingsFingerprint(cfg Config, inventoryFP, referencesFP, activityFP, trailsFP string) (string, error) {
	if inventoryFP == "" || referencesFP == "" || activityFP == "" {
		return "", nil
	}
	f := newFingerprint("findings", cfg.ToolVersion)
	f.add(inventoryFP, referencesFP, activityFP, trailsFP)
	f.add(cfg.AsOf.Format(time.RFC3339Nano), fmt.Sprint(cfg.WindowDays), fmt.Sprint(cfg.DeleteAfterDays),
		cfg.ExemptTag, cfg.ReportMaxAge.String())
	if cfg.Allowlist != "" {
		if err := f.addFile(cfg.Allowlist); err != nil {
			return "", err
		}
	}
	return f.sum(), nil
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

func (p *previousRun) stage(name string) *record.Stage {
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
		out := []string{InventoryTable, PoliciesTable, AccessKeysTable}
		for _, in := range p.rec.Inputs {
			if in.Kind == kindCredentialReport || in.Kind == kindAuthorizationDetails || in.Kind == kindAccessKeys {
				out = append(out, in.Path)
			}
		}
		return out
	case "references":
		return []string{ReferenceTable}
	case "activity":
		out := []string{ActivityTable, CoverageTable, WatchTable}
		if spec, ok := lookupEngine(p.rec.Settings.Engine); ok && spec.CountsFiles {
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
// matches and every output still has the hash SHA256SUMS recorded, and
// returns the previous run's record for the stage's load; nil when the stage
// must run.
func (r *runner) reuse(stage, fp string) (*RunRecord, error) {
	if r.prev == nil {
		return nil, nil
	}
	old := r.prev.stage(stage)
	if old == nil || old.Fingerprint != fp {
		return nil, nil
	}
	files := r.prev.outputs(stage)
	for _, rel := range files {
		sum, _, err := evidence.HashFile(filepath.Join(r.prev.dir, filepath.FromSlash(rel)))
		if err != nil || sum != r.prev.sums[rel] {
			r.cfg.Logger.Warn("--resume: a previous output changed or is missing; running the stage again", "stage", stage, "file", rel)
			return nil, nil
		}
	}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(r.prev.dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		if err := atomicfile.WriteBytes(r.st.path(rel), data); err != nil {
			return nil, err
		}
	}
	return &r.prev.rec, nil
}
