package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/ctxio"
	"github.com/dormant-iam/dormant/tables"
)

// MaxInputBytes bounds what is read of one input file: far above any real
// credential report or authorization details export (IAM's quotas keep an
// account's export in the tens of megabytes), and far below what would
// exhaust a workstation's memory.
const MaxInputBytes int64 = 1 << 30

// ErrReportTime marks a stated report generation time that contradicts the
// inputs (an account without a bare CSV report, or a JSON report whose
// GeneratedTime differs): a usage error, since the user stated it.
var ErrReportTime = errors.New("stated credential report generation time does not fit the inputs")

// Inventory is the inventory of one run: the parsed inputs and the rows built
// from them.
type Inventory struct {
	Reports  []*CredentialReport
	Details  []*AuthorizationDetails // one per file, as parsed (Build merges pages per account)
	Users    []tables.User
	Policies []tables.Policy
}

// LoadOptions are the optional inputs of LoadFiles.
type LoadOptions struct {
	// ReportGeneratedAt is the generation time the user states for an
	// account's credential report, by account ID: a bare CSV carries none,
	// and a file's modification time proves nothing (cp, git and unzip
	// reset it).
	ReportGeneratedAt map[string]time.Time
	// MaxBytes bounds each file; zero means MaxInputBytes.
	MaxBytes int64
}

// LoadOption sets a LoadOptions field.
type LoadOption func(*LoadOptions)

// WithReportGeneratedAt states the generation times of bare CSV reports, by
// account ID.
func WithReportGeneratedAt(m map[string]time.Time) LoadOption {
	return func(o *LoadOptions) { o.ReportGeneratedAt = m }
}

// WithMaxBytes bounds what is read of each file.
func WithMaxBytes(n int64) LoadOption {
	return func(o *LoadOptions) { o.MaxBytes = n }
}

// LoadFiles reads and parses the given files (credential reports as CSV or
// CLI JSON, authorization details as CLI JSON or raw pages), then Builds the
// inventory. A report's generation time is the CLI JSON's GeneratedTime or
// the time the user states (WithReportGeneratedAt); a CSV without a stated
// time has none (zero), and only its ReportNotBefore bounds its age.
func LoadFiles(ctx context.Context, credentialReports, authorizationDetails []string, options ...LoadOption) (*Inventory, error) {
	var opts LoadOptions
	for _, o := range options {
		o(&opts)
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = MaxInputBytes
	}
	inv := &Inventory{}
	for _, path := range credentialReports {
		data, err := ReadInput(ctx, path, opts.MaxBytes)
		if err != nil {
			return nil, fmt.Errorf("loading credential report: %w", err)
		}
		rep, err := ParseCredentialReport(path, data)
		if err != nil {
			return nil, err
		}
		slog.DebugContext(ctx, "credential report loaded", "file", path, "account", rep.AccountID,
			"format", rep.Format, "rows", len(rep.Users), "generated_at", rep.GeneratedAt, "not_before", rep.NotBefore)
		if len(rep.MissingColumns) > 0 {
			slog.WarnContext(ctx, "credential report lacks columns; the evidence they hold is not assessed and its users stay in review",
				"file", path, "missing", strings.Join(rep.MissingColumns, ","))
		}
		inv.Reports = append(inv.Reports, rep)
	}
	if err := applyStatedTimes(inv.Reports, opts.ReportGeneratedAt); err != nil {
		return nil, err
	}
	for _, path := range authorizationDetails {
		data, err := ReadInput(ctx, path, opts.MaxBytes)
		if err != nil {
			return nil, fmt.Errorf("loading authorization details: %w", err)
		}
		det, err := ParseAuthorizationDetails(path, data)
		if err != nil {
			return nil, err
		}
		slog.DebugContext(ctx, "authorization details loaded", "file", path, "account", det.AccountID,
			"users", len(det.Users), "groups", len(det.Groups), "roles", len(det.Roles), "policies", len(det.Policies))
		inv.Details = append(inv.Details, det)
	}
	var err error
	if inv.Users, inv.Policies, err = Build(inv.Reports, inv.Details); err != nil {
		return nil, err
	}
	return inv, nil
}

// applyStatedTimes sets the generation time the user stated on each bare CSV
// report. A statement naming an account without a report, or contradicting
// a JSON report's GeneratedTime, is refused: one of the two is wrong.
func applyStatedTimes(reports []*CredentialReport, stated map[string]time.Time) error {
	byAccount := map[string]*CredentialReport{}
	for _, r := range reports {
		byAccount[r.AccountID] = r
	}
	accounts := make([]string, 0, len(stated))
	for a := range stated {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	var errs []error
	for _, acct := range accounts {
		t := stated[acct].UTC()
		r := byAccount[acct]
		switch {
		case t.IsZero():
			errs = append(errs, fmt.Errorf("%w: --report-generated-at %s= has no time; write ACCOUNT_ID=2026-11-01T06:00:00Z", ErrReportTime, acct))
		case r == nil:
			errs = append(errs, fmt.Errorf("%w: --report-generated-at names account %s, but no --credential-report is for that account; check the account ID",
				ErrReportTime, acct))
		case !r.GeneratedAt.IsZero() && !r.GeneratedAt.Equal(t):
			errs = append(errs, fmt.Errorf("%w: --report-generated-at %s=%s, but %s says GeneratedTime %s; drop the flag for that account (the file's time is IAM's own)",
				ErrReportTime, acct, t.Format(time.RFC3339), r.Name, r.GeneratedAt.Format(time.RFC3339)))
		case t.Before(r.NotBefore):
			errs = append(errs, fmt.Errorf("%w: --report-generated-at %s=%s is before %s, the latest date inside %s; a report cannot hold a date after its generation, so check the time",
				ErrReportTime, acct, t.Format(time.RFC3339), r.NotBefore.Format(time.RFC3339), r.Name))
		default:
			r.GeneratedAt = t
			r.TimeStated = true
			for i := range r.Users {
				r.Users[i].ReportGeneratedAt = t
			}
		}
	}
	return errors.Join(errs...)
}

// ReadInput reads a whole input file, refusing one larger than max bytes
// (a runaway export or a decompression bomb would otherwise exhaust memory)
// and giving up when ctx is cancelled (inputs may sit on slow network
// storage).
func ReadInput(ctx context.Context, path string, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("reading %s: it is a directory, want a file", path)
	}
	tooBig := func(size string) error {
		return fmt.Errorf("reading %s: %s is over the %d-byte limit for one input file; this is not an IAM export (check the file), or split it into the API's pages", path, size, max)
	}
	if fi.Mode().IsRegular() && fi.Size() > max {
		return nil, tooBig(fmt.Sprintf("its size, %d bytes,", fi.Size()))
	}
	// The limit is checked on what is read too: a FIFO or a growing file
	// has no size up front.
	data, err := io.ReadAll(io.LimitReader(ctxio.Reader(ctx, f), max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, tooBig("what it holds")
	}
	return data, nil
}
