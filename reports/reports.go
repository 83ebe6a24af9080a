package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/tables"
)

// Input is everything a report may show. Findings are tables.Finding rows,
// sorted as the findings stage sorts them; writers keep that order.
type Input struct {
	RunID           string
	GeneratedAt     time.Time
	AsOf            time.Time
	WindowDays      int
	DeleteAfterDays int
	// ReportMaxAge is the freshness bound on credential reports: an older
	// report at as-of turns candidates into review. Zero: not enforced.
	ReportMaxAge time.Duration
	// ExemptTag is the tag key that exempts a user when set to "true".
	ExemptTag   string
	Engine      string // local, athena or lake
	ToolVersion string

	Findings   []tables.Finding
	Coverage   []tables.Coverage
	References []tables.Reference
	// LogFiles is every file the local engine read, with the records it
	// skipped (xlsx_logfiles.go); LogFilesCounted is false when the engine
	// (Athena, Lake) cannot count per file.
	LogFiles        []tables.LogFile
	LogFilesCounted bool
	// ReferenceChecks names the reference checks that ran (e.g. "iam",
	// "s3"), in the order they are listed; empty when none ran.
	ReferenceChecks []string
	// Unchecked is what the reference checks could not read.
	Unchecked []Unchecked
	// Orphans are unique IDs in policies that match no existing user.
	Orphans []Orphan
	// Allowlist is every allowlist entry the run was given, expired ones
	// included, in file order.
	Allowlist []AllowlistEntry
	Accounts  []AccountScope
	Inputs    []EvidenceFile
	Queries   []QueryEvidence
	// Trails are, per account, what its trails record (xlsx_trails.go);
	// empty when no account's settings were asked for.
	Trails []TrailAccount
}

// AccountScope is one account the run was asked to assess.
type AccountScope struct {
	AccountID string
	Assessed  bool
	// Error says why an account was not assessed (e.g. AssumeRole denied).
	Error string
	// CredentialReportGeneratedAt is when IAM generated the report the run used.
	CredentialReportGeneratedAt time.Time
}

// Unchecked is a resource a reference check could not read, so a user it
// might name could not be ruled out.
type Unchecked struct {
	AccountID   string
	Kind        string // what was not read, e.g. "s3 bucket policy"
	ResourceARN string
	Region      string
	Error       string // the error as the service returned it
}

// Orphan is a bare unique ID in a policy that matches no existing user: a
// broken reference an earlier deletion left behind.
type Orphan struct {
	AccountID   string
	Kind        string
	ResourceARN string
	Location    string
	UniqueID    string
}

// AllowlistEntry is one entry of the allowlist file.
type AllowlistEntry struct {
	AccountID string
	UserName  string
	Reason    string
	Owner     string
	Expires   time.Time
}

// EvidenceFile is one input file of the run.
type EvidenceFile struct {
	Path        string // relative to the run directory, forward slashes
	SHA256      string // lowercase hex
	Bytes       int64
	AccountID   string    // the account it describes; empty when none
	Kind        string    // e.g. "credential report", "authorization details", "allowlist"
	Source      string    // where it came from: a file path, or aws:<account>
	GeneratedAt time.Time // when AWS generated it, where known
}

// QueryEvidence is one query an engine ran.
type QueryEvidence struct {
	Engine       string
	Name         string // e.g. "activity", "coverage"
	QueryID      string // Athena or CloudTrail Lake query ID; empty for local
	SQLFile      string // where the SQL is stored, relative to the run directory
	SQL          string
	BytesScanned int64
	CostUSD      float64       // estimate from bytes scanned
	EngineTime   time.Duration // as the engine reports it (Athena's EngineExecutionTimeInMillis), or wall time for local
}

// WindowStart is the first instant counted as recent activity.
func (in *Input) WindowStart() time.Time {
	return in.AsOf.UTC().AddDate(0, 0, -in.WindowDays)
}

// Writer renders one report format.
type Writer interface {
	// Name is a short name for logs and errors, e.g. "csv".
	Name() string
	// Path is where the report goes, relative to the run directory, with
	// forward slashes, e.g. "reports/findings.csv".
	Path() string
	Write(ctx context.Context, w io.Writer, in *Input) error
}

// Report paths inside the run directory.
const (
	CSVPath      = "reports/findings.csv"
	XLSXPath     = "reports/dormant-report.xlsx"
	ManifestPath = "reports/remediation-manifest.json"
)

// All returns a writer for every report format, in the order they are written.
func All() []Writer {
	return []Writer{NewCSVWriter(), NewXLSXWriter(), NewManifestWriter(), NewOCSFWriter(), NewHTMLWriter()}
}

// WriteAll writes every writer's output under dir. The writers run
// concurrently, each into a temporary file beside its target; only when all
// of them succeeded are the files renamed into place, so a failure leaves
// every earlier report of dir as it was, and a failed run is never taken for
// a complete one (nor for a mix of two runs). The first failure cancels the
// other writers.
func WriteAll(ctx context.Context, dir string, in *Input, ws ...Writer) error {
	if in == nil {
		return errors.New("writing reports: no input")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing reports: %w", err)
	}
	for _, w := range ws {
		rel := w.Path()
		if rel == "" || path.IsAbs(rel) || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || strings.Contains(rel, `\`) {
			return fmt.Errorf("writing %s report: path %q must be relative to the run directory, clean, with forward slashes", w.Name(), rel)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pending := make([]*atomicfile.Pending, len(ws))
	defer func() {
		for _, p := range pending {
			if p != nil {
				p.Abort() // a no-op once committed
			}
		}
	}()
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		dst := filepath.Join(dir, filepath.FromSlash(w.Path()))
		p, err := atomicfile.Create(dst)
		if err != nil {
			cancel(err)
			errs[i] = fmt.Errorf("writing %s report %s: %w", w.Name(), dst, err)
			break
		}
		pending[i] = p
		wg.Go(func() {
			if err := p.Fill(func(f io.Writer) error { return w.Write(ctx, f, in) }); err != nil {
				errs[i] = fmt.Errorf("writing %s report %s: %w", w.Name(), dst, err)
				cancel(errs[i])
			}
		})
	}
	wg.Wait()
	if err := firstFailure(errs); err != nil {
		return err
	}
	for i, p := range pending {
		if err := p.Commit(); err != nil {
			return fmt.Errorf("writing %s report: %w", ws[i].Name(), err)
		}
	}
	return nil
}

// firstFailure is the error that caused the others: a writer's own failure
// rather than the cancellation it caused in the rest.
func firstFailure(errs []error) error {
	var cancelled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			cancelled = cmp.Or(cancelled, err)
		default:
			return err
		}
	}
	return cancelled
}
