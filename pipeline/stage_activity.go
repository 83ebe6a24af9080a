package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

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
	// watch is the watch table (activity.Result.Watch): what touched a
	// deactivated user after its deactivation, for the findings.
	watch []tables.WatchEvent
}

func (o activityOutput) recordTo(rec *RunRecord) {
	rec.Queries = o.queries
	// The record keeps each region's span; the hourly cells are in the coverage table.
	rec.Coverage = record.Spans(tables.CoverageSpans(o.coverage))
	rec.Counts.ActivityRows = len(o.rows)
}

// WatchTable is the watch: one row per event that touched a user dormant
// deactivated, after its deactivation date (tables.WatchEvent).
const WatchTable = "tables/watch.parquet"

// watchTargets are the users to watch: every user whose
// dormant:deactivated tag holds a readable date, watched from that date,
// by its unique ID, its name, and the access key IDs accessKeys lists for
// it (the inventory's keys, from IAM or an export; nil when the run has
// none, and the watch then goes by unique ID and name only). Sorted by
// account and name, so that the fingerprint and the query are stable.
func watchTargets(users []tables.User, accessKeys []tables.AccessKey) []tables.WatchTarget {
	var out []tables.WatchTarget
	for _, u := range users {
		d := tables.ReadDeactivation(u.Tags)
		if u.IsRoot || !d.Tagged || d.On.IsZero() {
			continue
		}
		t := tables.WatchTarget{AccountID: u.AccountID, UserName: u.UserName, UserID: u.UserID, Since: d.On}
		for _, k := range accessKeys {
			if k.AccountID == u.AccountID && strings.EqualFold(k.UserName, u.UserName) && k.AccessKeyID != "" {
				t.AccessKeyIDs = append(t.AccessKeyIDs, k.AccessKeyID)
			}
		}
		slices.Sort(t.AccessKeyIDs)
		t.AccessKeyIDs = slices.Compact(t.AccessKeyIDs)
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b tables.WatchTarget) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.UserName, b.UserName), cmp.Compare(a.UserID, b.UserID))
	})
	return out
}

// watchFingerprint is what the activity stage's fingerprint adds for the
// targets: the watch table depends on them.
func watchFingerprint(targets []tables.WatchTarget) string {
	var b strings.Builder
	for _, t := range targets {
		fmt.Fprintf(&b, "watch %s %s %s %s %s\n", t.AccountID, t.UserName, t.UserID, strings.Join(t.AccessKeyIDs, ","), t.Since.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// runActivity runs the engine's queries over CloudTrail for the window,
// watching targets (watchTargets); eng is the engine activityFingerprint
// built (nil: build it here).
func runActivity(ctx context.Context, cfg Config, st *staging, sess sessionFunc, eng activity.Engine, targets []tables.WatchTarget) (activityOutput, error) {
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
	q := activityQuery(cfg)
	q.Watch = targets
	res, err := eng.Run(ctx, q)
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
	// Written whether or not anyone is watched: an empty table says the
	// engine looked (or had no one to look for), which run.json's inventory
	// tells apart.
	if err := tables.WriteParquet(st.path(WatchTable), res.Watch); err != nil {
		return out, fmt.Errorf("writing watch table: %w", err)
	}
	out.watch = res.Watch
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
	if err != nil {
		return out, err
	}
	out.watch, err = readWatch(dir)
	return out, err
}

// readWatch reads a run's watch table; nil when the bundle has none (a run
// by a version before the watch).
func readWatch(dir string) ([]tables.WatchEvent, error) {
	p := joinRel(dir, WatchTable)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	rows, err := tables.ReadParquet[tables.WatchEvent](p)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", WatchTable, err)
	}
	return rows, nil
}
