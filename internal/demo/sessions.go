package demo

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
)

// This file holds the session model: session kinds, the per-account trail
// state, and how sessions and background events are spread over file periods.

// Session kinds: a burst of a user's (or root's) events in one file period
// and region.
const (
	sessLogin       uint8 = iota // [CheckMfa,] successful ConsoleLogin
	sessConsole                  // console calls: IAMUser with a temporary key
	sessKey                      // calls signed with an AKIA key
	sessFederated                // FederatedUser calls; the session issuer is the user
	sessGetFedToken              // the user's GetFederationToken call
	sessCross                    // AssumeRole logged in the role's account as AWSAccount
	sessRoleNamed                // AssumedRole session named like the user: not the user
	sessFailed                   // failed ConsoleLogin
	sessRootLogin                // root ConsoleLogin
	sessReenable                 // an admin's UpdateAccessKey making the user's key (slot) Active again
)

// countsAsUse: kinds whose events are the user's successful activity.
func countsAsUse(kind uint8) bool {
	switch kind {
	case sessLogin, sessConsole, sessKey, sessFederated, sessGetFedToken, sessCross:
		return true
	}
	return false
}

// maxSessionSpan bounds a session's duration, so it fits in one period.
const maxSessionSpan = 40 * 60

// Caps that keep memory per file bounded whatever the event count.
const (
	maxSessionEvents = 5000
	maxFileRecords   = 5000
	dupRecords       = 3 // events of a duplicated session delivered twice
)

type session struct {
	start  int64
	trail  int32 // index in org.trails: the account whose trail logs it
	user   int32 // index in org.principals
	n      int32 // events
	step   int32 // seconds between events
	w      int32 // weight of a session whose size scales with Events; 0 = fixed n
	aux    int32 // console: seconds since sign-in (session creation)
	region uint8
	kind   uint8
	svc    uint8 // service group
	slot   uint8 // key slot
	dup    bool  // delivered twice
	mfa    bool
}

func (s *session) last() int64 { return s.start + int64(s.n-1)*int64(s.step) }

// trailAcct is an account with a trail: the span of its logs and its sessions.
type trailAcct struct {
	a          *account
	idx        int
	start, end int64 // event times are in [start, end)
	k0, k1     int64 // file periods
	sessOff    []int32
	bgBase     int // index of (k0, region 0) in org.bgCum
}

// finalizeSessions sizes the sessions whose length scales with Events (about
// 30% of all records come from users), sorts them by file, and records each
// principal's last counted event in the window.
func (o *org) finalizeSessions() error {
	var fixed, wsum, scalable int64
	for i := range o.sessions {
		s := &o.sessions[i]
		if s.w == 0 {
			fixed += int64(s.n)
		} else {
			wsum += int64(s.w)
			scalable++
		}
	}
	budget := max(int64(o.opts.Events)*3/10-fixed, scalable)
	for i := range o.sessions {
		s := &o.sessions[i]
		if s.w > 0 {
			n := max(1, min(budget*int64(s.w)/wsum, maxSessionEvents))
			s.n = int32(n)
			if n > 1 {
				s.step = int32(min(90, int64(maxSessionSpan)/(n-1)))
			}
		}
		o.sessionEvents += int64(s.n)
		if s.dup {
			o.sessionEvents += int64(min(s.n, dupRecords))
		}
	}
	slices.SortStableFunc(o.sessions, func(x, y session) int {
		return cmp.Or(cmp.Compare(x.trail, y.trail), cmp.Compare(x.start/o.p, y.start/o.p), cmp.Compare(x.region, y.region), cmp.Compare(x.start, y.start))
	})
	for _, t := range o.trails {
		t.sessOff = make([]int32, t.k1-t.k0+2)
	}
	for i := range o.sessions {
		s := &o.sessions[i]
		t := o.trails[s.trail]
		k := s.start / o.p
		if k < t.k0 || k > t.k1 || s.last() >= t.end {
			// place() prevents this; a failure here is a generator bug.
			return fmt.Errorf("planning CloudTrail for account %s: a session at %d falls outside the trail's periods %d..%d", t.a.id, s.start, t.k0, t.k1)
		}
		t.sessOff[k-t.k0+1]++
		if countsAsUse(s.kind) {
			u := o.principals[s.user]
			if l := s.last(); l >= o.S && l <= o.A {
				u.ctLast = max(u.ctLast, l)
			}
		}
	}
	for _, t := range o.trails {
		for k := 1; k < len(t.sessOff); k++ {
			t.sessOff[k] += t.sessOff[k-1]
		}
		if t.idx > 0 {
			prev := o.trails[t.idx-1]
			base := prev.sessOff[len(prev.sessOff)-1]
			for k := range t.sessOff {
				t.sessOff[k] += base
			}
		}
	}
	return nil
}

// diurnal weighs a period by the hour and weekday of its middle: business
// hours are busier than nights and weekends.
func diurnal(mid int64) uint64 {
	h := mid % 86400 / 3600
	wd := (mid/86400 + 4) % 7 // 1970-01-01 was a Thursday
	busy := h >= 13 && h < 23
	weekend := wd == 0 || wd == 6
	switch {
	case busy && !weekend:
		return 10
	case busy:
		return 5
	case !weekend:
		return 4
	}
	return 3
}

// allocateBackground spreads the background events over every (trail,
// period, region) in proportion to integer weights, so each file's count is
// known without any shared state: count(f) = floor(B*cum[f+1]/W) - floor(B*cum[f]/W).
func (o *org) allocateBackground() {
	o.anchors = 2 * int64(len(o.trails))
	for _, t := range o.trails {
		for k := t.k0; k <= t.k1; k++ {
			if o.opensDay(t, k) {
				o.anchors += int64(len(regions))
			}
		}
	}
	o.bgTotal = max(0, int64(o.opts.Events)-o.sessionEvents-o.anchors)
	o.bgCum = []uint64{0}
	for _, t := range o.trails {
		t.bgBase = len(o.bgCum) - 1
		for k := t.k0; k <= t.k1; k++ {
			ps, pe := o.periodBounds(t, k)
			minutes := uint64(max(1, (pe-ps)/60))
			d := diurnal((ps + pe) / 2)
			for r := range regions {
				jitter := 8 + seedOf(o.seed, uint64(t.idx), uint64(k), uint64(r))%5
				w := regionWeight[r] * d * jitter * minutes
				o.bgCum = append(o.bgCum, o.bgCum[len(o.bgCum)-1]+w)
			}
		}
	}
}

// opensDay reports whether period k is the trail's first of a UTC day
// (periods divide the day): each region gets a record there, so that every
// day of every region has logs, as a real trail's regions do and as the
// coverage rule (pipeline/findings/coverage.go) requires.
func (o *org) opensDay(t *trailAcct, k int64) bool {
	ps, _ := o.periodBounds(t, k)
	return k == t.k0 || ps%86400 == 0
}

func (o *org) bgShare(cum uint64) int64 {
	total := o.bgCum[len(o.bgCum)-1]
	if total == 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(o.bgTotal), cum)
	q, _ := bits.Div64(hi, lo, total)
	return int64(q)
}

func (o *org) bgCount(t *trailAcct, k int64, r int) int64 {
	f := t.bgBase + int(k-t.k0)*len(regions) + r
	return o.bgShare(o.bgCum[f+1]) - o.bgShare(o.bgCum[f])
}
