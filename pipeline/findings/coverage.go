package findings

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// This file decides an account's trail coverage from the engines' cells
// (one tables.Coverage row per account, region and hour with records). "No
// events" means "not used" only where the logs for that time and place
// exist, so an account's candidates go to review, the reason naming the
// gap, when:
//   - the account has no records at all;
//   - its earliest record is after the window start S (the lead-in day
//     before S, which the engines read, must show the trail running);
//   - its latest record is more than a day before the as-of;
//   - a region that has records anywhere in the days read (the day before S
//     to the day after the as-of) lacks a cell on a day of the window, from
//     S's day to the day 24 hours before the as-of (the as-of's own day may
//     have barely begun; the last-record rule above covers the tail):
//     CloudTrail logs without digest files prove nothing about an hour
//     without events, but a region with logs that goes a whole day without
//     one is a gap;
//   - a region where the credential report shows one of the account's
//     access keys last used inside the days read has no log files at all
//     (a trail missing a whole region's folders cannot be seen from the
//     cells alone).

// Limits on a coverage reason's length: the workbook shows reasons in one
// cell, and a trail that lost a region for months would otherwise list
// every day.
const (
	maxGapRanges  = 5 // ranges of missing days named per region
	maxGapRegions = 8 // regions named per account
)

// coverageIndex holds each account's cells, indexed for the coverage rules,
// and the reasons once computed (every candidate of an account gets the same).
type coverageIndex struct {
	windowStart, asOf time.Time
	accounts          map[string]*accountCells
	reasons           map[string][]string
	proven            map[string]map[string]bool // regions whose digest chain is unbroken (digest.go)
}

// accountCells is what the cells say about one account.
type accountCells struct {
	first, last time.Time // earliest and latest record time, over every cell
	// days has, per region, the days (Unix day numbers) that have a cell.
	days map[string]map[int64]bool
	// regions are the regions with records in the days read: each must
	// have a cell on every day of the window.
	regions map[string]bool
	// keyUse has, per region without any cell, the latest access key use
	// the credential report places there inside the days read.
	keyUse map[string]time.Time
}

func newCoverageIndex(rows []tables.Coverage, windowStart, asOf time.Time) *coverageIndex {
	ci := &coverageIndex{windowStart: windowStart, asOf: asOf, accounts: map[string]*accountCells{}, reasons: map[string][]string{}}
	readFrom, readTo := dayNumber(windowStart)-1, dayNumber(asOf)+1
	for _, r := range rows {
		a := ci.accounts[r.AccountID]
		if a == nil {
			a = &accountCells{days: map[string]map[int64]bool{}, regions: map[string]bool{}}
			ci.accounts[r.AccountID] = a
		}
		// A row without times says nothing about the span; an account with
		// only such rows counts as having no events.
		if !r.FirstEvent.IsZero() && (a.first.IsZero() || r.FirstEvent.Before(a.first)) {
			a.first = r.FirstEvent
		}
		if r.LastEvent.After(a.last) {
			a.last = r.LastEvent
		}
		// A record whose region nobody knows (neither the record nor its
		// file's folder names one) cannot be placed, so it neither proves
		// nor demands a region's days.
		if r.Region == "" {
			continue
		}
		if r.Hour.IsZero() {
			// A row without its hour (a run recorded before cells existed)
			// shows the region has logs but proves no day of it.
			if !r.FirstEvent.IsZero() && dayNumber(r.FirstEvent) <= readTo && dayNumber(r.LastEvent) >= readFrom {
				a.regions[r.Region] = true
			}
			continue
		}
		d := dayNumber(r.Hour)
		if d < readFrom || d > readTo {
			continue
		}
		a.regions[r.Region] = true
		if a.days[r.Region] == nil {
			a.days[r.Region] = map[int64]bool{}
		}
		a.days[r.Region][d] = true
	}
	return ci
}

// expectRegionsOf records, per account, the regions where the credential
// report shows an access key last used inside the days read: the trail must
// have logs there. Call it before the first accountReasons.
func (ci *coverageIndex) expectRegionsOf(users []tables.User) {
	readFrom, readTo := dayNumber(ci.windowStart)-1, dayNumber(ci.asOf)+1
	for i := range users {
		u := &users[i]
		for _, k := range [...]struct {
			used   time.Time
			region string
		}{{u.Key1LastUsed, u.Key1LastUsedRegion}, {u.Key2LastUsed, u.Key2LastUsedRegion}} {
			// "N/A" is how the report spells a use without a region (S3, or none).
			if k.used.IsZero() || k.region == "" || k.region == "N/A" {
				continue
			}
			if d := dayNumber(k.used); d < readFrom || d > readTo {
				continue
			}
			a := ci.accounts[u.AccountID]
			if a == nil {
				a = &accountCells{days: map[string]map[int64]bool{}, regions: map[string]bool{}}
				ci.accounts[u.AccountID] = a
			}
			if a.regions[k.region] {
				continue
			}
			if a.keyUse == nil {
				a.keyUse = map[string]time.Time{}
			}
			if k.used.After(a.keyUse[k.region]) {
				a.keyUse[k.region] = k.used
			}
		}
	}
}

// dayNumber is t's UTC day, counted from 1970-01-01.
func dayNumber(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

func dayOf(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }

// accountReasons lists why account's trail coverage does not prove the
// window; empty when it does.
func (ci *coverageIndex) accountReasons(account string) []string {
	if r, ok := ci.reasons[account]; ok {
		return r
	}
	r := ci.compute(account)
	ci.reasons[account] = r
	return r
}

func (ci *coverageIndex) compute(account string) []string {
	S, asOf := ci.windowStart, ci.asOf
	a := ci.accounts[account]
	if a == nil || (a.first.IsZero() && a.last.IsZero() && len(a.days) == 0 && len(a.regions) == 0) {
		return []string{fmt.Sprintf("no CloudTrail events for account %s in the data", account)}
	}
	var out []string
	if a.first.IsZero() || a.first.After(S) {
		out = append(out, fmt.Sprintf("trail coverage for account %s starts %s, after window start %s", account, rfc3339OrUnknown(a.first), rfc3339(S)))
	}
	if a.last.Before(asOf.Add(-day)) {
		out = append(out, fmt.Sprintf("trail coverage for account %s ends %s, more than a day before as-of", account, rfc3339OrUnknown(a.last)))
	}
	regions := slices.Sorted(maps.Keys(a.regions))
	for r := range a.keyUse {
		if !a.regions[r] {
			regions = append(regions, r)
		}
	}
	slices.Sort(regions)
	var gaps []string
	gapRegions := 0
	for _, region := range regions {
		if ci.proven[account][region] {
			continue // its digest chain proves the hours without log files empty
		}
		missing := missingDays(a.days[region], dayNumber(S), max(dayNumber(S), dayNumber(asOf.Add(-day))))
		if len(missing) == 0 {
			continue
		}
		gapRegions++
		if len(gaps) >= maxGapRegions {
			continue
		}
		why := ""
		if used, ok := a.keyUse[region]; ok && !a.regions[region] {
			why = fmt.Sprintf(" (no log files for the region, though the credential report shows an access key used there %s)", date(used))
		}
		gaps = append(gaps, fmt.Sprintf("trail coverage gap for account %s in %s: %s%s", account, region, describeGaps(missing), why))
	}
	if gapRegions > len(gaps) {
		gaps = append(gaps, fmt.Sprintf("trail coverage gaps for account %s in %d more regions", account, gapRegions-len(gaps)))
	}
	return append(out, gaps...)
}

// dayRange is a run of consecutive days, both inclusive.
type dayRange struct{ first, last int64 }

// missingDays lists the runs of days from first to last (inclusive) that
// have no cell.
func missingDays(have map[int64]bool, first, last int64) []dayRange {
	var out []dayRange
	for d := first; d <= last; d++ {
		if have[d] {
			continue
		}
		if n := len(out); n > 0 && out[n-1].last == d-1 {
			out[n-1].last = d
		} else {
			out = append(out, dayRange{d, d})
		}
	}
	return out
}

// describeGaps names the missing days as ranges with their length, the
// longest first when there are more than maxGapRanges (the rest counted).
func describeGaps(gaps []dayRange) string {
	total := int64(0)
	for _, g := range gaps {
		total += g.last - g.first + 1
	}
	shown := gaps
	if len(gaps) > maxGapRanges {
		shown = slices.Clone(gaps)
		slices.SortStableFunc(shown, func(a, b dayRange) int { return cmp.Compare(b.last-b.first, a.last-a.first) })
		shown = shown[:maxGapRanges]
		slices.SortFunc(shown, func(a, b dayRange) int { return cmp.Compare(a.first, b.first) })
	}
	parts := make([]string, 0, len(shown)+1)
	for _, g := range shown {
		n := g.last - g.first + 1
		if n == 1 {
			parts = append(parts, fmt.Sprintf("%s (1 day)", date(dayOf(g.first))))
		} else {
			parts = append(parts, fmt.Sprintf("%s..%s (%d days)", date(dayOf(g.first)), date(dayOf(g.last)), n))
		}
	}
	if len(shown) < len(gaps) {
		parts = append(parts, fmt.Sprintf("and %d more gaps (%d days missing in all)", len(gaps)-len(shown), total))
	}
	return strings.Join(parts, ", ")
}

func rfc3339OrUnknown(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return rfc3339(t)
}
