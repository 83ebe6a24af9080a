package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// Input is everything a report may show: the run record (run.json) as the
// run wrote it, and the tables and files it points to. Findings are
// tables.Finding rows, sorted as the findings stage sorts them; writers keep
// that order. Where a field below shares a name with one of the record's
// (Coverage, Inputs, Queries, Trails), it is the fuller form the reports show.
type Input struct {
	record.Run

	Findings []tables.Finding
	// Coverage is every (account, region, hour) cell; the record's Coverage
	// is their spans.
	Coverage   []tables.Coverage
	References []tables.Reference
	// AccessKeys are the run's access keys by ID (the manifest names keys by them).
	AccessKeys []tables.AccessKey
	// LogFiles is every file the run read or listed, with the records it
	// skipped (xlsx_logfiles.go) and its digest verification; LogFilesCounted
	// is false when the engine (Athena, Lake) cannot count records per file.
	LogFiles        []tables.LogFile
	LogFilesCounted bool
	// Allowlist is every allowlist entry the run was given, expired ones
	// included, in file order.
	Allowlist []record.AllowEntry
	// Inputs are the record's inputs with their hashes.
	Inputs []EvidenceFile
	// Queries are the record's queries with their SQL.
	Queries []QueryEvidence
	// Trails are, per account, what its trails record (xlsx_trails.go);
	// empty when no account's settings were asked for.
	Trails []TrailAccount
	// Engines lists every engine the tool has, as "name (what it reads)",
	// for the Method sheet.
	Engines []string
	// Compared is set when the run compared itself with a previous run
	// (--previous, --history): Changes, Trend and Remediation are its
	// tables (xlsx_changes.go, xlsx_remediation.go).
	Compared    bool
	Changes     []tables.Change
	Trend       []tables.TrendPoint
	Remediation []tables.RemediationCheck
}

// EvidenceFile is one input file of the run, as the record lists it, with
// its hash.
type EvidenceFile struct {
	record.Input
	SHA256 string // lowercase hex
	Bytes  int64
}

// QueryEvidence is one query an engine ran, as the record lists it, with
// the SQL stored under SQLFile.
type QueryEvidence struct {
	record.Query
	SQL string
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

var writers []Writer

// Register adds a report format. Each format's file registers its writer
// from init, so adding a format is that file and its test; a writer whose
// path is not a clean relative path, or that repeats a name or path, is a
// programming error and panics at start-up.
func Register(w Writer) {
	if err := checkPath(w); err != nil {
		panic("reports: " + err.Error())
	}
	for _, o := range writers {
		if o.Name() == w.Name() || o.Path() == w.Path() {
			panic(fmt.Sprintf("reports: writer %q (%s) registered twice", w.Name(), w.Path()))
		}
	}
	writers = append(writers, w)
	// By name, so the order does not hang on which file's init ran first.
	slices.SortFunc(writers, func(a, b Writer) int { return strings.Compare(a.Name(), b.Name()) })
}

// All returns every registered report format's writer, by name.
func All() []Writer { return slices.Clone(writers) }

// optional holds the formats a run writes only when asked (--report): they
// restate the findings for another consumer, and on a large Organization
// they are the largest files in the bundle.
var optional = map[string]bool{}

// RegisterOptional adds a report format written only when a run names it.
func RegisterOptional(w Writer) {
	Register(w)
	optional[w.Name()] = true
}

// OptionalNames lists the formats a run writes only when asked, by name.
func OptionalNames() []string {
	var out []string
	for _, w := range writers {
		if optional[w.Name()] {
			out = append(out, w.Name())
		}
	}
	return out
}

// Selected returns the writers a run uses: every format that is not
// optional, and the optional ones named in extra.
func Selected(extra []string) ([]Writer, error) {
	for _, n := range extra {
		if !optional[n] {
			return nil, fmt.Errorf("report format %q is not known; the optional formats are %s", n, strings.Join(OptionalNames(), ", "))
		}
	}
	var out []Writer
	for _, w := range writers {
		if !optional[w.Name()] || slices.Contains(extra, w.Name()) {
			out = append(out, w)
		}
	}
	return out, nil
}

// checkPath refuses a path outside the run directory or not in its
// canonical form (relative, clean, forward slashes).
func checkPath(w Writer) error {
	rel := w.Path()
	if rel == "" || path.IsAbs(rel) || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || strings.Contains(rel, `\`) {
		return fmt.Errorf("writing %s report: path %q must be relative to the run directory, clean, with forward slashes", w.Name(), rel)
	}
	return nil
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
		if err := checkPath(w); err != nil {
			return err
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
