package pipeline

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/pipeline/activity"
	localengine "github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/tables"
)

// engineSpec is one activity engine: how it is configured, built,
// fingerprinted for --resume and asked for its SQL. Each engine registers
// its spec from its own file, so adding one is that file, its test and its
// fake.
type engineSpec struct {
	Name string
	// Summary says what it reads, after its name in help texts and the
	// Method sheet, e.g. "DuckDB over log files"; "" for none.
	Summary string
	// CountsFiles is set for an engine that reads log files one by one, so
	// the record counts in LogFilesTable are real; another engine's table,
	// when it lists files at all (Athena's digest check), has none.
	CountsFiles bool
	// Validate reports what the engine's settings lack, each saying what to do.
	Validate func(Config) []error
	// New builds the engine; cloud engines get their clients from sess.
	New func(ctx context.Context, cfg Config, sess sessionFunc) (activity.Engine, error)
	// Fingerprint adds to f what the engine's tables depend on for q and
	// returns the engine to run (an engine over S3 syncs first and returns
	// the local engine over the synced files).
	Fingerprint func(ctx context.Context, cfg Config, eng activity.Engine, q activity.Query, f *fingerprint) (activity.Engine, error)
	// SQL renders the query the engine would run for q, without running it.
	SQL func(ctx context.Context, cfg Config, q activity.Query) (string, error)
}

var engines []engineSpec

// registerEngine adds an engine; called from the engine's file's init.
func registerEngine(e engineSpec) {
	if e.Name == "" || e.New == nil || e.Fingerprint == nil || e.SQL == nil || e.Validate == nil {
		panic(fmt.Sprintf("pipeline: engine %q registered without a name, constructor, fingerprint, SQL or validation", e.Name))
	}
	if _, ok := lookupEngine(e.Name); ok {
		panic(fmt.Sprintf("pipeline: engine %q registered twice", e.Name))
	}
	engines = append(engines, e)
	// The default engine first, then by name: help texts list them so.
	slices.SortFunc(engines, func(a, b engineSpec) int {
		if (a.Name == DefaultEngine) != (b.Name == DefaultEngine) {
			if a.Name == DefaultEngine {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func lookupEngine(name string) (engineSpec, bool) {
	i := slices.IndexFunc(engines, func(e engineSpec) bool { return e.Name == name })
	if i < 0 {
		return engineSpec{}, false
	}
	return engines[i], true
}

// EngineNames lists the registered engines, the default first.
func EngineNames() []string {
	out := make([]string, len(engines))
	for i, e := range engines {
		out[i] = e.Name
	}
	return out
}

// EngineSummaries lists the registered engines as "name (summary)", the
// default first, for help texts and the Method sheet.
func EngineSummaries() []string {
	out := make([]string, len(engines))
	for i, e := range engines {
		out[i] = e.Name
		if e.Summary != "" {
			out[i] += " (" + e.Summary + ")"
		}
	}
	return out
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

func unknownEngine(name string) error {
	return fmt.Errorf("--engine %q is not known; use %s", name, orList(EngineNames()))
}

// newEngine builds the configured activity engine.
func newEngine(ctx context.Context, cfg Config, sess sessionFunc) (engineSpec, activity.Engine, error) {
	spec, ok := lookupEngine(cfg.Engine)
	if !ok {
		return spec, nil, unknownEngine(cfg.Engine)
	}
	eng, err := spec.New(ctx, cfg, sess)
	return spec, eng, err
}

// activityFingerprint says what the activity tables depend on: for the local
// engine the log files' names, sizes and modification times (after syncing
// them from S3, which downloads only what changed), for the cloud engines the
// SQL they would run and the engine settings — so --resume never pays twice
// for the same Athena scan. It returns the engine, built, for the stage.
func activityFingerprint(ctx context.Context, cfg Config, sess sessionFunc, targets []tables.WatchTarget) (string, activity.Engine, error) {
	f := newFingerprint("activity", cfg.ToolVersion)
	q := activityQuery(cfg)
	q.Watch = targets
	f.add(cfg.Engine, q.Start.Format(time.RFC3339Nano), q.End.Format(time.RFC3339Nano), watchFingerprint(targets))
	spec, eng, err := newEngine(ctx, cfg, sess)
	if err != nil {
		return "", nil, err
	}
	if eng, err = spec.Fingerprint(ctx, cfg, eng, q, f); err != nil {
		return "", nil, err
	}
	return f.sum(), eng, nil
}

// activityQuery is the window every engine is asked for. Every account's
// logs are read, not only the inventory's: a user's cross-account calls are
// logged in the other account's trail.
func activityQuery(cfg Config) activity.Query {
	return activity.Query{Start: cfg.WindowStart(), End: cfg.AsOf}
}

// localFingerprint adds the local engine's SQL and every file's name, size
// and modification time.
func localFingerprint(ctx context.Context, f *fingerprint, l *localengine.Local, q activity.Query) error {
	plan, err := l.Plan(ctx, q)
	if err != nil {
		return err
	}
	f.add(plan.SQL)
	for _, lf := range plan.Files {
		st, err := os.Stat(lf.Path)
		if err != nil {
			return err
		}
		f.add(lf.Path, fmt.Sprint(st.Size()), st.ModTime().UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// QuerySQL renders the activity query the configured engine would run for
// the window, without running it (`dormant queries print`).
func QuerySQL(ctx context.Context, cfg Config) (string, error) {
	cfg = cfg.WithDefaults()
	spec, ok := lookupEngine(cfg.Engine)
	if !ok {
		return "", unknownEngine(cfg.Engine)
	}
	return spec.SQL(ctx, cfg, activityQuery(cfg))
}
