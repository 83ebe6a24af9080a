package findings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// What the trails record. A user is only as visible as the trails of its
// account make it: "no events" means "not used" only for the events some
// trail records, in the regions and hours it was logging. The rule, applied
// to every candidate (users whose report or events prove use in the window
// are active before it is reached):
//
//   - an account's trails are combined: any trail recording a kind of event
//     suffices;
//   - no trail recording management events, no trail recording read-only
//     (or write) management events, an event source every trail excludes
//     (kms.amazonaws.com, rdsdata.amazonaws.com), only single-region trails,
//     or a time inside the window when no trail was logging (StopLogging)
//     sends the candidate to review, naming the gap;
//   - an account whose trail settings were not given is not sent to review
//     for it: the report says "trail settings unknown" for that account.

// TrailSettingsUnknown is what the reports say of an account whose trail
// settings were not given (a file run without --trail-description, or a
// live run that could not read them).
const TrailSettingsUnknown = "trail settings unknown"

// TrailGaps lists what the trails of one account fail to record over the
// window [start, end], each naming the gap and why it matters; empty when
// they record every management event, in every region, all the time.
func TrailGaps(account string, trails []tables.Trail, start, end time.Time) []string {
	if len(trails) == 0 {
		return []string{fmt.Sprintf("account %s has no CloudTrail trail: none of its events are recorded, so any user would look unused", account)}
	}
	var mgmt []*tables.Trail
	for i := range trails {
		if trails[i].ManagementEvents {
			mgmt = append(mgmt, &trails[i])
		}
	}
	if len(mgmt) == 0 {
		return []string{fmt.Sprintf("trails of %s record no management events: any user would look unused", account)}
	}
	var out []string
	read := slices.ContainsFunc(mgmt, func(t *tables.Trail) bool { return t.ReadOnlyRecorded })
	write := slices.ContainsFunc(mgmt, func(t *tables.Trail) bool { return t.WriteOnlyRecorded })
	switch {
	case !read && !write:
		out = append(out, fmt.Sprintf("trails of %s record neither read-only nor write management events: any user would look unused", account))
	case !read:
		out = append(out, fmt.Sprintf("trails of %s record only write management events: a user who only reads (List, Describe, Get) would look unused", account))
	case !write:
		out = append(out, fmt.Sprintf("trails of %s record only read-only management events: a user who only makes changes would look unused", account))
	}
	// A source is missing only when every management trail excludes it.
	excluded := slices.Clone(mgmt[0].ExcludedSources)
	for _, t := range mgmt[1:] {
		excluded = slices.DeleteFunc(excluded, func(s string) bool { return !slices.Contains(t.ExcludedSources, s) })
	}
	slices.Sort(excluded)
	for _, s := range slices.Compact(excluded) {
		out = append(out, fmt.Sprintf("trails of %s exclude %s events: a user who only calls %s (e.g. only decrypts) would look unused", account, s, s))
	}
	if !slices.ContainsFunc(mgmt, func(t *tables.Trail) bool { return t.MultiRegion }) {
		var regions []string
		for _, t := range mgmt {
			regions = append(regions, t.HomeRegion)
		}
		slices.Sort(regions)
		out = append(out, fmt.Sprintf("trails of %s are single-region and record only %s: a user active in another region would look unused",
			account, strings.Join(slices.Compact(regions), ", ")))
	}
	for _, g := range loggingGaps(mgmt, start, end) {
		out = append(out, fmt.Sprintf("no trail of %s was logging from %s to %s (GetTrailStatus start/stop logging times): a user active then would look unused",
			account, rfc3339(g[0]), rfc3339(g[1])))
	}
	return out
}

// loggingGaps are the spans of [start, end] when none of the trails was
// logging, from each trail's latest StartLogging and StopLogging.
func loggingGaps(trails []*tables.Trail, start, end time.Time) [][2]time.Time {
	var spans [][2]time.Time
	for _, t := range trails {
		spans = append(spans, loggingSpans(t, start, end)...)
	}
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return cmp.Or(a[0].Compare(b[0]), a[1].Compare(b[1])) })
	var gaps [][2]time.Time
	at := start
	for _, s := range spans {
		if s[0].After(at) {
			gaps = append(gaps, [2]time.Time{at, s[0]})
		}
		if s[1].After(at) {
			at = s[1]
		}
	}
	if end.After(at) {
		gaps = append(gaps, [2]time.Time{at, end})
	}
	return gaps
}

// loggingSpans are the parts of [start, end] a trail was logging. Only the
// latest start and stop are known: before a stop the trail is taken to have
// logged since the window start (the logs' own coverage checks that time);
// a trail logging since a start inside the window, with no stop before it,
// began then.
func loggingSpans(t *tables.Trail, start, end time.Time) [][2]time.Time {
	var out [][2]time.Time
	add := func(from, to time.Time) {
		from, to = later(from, start), earlier(to, end)
		if from.Before(to) {
			out = append(out, [2]time.Time{from, to})
		}
	}
	st, sp := t.StartLogging, t.StopLogging
	switch {
	case t.IsLogging:
		if !sp.IsZero() && sp.Before(st) {
			add(start, sp)
		}
		add(st, end)
	case !sp.IsZero():
		from := start
		if st.Before(sp) {
			from = st
		}
		add(from, sp)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// trailGapsByAccount computes TrailGaps once per account whose settings are
// known (Options.Trails); accounts not in it get none.
func trailGapsByAccount(opts Options) map[string][]string {
	out := make(map[string][]string, len(opts.Trails))
	for account, trails := range opts.Trails {
		if gaps := TrailGaps(account, trails, opts.WindowStart(), opts.AsOf); len(gaps) > 0 {
			out[account] = gaps
		}
	}
	return out
}
