package pipeline

import (
	"sort"
	"time"

	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/tables"
)

// RunRecord is run.json: the settings, inputs, stages and queries of one run,
// enough for an auditor to know what was run on what.
type RunRecord struct {
	RunID           string              `json:"run_id"`
	ToolVersion     string              `json:"tool_version"`
	StartedAt       time.Time           `json:"started_at"`
	FinishedAt      time.Time           `json:"finished_at"`
	AsOf            time.Time           `json:"as_of"`
	WindowDays      int                 `json:"window_days"`
	WindowStart     time.Time           `json:"window_start"`
	Settings        Settings            `json:"settings"`
	Accounts        []AccountRecord     `json:"accounts"`
	Inputs          []InputRecord       `json:"inputs"`
	Stages          []StageRecord       `json:"stages"`
	Queries         []QueryRecord       `json:"queries"`
	ReferenceChecks []string            `json:"reference_checks"`
	Unchecked       []reports.Unchecked `json:"unchecked,omitempty"` // what reference checks could not read
	Orphans         []references.Orphan `json:"orphans,omitempty"`   // unique IDs in policies that match no existing user
	Coverage        []tables.Coverage   `json:"coverage"`
	Trails          []TrailRecord       `json:"trails,omitempty"` // per account: what its trails record, or "trail settings unknown"
	Counts          Counts              `json:"counts"`
}

// Settings are the thresholds in force.
type Settings struct {
	Engine            string  `json:"engine"`
	DeleteAfterDays   int     `json:"delete_after_days"`
	ReportMaxAgeHours float64 `json:"report_max_age_hours"`
	ExemptTag         string  `json:"exempt_tag"`
	Allowlist         string  `json:"allowlist,omitempty"`
	CloudTrail        string  `json:"cloudtrail,omitempty"`
}

// AccountRecord says whether an account was assessed, and if not, why.
type AccountRecord struct {
	AccountID         string    `json:"account_id"`
	Assessed          bool      `json:"assessed"`
	Error             string    `json:"error,omitempty"`
	ReportGeneratedAt time.Time `json:"credential_report_generated_at,omitzero"`
}

// InputRecord is one stored input file.
type InputRecord struct {
	Path        string    `json:"path"` // relative to the run directory
	AccountID   string    `json:"account_id,omitempty"`
	Kind        string    `json:"kind"`
	Source      string    `json:"source"` // where it came from
	GeneratedAt time.Time `json:"generated_at,omitzero"`
}

// StageRecord times one stage.
type StageRecord struct {
	Name        string    `json:"name"`
	StartedAt   time.Time `json:"started_at"`
	DurationMS  int64     `json:"duration_ms"`
	Fingerprint string    `json:"fingerprint,omitempty"` // inputs and settings; --resume reuses a stage whose fingerprint is unchanged
	Reused      bool      `json:"reused,omitempty"`      // copied from the previous run by --resume
}

// QueryRecord is one engine call, with its SQL stored under queries/.
type QueryRecord struct {
	Engine       string  `json:"engine"`
	Name         string  `json:"name"`
	QueryID      string  `json:"query_id,omitempty"`
	SQLFile      string  `json:"sql_file"`
	BytesScanned int64   `json:"bytes_scanned"`
	EngineTimeMS int64   `json:"engine_time_ms"`
	Files        int     `json:"files,omitempty"`
	CostUSD      float64 `json:"cost_usd"`
}

// Counts are the run's totals.
type Counts struct {
	Users        int              `json:"users"`
	Policies     int              `json:"policies"`
	References   int              `json:"references"`
	ActivityRows int              `json:"activity_rows"`
	Findings     findings.Summary `json:"findings"`
}

func (s Settings) reportMaxAge() time.Duration {
	return time.Duration(s.ReportMaxAgeHours * float64(time.Hour))
}

func newRunRecord(cfg Config, runID string, started time.Time) *RunRecord {
	return &RunRecord{
		RunID: runID, ToolVersion: cfg.ToolVersion, StartedAt: started,
		AsOf: cfg.AsOf, WindowDays: cfg.WindowDays, WindowStart: cfg.WindowStart(),
		Settings: Settings{
			Engine: cfg.Engine, DeleteAfterDays: cfg.DeleteAfterDays,
			ReportMaxAgeHours: cfg.ReportMaxAge.Hours(), ExemptTag: cfg.ExemptTag,
			Allowlist: cfg.Allowlist, CloudTrail: cfg.CloudTrail,
		},
	}
}

func (r *RunRecord) addStage(name string, started time.Time, d time.Duration, fingerprint string, reused bool) {
	r.Stages = append(r.Stages, StageRecord{Name: name, StartedAt: started.UTC(), DurationMS: d.Milliseconds(), Fingerprint: fingerprint, Reused: reused})
}

func (r *RunRecord) addInput(path, account, kind, source string, generated time.Time) {
	r.Inputs = append(r.Inputs, InputRecord{Path: path, AccountID: account, Kind: kind, Source: source, GeneratedAt: generated})
	sort.SliceStable(r.Inputs, func(i, j int) bool { return r.Inputs[i].Path < r.Inputs[j].Path })
}
