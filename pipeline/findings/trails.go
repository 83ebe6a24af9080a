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
//   - an account's trails are combined per kind of event (read-only, write):
//     a kind is recorded everywhere, all the time, when the multi-region
//     trails recording it do so together, so one trail's reads cannot make
//     up for another's excluded source, home region or stop;
//   - no trail recording management events, no trail recording read-only
//     (or write) management events, an event source every multi-region
//     trail recording a kind excludes (kms.amazonaws.com,
//     rdsdata.amazonaws.com), only single-region trails recording a kind,
//     or a time inside the window when none of them was logging
//     (StopLogging) sends the candidate to review, naming the gap;
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
	// Each kind of event is seen everywhere only through the multi-region
	// trails that record it: a trail's exclusions, region and stops count
	// for what it records, so two trails each missing a different part
	// (reads without KMS beside writes with it) leave that part unrecorded.
	type kindGaps struct {
		single   []string // home regions, when no multi-region trail records the kind
		excluded []string
		stopped  [][2]time.Time
	}
	perKind := map[string]*kindGaps{}
	for _, k := range []struct {
		name string
		rec  func(*tables.Trail) bool
	}{
		{"read-only", func(t *tables.Trail) bool { return t.ReadOnlyRecorded }},
		{"write", func(t *tables.Trail) bool { return t.WriteOnlyRecorded }},
	} {
		var multi []*tables.Trail
		g := &kindGaps{}
		for _, t := range mgmt {
			switch {
			case !k.rec(t):
			case t.MultiRegion:
				multi = append(multi, t)
			default:
				g.single = append(g.single, t.HomeRegion)
			}
		}
		if len(multi) == 0 {
			if len(g.single) == 0 {
				continue // no trail records the kind: said above
			}
			slices.Sort(g.single)
			g.single = slices.Compact(g.single)
			perKind[k.name] = g
			continue
		}
		g.single = nil
		// A source is missing only when every such trail excludes it.
		g.excluded = slices.Clone(multi[0].ExcludedSources)
		for _, t := range multi[1:] {
			g.excluded = slices.DeleteFunc(g.excluded, func(s string) bool { return !slices.Contains(t.ExcludedSources, s) })
		}
		slices.Sort(g.excluded)
		g.excluded = slices.Compact(g.excluded)
		g.stopped = loggingGaps(multi, start, end)
		perKind[k.name] = g
	}
	r, w := perKind["read-only"], perKind["write"]
	// What both kinds miss alike is said once, as for one trail.
	both := r != nil && w != nil
	if both && len(r.single) > 0 && slices.Equal(r.single, w.single) {
		out = append(out, fmt.Sprintf("trails of %s are single-region and record only %s: a user active in another region would look unused",
			account, strings.Join(r.single, ", ")))
		r.single, w.single = nil, nil
	}
	if both {
		for _, s := range slices.Clone(r.excluded) {
			if slices.Contains(w.excluded, s) {
				out = append(out, fmt.Sprintf("trails of %s exclude %s events: a user who only calls %s (e.g. only decrypts) would look unused", account, s, s))
				r.excluded = slices.DeleteFunc(r.excluded, func(x string) bool { return x == s })
				w.excluded = slices.DeleteFunc(w.excluded, func(x string) bool { return x == s })
			}
		}
		for _, g := range slices.Clone(r.stopped) {
			if slices.Contains(w.stopped, g) {
				out = append(out, fmt.Sprintf("no trail of %s was logging from %s to %s (GetTrailStatus start/stop logging times): a user active then would look unused",
					account, rfc3339(g[0]), rfc3339(g[1])))
				r.stopped = slices.DeleteFunc(r.stopped, func(x [2]time.Time) bool { return x == g })
				w.stopped = slices.DeleteFunc(w.stopped, func(x [2]time.Time) bool { return x == g })
			}
		}
	}
	for _, k := range []struct {
		name, who, via string
		g              *kindGaps
	}{{"read-only", "only reads", "only reads from %s (e.g. only decrypts)", r}, {"write", "only makes changes", "only makes changes through %s", w}} {
		if k.g == nil {
			continue
		}
		if len(k.g.single) > 0 {
			out = append(out, fmt.Sprintf("trails of %s that record %s management events are single-region and record only %s: a user who %s in another region would look unused",
				account, k.name, strings.Join(k.g.single, ", "), k.who))
		}
		for _, s := range k.g.excluded {
			out = append(out, fmt.Sprintf("trails of %s that record %s management events exclude %s events: a user who %s would look unused",
				account, k.name, s, fmt.Sprintf(k.via, s)))
		}
		for _, g := range k.g.stopped {
			out = append(out, fmt.Sprintf("no trail of %s recording %s management events was logging from %s to %s (GetTrailStatus start/stop logging times): a user who %s then would look unused",
				account, k.name, rfc3339(g[0]), rfc3339(g[1]), k.who))
		}
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
