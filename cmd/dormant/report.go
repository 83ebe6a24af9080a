package main

import (
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/pipeline/remediate"
	"github.com/dormant-iam/dormant/reports"
)

// report is what --format json prints on stdout when a command ends: one
// JSON object, whatever the outcome, with the exit code and its reason.
// The section of the command that ran is set; the others are omitted.
type report struct {
	Command    string `json:"command"`
	Version    string `json:"version"`
	ExitCode   int    `json:"exit_code"`
	ExitReason string `json:"exit_reason"` // ok, error, usage, findings, skipped, partial
	Error      string `json:"error,omitempty"`

	Run       *runReport       `json:"run,omitempty"`
	Demo      *demoReport      `json:"demo,omitempty"`
	Verify    *verifyReport    `json:"verify,omitempty"`
	Remediate *remediateReport `json:"remediate,omitempty"`
}

// newReport starts the report of command.
func newReport(command string) *report {
	return &report{Command: command, Version: toolVersion()}
}

type runReport struct {
	RunID   string    `json:"run_id"`
	Partial bool      `json:"partial"`
	Counts  runCounts `json:"counts"`
	// NotAssessed names each account that could not be assessed, and why.
	NotAssessed []accountProblem `json:"not_assessed,omitempty"`
	Paths       runPaths         `json:"paths"`
}

type runCounts struct {
	Accounts   int            `json:"accounts_assessed"`
	Users      int            `json:"users"`
	ByStatus   map[string]int `json:"by_status"`
	ByDecision map[string]int `json:"by_decision"`
	UnusedKeys int            `json:"unused_keys"`
}

type accountProblem struct {
	AccountID string `json:"account_id"`
	Error     string `json:"error"`
}

type runPaths struct {
	Out      string `json:"out"`
	Workbook string `json:"workbook"`
	CSV      string `json:"csv"`
	Manifest string `json:"manifest"`
	Sums     string `json:"sha256sums"`
	// Files is every file of the bundle, relative to Out, with / separators.
	Files []string `json:"files"`
}

func newRunReport(res *pipeline.Result) *runReport {
	s := res.Summary
	r := &runReport{RunID: res.RunID, Partial: res.Partial, Counts: runCounts{
		Users: s.Total, ByStatus: s.ByStatus, ByDecision: s.ByDecision, UnusedKeys: s.UnusedKeys,
	}}
	if res.Record != nil {
		for _, a := range res.Record.Accounts {
			if a.Assessed {
				r.Counts.Accounts++
			} else {
				r.NotAssessed = append(r.NotAssessed, accountProblem{a.AccountID, a.Error})
			}
		}
	}
	out := res.Out
	if abs, err := filepath.Abs(out); err == nil {
		out = abs
	}
	r.Paths = runPaths{
		Out:      out,
		Workbook: filepath.Join(out, filepath.FromSlash(reports.XLSXPath)),
		CSV:      filepath.Join(out, filepath.FromSlash(reports.CSVPath)),
		Manifest: filepath.Join(out, filepath.FromSlash(reports.ManifestPath)),
		Sums:     filepath.Join(out, pipeline.SumsFile),
		Files:    bundleFiles(out),
	}
	return r
}

// bundleFiles lists the files under dir, relative, sorted; a file that
// cannot be listed is left out (the bundle's SHA256SUMS is the record).
func bundleFiles(dir string) []string {
	files := []string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if rel, err := filepath.Rel(dir, p); err == nil {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(files)
	return files
}

type demoReport struct {
	Source     string     `json:"source"`
	Accounts   int        `json:"accounts"`
	Users      int        `json:"users"`
	Events     int64      `json:"events"`
	AsOf       string     `json:"as_of"`
	Mismatches []string   `json:"mismatches"`
	Run        *runReport `json:"run"`
}

type verifyReport struct {
	Dir      string   `json:"dir"`
	OK       bool     `json:"ok"`
	Checked  []string `json:"checked"`
	Problems []string `json:"problems"`
}

type remediateReport struct {
	Manifest  string         `json:"manifest"`
	RunID     string         `json:"run_id"`
	Applied   bool           `json:"applied"`
	BackupDir string         `json:"backup_dir,omitempty"`
	Journal   string         `json:"journal,omitempty"`
	Outcomes  map[string]int `json:"outcomes"`
	Warnings  []string       `json:"warnings,omitempty"`
}

func newRemediateReport(res *remediate.Result) *remediateReport {
	r := &remediateReport{Manifest: res.Manifest, RunID: res.RunID, Applied: res.Applied, BackupDir: res.BackupDir,
		Journal: res.Journal, Warnings: res.Warnings, Outcomes: map[string]int{}}
	for _, e := range res.Entries {
		r.Outcomes[string(e.Outcome)]++
	}
	return r
}
