package reports

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

// The Coverage sheet is a grid: one row per account and region, one column
// per day from the lead-in day before the window to the as-of's day, each
// day "covered" (the engine returned a cell with records that day) or "gap"
// (a day the window needs and the region has no records). The rule is
// pipeline/findings/coverage.go's: a region with records in the days read
// must have records every day from the window start's day to the day 24
// hours before the as-of. Without digest files nothing is proven hour by
// hour, so coverage is at best "assumed".

// Coverage states of a grid day and of an account.
const (
	DayCovered = "covered"
	DayGap     = "gap"
	// DayVerified: the region's digest chain is unbroken over the window,
	// so the day's log files (or their absence) are proven complete.
	DayVerified = "verified"

	CoverageAssumed = "assumed (no digest files: every region with logs has records every day)"
	// CoverageAssumedLake: a CloudTrail Lake event data store has no digest
	// files at all, so a Lake run can never prove coverage, only assume it.
	CoverageAssumedLake = "assumed (CloudTrail Lake has no digest files: coverage is taken from the event cells, every region with events has events every day)"
	CoverageIncomplete  = "incomplete"
	// CoverageProven: every region of the account has an unbroken digest
	// chain with every listed file present and unchanged. Read from disk,
	// where S3 keeps no signature, the digests' signatures are not checked.
	CoverageProven = "proven (digests; signatures not checked: read from disk)"
)

// coverageGridRow is one account and region of the grid, with the span of
// its records.
type coverageGridRow struct {
	span tables.Coverage      // account, region, first and last event, records; no hour
	days map[int64]bool       // UTC day numbers with a cell
	gaps int                  // required days without a cell
	hour bool                 // the rows carried hours (cells): days are known
	note string               // what the row's span means for the findings
	cov  *accountCoverageInfo // the account's verdict
	// proven: the digests prove the region's every hour (tables.DigestProven);
	// digestGaps are the days digest problems leave unproven.
	proven     bool
	digestGaps map[int64]bool
}

// accountCoverageInfo is an account's coverage verdict for the Summary.
type accountCoverageInfo struct {
	status string
	gaps   int // gap days over every region
	// regions whose digests prove them, and regions they do not
	proven, unproven int
}

// coverageDays are the grid's columns: the lead-in day to the as-of's day,
// and the days a region must cover.
func coverageDays(in *Input) (first, last, needFrom, needTo int64) {
	ws := in.WindowStart()
	needFrom = dayNum(ws)
	needTo = max(needFrom, dayNum(in.AsOf.Add(-24*time.Hour)))
	return needFrom - 1, dayNum(in.AsOf), needFrom, needTo
}

func dayNum(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

// coverageGrid folds the coverage cells into grid rows, one per account and
// region, an empty row for every assessed account without records, and the
// verdict per account.
func coverageGrid(in *Input) ([]*coverageGridRow, map[string]*accountCoverageInfo) {
	first, last, needFrom, needTo := coverageDays(in)
	ws := in.WindowStart()
	byKey := map[[2]string]*coverageGridRow{}
	seen := map[string]bool{}
	for _, c := range in.Coverage {
		k := [2]string{c.AccountID, c.Region}
		seen[c.AccountID] = true
		r := byKey[k]
		if r == nil {
			r = &coverageGridRow{span: tables.Coverage{AccountID: c.AccountID, Region: c.Region}, days: map[int64]bool{}}
			byKey[k] = r
		}
		s := &r.span
		if !c.FirstEvent.IsZero() && (s.FirstEvent.IsZero() || c.FirstEvent.Before(s.FirstEvent)) {
			s.FirstEvent = c.FirstEvent
		}
		if c.LastEvent.After(s.LastEvent) {
			s.LastEvent = c.LastEvent
		}
		s.Events += c.Events
		if !c.Hour.IsZero() {
			r.hour = true
			if d := dayNum(c.Hour); d >= first && d <= last {
				r.days[d] = true
			}
		}
	}
	// Digests (tables.LogFile rows checked against them): a region they
	// prove or find a problem in has a row even with no records at all.
	proven := tables.DigestProven(in.LogFiles)
	problems := tables.DigestProblems(in.LogFiles)
	digestGaps := map[[2]string]map[int64]bool{}
	for _, f := range in.LogFiles {
		if f.GapStart.IsZero() {
			continue
		}
		k := [2]string{f.AccountID, f.Region}
		if digestGaps[k] == nil {
			digestGaps[k] = map[int64]bool{}
		}
		for d := dayNum(f.GapStart); d <= dayNum(f.GapEnd.Add(-time.Nanosecond)); d++ {
			digestGaps[k][d] = true
		}
	}
	row := func(account, region string) *coverageGridRow {
		k := [2]string{account, region}
		if byKey[k] == nil {
			byKey[k] = &coverageGridRow{span: tables.Coverage{AccountID: account, Region: region}, days: map[int64]bool{}, hour: true}
		}
		seen[account] = true
		return byKey[k]
	}
	for acct, regions := range proven {
		for region := range regions {
			row(acct, region).proven = true
		}
	}
	for k, days := range digestGaps {
		row(k[0], k[1]).digestGaps = days
	}
	for _, a := range in.Accounts {
		if !a.Assessed {
			continue
		}
		if !seen[a.AccountID] {
			seen[a.AccountID] = true
			byKey[[2]string{a.AccountID, ""}] = &coverageGridRow{span: tables.Coverage{AccountID: a.AccountID}, days: map[int64]bool{}}
		}
	}
	rows := slices.Collect(maps.Values(byKey))
	slices.SortFunc(rows, func(a, b *coverageGridRow) int {
		return cmp.Or(cmp.Compare(a.span.AccountID, b.span.AccountID), cmp.Compare(a.span.Region, b.span.Region))
	})

	accounts := map[string]*accountCoverageInfo{}
	spans := map[string]tables.Coverage{}
	for _, r := range rows {
		id := r.span.AccountID
		if accounts[id] == nil {
			accounts[id] = &accountCoverageInfo{}
		}
		r.cov = accounts[id]
		s := spans[id]
		if !r.span.FirstEvent.IsZero() && (s.FirstEvent.IsZero() || r.span.FirstEvent.Before(s.FirstEvent)) {
			s.FirstEvent = r.span.FirstEvent
		}
		s.LastEvent = later(s.LastEvent, r.span.LastEvent)
		spans[id] = s
		r.note = coverageNote(r.span, ws)
		// A region that has records in the days read (or, without hours,
		// any records) must cover every needed day; the region nobody
		// named cannot be placed and demands nothing.
		if r.proven {
			r.cov.proven++
		} else if r.span.Region != "" {
			r.cov.unproven++
		}
		for d := range r.digestGaps {
			if d >= needFrom && d <= needTo {
				r.gaps++
			}
		}
		if r.proven || r.span.Region == "" || (r.hour && len(r.days) == 0) || (!r.hour && r.span.FirstEvent.IsZero()) {
			r.cov.gaps += r.gaps
			continue
		}
		for d := needFrom; d <= needTo; d++ {
			if !r.days[d] && !r.digestGaps[d] {
				r.gaps++
			}
		}
		r.cov.gaps += r.gaps
	}
	// The findings know what the cells alone cannot (a region where the
	// credential report places a key's use but no log file exists): a gap
	// they name makes the account's coverage incomplete too.
	named := map[string]bool{}
	for _, f := range in.Findings {
		if !named[f.AccountID] && slices.ContainsFunc(f.Reasons, func(r string) bool { return strings.HasPrefix(r, "trail coverage gap") }) {
			named[f.AccountID] = true
			if accounts[f.AccountID] == nil {
				accounts[f.AccountID] = &accountCoverageInfo{}
			}
		}
	}
	for id, a := range accounts {
		s := spans[id]
		switch {
		case len(problems[id]) > 0:
			a.status = fmt.Sprintf("%s: the digests show %d missing or changed files or chain gaps", CoverageIncomplete, len(problems[id]))
		case a.proven > 0 && a.unproven == 0 && a.gaps == 0 && !named[id]:
			a.status = CoverageProven
		case s.FirstEvent.IsZero():
			a.status = CoverageIncomplete + ": no CloudTrail events"
		case s.FirstEvent.After(ws):
			a.status = CoverageIncomplete + ": the trail starts after the window start"
		case s.LastEvent.Before(in.AsOf.Add(-24 * time.Hour)):
			a.status = CoverageIncomplete + ": the trail ends more than a day before as-of"
		case a.gaps > 0:
			a.status = fmt.Sprintf("%s: %d region-days without records", CoverageIncomplete, a.gaps)
		case named[id]:
			a.status = CoverageIncomplete + ": the findings name a gap (a region without log files)"
		case in.Engine == "lake":
			a.status = CoverageAssumedLake
		default:
			a.status = CoverageAssumed
		}
	}
	return rows, accounts
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// accountCoverageStatus is the Summary's line for an account's coverage;
// empty when the account has neither records nor an assessment.
func accountCoverageStatus(accounts map[string]*accountCoverageInfo, account string) string {
	if a := accounts[account]; a != nil {
		return a.status
	}
	return ""
}

func writeCoverageGrid(ctx context.Context, wb *workbook, in *Input) error {
	rows, _ := coverageGrid(in)
	first, last, needFrom, needTo := coverageDays(in)
	cols := []tableColumn{
		{title: TitleAccountID, kind: kText},
		{title: "Region", kind: kText},
		{title: "First event (UTC)", kind: kTime},
		{title: "Last event (UTC)", kind: kTime},
		{title: "Events", kind: kInt},
		{title: "Covers window start", kind: kBool},
		{title: "Gap days", kind: kInt},
		{title: "Account coverage", kind: kText},
		{title: "Note", kind: kText},
	}
	fixed := len(cols)
	for d := first; d <= last; d++ {
		cols = append(cols, tableColumn{title: time.Unix(d*86400, 0).UTC().Format(time.DateOnly), kind: kText, width: 9})
	}
	ws := in.WindowStart()
	t := &table{
		sheet: SheetCoverage, rows: len(rows), cols: cols, freezeCols: 2,
		after: wb.logFilesSection(in),
		fill: func(i int, out []cell) {
			r := rows[i]
			c := r.span
			region := c.Region
			if region == "" {
				region = AllRegions
			}
			out[0], out[1], out[2], out[3] = cell{s: c.AccountID}, cell{s: region}, cell{t: c.FirstEvent}, cell{t: c.LastEvent}
			out[4] = cell{n: c.Events}
			out[5] = cell{b: !c.FirstEvent.IsZero() && !c.FirstEvent.After(ws)}
			out[6] = cell{n: int64(r.gaps)}
			out[7] = cell{s: r.cov.status}
			out[8] = cell{s: r.note}
			for d := first; d <= last; d++ {
				v := ""
				switch {
				case r.digestGaps[d] && d >= needFrom && d <= needTo:
					v = DayGap
				case r.proven && d >= needFrom && d <= needTo:
					v = DayVerified
				case r.days[d]:
					v = DayCovered
				case d >= needFrom && d <= needTo && r.gaps > 0:
					v = DayGap
				}
				out[fixed+int(d-first)] = cell{s: v}
			}
		},
		prepare: func(lastRow int) error {
			if lastRow < 2 {
				return nil
			}
			ref := cellName(fixed+1, 2) + ":" + cellName(len(cols), lastRow)
			red, green := wb.styles.cfRed, wb.styles.cfGreen
			opts := []excelize.ConditionalFormatOptions{
				{Type: "cell", Criteria: "==", Value: strconv.Quote(DayGap), Format: &red},
				{Type: "cell", Criteria: "==", Value: strconv.Quote(DayCovered), Format: &green},
				{Type: "cell", Criteria: "==", Value: strconv.Quote(DayVerified), Format: &green},
			}
			if err := wb.f.SetConditionalFormat(SheetCoverage, ref, opts); err != nil {
				return fmt.Errorf("setting the coverage grid's colours on %s: %w", ref, err)
			}
			return nil
		},
	}
	return wb.writeTable(ctx, t)
}
