package reports

import (
	"strings"
	"time"
)

// htmlCoverageAccount is one account's scope, evidence freshness and trail
// coverage: the verdict of the workbook's Coverage sheet and its grid.
type htmlCoverageAccount struct {
	AccountID       string
	Assessed        string
	Error           string
	ReportAt        string
	ReportFresh     string
	Status          string // coverage verdict, as the workbook's Summary states it
	Incomplete      bool
	Gaps            int
	Users           int
	Regions         []htmlCoverageRegion
	ProvenRegions   int
	UnprovenRegions int
}

// htmlCoverageRegion is one row of the grid: a region (or the account as a
// whole) and its days, drawn as a strip of squares.
type htmlCoverageRegion struct {
	Region      string
	FirstEvent  string
	LastEvent   string
	Events      int64
	CoversStart bool
	Gaps        int
	Note        string
	Width       int
	Days        []htmlCoverageDay
}

type htmlCoverageDay struct {
	X     int
	Date  string
	State string // DayCovered, DayVerified, DayGap, or "" (not needed, no records)
}

const coverageCell = 7 // SVG units per day square, gap included

func htmlCoverage(in *Input, stats *summaryStats) ([]htmlCoverageAccount, []string) {
	rows, verdicts := coverageGrid(in) // xlsx_coverage.go: the workbook's rule
	first, last, needFrom, needTo := coverageDays(in)
	var labels []string
	for d := first; d <= last; d++ {
		labels = append(labels, time.Unix(d*86400, 0).UTC().Format(time.DateOnly))
	}
	ws := in.WindowStart()
	var out []htmlCoverageAccount
	index := map[string]int{}
	for _, a := range stats.accounts {
		assessed := "yes"
		switch {
		case !a.inScope:
			assessed = "not in scope list"
		case !a.scope.Assessed:
			assessed = "no"
		}
		gen := a.scope.ReportGeneratedAt
		if gen.IsZero() {
			gen = a.reportGen
		}
		fresh := ""
		switch {
		case !gen.IsZero(), a.scope.Assessed && a.users > 0 && a.reportGiven:
			fresh = reportFreshness(in, gen, a.notBefore)
		case a.scope.Assessed && a.users > 0:
			fresh = "no credential report given: candidates are review"
		}
		c := htmlCoverageAccount{
			AccountID: a.scope.AccountID, Assessed: assessed, Error: a.scope.Error,
			ReportAt: FormatTime(gen), ReportFresh: fresh, Users: a.users,
		}
		if v := verdicts[a.scope.AccountID]; v != nil {
			c.Status, c.Gaps, c.ProvenRegions, c.UnprovenRegions = v.status, v.gaps, v.proven, v.unproven
			c.Incomplete = strings.HasPrefix(v.status, CoverageIncomplete)
		}
		index[c.AccountID] = len(out)
		out = append(out, c)
	}
	for _, r := range rows {
		i, ok := index[r.span.AccountID]
		if !ok {
			// Coverage for an account with no findings and not in scope:
			// still shown, so no gap is hidden.
			index[r.span.AccountID] = len(out)
			i = len(out)
			c := htmlCoverageAccount{AccountID: r.span.AccountID, Assessed: "not in scope list"}
			if v := verdicts[r.span.AccountID]; v != nil {
				c.Status, c.Gaps = v.status, v.gaps
			}
			out = append(out, c)
		}
		region := r.span.Region
		if region == "" {
			region = AllRegions
		}
		g := htmlCoverageRegion{
			Region: region, FirstEvent: FormatTime(r.span.FirstEvent), LastEvent: FormatTime(r.span.LastEvent),
			Events: r.span.Events, CoversStart: !r.span.FirstEvent.IsZero() && !r.span.FirstEvent.After(ws),
			Gaps: r.gaps, Note: r.note, Width: int(last-first+1) * coverageCell,
		}
		for d := first; d <= last; d++ {
			g.Days = append(g.Days, htmlCoverageDay{
				X: int(d-first) * coverageCell, Date: labels[d-first], State: coverageDayState(r, d, needFrom, needTo),
			})
		}
		out[i].Regions = append(out[i].Regions, g)
	}
	return out, labels
}

// coverageDayState is a grid day's state as the workbook's Coverage sheet
// writes it (writeCoverageGrid): a digest gap, a digest-proven day, a day
// with records, or a needed day of a region with gaps.
func coverageDayState(r *coverageGridRow, d, needFrom, needTo int64) string {
	needed := d >= needFrom && d <= needTo
	switch {
	case r.digestGaps[d] && needed:
		return DayGap
	case r.proven && needed:
		return DayVerified
	case r.days[d]:
		return DayCovered
	case needed && r.gaps > 0:
		return DayGap
	}
	return ""
}

// Title is a grid square's tooltip.
func (d htmlCoverageDay) Title() string {
	if d.State == "" {
		return d.Date + ": no records"
	}
	return d.Date + ": " + d.State
}
