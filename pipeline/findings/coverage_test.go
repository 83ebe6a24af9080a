package findings

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// dailyCells is a region's coverage with one cell a day, at noon, from
// from's day to to's day (both inclusive), the first cell starting at from
// and the last ending at to, as an engine returns them.
func dailyCells(account, region string, from, to time.Time) []tables.Coverage {
	var out []tables.Coverage
	for d := from.UTC().Truncate(24 * time.Hour); !d.After(to); d = d.Add(24 * time.Hour) {
		c := tables.Coverage{AccountID: account, Region: region, Hour: d.Add(12 * time.Hour), Events: 10}
		c.FirstEvent, c.LastEvent = c.Hour.Add(time.Minute), c.Hour.Add(50*time.Minute)
		if d.Equal(from.UTC().Truncate(24 * time.Hour)) {
			c.Hour, c.FirstEvent = from.UTC().Truncate(time.Hour), from.UTC()
			c.LastEvent = c.FirstEvent
		}
		if !d.Before(to.UTC().Truncate(24 * time.Hour)) {
			c.Hour, c.LastEvent = to.UTC().Truncate(time.Hour), to.UTC()
			if c.FirstEvent.After(c.LastEvent) {
				c.FirstEvent = c.LastEvent
			}
		}
		out = append(out, c)
	}
	return out
}

// withoutDays drops the cells of the days from first to last (inclusive).
func withoutDays(cells []tables.Coverage, first, last time.Time) []tables.Coverage {
	var out []tables.Coverage
	for _, c := range cells {
		d := c.Hour.Truncate(24 * time.Hour)
		if d.Before(first) || d.After(last) {
			out = append(out, c)
		}
	}
	return out
}

func day0(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDescribeGaps(t *testing.T) {
	d := dayNumber(day0("2026-09-03"))
	tests := []struct {
		gaps []dayRange
		want string
	}{
		{[]dayRange{{d, d + 6}}, "2026-09-03..2026-09-09 (7 days)"},
		{[]dayRange{{d, d}, {d + 2, d + 3}}, "2026-09-03 (1 day), 2026-09-05..2026-09-06 (2 days)"},
		{
			// More ranges than named: the longest five, in date order, the rest counted.
			[]dayRange{{d, d}, {d + 2, d + 4}, {d + 6, d + 6}, {d + 8, d + 9}, {d + 11, d + 11}, {d + 13, d + 14}, {d + 16, d + 16}},
			"2026-09-03 (1 day), 2026-09-05..2026-09-07 (3 days), 2026-09-09 (1 day), 2026-09-11..2026-09-12 (2 days), " +
				"2026-09-16..2026-09-17 (2 days), and 2 more gaps (11 days missing in all)",
		},
	}
	for _, tt := range tests {
		if got := describeGaps(tt.gaps); got != tt.want {
			t.Errorf("describeGaps(%v):\n got %s\nwant %s", tt.gaps, got, tt.want)
		}
	}
}

// The three damaged trails of issue 14 each send the account's candidates
// to review, naming the gap; the intact trail does not.
func TestCoverageCells(t *testing.T) {
	inactive := func(u *tables.User) {
		u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, daysBefore(800), daysBefore(100)
	}
	base := []string{"last activity 2026-07-24 (access_key), 100 days before as-of"}
	withBase := func(r ...string) []string { return append(slices.Clone(base), r...) }
	east := dailyCells(acct, "us-east-1", winS.Add(-20*time.Hour), asOf.Add(-time.Hour))
	west := dailyCells(acct, "eu-west-1", winS.Add(-20*time.Hour), asOf.Add(-2*time.Hour))
	both := append(append([]tables.Coverage(nil), east...), west...)
	tests := []classifyCase{
		{
			name: "every day of both regions: no review", user: inactive, coverage: both,
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
			reasons: withBase("inactive 100 days, not more than 365: deactivate"),
		},
		{
			name: "gap days in the middle of the window", user: inactive,
			coverage: append(withoutDays(east, day0("2026-09-03"), day0("2026-09-09")), west...),
			status:   tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("trail coverage gap for account 111111111111 in us-east-1: 2026-09-03..2026-09-09 (7 days)"),
		},
		{
			name: "one region's logs missing after the lead-in day", user: inactive,
			coverage: append(withoutDays(west, winS, asOf), east...),
			status:   tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("trail coverage gap for account 111111111111 in eu-west-1: 2026-08-03..2026-10-31 (90 days)"),
		},
		{
			name: "a stray early record in logs that start 20 days late", user: inactive,
			coverage: append([]tables.Coverage{{AccountID: acct, Region: "us-east-1", Hour: winS.Add(-5 * time.Hour),
				FirstEvent: winS.Add(-5 * time.Hour), LastEvent: winS.Add(-5 * time.Hour), Events: 1}},
				dailyCells(acct, "us-east-1", winS.Add(20*24*time.Hour), asOf.Add(-time.Hour))...),
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("trail coverage gap for account 111111111111 in us-east-1: 2026-08-03..2026-08-22 (20 days)"),
		},
		{
			name: "a region seen only outside the days read demands nothing", user: inactive,
			coverage: append(slices.Clone(both), tables.Coverage{AccountID: acct, Region: "ap-south-1", Hour: winS.Add(-72 * time.Hour),
				FirstEvent: winS.Add(-72 * time.Hour), LastEvent: winS.Add(-72 * time.Hour), Events: 1}),
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
			reasons: withBase("inactive 100 days, not more than 365: deactivate"),
		},
		{
			name: "a region row without hours (recorded before cells) proves no day", user: inactive,
			coverage: append(slices.Clone(east), tables.Coverage{AccountID: acct, Region: "eu-west-1",
				FirstEvent: winS.Add(-time.Hour), LastEvent: asOf.Add(-time.Hour), Events: 100}),
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("trail coverage gap for account 111111111111 in eu-west-1: 2026-08-03..2026-10-31 (90 days)"),
		},
	}
	for _, tc := range tests {
		tc.lastActivity, tc.source, tc.days = daysBefore(100), tables.SourceAccessKey, 100
		t.Run(tc.name, func(t *testing.T) { runCase(t, tc) })
	}
}

// A trail that lost many regions is summed up, not listed region by region.
func TestCoverageReasonsCapped(t *testing.T) {
	var rows []tables.Coverage
	for i := range maxGapRegions + 3 {
		region := "xx-region-" + string(rune('a'+i))
		rows = append(rows, dailyCells(acct, region, winS.Add(-time.Hour), winS.Add(time.Hour))...)
	}
	rows = append(rows, dailyCells(acct, "us-east-1", winS.Add(-time.Hour), asOf.Add(-time.Hour))...)
	got := newCoverageIndex(rows, winS, asOf).accountReasons(acct)
	if len(got) != maxGapRegions+1 {
		t.Fatalf("%d reasons, want %d: %q", len(got), maxGapRegions+1, got)
	}
	if want := "trail coverage gaps for account 111111111111 in 3 more regions"; got[len(got)-1] != want {
		t.Errorf("last reason %q, want %q", got[len(got)-1], want)
	}
	if !strings.Contains(got[0], "xx-region-a: 2026-08-04..2026-10-31 (89 days)") {
		t.Errorf("first reason %q does not name the region's missing days", got[0])
	}
}

// Only us-east-1's folders kept: the cells cannot show eu-west-1 is missing;
// the credential report, placing another user's key use there inside the
// window, does, and the account's candidates go to review.
func TestCoverageRegionFromKeyUse(t *testing.T) {
	inactive := baseUser()
	inactive.Key1Active, inactive.Key1LastRotated, inactive.Key1LastUsed, inactive.Key1LastUsedRegion = true, daysBefore(800), daysBefore(100), "eu-west-1"
	busy := baseUser()
	busy.UserName, busy.UserID, busy.ARN = "bob", "AIDABOB", "arn:aws:iam::111111111111:user/bob"
	busy.Key1Active, busy.Key1LastRotated, busy.Key1LastUsed, busy.Key1LastUsedRegion = true, daysBefore(800), daysBefore(3), "eu-west-1"
	east := dailyCells(acct, "us-east-1", winS.Add(-20*time.Hour), asOf.Add(-time.Hour))
	want := "trail coverage gap for account 111111111111 in eu-west-1: 2026-08-03..2026-10-31 (90 days) " +
		"(no log files for the region, though the credential report shows an access key used there 2026-10-29)"
	got, err := Classify([]tables.User{inactive, busy}, nil, east, nil, DefaultOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		if f.UserName == "alice" && (f.Decision != tables.DecisionReview || !slices.Contains(f.Reasons, want)) {
			t.Errorf("alice: %s/%s, reasons %q; want review with %q", f.Status, f.Decision, f.Reasons, want)
		}
	}
	// With eu-west-1's logs present, alice is deactivated as before.
	west := dailyCells(acct, "eu-west-1", winS.Add(-20*time.Hour), asOf.Add(-time.Hour))
	got, err = Classify([]tables.User{inactive, busy}, nil, append(east, west...), nil, DefaultOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		if f.UserName == "alice" && f.Decision != tables.DecisionDeactivate {
			t.Errorf("alice with every region's logs: %s/%s, reasons %q", f.Status, f.Decision, f.Reasons)
		}
	}
}
