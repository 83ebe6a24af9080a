package reports

import (
	"slices"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// dailyCoverage is a region's cells as an engine returns them: one a day
// from first's day to last's day, the first starting at first, the last
// ending at last, events records in all (at least one a day).
func dailyCoverage(account, region string, first, last time.Time, events int64) []tables.Coverage {
	var out []tables.Coverage
	for d := first.Truncate(24 * time.Hour); !d.After(last); d = d.Add(24 * time.Hour) {
		at := d.Add(12 * time.Hour)
		if d.Equal(first.Truncate(24 * time.Hour)) {
			at = first
		}
		c := tables.Coverage{AccountID: account, Region: region, Hour: at.Truncate(time.Hour), FirstEvent: at, LastEvent: at, Events: 1}
		if !d.Before(last.Truncate(24 * time.Hour)) {
			c.Hour, c.LastEvent = last.Truncate(time.Hour), last
			if c.FirstEvent.After(last) {
				c.FirstEvent = last
			}
		}
		out = append(out, c)
	}
	out[len(out)-1].Events += events - int64(len(out))
	return out
}

// The Coverage sheet's grid, read back: every day of the lead-in to the
// as-of per account and region, gaps where a region with logs has none,
// and the Summary's verdict per account.
func TestXLSXCoverageGrid(t *testing.T) {
	in := sampleInput()
	asOf := in.AsOf
	ws := in.WindowStart()
	// 111's eu-west-1 loses 2026-09-03..09: seven gap days, and an eighth,
	// 2026-10-31, after its last record.
	var cells []tables.Coverage
	for _, c := range in.Coverage {
		if c.AccountID == "111111111111" && c.Region == "eu-west-1" {
			if d := c.Hour.Format(time.DateOnly); d >= "2026-09-03" && d <= "2026-09-09" {
				continue
			}
		}
		cells = append(cells, c)
	}
	in.Coverage = cells
	f := openXLSX(t, writeXLSX(t, in))
	_, rows := byTitle(t, f, SheetCoverage)
	rows = coverageTableRows(rows) // the log files section follows below
	if len(rows) != 4 {
		t.Fatalf("Coverage has %d rows, want 4: %v", len(rows), rows)
	}
	eu, us := rows[0], rows[1]
	if eu["Region"] != "eu-west-1" || eu["Gap days"] != "8" || eu["2026-09-02"] != DayCovered || eu["2026-09-03"] != DayGap || eu["2026-09-09"] != DayGap || eu["2026-09-10"] != DayCovered || eu["2026-10-31"] != DayGap {
		t.Errorf("eu-west-1 row = %v: want days 2026-09-03..09 gaps, the days around covered", eu)
	}
	if want := "incomplete: 8 region-days without records"; eu["Account coverage"] != want || us["Account coverage"] != want {
		t.Errorf("111's verdict = %q / %q, want %q", eu["Account coverage"], us["Account coverage"], want)
	}
	for d := ws.Add(-24 * time.Hour); !d.After(asOf.Add(-24 * time.Hour)); d = d.Add(24 * time.Hour) {
		if v := us[d.Format(time.DateOnly)]; v != DayCovered {
			t.Errorf("us-east-1 on %s = %q, want covered", d.Format(time.DateOnly), v)
		}
	}
	if rows[3][TitleAccountID] != "333333333333" || rows[3]["Account coverage"] != "incomplete: no CloudTrail events" {
		t.Errorf("333's row = %v", rows[3])
	}

	// The Summary's scope table says it in one line per account.
	summary, err := f.GetRows(SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	for _, r := range summary {
		if len(r) == len(scopeHeader) && (r[0] == "111111111111" || r[0] == "333333333333") {
			verdicts[r[0]] = r[len(r)-1]
		}
	}
	if verdicts["111111111111"] != "incomplete: 8 region-days without records" || verdicts["333333333333"] != "incomplete: no CloudTrail events" {
		t.Errorf("Summary coverage lines = %q", verdicts)
	}

	// Every region every day (111 without eu-west-1): assumed, as no
	// digest files prove it.
	in = sampleInput()
	in.Coverage = slices.DeleteFunc(in.Coverage, func(c tables.Coverage) bool { return c.Region == "eu-west-1" })
	f = openXLSX(t, writeXLSX(t, in))
	_, rows = byTitle(t, f, SheetCoverage)
	if rows[0]["Account coverage"] != CoverageAssumed || rows[0]["Gap days"] != "0" {
		t.Errorf("111 with every day covered: %q, %s gap days; want %q", rows[0]["Account coverage"], rows[0]["Gap days"], CoverageAssumed)
	}

	// A gap only the findings know (a region without any log file, where
	// the credential report places a key's use) makes it incomplete.
	in.Findings = slices.Clone(in.Findings)
	for i := range in.Findings {
		if in.Findings[i].AccountID == "111111111111" {
			in.Findings[i].Reasons = append(slices.Clone(in.Findings[i].Reasons), "trail coverage gap for account 111111111111 in eu-west-1: 2026-08-03..2026-10-31 (90 days)")
			break
		}
	}
	f = openXLSX(t, writeXLSX(t, in))
	_, rows = byTitle(t, f, SheetCoverage)
	if want := CoverageIncomplete + ": the findings name a gap (a region without log files)"; rows[0]["Account coverage"] != want {
		t.Errorf("111 with a gap the findings name: %q, want %q", rows[0]["Account coverage"], want)
	}
}
