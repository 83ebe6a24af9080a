package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// findingsOutput is what the findings stage hands on.
type findingsOutput struct {
	rows    []tables.Finding
	summary findings.Summary
	inputs  []record.Input // the allowlist, when given
	// written is the findings table being written in the background while
	// the reports are; nil when it is already on disk.
	written <-chan error
}

func (o findingsOutput) recordTo(rec *RunRecord) {
	rec.AddInputs(o.inputs...)
	rec.Counts.Findings = o.summary
}

func classifyOptions(asOf time.Time, window, deleteAfter int, exemptTag string, maxAge time.Duration, allowlist string) (findings.Options, error) {
	opts := findings.DefaultOptions(asOf)
	opts.WindowDays, opts.DeleteAfterDays = window, deleteAfter
	opts.ExemptTagKey, opts.ReportMaxAge = exemptTag, maxAge
	if allowlist != "" {
		allow, err := findings.LoadAllowlist(allowlist)
		if err != nil {
			return opts, err
		}
		opts.Allowlist = allow
	}
	return opts, opts.Validate()
}

// withEvidence adds what the log files and the trails say to opts.
func withEvidence(opts findings.Options, logFiles []tables.LogFile, trails map[string][]tables.Trail) findings.Options {
	opts.SkippedRecords = tables.SkippedByAccount(logFiles)
	opts.Trails = trails
	opts.DigestProblems, opts.DigestProven = tables.DigestProblems(logFiles), tables.DigestProven(logFiles)
	return opts
}

// runFindings joins the stage tables in Arrow and classifies every user; the
// findings table is written in the background (findingsOutput.written).
func runFindings(cfg Config, st *staging, users, act arrow.RecordBatch, cov []tables.Coverage, refs []tables.Reference,
	logFiles []tables.LogFile, trails map[string][]tables.Trail, watch []tables.WatchEvent, accessKeys []tables.AccessKey,
) (findingsOutput, error) {
	var out findingsOutput
	opts, err := classifyOptions(cfg.AsOf, cfg.WindowDays, cfg.DeleteAfterDays, cfg.ExemptTag, cfg.ReportMaxAge, cfg.Allowlist)
	if err != nil {
		return out, err
	}
	opts = withEvidence(opts, logFiles, trails)
	opts.Watch, opts.AccessKeys = watch, accessKeys
	if cfg.Allowlist != "" {
		if err := copyInput(st, cfg.Allowlist, AllowlistInput); err != nil {
			return out, err
		}
		out.inputs = append(out.inputs, record.Input{Path: AllowlistInput, Kind: kindAllowlist, Source: cfg.Allowlist})
	}
	rows, table, err := classify(memory.NewGoAllocator(), users, act, cov, refs, opts)
	if err != nil {
		return out, err
	}
	done := make(chan error, 1)
	go func() {
		err := tables.WriteRecordParquet(st.path(FindingsTable), table)
		table.Release()
		done <- err
	}()
	out.rows, out.written = rows, done
	out.summary = findings.Summarize(rows)
	return out, nil
}

// classify joins the users' and activity tables with the coverage and
// references and classifies every user: the findings stage, and verify's
// recomputation of it.
func classify(mem memory.Allocator, users, act arrow.RecordBatch, cov []tables.Coverage, refs []tables.Reference, opts findings.Options) ([]tables.Finding, arrow.RecordBatch, error) {
	covTable, err1 := tables.Encode(mem, cov)
	refTable, err2 := tables.Encode(mem, refs)
	for _, r := range []arrow.RecordBatch{covTable, refTable} {
		if r != nil {
			defer r.Release()
		}
	}
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, fmt.Errorf("encoding the join's input tables: %w", err)
	}
	return findings.JoinRows(mem, users, act, covTable, refTable, opts)
}

// loadFindings reads back a reused findings stage.
func loadFindings(ctx context.Context, dir string, prev *RunRecord) (findingsOutput, error) {
	var out findingsOutput
	for _, in := range prev.Inputs {
		if in.Kind == kindAllowlist {
			out.inputs = append(out.inputs, in)
		}
	}
	var err error
	if out.rows, err = tables.ReadParquet[tables.Finding](joinRel(dir, FindingsTable)); err != nil {
		return out, err
	}
	out.summary = findings.Summarize(out.rows)
	return out, nil
}
