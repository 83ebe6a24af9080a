package demo

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

const day = 24 * time.Hour

// Dates where IAM's tracking began (see aws-facts §1).
var (
	passwordTrackingStart = time.Date(2014, 10, 20, 0, 0, 0, 0, time.UTC)
	keyTrackingStart      = time.Date(2015, 4, 22, 0, 0, 0, 0, time.UTC)
	// Users that are meant to look "used" or "never used" in the ordinary
	// way are created after this, so neither tracking start blurs them.
	trackedFloor = time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)
)

// Seed tags: each independent stream of randomness gets its own.
const (
	tagAccounts uint64 = iota + 1
	tagAccount
	tagFile
	tagDigest
	tagSessionKey
	tagRoot
	tagQuarter
)

var regions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-north-1", "ap-southeast-2"}

// Share of background events per region (us-east-1 carries the global services).
var regionWeight = []uint64{40, 18, 14, 14, 8, 6}

const (
	rUSEast1 = 0
	rUSEast2 = 1
	rUSWest2 = 2
	rEUWest1 = 3
	rEUNorth = 4
	rAPSE2   = 5
)

// Console sign-in regions of IAM users on the global endpoint (no alias
// cookie: us-east-1; with one: latency based).
var loginRegions = []uint8{rUSEast1, rUSEast1, rUSEast2, rUSEast2, rUSEast2, rEUNorth, rEUNorth, rAPSE2}

var workRegions = []uint8{rUSEast1, rUSEast1, rUSEast1, rUSEast2, rUSEast2, rUSWest2, rEUWest1, rEUWest1, rEUNorth, rAPSE2}

type org struct {
	opts     Options
	seed     uint64
	asOf     time.Time
	winStart time.Time
	A, S     int64 // the same, as unix seconds
	p        int64 // CloudTrail file period, seconds
	end      int64 // no event at or after this (files are delivered before as-of)

	accounts   []*account
	trails     []*trailAcct
	principals []*user
	sessions   []session
	allow      []allowEntry
	ids        map[string]bool

	bucket         string
	external       string // an account outside the organization (a vendor)
	externalUserID string

	quarter *Quarter         // nil for the first quarter
	orphans []ExpectedOrphan // policies naming deleted users (later quarters)

	sessionEvents int64 // records from sessions, duplicates included
	anchors       int64
	bgTotal       int64
	bgCum         []uint64
}

func buildOrg(opts Options) (*org, error) {
	o := &org{
		opts:     opts,
		seed:     uint64(opts.Seed),
		asOf:     opts.AsOf,
		winStart: opts.AsOf.Add(-days(int64(opts.WindowDays))),
		ids:      map[string]bool{},
	}
	o.A, o.S = o.asOf.Unix(), o.winStart.Unix()
	o.end = o.A - 15*60
	r := newRNG(o.seed, tagAccounts)
	o.makeAccounts(r)
	o.external = o.accountID(r, false)
	o.externalUserID = o.uniqueID(r, "AIDA", 17)
	o.bucket = "org-cloudtrail-" + o.accounts[0].id + "-" + randHex(r, 6)
	o.makeGeometry()

	for _, a := range o.accounts {
		b := newBuilder(o, a)
		if err := b.build(); err != nil {
			return nil, err
		}
	}
	if opts.Quarter != nil {
		if err := o.applyQuarter(opts.Quarter); err != nil {
			return nil, err
		}
	}
	if err := o.finalizeSessions(); err != nil {
		return nil, err
	}
	o.computeExpectations()
	o.allocateBackground()
	return o, nil
}

func (o *org) accountID(r *rand.Rand, leadingZero bool) string {
	for {
		var b strings.Builder
		for i := 0; i < 12; i++ {
			d := r.IntN(10)
			if i == 0 {
				if leadingZero {
					d = 0
				} else if d == 0 {
					d = 1 + r.IntN(9)
				}
			}
			b.WriteByte(byte('0' + d))
		}
		if id := b.String(); !o.ids[id] {
			o.ids[id] = true
			return id
		}
	}
}

func (o *org) uniqueID(r *rand.Rand, prefix string, n int) string {
	for {
		if id := newID(r, prefix, n); !o.ids[id] {
			o.ids[id] = true
			return id
		}
	}
}

func (o *org) makeAccounts(r *rand.Rand) {
	n := o.opts.Accounts
	for i := 0; i < n; i++ {
		// One account ID with a leading zero: real IDs have them, and they
		// break tools that read account IDs as numbers.
		a := &account{idx: i, id: o.accountID(r, i == 2)}
		switch {
		case n >= 4 && i == n-2:
			a.cov = coveragePartial
		case n >= 2 && i == n-1:
			a.cov = coverageNone
		default:
			a.cov = coverageFull
		}
		switch a.cov {
		case coverageFull:
			// Two lead-in days before the window start, so coverage
			// visibly begins before it.
			a.trailStart = o.asOf.Add(-days(int64(o.opts.WindowDays) + 2))
		case coveragePartial:
			a.trailStart = o.winStart.Add(days(int64(o.opts.WindowDays/2)) + time.Duration(between(r, 0, 12*3600))*time.Second)
		}
		a.reportAt = o.asOf.Add(-time.Duration(between(r, 2*3600, 20*3600)) * time.Second)
		o.accounts = append(o.accounts, a)
	}
}

var periodHours = []int64{1, 2, 3, 4, 6, 8, 12, 24}

// makeGeometry picks the file period: hourly files at scale, longer periods
// when there are few events, so a small demo is not thousands of tiny files.
func (o *org) makeGeometry() {
	var hours int64
	for _, a := range o.accounts {
		if a.cov == coverageNone {
			continue
		}
		hours += (o.end - a.trailStart.Unix()) / 3600
	}
	o.p = 24 * 3600
	if hours > 0 {
		perHour := float64(o.opts.Events) / float64(hours)
		for _, h := range periodHours {
			if perHour*float64(h) >= 1000 {
				o.p = h * 3600
				break
			}
		}
	}
	for _, a := range o.accounts {
		if a.cov == coverageNone {
			continue
		}
		t := &trailAcct{a: a, idx: len(o.trails), start: a.trailStart.Unix(), end: o.end}
		t.k0, t.k1 = t.start/o.p, (t.end-1)/o.p
		a.trail = t
		o.trails = append(o.trails, t)
	}
}

// periodBounds is the span of event times of period k in trail t.
func (o *org) periodBounds(t *trailAcct, k int64) (int64, int64) {
	return max(k*o.p, t.start), min((k+1)*o.p, t.end)
}

// place picks a start time in [lo, hi] for a session lasting dur seconds,
// moved so that the whole session falls inside one file period.
func (o *org) place(r *rand.Rand, t *trailAcct, lo, hi, dur int64) int64 {
	x := between(r, lo, hi)
	ps, pe := o.periodBounds(t, x/o.p)
	if x+dur >= pe {
		x = pe - dur - 1
	}
	return max(x, ps)
}

// builder constructs one account's users, policies and sessions.
type builder struct {
	o     *org
	a     *account
	r     *rand.Rand
	names *nameGen
	// users of the account by case, for policies that must name them.
	byCase map[string][]*user
	old    map[*user]*user // re-created user -> its deleted predecessor
}

func newBuilder(o *org, a *account) *builder {
	r := newRNG(o.seed, tagAccount, uint64(a.idx))
	return &builder{o: o, a: a, r: r, names: newNameGen(r), byCase: map[string][]*user{}, old: map[*user]*user{}}
}

func (b *builder) otherCovered() *trailAcct {
	n := len(b.o.accounts)
	for i := 1; i < n; i++ {
		c := b.o.accounts[(b.a.idx+i)%n]
		if c.trail != nil {
			return c.trail
		}
	}
	return nil
}

func (b *builder) build() error {
	o, a := b.o, b.a
	n := o.opts.Users / o.opts.Accounts
	if a.idx < o.opts.Users%o.opts.Accounts {
		n++
	}
	cases := assignCases(casesFor(a.cov, b.otherCovered() != nil), n)
	b.r.Shuffle(len(cases), func(i, j int) { cases[i], cases[j] = cases[j], cases[i] })
	b.makeResources()
	for _, c := range cases {
		u, err := b.makeUser(c)
		if err != nil {
			return err
		}
		b.byCase[c] = append(b.byCase[c], u)
		a.users = append(a.users, u)
	}
	b.prefixTrap()
	b.makeRoot()
	b.makeIAM()
	slices.SortFunc(a.users, func(x, y *user) int { return strings.Compare(x.name, y.name) })
	return nil
}

// --- time helpers ---------------------------------------------------------

// ago is a time between lo and hi days before as-of.
func (b *builder) ago(lo, hi int64) time.Time {
	return b.o.asOf.Add(-time.Duration(between(b.r, lo*86400, hi*86400)) * time.Second)
}

func (b *builder) timeIn(lo, hi time.Time) time.Time {
	return time.Unix(between(b.r, lo.Unix(), hi.Unix()), 0).UTC()
}

// before is a time between lo and hi days before x, never before trackedFloor.
func (b *builder) before(x time.Time, lo, hi int64) time.Time {
	maxBack := int64(x.Sub(trackedFloor) / day)
	hi = min(hi, maxBack)
	lo = min(lo, hi)
	if hi < 1 {
		return x.Add(-time.Hour)
	}
	return x.Add(-time.Duration(between(b.r, lo*86400, hi*86400)) * time.Second)
}

// deactivateDays is the "inactive, deactivate" range: well past the window,
// well short of DeleteAfterDays.
func (b *builder) deactivateDays() (int64, int64) {
	w, d := int64(b.o.opts.WindowDays), int64(b.o.opts.DeleteAfterDays)
	lo, hi := max(w+20, 120), min(d-15, 300)
	if lo > hi {
		lo, hi = w+5, d-5
	}
	return lo, hi
}

func (b *builder) deleteDays() (int64, int64) {
	d := int64(b.o.opts.DeleteAfterDays)
	maxBack := int64(b.o.asOf.Sub(trackedFloor)/day) - 10
	return d + 15, min(d+1000, maxBack)
}

// visible is the span where a user's sessions go: inside the window and, for
// a partial trail, after it starts; six hours clear of every edge.
func (b *builder) visible(t *trailAcct) (int64, int64) {
	lo := b.o.S
	if t != nil && t.start > lo {
		lo = t.start
	}
	return lo + 6*3600, b.o.A - 6*3600
}
