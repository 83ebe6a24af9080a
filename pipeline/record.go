package pipeline

import (
	"time"

	"github.com/dormant-iam/dormant/record"
)

// RunRecord is run.json (package record holds the run's vocabulary).
type RunRecord = record.Run

func newRunRecord(cfg Config, runID string, started time.Time) *RunRecord {
	return &RunRecord{
		RunID: runID, ToolVersion: cfg.ToolVersion, StartedAt: started,
		AsOf: cfg.AsOf, WindowDays: cfg.WindowDays, WindowStart: cfg.WindowStart(),
		Settings: record.Settings{
			Engine: cfg.Engine, DeleteAfterDays: cfg.DeleteAfterDays,
			ReportMaxAgeHours: cfg.ReportMaxAge.Hours(), ExemptTag: cfg.ExemptTag,
			Allowlist: cfg.Allowlist, CloudTrail: cfg.CloudTrail, Reports: cfg.Reports,
		},
	}
}
