//go:build !duckdb

package local

import (
	"context"

	"github.com/dormant-iam/dormant/pipeline/activity"
)

// DuckDBBuilt says whether this build has the DuckDB scanner: only a build
// with -tags duckdb links DuckDB (cgo), so the default binary cross-compiles
// with CGO_ENABLED=0.
const DuckDBBuilt = false

// scan is never reached without DuckDB: checkScanner refuses the scanner
// first; the error stands in case a caller skips that check.
func (l *Local) scan(context.Context, *Plan, *activity.Result) error {
	return ScannerBuilt(ScannerDuckDB)
}

// duckWatch is never reached without DuckDB, as scan.
func (l *Local) duckWatch(context.Context, activity.Query, *Plan, *activity.Result) error {
	return ScannerBuilt(ScannerDuckDB)
}
