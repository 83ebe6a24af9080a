package activity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Engine runs the activity query over CloudTrail for a window.
type Engine interface {
	// Name is the engine's name as the CLI spells it: "local", "athena", "lake".
	Name() string
	// Run computes the activity and coverage tables for q, and the watch
	// table for q.Watch's targets (watch.go).
	Run(ctx context.Context, q Query) (*Result, error)
}

// Query is what an engine is asked for.
type Query struct {
	// Start and End bound the window, both inclusive; End is the as-of.
	Start, End time.Time
	// Accounts in scope; empty means every account in the data.
	Accounts []string
	// Watch lists the deactivated users to watch (watch.go); empty: the
	// engine runs no watch query and Result.Watch is nil.
	Watch []tables.WatchTarget
}

// Result is what an engine returns.
type Result struct {
	// Activity has one row per principal that acted, or failed to sign in to
	// the console, in the window; sorted by account, principal ID, ARN.
	Activity []tables.Activity
	// Coverage has one row per (account, region, hour) cell with records in
	// the data read (which starts a day before the window, so a cell before
	// Start shows the trail was already running): the cell's first and last
	// event and number of records; sorted by account, region, hour.
	Coverage []tables.Coverage
	// Runs has one entry per query the engine ran, for the evidence bundle.
	Runs []QueryRun
	// LogFiles has one row per file the local engine read, sorted by path,
	// with its records and the records skipped, by reason; nil for the
	// Lake engine. The Athena engine, which cannot count per file, lists the
	// log files in its table's trail bucket (records not counted, contents
	// not hashed) and the digests it read (athena_digest.go).
	LogFiles []tables.LogFile
	// Digests is what the trail's digest files say about LogFiles: nil when
	// the engine read none (no digests under the local root or the Athena
	// table's bucket, or the Lake engine).
	Digests *DigestReport
	// Watch is the watch table: one row per (watched user, event) that
	// touched a Query.Watch target at or after its Since, inside the
	// window; sorted by SortWatch. Nil when Query.Watch is empty.
	Watch []tables.WatchEvent
	// WatchCandidates holds the watch query's rows while an engine reads
	// them; MatchWatch turns them into Watch and clears them.
	WatchCandidates []WatchCandidate
}

// MatchWatch fills r.Watch from r.WatchCandidates for q's targets and
// window, and clears the candidates.
func (r *Result) MatchWatch(q Query) {
	if len(q.Watch) > 0 {
		r.Watch = MatchWatch(q.Watch, q.Start, q.End, r.WatchCandidates)
	}
	r.WatchCandidates = nil
}

// QueryRun is the evidence of one engine call.
type QueryRun struct {
	Engine string // "local", "athena", "lake"
	// Name says what the query computes: "activity", "coverage" or
	// "watch". The local engine's "activity" query returns the coverage
	// rows as well.
	Name    string
	QueryID string // the service's query ID; for the local engine, derived from the SQL
	SQL     string // exactly as run

	BytesScanned int64         // bytes the engine read (local: compressed bytes of the files)
	EngineTime   time.Duration // time the engine spent on the query
	Files        int           // files read, where the engine knows it
	CostUSD      float64       // estimated cost; 0 for the local engine
}

// Validate reports what is wrong with q, if anything.
func (q Query) Validate() error {
	var errs []error
	switch {
	case q.Start.IsZero() || q.End.IsZero():
		errs = append(errs, errors.New("the window needs a start and an end (as-of) time"))
	case q.End.Before(q.Start):
		errs = append(errs, fmt.Errorf("the window ends (%s) before it starts (%s): check --as-of and --window",
			q.End.UTC().Format(time.RFC3339), q.Start.UTC().Format(time.RFC3339)))
	}
	for _, a := range q.Accounts {
		if !IsAccountID(a) {
			errs = append(errs, fmt.Errorf("account %q is not an AWS account ID (12 digits)", a))
		}
	}
	for i, t := range q.Watch {
		switch {
		case !IsAccountID(t.AccountID):
			errs = append(errs, fmt.Errorf("watch target %d (%s): account %q is not an AWS account ID (12 digits)", i+1, t.UserName, t.AccountID))
		case t.UserName == "":
			errs = append(errs, fmt.Errorf("watch target %d in account %s has no user name", i+1, t.AccountID))
		case t.Since.IsZero():
			errs = append(errs, fmt.Errorf("watch target %d (%s in %s) has no deactivation date to watch from", i+1, t.UserName, t.AccountID))
		}
	}
	return errors.Join(errs...)
}

// ReadDays returns the first and last day (UTC midnight) whose log files an
// engine reads for q: from the day before Start, whose records show the trail
// was running when the window opened, to the day after End, which holds
// events delivered late.
func (q Query) ReadDays() (first, last time.Time) {
	return day(q.Start.UTC().AddDate(0, 0, -1)), day(q.End.UTC().AddDate(0, 0, 1))
}

func day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// DaysIn is the number of days in month m of year y.
func DaysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SortResult puts the rows in the documented order, so that every engine's
// output is deterministic whatever order its SQL returned.
func SortResult(r *Result) {
	for i := range r.Activity {
		slices.Sort(r.Activity[i].AccessKeyIDs)
	}
	slices.SortFunc(r.Activity, func(a, b tables.Activity) int {
		return cmp.Or(
			cmp.Compare(a.AccountID, b.AccountID),
			cmp.Compare(a.PrincipalID, b.PrincipalID),
			cmp.Compare(a.ARN, b.ARN),
		)
	})
	slices.SortFunc(r.LogFiles, func(a, b tables.LogFile) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortFunc(r.Coverage, func(a, b tables.Coverage) int {
		return cmp.Or(
			cmp.Compare(a.AccountID, b.AccountID),
			cmp.Compare(a.Region, b.Region),
			a.Hour.Compare(b.Hour),
		)
	})
}
