package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/tables"
)

// reportInput gathers what the reports show from the run record and the
// stages' outputs; verify calls it on a stored run to regenerate the same
// reports.
func reportInput(dir string, rec *RunRecord, finds []tables.Finding, cov []tables.Coverage, refs []tables.Reference, logFiles []tables.LogFile, logFilesCounted bool) (*reports.Input, error) {
	in := &reports.Input{
		RunID: rec.RunID, GeneratedAt: rec.StartedAt, AsOf: rec.AsOf,
		WindowDays: rec.WindowDays, DeleteAfterDays: rec.Settings.DeleteAfterDays,
		ReportMaxAge: rec.Settings.reportMaxAge(), ExemptTag: rec.Settings.ExemptTag,
		Engine: rec.Settings.Engine, ToolVersion: rec.ToolVersion,
		Findings: finds, Coverage: cov, References: refs,
		ReferenceChecks: rec.ReferenceChecks, Unchecked: rec.Unchecked,
	}
	in.LogFiles, in.LogFilesCounted = logFiles, logFilesCounted
	var err error
	if in.Trails, err = readTrailAccounts(dir, rec); err != nil {
		return nil, err
	}
	for _, o := range rec.Orphans {
		in.Orphans = append(in.Orphans, reports.Orphan{AccountID: o.AccountID, Kind: o.Kind, ResourceARN: o.ResourceARN, Location: o.Location, UniqueID: o.UniqueID})
	}
	for _, a := range rec.Accounts {
		in.Accounts = append(in.Accounts, reports.AccountScope{AccountID: a.AccountID, Assessed: a.Assessed, Error: a.Error, CredentialReportGeneratedAt: a.ReportGeneratedAt})
	}
	for _, f := range rec.Inputs {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		sum, n, err := evidence.HashFile(path)
		if err != nil {
			return nil, err
		}
		in.Inputs = append(in.Inputs, reports.EvidenceFile{Path: f.Path, SHA256: sum, Bytes: n, AccountID: f.AccountID, Kind: f.Kind, Source: f.Source, GeneratedAt: f.GeneratedAt})
		if f.Kind == kindAllowlist {
			entries, err := findings.LoadAllowlist(path)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				in.Allowlist = append(in.Allowlist, reports.AllowlistEntry{AccountID: e.AccountID, UserName: e.UserName, Reason: e.Reason, Owner: e.Owner, Expires: e.Expires})
			}
		}
	}
	for _, q := range rec.Queries {
		sqlText, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(q.SQLFile)))
		if err != nil {
			return nil, fmt.Errorf("reading the stored query %s: %w", q.SQLFile, err)
		}
		in.Queries = append(in.Queries, reports.QueryEvidence{
			Engine: q.Engine, Name: q.Name, QueryID: q.QueryID, SQL: string(sqlText), SQLFile: q.SQLFile,
			BytesScanned: q.BytesScanned, CostUSD: q.CostUSD, EngineTime: time.Duration(q.EngineTimeMS) * time.Millisecond,
		})
	}
	return in, nil
}
