package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// This file holds how the builder gives users activity: console and key use,
// sessions, allowlisting, the prefix trap and the root user.

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
