package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// This file holds how the builder makes users: paths and groups, credentials,
// and one user per test case.

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
