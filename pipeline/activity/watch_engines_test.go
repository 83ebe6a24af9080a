package activity_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/athena"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/tables"
)

// diffWatch compares watch tables row by row.
func diffWatch(t *testing.T, what string, got, want []tables.WatchEvent) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Errorf("%s: watch table differs (%d rows, want %d)", what, len(got), len(want))
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("  missing %+v", want[i])
		case i >= len(want):
			t.Errorf("  unexpected %+v", got[i])
		case !reflect.DeepEqual(got[i], want[i]):
			t.Errorf("  row %d:\n   got %+v\n  want %+v", i, got[i], want[i])
		}
	}
}

// One fixture trail through every engine and both local scanners (and the
// Go scanner's cache, cold and warm): the same watch table, the one written
// out by hand. The trail holds a refused call with an inactive key, an
// AccessDenied call (delivered twice), a failed sign-in, a masked one, an
// admin re-enabling a key, a key turned off, a refused password, events
// before the deactivation and after the window, a role session named like
// the user, a federated session and a cross-account call.
func TestWatchSameOnEveryEngine(t *testing.T) {
	root := filepath.Join(trailtest.TestdataDir, "watch")
	ctx := context.Background()
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Watch: trailtest.WatchTargets()}
	want := trailtest.WatchWant()

	run := func(what string, e activity.Engine, q activity.Query) *activity.Result {
		t.Helper()
		res, err := e.Run(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res.WatchCandidates != nil {
			t.Errorf("%s: the candidates were left on the result", what)
		}
		if !containsRun(res.Runs, "watch") {
			t.Errorf("%s: no watch query in the runs' evidence", what)
		}
		return res
	}
	diffWatch(t, "go scanner", run("go", newTestLocal(root), q).Watch, want)
	diffWatch(t, "duckdb scanner", run("duckdb", local.NewLocal(root, local.WithThreads(2), local.WithLogger(trailtest.Quiet()),
		local.WithScanner(local.ScannerDuckDB)), q).Watch, want)

	cache := t.TempDir()
	cached := func() *local.Local {
		return local.NewLocal(root, local.WithThreads(2), local.WithLogger(trailtest.Quiet()), local.WithCache(cache))
	}
	incremental := func(what string, res *activity.Result, note string) {
		t.Helper()
		if !strings.Contains(res.Runs[0].SQL, note) {
			t.Errorf("%s: the evidence lacks %q:\n%s", what, note, res.Runs[0].SQL[:min(1000, len(res.Runs[0].SQL))])
		}
	}
	diffWatch(t, "go scanner, cold cache", run("cold", cached(), q).Watch, want)
	warm := run("warm", cached(), q)
	diffWatch(t, "go scanner, warm cache", warm.Watch, want)
	// (2026-10-03 is read every time: the window ends inside it.)
	incremental("warm", warm, "-- Incremental: 4 of 5 day folders")
	incremental("warm", warm, "0 because\n-- the cache held no watch candidates")
	// Other targets on a warm cache: the days are read again for them.
	judy := q
	judy.Watch = q.Watch[1:]
	var wantJudy []tables.WatchEvent
	for _, w := range want {
		if w.UserName == "judy" {
			wantJudy = append(wantJudy, w)
		}
	}
	other := run("warm judy", cached(), judy)
	diffWatch(t, "go scanner, warm cache, other targets", other.Watch, wantJudy)
	incremental("other targets", other, "-- Incremental: 0 of 5 day folders")
	incremental("other targets", other, "4 because\n-- the cache held no watch candidates")
	back := run("warm both", cached(), q)
	diffWatch(t, "go scanner, warm cache, back to both", back.Watch, want)
	incremental("back to both", back, "-- Incremental: 4 of 5 day folders")
	// A window whose edges cut days: those days are read again, the others
	// come from the cache, and the watch keeps only the window's events.
	cut := q
	cut.Start, cut.End = trailtest.TS("2026-10-02T10:00:00Z"), trailtest.TS("2026-10-03T08:00:00Z")
	var wantCut []tables.WatchEvent
	for _, w := range want {
		if !w.EventTime.Before(cut.Start) && !w.EventTime.After(cut.End) {
			wantCut = append(wantCut, w)
		}
	}
	diffWatch(t, "go scanner, warm cache, window cutting days", run("cut", cached(), cut).Watch, wantCut)
	diffWatch(t, "go scanner, window cutting days", run("cut", newTestLocal(root), cut).Watch, wantCut)
	noWatch := q
	noWatch.Watch = nil
	if res, err := cached().Run(ctx, noWatch); err != nil || res.Watch != nil {
		t.Errorf("without targets: watch %+v, err %v; want none", res.Watch, err)
	}

	s := trailtest.NewFake(t, analytics.Config{LogsDir: root, Tables: []analytics.Table{
		{Name: "by_account_region_day", Partitions: []string{"account", "region", "timestamp"}, Projection: true},
		{Name: "by_region_ymd", Partitions: []string{"region", "year", "month", "day"}},
	}})
	for _, table := range []string{"by_account_region_day", "by_region_ymd"} {
		for _, api := range []bool{false, true} {
			res := run("athena "+table, newTestAthena(t, s, table, func(o *athena.AthenaOptions) { o.ResultsFromAPI = api }), q)
			diffWatch(t, "athena "+table, res.Watch, want)
		}
	}
	diffWatch(t, "lake", run("lake", newTestLake(t, s, analytics.EventDataStoreARN(analytics.DefaultEventDataStore)), q).Watch, want)
}

func containsRun(runs []activity.QueryRun, name string) bool {
	for _, r := range runs {
		if r.Name == name && r.SQL != "" {
			return true
		}
	}
	return false
}
