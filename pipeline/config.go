package pipeline

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/pipeline/inventory/live"
	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/reports"
)

// Defaults, named so the CLI, the config file and the Method sheet agree.
const (
	DefaultWindowDays      = 90
	DefaultDeleteAfterDays = 365
	DefaultReportMaxAge    = 7 * 24 * time.Hour
	DefaultExemptTag       = "dormant:exempt"
	DefaultEngine          = "local"
)

// regionRE is the shape of every AWS region name (us-east-1, us-gov-west-1,
// cn-northwest-1, eu-isoe-west-1); tagKeyRE is IAM's tag key pattern.
var (
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	tagKeyRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
)

// EarliestAsOf is the earliest as-of or window start a run accepts: IAM, and
// so any IAM user, did not exist before 2010 (findings.Options refuses an
// earlier as-of too; checked here so that it is refused before any work).
var EarliestAsOf = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)

// Config is everything a run needs; cmd/dormant fills it from flags and the
// config file, tests fill it directly.
type Config struct {
	// Inventory from files the user exported (one per account). With none,
	// the inventory is read live from AWS.
	CredentialReports    []string
	AuthorizationDetails []string
	// TrailDescriptions are --trail-description files, each one trail's
	// settings as the CLI exports them (pipeline/trails); given, they stand
	// for the trails live runs read from CloudTrail. A file run without
	// them has "trail settings unknown" for every account.
	TrailDescriptions []string
	// ReportGeneratedAt states, by account ID, when a bare CSV credential
	// report was generated (--report-generated-at): the CSV carries no time
	// and a file's modification time proves nothing. Unstated, the report's
	// age is unknown and its users cannot become removal candidates.
	ReportGeneratedAt map[string]time.Time

	// AWS access, for live inventory and live reference checks.
	Profile, Region string
	EndpointURL     string   // overrides every service's endpoint
	Accounts        []string // accounts to read; empty: the caller's (or --org)
	Org             bool     // every ACTIVE account of the Organization
	RoleName        string   // assumed in accounts other than the caller's
	ExternalID      string
	Concurrency     int  // accounts read at once
	FreshReport     bool // never reuse a credential report IAM generated before this run
	Progress        func(live.AccountProgress)

	// References.
	SkipReferences  bool
	ReferenceChecks []string // empty: every check that can run (live: all; files: iam)
	Regions         []string // regions the live checks read; empty: DefaultRegions
	OwnerTags       []string // tag keys naming a resource's owner; empty: the default set

	// Code, configuration and infrastructure as code (the code reference
	// check). Search lists directories, files, git repositories and
	// s3://bucket/prefix to search for the candidates' names, unique IDs and
	// access key IDs; SearchHistory reads every blob reachable from every
	// ref of each repository found. AccessKeysFiles are `aws iam
	// list-access-keys` exports giving a file run its key IDs (a live run
	// lists them). TerraformState lists state files or s3://bucket/key read
	// for the users Terraform manages, besides states the search finds.
	Search          []string
	SearchHistory   bool
	AccessKeysFiles []string
	TerraformState  []string

	// Activity.
	Engine       string    // one of EngineNames()
	CloudTrail   string    // local engine: a folder holding AWSLogs/..., or s3://bucket/prefix/ to sync
	Cache        string    // local engine: per-day aggregates and the S3 sync's files
	Scanner      string    // local engine: go (default) or duckdb, the reference
	ScanProgress io.Writer // a terminal (never stdout) for progress lines: scan, S3 sync, Athena/Lake query, demo generation; nil: log lines

	// MaxLogFileSize bounds one log file's JSON text, inflated, and a synced
	// object's size; 0 means local.DefaultMaxLogFileSize.
	MaxLogFileSize int64

	AthenaDatabase, AthenaTable, AthenaWorkgroup, AthenaOutput, AthenaCatalog string
	EventDataStore                                                            string // CloudTrail Lake: ARN or ID

	// Window and thresholds. A zero value takes the default (now,
	// DefaultWindowDays, ...) in WithDefaults: that is how a library caller
	// leaves one unset. The CLI never passes an explicit zero: it refuses
	// values out of range before filling Config.
	AsOf            time.Time
	WindowDays      int
	DeleteAfterDays int
	ReportMaxAge    time.Duration
	ExemptTag       string
	Allowlist       string   // YAML file, optional
	Reports         []string // optional report formats to write as well (reports.OptionalNames)
	// SecurityHub imports the findings, after the reports are written, into
	// the Security Hub of every assessed account (its default product, in
	// the run's region), updating the last run's findings in place and
	// resolving those of users gone or in use again (--security-hub).
	SecurityHub bool

	// The previous quarter (issue 17). Previous is a previous run's bundle;
	// History a directory of run bundles, whose newest run (by run.json's
	// started_at, as-of before this run's) is the previous one unless
	// Previous names it, and all of whose runs feed the trend. Either adds
	// the changes and remediation tables; the previous bundle is verified
	// first and refused if it fails. PreviousManifest is the reviewed
	// manifest made from the previous run's workbook (checked instead of
	// the run's own manifest); Journal is the previous remediation's
	// journal (its entries are checked instead of a manifest's).
	Previous, History         string
	PreviousManifest, Journal string

	Out string
	// Resume reuses the stages of the run already in Out whose inputs and
	// settings are unchanged, so a second run never pays twice for a scan.
	Resume bool
	// Replace lets Out hold an earlier run, which the new one replaces once
	// complete; without it (or Resume) such an Out is refused with
	// ErrRunExists before anything is written.
	Replace     bool
	ToolVersion string
	Logger      *slog.Logger
	// Signer, when set, signs SHA256SUMS (SHA256SUMS.sig beside it) so the
	// bundle can be attributed, not only checked (issue 15).
	Signer signature.Signer
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
	if c.Live() {
		if len(c.AuthorizationDetails) > 0 {
			errs = append(errs, errors.New("--authorization-details without --credential-report: give both files per account, or neither to read IAM from AWS"))
		}
		if len(c.ReportGeneratedAt) > 0 {
			errs = append(errs, errors.New("--report-generated-at without --credential-report: a report read from AWS carries IAM's own generation time; drop the flag"))
		}
		if c.Org && len(c.Accounts) > 0 {
			errs = append(errs, errors.New("--org and --accounts both given: choose one"))
		}
		for _, a := range c.Accounts {
			if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
				errs = append(errs, fmt.Errorf("--accounts: %q is not a 12-digit account ID", a))
			}
		}
	} else if c.Org || len(c.Accounts) > 0 {
		errs = append(errs, errors.New("--org and --accounts read IAM from AWS; they cannot be combined with --credential-report files"))
	}
	if c.SkipReferences && len(c.ReferenceChecks) > 0 {
		errs = append(errs, errors.New("--skip-references and --reference-checks both given: choose one"))
	}
	// Checked here, not when the references stage starts: that is after the
	// whole activity scan.
	for _, n := range c.ReferenceChecks {
		if err := checkReferenceCheck(n, c.Live()); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range c.Regions {
		if !regionRE.MatchString(r) {
			errs = append(errs, fmt.Errorf("--regions: %q is not an AWS region name (like us-east-1)", r))
		}
	}
	if c.Region != "" && !regionRE.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("--region %q is not an AWS region name (like us-east-1)", c.Region))
	}
	if !tagKeyRE.MatchString(c.ExemptTag) {
		errs = append(errs, fmt.Errorf("--exempt-tag %q is not an IAM tag key (1 to 128 letters, digits, spaces and _.:/=+-@)", c.ExemptTag))
	}
	for _, k := range c.OwnerTags {
		if !tagKeyRE.MatchString(k) {
			errs = append(errs, fmt.Errorf("--owner-tags: %q is not a tag key (1 to 128 letters, digits, spaces and _.:/=+-@)", k))
		}
	}
	for _, p := range c.TrailDescriptions {
		if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("reading --trail-description: %w", err))
		}
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
	errs = append(errs, c.validatePrevious()...)
	errs = append(errs, c.validateCodeSearch()...)
	if spec, ok := lookupEngine(c.Engine); ok {
		errs = append(errs, spec.Validate(c)...)
	} else {
		errs = append(errs, unknownEngine(c.Engine))
	}
	if _, err := reports.Selected(c.Reports); err != nil {
		errs = append(errs, fmt.Errorf("--report: %w", err))
	}
	if err := local.ScannerBuilt(c.Scanner); err != nil {
		errs = append(errs, fmt.Errorf("--scanner %s: %w", c.Scanner, err))
	} else if c.Scanner != "" && !slices.Contains(local.Scanners(), c.Scanner) {
		errs = append(errs, fmt.Errorf("--scanner %q is not known; use %s", c.Scanner, strings.Join(local.Scanners(), " or ")))
	}
	if c.MaxLogFileSize < 0 {
		errs = append(errs, fmt.Errorf("--max-log-file-size must be a positive size, got %d", c.MaxLogFileSize))
	}
	if c.WindowDays < 1 {
		errs = append(errs, fmt.Errorf("--window must be at least 1 day, got %d", c.WindowDays))
	}
	if c.DeleteAfterDays < 1 {
		errs = append(errs, fmt.Errorf("--delete-after must be at least 1 day, got %d", c.DeleteAfterDays))
	}
	if c.ReportMaxAge < 0 {
		errs = append(errs, fmt.Errorf("--report-max-age must be positive, got %s", c.ReportMaxAge))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("--concurrency must be at least 1, got %d", c.Concurrency))
	}
	if latest := time.Now().UTC().Add(24 * time.Hour); c.AsOf.Before(EarliestAsOf) || c.AsOf.After(latest) {
		errs = append(errs, fmt.Errorf("--as-of %s is out of range: use %s to %s", c.AsOf.Format(time.RFC3339), EarliestAsOf.Format("2006-01-02"), latest.Format("2006-01-02")))
	} else if c.WindowDays > int(c.AsOf.Sub(EarliestAsOf)/(24*time.Hour)) {
		// Compared in days: a window of millions of days overflows a Duration.
		errs = append(errs, fmt.Errorf("--window %dd before --as-of %s starts before %s, when IAM did not exist: use a shorter window",
			c.WindowDays, c.AsOf.Format("2006-01-02"), EarliestAsOf.Format("2006-01-02")))
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

// Live reports whether the inventory is read from AWS rather than files.
func (c Config) Live() bool { return len(c.CredentialReports) == 0 }

// WindowStart is as-of minus the window.
func (c Config) WindowStart() time.Time {
	return c.AsOf.Add(-time.Duration(c.WindowDays) * 24 * time.Hour)
}

// validatePrevious checks the previous-quarter settings' files exist, and
// that the plan's flags come with a run to compare with.
func (c Config) validatePrevious() []error {
	var errs []error
	for _, f := range []struct{ flag, path string }{
		{"--previous", c.Previous}, {"--history", c.History},
	} {
		if f.path == "" {
			continue
		}
		if st, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", f.flag, err))
		} else if !st.IsDir() {
			errs = append(errs, fmt.Errorf("%s %s is not a directory: give a run's output directory (--out of an earlier dormant run)", f.flag, f.path))
		}
	}
	for _, f := range []struct{ flag, path string }{
		{"--previous-manifest", c.PreviousManifest}, {"--journal", c.Journal},
	} {
		if f.path == "" {
			continue
		}
		if c.Previous == "" && c.History == "" {
			errs = append(errs, fmt.Errorf("%s needs --previous or --history: the run whose plan it checks", f.flag))
		} else if _, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", f.flag, err))
		}
	}
	return errs
}

// validateCodeSearch checks the code check's paths before any work: a path
// that does not exist would otherwise fail the run after the scan.
func (c Config) validateCodeSearch() []error {
	var errs []error
	local := func(flag string, paths []string) {
		for _, p := range paths {
			if strings.HasPrefix(p, "s3://") {
				continue
			}
			if _, err := os.Stat(p); err != nil {
				errs = append(errs, fmt.Errorf("reading %s: %w; give a directory, file, git repository or s3://bucket/prefix", flag, err))
			}
		}
	}
	local("--search", c.Search)
	local("--terraform-state", c.TerraformState)
	for _, p := range c.AccessKeysFiles {
		if strings.HasPrefix(p, "s3://") {
			errs = append(errs, fmt.Errorf("--access-keys %s: give a local file, the JSON of `aws iam list-access-keys`", p))
			continue
		}
		if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("reading --access-keys: %w", err))
		}
	}
	if c.SearchHistory && len(c.Search) == 0 {
		errs = append(errs, errors.New("--search-history reads the history of the repositories --search finds; give --search too"))
	}
	if (len(c.Search) > 0 || len(c.TerraformState) > 0) && len(c.ReferenceChecks) > 0 && !slices.Contains(c.ReferenceChecks, references.CheckCode) {
		errs = append(errs, fmt.Errorf("--search and --terraform-state run in the %s reference check; add it to --reference-checks", references.CheckCode))
	}
	if (len(c.Search) > 0 || len(c.TerraformState) > 0) && c.SkipReferences {
		errs = append(errs, errors.New("--search and --terraform-state are reference checks; drop --skip-references to run them"))
	}
	return errs
}
