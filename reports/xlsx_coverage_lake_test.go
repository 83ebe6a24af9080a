package reports

import (
	"slices"
	"testing"
)

// Issue 14: a Lake run is never silent about digests. An event data store
// has none, so where a local run without digests reads "assumed (no digest
// files ...)", the Lake run's Coverage sheet says that Lake has no digest
// files and the coverage is taken from the event cells.
func TestXLSXCoverageLakeSaysNoDigests(t *testing.T) {
	status := func(engine string) map[string]string {
		in := sampleInput()
		in.Engine = engine
		in.LogFiles, in.LogFilesCounted = nil, false
		// Both regions of 111111111111 recorded every day: nothing but
		// digests is missing for its coverage to be proven.
		in.Coverage = slices.Concat(
			dailyCoverage("111111111111", "us-east-1", at("2026-07-01T00:00:00Z"), at("2026-10-31T23:59:00Z"), 5000),
			dailyCoverage("111111111111", "eu-west-1", at("2026-06-15T00:00:00Z"), at("2026-10-31T23:00:00Z"), 700))
		_, rows := byTitle(t, openXLSX(t, writeXLSX(t, in)), SheetCoverage)
		out := map[string]string{}
		for _, r := range rows {
			out[r[TitleAccountID]+" "+r["Region"]] = r["Account coverage"]
		}
		return out
	}
	local, lake := status("local"), status("lake")
	assumed := 0
	for k, s := range local {
		if s != CoverageAssumed {
			if lake[k] != s {
				t.Errorf("%s: lake %q, local %q: only the assumed status differs", k, lake[k], s)
			}
			continue
		}
		assumed++
		if lake[k] != CoverageAssumedLake {
			t.Errorf("%s: lake run reads %q, want %q", k, lake[k], CoverageAssumedLake)
		}
	}
	if assumed == 0 {
		t.Fatalf("the sample has no account with assumed coverage: the test tests nothing (%v)", local)
	}
}
