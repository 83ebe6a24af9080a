package pipeline

import (
	"fmt"
	"os"

	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/tables"
)

// reportInput gathers what the reports show from the run record and the
// stages' outputs; verify calls it on a stored run to regenerate the same
// reports.
func reportInput(dir string, rec *RunRecord, finds []tables.Finding, cov []tables.Coverage, refs []tables.Reference, keys []tables.AccessKey, logFiles []tables.LogFile, logFilesCounted bool) (*reports.Input, error) {
	in := &reports.Input{
		Run:      *rec,
		Findings: finds, Coverage: cov, References: refs, AccessKeys: keys,
		LogFiles: logFiles, LogFilesCounted: logFilesCounted,
		Engines: EngineSummaries(),
	}
	var err error
	if in.Trails, err = readTrailAccounts(dir, rec); err != nil {
		return nil, err
	}
	for _, f := range rec.Inputs {
		path := joinRel(dir, f.Path)
		sum, n, err := evidence.HashFile(path)
		if err != nil {
			return nil, err
		}
		in.Inputs = append(in.Inputs, reports.EvidenceFile{Input: f, SHA256: sum, Bytes: n})
		if f.Kind == kindAllowlist {
			if in.Allowlist, err = findings.LoadAllowlist(path); err != nil {
				return nil, err
			}
		}
	}
	for _, q := range rec.Queries {
		sqlText, err := os.ReadFile(joinRel(dir, q.SQLFile))
		if err != nil {
			return nil, fmt.Errorf("reading the stored query %s: %w", q.SQLFile, err)
		}
		in.Queries = append(in.Queries, reports.QueryEvidence{Query: q, SQL: string(sqlText)})
	}
	return in, nil
}
