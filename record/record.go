// Package record is the run's vocabulary: run.json's types, written once by
// the pipeline and read by the reports, verify and review as they are, so
// that no layer copies them into look-alikes of its own.
package record

import (
	"sort"
	"time"
)

// Run is run.json: the settings, inputs, stages and queries of one run,
// enough for an auditor to know what was run on what.
type Run struct {
	RunID       string    `json:"run_id"`
	ToolVersion string    `json:"tool_version"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	AsOf        time.Time `json:"as_of"`
	WindowDays  int       `json:"window_days"`
	WindowStart time.Time `json:"window_start"`
	// Settings is embedded so a report reads in.Engine or in.ExemptTag;
	// its JSON tag keeps it an object of its own in run.json.
	Settings        `json:"settings"`
	Accounts        []Account   `json:"accounts"`
	Inputs          []Input     `json:"inputs"`
	Stages          []Stage     `json:"stages"`
	Queries         []Query     `json:"queries"`
	ReferenceChecks []string    `json:"reference_checks"`
	Unchecked       []Unchecked `json:"unchecked,omitempty"` // what reference checks could not read
	Orphans         []Orphan    `json:"orphans,omitempty"`   // unique IDs in policies that match no existing user
	// Coverage is each region's span; the hourly cells are in the coverage table.
	Coverage []CoverageSpan `json:"coverage"`
	Trails   []Trail        `json:"trails,omitempty"` // per account: what its trails record, or "trail settings unknown"
	Counts   Counts         `json:"counts"`
	// SecurityHub is what --security-hub published; absent when not asked.
	SecurityHub *SecurityHub `json:"security_hub,omitempty"`
}

// SecurityHub records the run's import into each account's Security Hub.
type SecurityHub struct {
	Region   string               `json:"region"`
	Accounts []SecurityHubAccount `json:"accounts"`
}

// SecurityHubAccount is one account's import: how many findings Security
// Hub accepted, created, updated in place, archived (users or keys gone)
// and resolved, and the findings it rejected.
type SecurityHubAccount struct {
	AccountID  string `json:"account_id"`
	ProductARN string `json:"product_arn,omitempty"`
	Published  int    `json:"published"`
	Created    int    `json:"created"`
	Updated    int    `json:"updated"`
	Archived   int    `json:"archived"`
	Resolved   int    `json:"resolved"`
	// Failed are the findings Security Hub rejected, with its code and message.
	Failed []SecurityHubFailure `json:"failed,omitempty"`
	// NotPublished says why nothing was imported (e.g. the account was not
	// assessed, so the run knows nothing to publish or to resolve).
	NotPublished string `json:"not_published,omitempty"`
	Error        string `json:"error,omitempty"`
}

// SecurityHubFailure is one finding Security Hub did not accept.
type SecurityHubFailure struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Settings are the thresholds in force.
type Settings struct {
	Engine            string  `json:"engine"`
	DeleteAfterDays   int     `json:"delete_after_days"`
	ReportMaxAgeHours float64 `json:"report_max_age_hours"`
	ExemptTag         string  `json:"exempt_tag"`
	Allowlist         string  `json:"allowlist,omitempty"`
	CloudTrail        string  `json:"cloudtrail,omitempty"`
	// Reports are the optional report formats the run wrote (--report).
	Reports []string `json:"reports,omitempty"`
}

// ReportMaxAge is the freshness bound on credential reports: an older report
// at as-of turns candidates into review. Zero: not enforced.
func (s Settings) ReportMaxAge() time.Duration {
	return time.Duration(s.ReportMaxAgeHours * float64(time.Hour))
}

// Account says whether an account was assessed, and if not, why.
type Account struct {
	AccountID string `json:"account_id"`
	Assessed  bool   `json:"assessed"`
	// Error says why an account was not assessed (e.g. AssumeRole denied).
	Error string `json:"error,omitempty"`
	// ReportGeneratedAt is when IAM generated the credential report the run used.
	ReportGeneratedAt time.Time `json:"credential_report_generated_at,omitzero"`
}

// Input is one stored input file.
type Input struct {
	Path        string    `json:"path"` // relative to the run directory, forward slashes
	AccountID   string    `json:"account_id,omitempty"`
	Kind        string    `json:"kind"`
	Source      string    `json:"source"` // where it came from: a file path, or the AWS call
	GeneratedAt time.Time `json:"generated_at,omitzero"`
}

// Stage times one stage.
type Stage struct {
	Name        string    `json:"name"`
	StartedAt   time.Time `json:"started_at"`
	DurationMS  int64     `json:"duration_ms"`
	Fingerprint string    `json:"fingerprint,omitempty"` // inputs and settings; --resume reuses a stage whose fingerprint is unchanged
	Reused      bool      `json:"reused,omitempty"`      // copied from the previous run by --resume
}

// Query is one engine call, with its SQL stored under queries/.
type Query struct {
	Engine       string  `json:"engine"`
	Name         string  `json:"name"`               // e.g. "activity", "coverage"
	QueryID      string  `json:"query_id,omitempty"` // Athena or CloudTrail Lake query ID; derived from the SQL for local
	SQLFile      string  `json:"sql_file"`           // relative to the run directory
	BytesScanned int64   `json:"bytes_scanned"`
	EngineTimeMS int64   `json:"engine_time_ms"`
	Files        int     `json:"files,omitempty"`
	CostUSD      float64 `json:"cost_usd"` // estimate from bytes scanned
}

// EngineTime is the time the engine reports for the query (Athena's
// EngineExecutionTimeInMillis), or wall time for local.
func (q Query) EngineTime() time.Duration { return time.Duration(q.EngineTimeMS) * time.Millisecond }

// Unchecked is a resource a reference check could not read, so a user it
// might name could not be ruled out.
type Unchecked struct {
	AccountID   string `json:"account_id"`
	Kind        string `json:"kind"` // what was not read, e.g. "s3 bucket policy"
	ResourceARN string `json:"resource_arn"`
	Region      string `json:"region"`
	Error       string `json:"error"` // the error as the service returned it
}

// Orphan is a unique ID left in a policy by a principal that no longer
// exists: a broken reference from an earlier deletion. S3 and KMS refuse to
// save a policy that holds one, so it must be removed before the policy's
// next edit.
type Orphan struct {
	AccountID   string `json:"account_id"`   // the account the policy is in
	Kind        string `json:"kind"`         // one of the references.Kind* constants
	ResourceARN string `json:"resource_arn"` // the policy's owner, as for tables.Reference
	Location    string `json:"location"`     // as for tables.Reference
	UniqueID    string `json:"unique_id"`    // the AIDA... or AROA... ID
}

// AllowEntry exempts one user until Expires. Every field is required so that
// an auditor can see who decided to keep the user, why, and until when.
// AccountID matches exactly; UserName matches whatever its case, because IAM
// user names are unique case-insensitively: an entry for SVC-SFTP-PROD names
// the user svc-sftp-prod, and if an export lists both spellings (a user
// deleted and re-created in another case) the entry exempts both, since
// both held the name the entry protects.
type AllowEntry struct {
	AccountID string    `yaml:"account_id"`
	UserName  string    `yaml:"user_name"`
	Reason    string    `yaml:"reason"`
	Owner     string    `yaml:"owner"`
	Expires   time.Time `yaml:"expires"` // YYYY-MM-DD (midnight UTC) or RFC 3339
}

// Trail is what is known of one account's trail settings and what they fail
// to record over the window.
type Trail struct {
	AccountID string `json:"account_id"`
	// Known is false when the settings were not given (a file run without
	// --trail-description for the account) or could not be read (Error):
	// the reports then say "trail settings unknown".
	Known  bool     `json:"known"`
	Trails []string `json:"trails,omitempty"` // names
	Gaps   []string `json:"gaps,omitempty"`   // findings.TrailGaps: each sends candidates to review
	Error  string   `json:"error,omitempty"`
	// Note is findings.TrailSettingsUnknown when the settings are not known.
	Note string `json:"note,omitempty"`
}

// Counts are the run's totals.
type Counts struct {
	Users        int     `json:"users"`
	Policies     int     `json:"policies"`
	References   int     `json:"references"`
	ActivityRows int     `json:"activity_rows"`
	Findings     Summary `json:"findings"`
}

// Summary counts findings for reports and the CLI.
type Summary struct {
	ByStatus   map[string]int `json:"by_status"`
	ByDecision map[string]int `json:"by_decision"`
	// ByAccount counts statuses per account: ByAccount[account][status].
	ByAccount map[string]map[string]int `json:"by_account"`
	// UnusedKeys counts unused access key slots over all findings.
	UnusedKeys int `json:"unused_keys"`
	Total      int `json:"total"`
}

// AddStage records a finished stage.
func (r *Run) AddStage(name string, started time.Time, d time.Duration, fingerprint string, reused bool) {
	r.Stages = append(r.Stages, Stage{Name: name, StartedAt: started.UTC(), DurationMS: d.Milliseconds(), Fingerprint: fingerprint, Reused: reused})
}

// AddInputs records stored inputs, keeping the list sorted by path.
func (r *Run) AddInputs(in ...Input) {
	r.Inputs = append(r.Inputs, in...)
	sort.SliceStable(r.Inputs, func(i, j int) bool { return r.Inputs[i].Path < r.Inputs[j].Path })
}
