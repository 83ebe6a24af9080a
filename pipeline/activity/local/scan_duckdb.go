//go:build duckdb

package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// DuckDBBuilt says whether this build has the DuckDB scanner: only a build
// with -tags duckdb links DuckDB (cgo), so the default binary cross-compiles
// with CGO_ENABLED=0.
const DuckDBBuilt = true

// scan runs the plan's SQL in a fresh in-memory DuckDB and reads its rows.
func (l *Local) scan(ctx context.Context, plan *Plan, res *activity.Result) error {
	return l.runSQL(ctx, plan, plan.SQL, func(rows *sql.Rows) error { return readRow(rows, res) })
}

// runSQL runs query, over plan's files, in a fresh in-memory DuckDB and
// hands each row to each.
func (l *Local) runSQL(ctx context.Context, plan *Plan, query string, each func(*sql.Rows) error) error {
	memLimit, err := l.memoryLimit(plan)
	if err != nil {
		return err
	}
	spill, err := os.MkdirTemp(l.tempDir, "dormant-duckdb-*")
	if err != nil {
		return fmt.Errorf("creating DuckDB's temporary folder: %w", err)
	}
	defer os.RemoveAll(spill)

	cfg := url.Values{}
	cfg.Set("threads", strconv.Itoa(l.threads))
	cfg.Set("memory_limit", strconv.FormatInt(memLimit>>20, 10)+"MiB")
	cfg.Set("temp_directory", spill)
	// The SQL needs only the built-in JSON reader; never reach the network
	// for an extension.
	cfg.Set("autoinstall_known_extensions", "false")
	cfg.Set("autoload_known_extensions", "false")
	// Rows are aggregated and re-sorted: order need not be kept while reading.
	cfg.Set("preserve_insertion_order", "false")
	connector, err := duckdb.NewConnector("?"+cfg.Encode(), nil)
	if err != nil {
		return fmt.Errorf("opening DuckDB: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()

	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return explainScanError(ctx, err, plan.Files, plan.MaxObject)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return explainScanError(ctx, err, plan.Files, plan.MaxObject)
	}
	return nil
}

// duckWatch runs the watch query (a second read of the files: the activity
// query stays as it is) and matches its candidates to q's targets.
func (l *Local) duckWatch(ctx context.Context, q activity.Query, plan *Plan, res *activity.Result) error {
	filter, ok := activity.NewWatchFilter(q.Watch)
	if !ok {
		return nil
	}
	watchSQL, err := renderLocalWatchSQL(q, filter, plan.Files, plan.MaxObject)
	if err != nil {
		return err
	}
	started := time.Now()
	if err := l.runSQL(ctx, plan, watchSQL, func(rows *sql.Rows) error {
		c, err := readWatchRow(rows)
		res.WatchCandidates = append(res.WatchCandidates, c)
		return err
	}); err != nil {
		return err
	}
	res.MatchWatch(q)
	sum := sha256.Sum256([]byte(watchSQL))
	res.Runs = append(res.Runs, activity.QueryRun{Engine: l.Name(), Name: "watch",
		QueryID: "local-" + hex.EncodeToString(sum[:8]), SQL: watchSQL,
		BytesScanned: plan.Bytes, EngineTime: time.Since(started), Files: len(plan.Files)})
	return nil
}

// readWatchRow reads one row of the local watch query.
func readWatchRow(rows *sql.Rows) (activity.WatchCandidate, error) {
	var (
		kind   sql.NullString
		at     sql.NullTime
		fields [19]sql.NullString
	)
	dest := []any{&kind, &at}
	for i := range fields {
		dest = append(dest, &fields[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return activity.WatchCandidate{}, fmt.Errorf("reading the watch query's results: %w", err)
	}
	if kind.String != "watch" {
		return activity.WatchCandidate{}, fmt.Errorf("reading the watch query's results: unknown row kind %q", kind.String)
	}
	f := func(i int) string { return fields[i].String }
	return activity.WatchCandidate{
		EventTime: utc(at), EventID: f(0), EventSource: f(1), EventName: f(2), ErrorCode: f(3), ErrorMessage: f(4),
		SourceIP: f(5), Region: f(6), Recipient: f(7), IdentityType: f(8), PrincipalID: f(9), ARN: f(10),
		AccountID: f(11), AccessKeyID: f(12), UserName: f(13), IssuerType: f(14), IssuerPrincipalID: f(15),
		ConsoleLogin: f(16), RequestUserName: f(17), RequestStatus: f(18),
	}, nil
}

// readRow reads one row of the local activity query: an activity row or a
// coverage row, by its kind column.
func readRow(rows *sql.Rows, res *activity.Result) error {
	var (
		kind, account, principal, arn, userName, region sql.NullString
		hour, first, last, lastFailed                   sql.NullTime
		events, consoleLogins, failedLogins             sql.NullInt64
		lastName, lastSource, lastIP, lastRegion        sql.NullString
		keys                                            any
	)
	if err := rows.Scan(&kind, &account, &principal, &arn, &userName, &region,
		&first, &last, &events, &lastName, &lastSource, &lastIP, &lastRegion,
		&consoleLogins, &failedLogins, &lastFailed, &keys, &hour); err != nil {
		return fmt.Errorf("reading the activity query's results: %w", err)
	}
	switch kind.String {
	case "activity":
		keyIDs, err := stringList(keys)
		if err != nil {
			return fmt.Errorf("reading access_key_ids of %s %s: %w", account.String, principal.String+arn.String, err)
		}
		res.Activity = append(res.Activity, tables.Activity{
			AccountID:              account.String,
			PrincipalID:            principal.String,
			ARN:                    arn.String,
			UserName:               userName.String,
			FirstEvent:             utc(first),
			LastEvent:              utc(last),
			Events:                 events.Int64,
			LastEventName:          lastName.String,
			LastEventSource:        lastSource.String,
			LastSourceIP:           lastIP.String,
			LastRegion:             lastRegion.String,
			ConsoleLogins:          consoleLogins.Int64,
			FailedConsoleLogins:    failedLogins.Int64,
			LastFailedConsoleLogin: utc(lastFailed),
			AccessKeyIDs:           keyIDs,
		})
	case "coverage":
		res.Coverage = append(res.Coverage, tables.Coverage{
			AccountID:  account.String,
			Region:     region.String,
			Hour:       utc(hour),
			FirstEvent: utc(first),
			LastEvent:  utc(last),
			Events:     events.Int64,
		})
	case "file":
		lf := tables.LogFile{Path: userName.String, Kind: region.String, Records: events.Int64}
		counts, err := skipCounts(lastName.String)
		if err != nil {
			return fmt.Errorf("reading the skipped records of %s: %w", lf.Path, err)
		}
		if lf.Kind == tables.LogFileKindLog {
			for _, n := range counts {
				lf.Skipped += n
			}
			lf.SkipReasons = tables.FormatSkipReasons(counts)
		}
		res.LogFiles = append(res.LogFiles, lf)
	default:
		return fmt.Errorf("reading the activity query's results: unknown row kind %q", kind.String)
	}
	return nil
}

// stringList converts a DuckDB VARCHAR[] value to a Go slice (nil for NULL).
func stringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list, got %T", v)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, fmt.Errorf("expected a list of strings, got an element of type %T", it)
		}
		out = append(out, s)
	}
	return out, nil
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
