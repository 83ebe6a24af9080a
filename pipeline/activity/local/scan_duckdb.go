//go:build duckdb

package local

import (
	"context"
	"database/sql"
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

	rows, err := db.QueryContext(ctx, plan.SQL)
	if err != nil {
		return explainScanError(ctx, err, plan.Files, plan.MaxObject)
	}
	defer rows.Close()
	for rows.Next() {
		if err := readRow(rows, res); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return explainScanError(ctx, err, plan.Files, plan.MaxObject)
	}
	return nil
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
