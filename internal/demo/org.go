package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
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

// --- users ----------------------------------------------------------------

var humanPaths = []string{"/", "/", "/", "/", "/", "/engineering/", "/engineering/", "/contractors/", "/finance/"}
var servicePaths = []string{"/", "/", "/", "/svc/", "/svc/", "/automation/ci/"}
var humanGroups = [][]string{{"developers"}, {"developers", "readonly"}, {"readonly"}, {"admins"}, {"billing", "readonly"}}

func (b *builder) newUser(c string, human bool) *user {
	o, a, r := b.o, b.a, b.r
	u := &user{acct: a, kind: kindUser, caseName: c, human: human, inReport: true, inGAAD: true}
	if human {
		u.name, u.path = b.names.human(), pick(r, humanPaths)
		u.groups = pick(r, humanGroups)
		if u.path == "/contractors/" {
			u.groups = []string{"contractors"}
			u.boundary = "arn:aws:iam::" + a.id + ":policy/contractor-boundary"
		}
		if chance(r, 40) {
			u.tags = append(u.tags, tag{"team", pick(r, teams)})
		}
		u.selfPol = chance(r, 25)
		u.ip = fmt.Sprintf("%s.%d", pick(r, []string{"198.51.100", "203.0.113", "192.0.2"}), 1+r.IntN(254))
	} else {
		u.name, u.path = b.names.service(), pick(r, servicePaths)
		u.groups = []string{"ci-robots"}
		u.tags = append(u.tags, tag{"Owner", pick(r, teams) + "-team@example.com"}, tag{"cost-center", "cc-" + strconv.Itoa(1000+r.IntN(9000))})
		if chance(r, 50) {
			u.attached = append(u.attached, "arn:aws:iam::"+a.id+":policy/s3-reports-read")
		}
		u.ip = fmt.Sprintf("%d.%d.%d.%d", pick(r, []int{3, 18, 34, 35, 44, 52, 54}), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	u.id = o.uniqueID(r, "AIDA", 17)
	u.arn = "arn:aws:iam::" + a.id + ":user" + u.path + u.name
	u.idx = int32(len(o.principals))
	o.principals = append(o.principals, u)
	return u
}

func (b *builder) newKey(u *user, slot int, rotated time.Time) *keySlot {
	k := &u.keys[slot]
	*k = keySlot{exists: true, active: true, id: b.o.uniqueID(b.r, "AKIA", 16), rotated: rotated}
	return k
}

// Service namespaces for a key's last-used service, per service group.
func (k *keySlot) setUsed(t time.Time, region uint8, grp uint8) {
	k.lastUsed = t
	k.service = serviceGroups[grp].namespace
	k.region = regions[region]
	if k.service == "s3" {
		k.region = "N/A" // S3 is not regional in the report
	}
}

// usedPassword gives u a password last used at x.
func (b *builder) usedPassword(u *user, x time.Time) {
	u.pwEnabled = true
	u.pwLastUsed = x
	u.pwChanged = b.timeIn(u.created, x)
	u.mfa = chance(b.r, 70)
}

// inactive makes x the user's last use, by password or key, nothing later.
func (b *builder) inactive(u *user, x time.Time) {
	u.created = b.before(x, 30, 1500)
	if u.human {
		b.usedPassword(u, x)
		if chance(b.r, 30) {
			b.newKey(u, 0, u.created) // never used, and tracked: no signal
		}
		return
	}
	k := b.newKey(u, 0, b.timeIn(u.created, x.Add(-day)))
	k.setUsed(x, pick(b.r, workRegions), uint8(b.r.IntN(len(serviceGroups))))
	if k.service == "iam" {
		k.region = "us-east-1"
	}
}

// neverUsed gives u credentials that were never used: a password with
// no_information (created after tracking began, so: never), an unused key,
// or both.
func (b *builder) neverUsed(u *user) {
	switch v := b.r.IntN(3); {
	case v == 0 || u.human && v == 2:
		u.pwEnabled, u.pwNoInfo, u.pwChanged = true, true, u.created
		if v == 2 {
			b.newKey(u, 0, u.created)
		}
	default:
		b.newKey(u, 0, u.created)
	}
}

func (b *builder) deactivateTime() time.Time { lo, hi := b.deactivateDays(); return b.ago(lo, hi) }
func (b *builder) deleteTime() time.Time     { lo, hi := b.deleteDays(); return b.ago(lo, hi) }

// activeCreated is a creation date comfortably before the window.
func (b *builder) activeCreated() time.Time {
	w := int64(b.o.opts.WindowDays)
	return b.ago(w+30, w+2000)
}

func (b *builder) makeUser(c string) (*user, error) {
	u := b.makeCase(c)
	if u == nil {
		return nil, fmt.Errorf("building account %s: no builder for case %q", b.a.id, c)
	}
	return u, nil
}

// makeCase builds a user for case c; nil for an unknown case.
func (b *builder) makeCase(c string) *user {
	o, a, r := b.o, b.a, b.r
	t := a.trail
	vlo, vhi := b.visible(t)
	w := int64(o.opts.WindowDays)
	switch c {
	case CaseActiveConsole:
		u := b.newUser(c, true)
		u.created = maxTime(b.activeCreated(), trackedFloor)
		b.consoleUse(u, vlo, vhi)
		switch x := r.IntN(100); {
		case x < 35:
			k := b.newKey(u, 0, b.timeIn(u.created, o.winStart.Add(-10*day)))
			b.keyUse(u, 0, k, 1+r.IntN(3), vlo, vhi)
		case x < 50:
			// A stale key next to console use: reported as an unused key.
			k := b.newKey(u, 0, b.timeIn(u.created, o.winStart.Add(-20*day)))
			if chance(r, 50) {
				k.setUsed(b.timeIn(k.rotated, o.winStart.Add(-5*day)), pick(r, workRegions), uint8(r.IntN(len(serviceGroups))))
				if k.service == "iam" {
					k.region = "us-east-1"
				}
			}
		}
		return u
	case CaseActiveKey, CaseActiveDuplicate:
		u := b.newUser(c, false)
		u.created = maxTime(b.activeCreated(), trackedFloor)
		k := b.newKey(u, 0, b.timeIn(u.created, o.winStart.Add(-day)))
		ss := b.keyUse(u, 0, k, 2+r.IntN(8), vlo, vhi)
		if c == CaseActiveDuplicate && len(ss) > 0 {
			o.sessions[ss[len(ss)-1]].dup = true
		}
		if c == CaseActiveKey && chance(r, 15) {
			// A second key created inside the window, not used yet: grace.
			b.newKey(u, 1, b.timeIn(o.winStart.Add(day), o.asOf.Add(-3*day)))
		}
		return u
	case CaseActiveUnusedKey2:
		u := b.newUser(c, false)
		u.created = maxTime(b.activeCreated(), trackedFloor)
		k := b.newKey(u, 0, b.timeIn(u.created, o.winStart.Add(-day)))
		b.keyUse(u, 0, k, 2+r.IntN(6), vlo, vhi)
		k2 := b.newKey(u, 1, b.timeIn(u.created, o.winStart.Add(-20*day)))
		if chance(r, 50) {
			k2.setUsed(b.timeIn(k2.rotated, o.winStart.Add(-5*day)), pick(r, workRegions), uint8(r.IntN(len(serviceGroups))))
			if k2.service == "iam" {
				k2.region = "us-east-1"
			}
		}
		return u
	case CaseActiveCloudTrailOnly:
		// The report's password date is old, but console-session calls
		// (IAMUser with a temporary key) are in the window.
		u := b.newUser(c, true)
		u.created = maxTime(b.ago(w+250, w+2000), trackedFloor)
		b.usedPassword(u, b.ago(w+20, w+200))
		for i, n := 0, 1+r.IntN(4); i < n; i++ {
			st := o.place(r, t, vlo, vhi, maxSessionSpan)
			b.addSession(session{start: st, trail: int32(t.idx), user: u.idx, kind: sessConsole, region: pick(r, workRegions), w: weight(r), aux: int32(between(r, 120, 1800)), mfa: u.mfa})
		}
		return u
	case CaseActiveFederated:
		// GetFederationToken just before the window (in the lead-in), then
		// only FederatedUser sessions inside it, within the token's 36 hours.
		u := b.newUser(c, r.IntN(2) == 0)
		u.created = maxTime(b.ago(w+100, w+2000), trackedFloor)
		k := b.newKey(u, 0, b.timeIn(u.created, o.winStart.Add(-30*day)))
		g := o.S - 2*3600 - between(r, 0, 3600)
		k.setUsed(time.Unix(g, 0).UTC(), rUSEast1, grpSTS)
		b.addSession(session{start: o.place(r, t, g, g, 0), trail: int32(t.idx), user: u.idx, kind: sessGetFedToken, region: rUSEast1, n: 1})
		u.fedName = federatedName(r, u)
		for i, n := 0, 2+r.IntN(3); i < n; i++ {
			st := o.place(r, t, o.S+3600, o.S+30*3600, maxSessionSpan)
			g := uint8(r.IntN(len(serviceGroups)))
			reg := pick(r, workRegions)
			if serviceGroups[g].global {
				reg = rUSEast1
			}
			b.addSession(session{start: st, trail: int32(t.idx), user: u.idx, kind: sessFederated, region: reg, w: weight(r), svc: g})
		}
		return u
	case CaseActiveCrossAccount:
		// Only the role's account logs the call (as AWSAccount with the
		// caller's unique ID); the caller's own copy is left out, so the
		// case tests that path alone.
		u := b.newUser(c, true)
		u.created = maxTime(b.ago(w+250, w+2000), trackedFloor)
		b.usedPassword(u, b.ago(w+20, w+200))
		tt := b.otherCovered()
		lo, hi := b.visible(tt)
		for i, n := 0, 1+r.IntN(3); i < n; i++ {
			st := o.place(r, tt, lo, hi, 60)
			b.addSession(session{start: st, trail: int32(tt.idx), user: u.idx, kind: sessCross, region: pick(r, []uint8{rUSEast1, rUSEast1, rUSEast2, rEUWest1}), n: int32(1 + r.IntN(2)), step: int32(between(r, 2, 20))})
		}
		return u
	case CaseInactiveDeactivate, CaseInactiveDelete, CaseAllowlistExpired, CaseNotInAuthDetails, CaseReferencedTrust, CaseReferencedPolicy:
		u := b.newUser(c, c == CaseNotInAuthDetails || r.IntN(2) == 0)
		del := c == CaseInactiveDelete || (c == CaseReferencedTrust || c == CaseReferencedPolicy) && chance(r, 50)
		if del {
			b.inactive(u, b.deleteTime())
			u.decision = tables.DecisionDelete
		} else {
			b.inactive(u, b.deactivateTime())
			u.decision = tables.DecisionDeactivate
		}
		switch c {
		case CaseAllowlistExpired:
			b.allow(u, o.asOf.Add(-days(between(r, 5, 200))), false)
		case CaseNotInAuthDetails:
			u.inGAAD = false
		case CaseReferencedTrust, CaseReferencedPolicy:
			u.referenced = true
		}
		return u
	case CaseNeverUsedDeactivate, CaseNotInReport:
		u := b.newUser(c, r.IntN(2) == 0)
		lo, hi := b.deactivateDays()
		u.created = b.ago(lo, hi)
		if c == CaseNotInReport {
			u.inReport = false
		} else {
			b.neverUsed(u)
		}
		return u
	case CaseNeverUsedDelete:
		u := b.newUser(c, r.IntN(2) == 0)
		d := int64(o.opts.DeleteAfterDays)
		u.created = b.before(o.asOf, d+30, d+1500)
		b.neverUsed(u)
		return u
	case CasePre2014NoInformation:
		u := b.newUser(c, true)
		u.created = b.timeIn(time.Date(2009, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2014, 9, 30, 0, 0, 0, 0, time.UTC))
		u.pwEnabled, u.pwNoInfo = true, true
		u.pwChanged = b.timeIn(u.created, passwordTrackingStart.Add(-day))
		return u
	case CaseKeyBeforeTracking:
		u := b.newUser(c, false)
		u.created = b.timeIn(time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2015, 2, 28, 0, 0, 0, 0, time.UTC))
		b.newKey(u, 0, b.timeIn(u.created, keyTrackingStart.Add(-12*day)))
		return u
	case CaseNew:
		u := b.newUser(c, r.IntN(2) == 0)
		u.created = b.timeIn(o.winStart.Add(2*day), o.asOf.Add(-4*day))
		b.neverUsed(u)
		return u
	case CaseExemptTag, CaseExemptAllowlist:
		u := b.newUser(c, r.IntN(2) == 0)
		if c == CaseExemptAllowlist && chance(r, 40) {
			lo, hi := b.deactivateDays()
			u.created = b.ago(lo, hi+400)
			b.neverUsed(u)
		} else if chance(r, 50) {
			b.inactive(u, b.deactivateTime())
		} else {
			b.inactive(u, b.deleteTime())
		}
		if c == CaseExemptTag {
			u.tags = append(u.tags, tag{"dormant:exempt", pick(r, []string{"true", "True", "TRUE"})})
		} else {
			b.allow(u, o.asOf.Add(days(between(r, 30, 400))), true)
		}
		return u
	case CaseRecreated:
		u := b.newUser(c, r.IntN(2) == 0)
		old := &user{acct: a, kind: kindOldUser, name: u.name, path: u.path, arn: u.arn, human: u.human, ip: u.ip, caseName: c}
		old.id = o.uniqueID(r, "AIDA", 17)
		old.created = b.ago(w+400, w+2000)
		old.idx = int32(len(o.principals))
		o.principals = append(o.principals, old)
		k := b.newKey(old, 0, b.timeIn(old.created, o.winStart.Add(-30*day)))
		span := vhi - vlo
		ss := b.keyUse(old, 0, k, 1+r.IntN(3), vlo+86400, vlo+span/3)
		last := int64(0)
		for _, i := range ss {
			last = max(last, o.sessions[i].start+maxSessionSpan)
		}
		lo := time.Unix(last, 0).UTC().Add(day)
		u.created = b.timeIn(lo, maxTime(lo, o.asOf.Add(-4*day)))
		b.neverUsed(u)
		b.old[u] = old
		return u
	case CaseRoleSessionLikeUser:
		u := b.newUser(c, true)
		b.inactive(u, b.deactivateTime())
		for i, n := 0, 1+r.IntN(3); i < n; i++ {
			st := o.place(r, t, vlo, vhi, maxSessionSpan)
			b.addSession(session{start: st, trail: int32(t.idx), user: u.idx, kind: sessRoleNamed, region: pick(r, workRegions), w: weight(r)})
		}
		return u
	case CaseFailedLoginsOnly:
		u := b.newUser(c, true)
		b.inactive(u, b.deactivateTime())
		for i, n := 0, 1+r.IntN(2); i < n; i++ {
			st := o.place(r, t, vlo, vhi, 300)
			b.addSession(session{start: st, trail: int32(t.idx), user: u.idx, kind: sessFailed, region: pick(r, []uint8{rUSEast1, rUSEast2, rEUNorth}), n: int32(1 + r.IntN(3)), step: int32(between(r, 8, 60))})
		}
		u.failed = true
		return u
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func weight(r *rand.Rand) int32 { return int32(between(r, 30, 200)) }

// consoleUse adds sign-ins and console work; the report's password date is
// the last sign-in. Without coverage, only the report carries it.
func (b *builder) consoleUse(u *user, lo, hi int64) {
	o, r := b.o, b.r
	u.pwEnabled = true
	u.mfa = chance(r, 70)
	t := b.a.trail
	var last int64
	if t == nil {
		last = between(r, lo, hi)
	} else {
		for i, n := 0, 1+r.IntN(5); i < n; i++ {
			st := o.place(r, t, lo, hi, 120+maxSessionSpan)
			s := session{start: st, trail: int32(t.idx), user: u.idx, kind: sessLogin, region: pick(r, loginRegions), n: 1, mfa: u.mfa}
			if u.mfa {
				s.n, s.step = 2, int32(between(r, 4, 25)) // CheckMfa, then ConsoleLogin
			}
			login := st + int64(s.n-1)*int64(s.step)
			last = max(last, login)
			b.addSession(s)
			gap := between(r, 20, 90)
			b.addSession(session{start: login + gap, trail: int32(t.idx), user: u.idx, kind: sessConsole, region: pick(r, workRegions), w: weight(r), aux: int32(gap), mfa: u.mfa})
		}
	}
	u.pwLastUsed = time.Unix(last, 0).UTC()
	u.pwChanged = b.timeIn(u.created, minTime(u.pwLastUsed, o.winStart))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// keyUse adds n sessions with key slot of u (in u's own account) and sets the
// key's last-used fields to the start of the latest one (the report keeps the
// first use of a 15-minute span). Without coverage only the report has it.
func (b *builder) keyUse(u *user, slot int, k *keySlot, n int, lo, hi int64) []int {
	o, r := b.o, b.r
	t := b.a.trail
	if t == nil {
		g := uint8(r.IntN(len(serviceGroups)))
		reg := pick(r, workRegions)
		if serviceGroups[g].global {
			reg = rUSEast1
		}
		k.setUsed(time.Unix(between(r, lo, hi), 0).UTC(), reg, g)
		return nil
	}
	var idx []int
	var lastStart int64
	var lastS session
	for i := 0; i < n; i++ {
		g := uint8(r.IntN(len(serviceGroups)))
		reg := pick(r, workRegions)
		if serviceGroups[g].global {
			reg = rUSEast1
		}
		st := o.place(r, t, lo, hi, maxSessionSpan)
		s := session{start: st, trail: int32(t.idx), user: u.idx, kind: sessKey, region: reg, w: weight(r), svc: g, slot: uint8(slot)}
		idx = append(idx, b.addSession(s))
		if st >= lastStart {
			lastStart, lastS = st, s
		}
	}
	k.setUsed(time.Unix(lastStart, 0).UTC(), lastS.region, lastS.svc)
	return idx
}

func (b *builder) addSession(s session) int {
	b.o.sessions = append(b.o.sessions, s)
	return len(b.o.sessions) - 1
}

func (b *builder) allow(u *user, expires time.Time, valid bool) {
	y, m, d := expires.Date()
	e := allowEntry{
		AccountID: b.a.id, UserName: u.name,
		Owner:   pick(b.r, teams) + "-team@example.com",
		Expires: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
	}
	if valid {
		e.Reason = pick(b.r, []string{"break-glass account, used only in incidents", "vendor integration, audited quarterly", "disaster-recovery runbook user", "legal hold: keep until the case closes"})
	} else {
		e.Reason = pick(b.r, []string{"migration to SSO pending", "contractor engagement", "temporary exception for the data migration"})
	}
	b.o.allow = append(b.o.allow, e)
}

func federatedName(r *rand.Rand, u *user) string {
	n := pick(r, []string{"deploy", "report", "sync", "batch", "export"}) + "-" + strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
			return c
		}
		return '-'
	}, u.name)
	if len(n) > 32 {
		n = n[:32]
	}
	return n
}

// prefixTrap renames one active user to "<inactive user's name>-ci" (same
// path) and has a trust policy name it: a checker that matches ARNs by prefix
// would wrongly find the inactive user.
func (b *builder) prefixTrap() {
	in, act := b.byCase[CaseInactiveDeactivate], b.byCase[CaseActiveKey]
	if len(in) == 0 || len(act) == 0 {
		return
	}
	u, v := in[0], act[0]
	n := u.name + "-ci"
	if !b.names.take(n) {
		return
	}
	v.name, v.path = n, u.path
	v.arn = "arn:aws:iam::" + b.a.id + ":user" + v.path + v.name
}

func (b *builder) makeRoot() {
	o, a, r := b.o, b.a, newRNG(b.o.seed, tagRoot, uint64(b.a.idx))
	first := o.asOf
	for _, u := range a.users {
		first = minTime(first, u.created)
	}
	for _, old := range b.old {
		first = minTime(first, old.created)
	}
	a.created = first.Add(-time.Duration(between(r, 86400, 200*86400)) * time.Second)
	root := &user{acct: a, kind: kindRoot, caseName: CaseRoot, name: "<root_account>", id: a.id, arn: "arn:aws:iam::" + a.id + ":root", created: a.created, inReport: true, mfa: true, ip: fmt.Sprintf("203.0.113.%d", 1+r.IntN(254))}
	root.idx = int32(len(o.principals))
	o.principals = append(o.principals, root)
	a.root = root
	// Root signs in now and then: in the window for the first account,
	// long ago or never elsewhere.
	switch {
	case a.trail != nil && (a.idx == 0 || chance(r, 30)):
		lo, hi := b.visible(a.trail)
		var last int64
		for i, n := 0, 1+r.IntN(3); i < n; i++ {
			st := o.place(r, a.trail, lo, hi, 0)
			b.addSession(session{start: st, trail: int32(a.trail.idx), user: root.idx, kind: sessRootLogin, region: rUSEast1, n: 1})
			last = max(last, st)
		}
		root.pwLastUsed = time.Unix(last, 0).UTC()
	case chance(r, 50):
		root.pwLastUsed = o.asOf.Add(-time.Duration(between(r, 100*86400, 700*86400)) * time.Second)
	default:
		root.pwNoInfo = true
	}
}
