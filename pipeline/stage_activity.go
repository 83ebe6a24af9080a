package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// activityOutput is what the activity stage hands on.
type activityOutput struct {
	rows []tables.Activity
	// table is rows as the Arrow table the stage wrote, for the join.
	table    arrow.RecordBatch
	coverage []tables.Coverage
	// logFiles is every file the engine read; logFilesCounted is false
	// when the engine cannot count per file.
	logFiles        []tables.LogFile
	logFilesCounted bool
	queries         []record.Query
}

func (o activityOutput) recordTo(rec *RunRecord) {
	rec.Queries = o.queries
	// The record keeps each region's span; the hourly cells are in the coverage table.
	rec.Coverage = record.Spans(tables.CoverageSpans(o.coverage))
	rec.Counts.ActivityRows = len(o.rows)
}

// runActivity runs the engine's queries over CloudTrail for the window; eng
// is the engine activityFingerprint built (nil: build it here).
func runActivity(ctx context.Context, cfg Config, st *staging, sess sessionFunc, eng activity.Engine) (activityOutput, error) {
	var out activityOutput
	spec, ok := lookupEngine(cfg.Engine)
	if !ok {
		return out, unknownEngine(cfg.Engine)
	}
	if eng == nil {
		var err error
		if eng, err = spec.New(ctx, cfg, sess); err != nil {
			return out, err
		}
	}
	res, err := eng.Run(ctx, activityQuery(cfg))
	if err != nil {
		return out, fmt.Errorf("querying CloudTrail with the %s engine: %w", eng.Name(), err)
	}
	var sqlFiles []string
	for i, r := range res.Runs {
		rel := fmt.Sprintf("%s/%s.sql", QueriesDir, r.Name)
		if slices.Contains(sqlFiles, rel) {
			rel = fmt.Sprintf("%s/%s-%d.sql", QueriesDir, r.Name, i+1)
		}
		sqlFiles = append(sqlFiles, rel)
		if err := atomicfile.WriteBytes(st.path(rel), []byte(strings.TrimRight(r.SQL, "\n")+"\n")); err != nil {
			return out, fmt.Errorf("writing %s: %w", rel, err)
		}
		out.queries = append(out.queries, record.Query{
			Engine: r.Engine, Name: r.Name, QueryID: r.QueryID, SQLFile: rel,
			BytesScanned: r.BytesScanned, EngineTimeMS: r.EngineTime.Milliseconds(), Files: r.Files, CostUSD: r.CostUSD,
		})
	}
	out.rows, out.coverage = res.Activity, res.Coverage
	if out.table, err = tables.Encode(memory.NewGoAllocator(), res.Activity); err != nil {
		return out, fmt.Errorf("encoding activity table: %w", err)
	}
	if err := tables.WriteRecordParquet(st.path(ActivityTable), out.table); err != nil {
		return out, fmt.Errorf("writing activity table: %w", err)
	}
	if err := tables.WriteParquet(st.path(CoverageTable), res.Coverage); err != nil {
		return out, fmt.Errorf("writing coverage table: %w", err)
	}
	// An engine that cannot count records per file may still list files
	// (Athena's digest check): the table keeps that evidence, and the
	// findings hold candidates on it, but its record counts mean nothing.
	if spec.CountsFiles || res.LogFiles != nil {
		if err := tables.WriteParquet(st.path(LogFilesTable), res.LogFiles); err != nil {
			return out, fmt.Errorf("writing log files table: %w", err)
		}
		out.logFiles, out.logFilesCounted = res.LogFiles, spec.CountsFiles
	}
	return out, nil
}

// loadActivity reads back a reused activity stage.
func loadActivity(ctx context.Context, dir string, prev *RunRecord) (activityOutput, error) {
	out := activityOutput{queries: prev.Queries}
	var err error
	if out.rows, err = tables.ReadParquet[tables.Activity](joinRel(dir, ActivityTable)); err != nil {
		return out, err
	}
	if out.table, err = tables.Encode(memory.NewGoAllocator(), out.rows); err != nil {
		return out, fmt.Errorf("encoding activity table: %w", err)
	}
	if out.coverage, err = tables.ReadParquet[tables.Coverage](joinRel(dir, CoverageTable)); err != nil {
		return out, err
	}
	out.logFiles, out.logFilesCounted, err = readLogFiles(dir, prev.Engine)
	return out, err
}
