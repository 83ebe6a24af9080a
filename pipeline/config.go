package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Defaults, named so the CLI, the config file and the Method sheet agree.
const (
	DefaultWindowDays      = 90
	DefaultDeleteAfterDays = 365
	DefaultReportMaxAge    = 7 * 24 * time.Hour
	DefaultExemptTag       = "dormant:exempt"
	DefaultEngine          = "local"
)

// Config is everything a run needs; cmd/dormant fills it from flags and the
// config file, tests fill it directly.
type Config struct {
	// Inventory from files the user exported (one per account).
	CredentialReports    []string
	AuthorizationDetails []string

	// Activity.
	Engine     string // "local"
	CloudTrail string // folder holding AWSLogs/... for the local engine

	// Window and thresholds.
	AsOf            time.Time
	WindowDays      int
	DeleteAfterDays int
	ReportMaxAge    time.Duration
	ExemptTag       string
	Allowlist       string // YAML file, optional

	Out string
	// Resume reuses the stages of the run already in Out whose inputs and
	// settings are unchanged, so a second run never pays twice for a scan.
	Resume      bool
	ToolVersion string
	Logger      *slog.Logger
}

// WithDefaults fills what the caller left empty.
func (c Config) WithDefaults() Config {
	if c.Engine == "" {
		c.Engine = DefaultEngine
	}
	if c.AsOf.IsZero() {
		c.AsOf = time.Now().UTC()
	}
	c.AsOf = c.AsOf.UTC()
	if c.WindowDays == 0 {
		c.WindowDays = DefaultWindowDays
	}
	if c.DeleteAfterDays == 0 {
		c.DeleteAfterDays = DefaultDeleteAfterDays
	}
	if c.ReportMaxAge == 0 {
		c.ReportMaxAge = DefaultReportMaxAge
	}
	if c.ExemptTag == "" {
		c.ExemptTag = DefaultExemptTag
	}
	if c.ToolVersion == "" {
		c.ToolVersion = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return c
}

// Validate reports every problem with the settings at once, each saying what to do.
func (c Config) Validate() error {
	var errs []error
	if c.Out == "" {
		errs = append(errs, errors.New("--out is required: the directory the run (the evidence bundle) is written to"))
	}
	if len(c.CredentialReports) == 0 {
		errs = append(errs, errors.New("no --credential-report given: pass one credential report file per account (CSV as GetCredentialReport returns it, or the AWS CLI's JSON)"))
	}
	for _, p := range append(append([]string{}, c.CredentialReports...), c.AuthorizationDetails...) {
		if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("reading input: %w", err))
		}
	}
	if c.Allowlist != "" {
		if _, err := os.Stat(c.Allowlist); err != nil {
			errs = append(errs, fmt.Errorf("reading --allowlist: %w", err))
		}
	}
	switch c.Engine {
	case "local":
		if c.CloudTrail == "" {
			errs = append(errs, errors.New("--cloudtrail is required with --engine local: a folder holding AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz"))
		} else if st, err := os.Stat(c.CloudTrail); err != nil {
			errs = append(errs, fmt.Errorf("reading --cloudtrail: %w", err))
		} else if !st.IsDir() {
			errs = append(errs, fmt.Errorf("--cloudtrail %s is not a directory", c.CloudTrail))
		}
	default:
		errs = append(errs, fmt.Errorf("--engine %q is not known; use local", c.Engine))
	}
	if c.WindowDays < 1 {
		errs = append(errs, fmt.Errorf("--window must be at least 1 day, got %d", c.WindowDays))
	}
	if c.DeleteAfterDays < 1 {
		errs = append(errs, fmt.Errorf("--delete-after must be at least 1 day, got %d", c.DeleteAfterDays))
	}
	if c.Out != "" {
		if abs, err := filepath.Abs(c.Out); err == nil && c.CloudTrail != "" {
			if ct, err := filepath.Abs(c.CloudTrail); err == nil && (abs == ct) {
				errs = append(errs, fmt.Errorf("--out %s is the --cloudtrail folder; choose another directory", c.Out))
			}
		}
	}
	return errors.Join(errs...)
}

// WindowStart is as-of minus the window.
func (c Config) WindowStart() time.Time {
	return c.AsOf.Add(-time.Duration(c.WindowDays) * 24 * time.Hour)
}
