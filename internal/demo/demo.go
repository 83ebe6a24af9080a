package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Options sizes the organization.
type Options struct {
	Accounts int // accounts (at least 1); with 2+, the last has no trail; with 4+, the one before starts mid-window
	Users    int // IAM users across all accounts (root rows come on top)
	// Events is the number of CloudTrail records to write. It is met exactly
	// unless the users' own events and the one record per day and region
	// every trail writes already exceed it (then Output.Events says how many
	// were written).
	Events          int
	Seed            int64
	AsOf            time.Time // the run's as-of; the window ends here
	WindowDays      int
	DeleteAfterDays int
	// Quarter, when set, makes this a quarter after the first: the same
	// organization carrying the IAM state the previous quarter's
	// remediation left (see Quarter). Nil: the first quarter.
	Quarter *Quarter
	// Progress, when set, is called after each CloudTrail log file is
	// written, from the writing goroutines at once: it must be quick and
	// safe for concurrent use.
	Progress func(Progress)
}

// Progress is how far the generation of the CloudTrail logs is.
type Progress struct {
	Records int64 // written so far, duplicate deliveries included
	Target  int64 // Options.Events: met exactly unless the users' own events exceed it
	Files   int64 // log files written
	Bytes   int64 // their uncompressed JSON
}

// DefaultOptions is the size `dormant demo` uses: small enough to generate
// and scan in seconds, large enough to hold every case in every account.
func DefaultOptions() Options {
	now := time.Now().UTC()
	return Options{
		Accounts:        4,
		Users:           200,
		Events:          200000,
		Seed:            1,
		AsOf:            time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC),
		WindowDays:      90,
		DeleteAfterDays: 365,
	}
}

// Output says where everything was written.
type Output struct {
	Dir                  string
	CredentialReports    []string // one per account, as the AWS CLI's JSON (base64 Content + GeneratedTime)
	AuthorizationDetails []string // one per account, as the AWS CLI prints it
	CloudTrail           string   // the folder holding AWSLogs/...
	Allowlist            string
	GroundTruth          string
	Events               int64 // CloudTrail records written, duplicate deliveries included
	RawBytes             int64 // uncompressed JSON bytes of the CloudTrail log files
	LogFiles             int64 // CloudTrail log files written (digests not counted)
	Accounts             []AccountInfo
	Truth                []Expected
	// Orphans are the deleted users' unique IDs a policy still names (a
	// quarter after the first).
	Orphans []ExpectedOrphan
}

func (opts *Options) validate() error {
	switch {
	case opts.Accounts < 1 || opts.Accounts > 200:
		return fmt.Errorf("demo: --accounts %d: want 1 to 200", opts.Accounts)
	case opts.Users < 0 || opts.Users > 1_000_000:
		return fmt.Errorf("demo: --users %d: want 0 to 1000000", opts.Users)
	case opts.Events < 0 || opts.Events > 2_000_000_000:
		return fmt.Errorf("demo: --events %d: want 0 to 2000000000", opts.Events)
	case opts.WindowDays < 14 || opts.WindowDays > 400:
		return fmt.Errorf("demo: window of %d days: want 14 to 400", opts.WindowDays)
	case opts.DeleteAfterDays < opts.WindowDays+14 || opts.DeleteAfterDays > 1500:
		return fmt.Errorf("demo: delete-after of %d days: want at least the window plus 14 days (%d) and at most 1500", opts.DeleteAfterDays, opts.WindowDays+14)
	case opts.AsOf.IsZero():
		return errors.New("demo: as-of is not set")
	case opts.AsOf.Before(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) || opts.AsOf.After(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)):
		return fmt.Errorf("demo: as-of %s: want a date from 2020 to 2100 (the demo places users years back, after IAM's tracking began)", opts.AsOf.Format(time.RFC3339))
	}
	opts.AsOf = opts.AsOf.UTC().Truncate(time.Second)
	if opts.Quarter != nil {
		return opts.Quarter.validate(opts.AsOf)
	}
	return nil
}

// What Generate writes under dir.
const (
	inputsDir       = "inputs"
	logsDir         = "logs"
	allowlistFile   = "allowlist.yaml"
	groundTruthName = "ground-truth.json"
)

// prepare makes dir ready: a previous demo's outputs (recognized by its
// ground-truth file) are replaced; anything else in the way is an error.
func prepare(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating demo directory %s: %w", dir, err)
	}
	_, err := os.Stat(filepath.Join(dir, groundTruthName))
	previous := err == nil
	for _, name := range []string{inputsDir, logsDir, allowlistFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("checking demo directory: %w", err)
		}
		if !previous {
			return fmt.Errorf("demo directory %s already holds %s but no %s from an earlier demo: choose an empty directory, or remove it", dir, name, groundTruthName)
		}
	}
	if previous {
		return removeOutputs(dir)
	}
	return nil
}

func removeOutputs(dir string) error {
	// The ground truth goes first: a directory without it is not a demo.
	for _, name := range []string{groundTruthName, allowlistFile, inputsDir, logsDir} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("removing the earlier demo's %s: %w", name, err)
		}
	}
	return nil
}

// Generate writes a synthetic organization under dir: inputs/ (credential
// reports and authorization details), logs/AWSLogs/... (CloudTrail),
// allowlist.yaml and ground-truth.json (written last). On error nothing of
// it is left behind.
func Generate(ctx context.Context, dir string, opts Options) (out *Output, err error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := prepare(dir); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if rerr := removeOutputs(dir); rerr != nil {
				slog.WarnContext(ctx, "demo: cleaning up after a failure", "err", rerr)
			}
		}
	}()
	start := time.Now()
	o, err := buildOrg(opts)
	if err != nil {
		return nil, err
	}
	slog.DebugContext(ctx, "demo: organization planned", "accounts", len(o.accounts), "principals", len(o.principals),
		"sessions", len(o.sessions), "period_hours", o.p/3600, "took", time.Since(start))

	out = &Output{Dir: dir, CloudTrail: filepath.Join(dir, logsDir), Allowlist: filepath.Join(dir, allowlistFile), GroundTruth: filepath.Join(dir, groundTruthName)}
	if err := os.MkdirAll(out.CloudTrail, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", out.CloudTrail, err)
	}
	// The inputs (reports, authorization details, allowlist) are written
	// while the trail workers run: they are one goroutine's work, which
	// would otherwise leave a core idle before the logs start.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	inputsDone := make(chan error, 1)
	go func() {
		err := o.writeInputs(ctx, dir, out)
		if err != nil {
			cancel(err)
		}
		inputsDone <- err
	}()
	var stats trailStats
	terr := o.writeTrails(ctx, out.CloudTrail, &stats)
	if terr != nil {
		cancel(terr)
	}
	if ierr := <-inputsDone; ierr != nil || terr != nil {
		return nil, context.Cause(ctx) // whichever failed first
	}
	out.Events, out.RawBytes, out.LogFiles = stats.records.Load(), stats.raw.Load(), stats.files.Load()
	out.Truth, out.Orphans = o.truth(), o.orphans

	if err := writeGroundTruth(out.GroundTruth, truthFile(o, out)); err != nil {
		return nil, err
	}
	slog.DebugContext(ctx, "demo: generated", "dir", dir, "events", out.Events, "log_files", out.LogFiles, "raw_bytes", out.RawBytes, "took", time.Since(start))
	return out, nil
}

// writeInputs writes every account's credential report and authorization
// details, and the allowlist, recording them in out.
func (o *org) writeInputs(ctx context.Context, dir string, out *Output) error {
	for _, a := range o.accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		rep, err := o.writeCredentialReport(dir, a)
		if err != nil {
			return err
		}
		gaad, err := o.writeAuthorizationDetails(dir, a)
		if err != nil {
			return err
		}
		out.CredentialReports = append(out.CredentialReports, filepath.Join(dir, rep))
		out.AuthorizationDetails = append(out.AuthorizationDetails, filepath.Join(dir, gaad))
		info := AccountInfo{AccountID: a.id, Coverage: a.cov.String(), ReportGeneratedAt: a.reportAt, CredentialReport: filepath.ToSlash(rep), AuthorizationDetails: filepath.ToSlash(gaad)}
		if a.trail != nil {
			info.TrailStart = time.Unix(a.trail.start, 0).UTC()
		}
		out.Accounts = append(out.Accounts, info)
	}
	return o.writeAllowlist(out.Allowlist)
}

// truthFile is the ground-truth file's content.
func truthFile(o *org, out *Output) groundTruthFile {
	f := groundTruthFile{
		SchemaVersion: groundTruthSchema, Generator: "dormant demo", Seed: o.opts.Seed, AsOf: o.asOf,
		WindowDays: o.opts.WindowDays, DeleteAfterDays: o.opts.DeleteAfterDays, Events: out.Events,
		Accounts: out.Accounts, Users: out.Truth,
	}
	if q := o.quarter; q != nil {
		f.Quarter, f.PreviousAsOf, f.Orphans = q.Number, q.PreviousAsOf, o.orphans
	}
	return f
}
