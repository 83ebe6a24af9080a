package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// skipWithoutDuckDB skips a test that needs the DuckDB scanner in a build
// without it; scripts/test builds with -tags duckdb, so CI runs them all.
func skipWithoutDuckDB(t testing.TB, scanner string) {
	t.Helper()
	if scanner == ScannerDuckDB && !DuckDBBuilt {
		t.Skip("the DuckDB scanner is built only with -tags duckdb (scripts/test passes it)")
	}
}

// Without -tags duckdb, choosing the DuckDB scanner fails before any file is
// read, saying how to get a build that has it; with the tag it runs.
func TestDuckDBScannerBuildTag(t *testing.T) {
	root := filepath.Join(trailtest.TestdataDir, "trail")
	_, err := NewLocal(root, WithScanner(ScannerDuckDB), WithLogger(trailtest.Quiet())).
		Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if DuckDBBuilt {
		if err != nil {
			t.Fatalf("built with -tags duckdb, the DuckDB scanner failed: %v", err)
		}
		if err := ScannerBuilt(ScannerDuckDB); err != nil {
			t.Errorf("ScannerBuilt(duckdb) with the tag: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatal("without -tags duckdb, the DuckDB scanner ran")
	}
	for _, want := range []string{`without the "duckdb" scanner`, "-tags duckdb", `default "go" scanner`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := ScannerBuilt(ScannerGo); err != nil {
		t.Errorf("ScannerBuilt(go): %v", err)
	}
}
