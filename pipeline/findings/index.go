package findings

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// ctSignal is a user's CloudTrail evidence: the activity rows matched to it,
// merged (an engine may return several rows for one principal, e.g. the user's
// own calls and a federated session it issued).
type ctSignal struct {
	matched    bool
	first      time.Time
	last       time.Time
	events     int64
	lastName   string
	failed     int64
	lastFailed time.Time
	// keys are the distinct long-term (AKIA) access key IDs that signed the
	// user's requests in the read days.
	keys []string
}

func (s *ctSignal) add(a *tables.Activity) {
	s.matched = true
	if !a.FirstEvent.IsZero() && (s.first.IsZero() || a.FirstEvent.Before(s.first)) {
		s.first = a.FirstEvent
	}
	// Ties on the last event are broken by name so the result does not depend
	// on row order.
	if a.LastEvent.After(s.last) || (a.LastEvent.Equal(s.last) && !a.LastEvent.IsZero() && (s.lastName == "" || a.LastEventName < s.lastName)) {
		s.last = a.LastEvent
		s.lastName = a.LastEventName
	}
	s.events += a.Events
	s.failed += a.FailedConsoleLogins
	if a.LastFailedConsoleLogin.After(s.lastFailed) {
		s.lastFailed = a.LastFailedConsoleLogin
	}
	for _, k := range a.AccessKeyIDs {
		if !slices.Contains(s.keys, k) {
			s.keys = append(s.keys, k)
		}
	}
}

type acctName struct{ account, name string }

// chain indexes rows by a key without a slice per key: head[key] is the
// last row with that key, next[i] the previous row with row i's key (-1 ends).
type chain[K comparable] struct {
	head map[K]int32
	next []int32
}

func newChain[K comparable](rows int) chain[K] {
	return chain[K]{head: make(map[K]int32, rows), next: make([]int32, rows)}
}

func (c *chain[K]) add(k K, i int) {
	prev, ok := c.head[k]
	if !ok {
		prev = -1
	}
	c.next[i] = prev
	c.head[k] = int32(i)
}

func (c *chain[K]) each(k K, f func(i int)) {
	i, ok := c.head[k]
	if !ok {
		return
	}
	for ; i >= 0; i = c.next[i] {
		f(int(i))
	}
}

// allowState is what the allowlist says about one user.
type allowState struct {
	valid   *AllowEntry // the unexpired entry with the latest expiry
	expired *AllowEntry // the most recently expired entry
}

// classifier holds the indexes built once per Classify call.
type classifier struct {
	opts        Options
	windowStart time.Time

	activity    []tables.Activity
	byPrincipal chain[string] // rows with a principal ID, by that ID
	byARN       chain[string] // rows without a principal ID, by ARN

	coverage *coverageIndex

	refs       []tables.Reference
	refsByID   chain[string]
	refsByARN  chain[string]
	refsByName chain[acctName]

	// allow is keyed by account and lower-cased user name: IAM user names
	// are unique case-insensitively, so an entry names one name whatever
	// its case.
	allow map[acctName]allowState
	// sharedIDs counts users per account and unique ID, for the IDs more
	// than one user row holds: remediation could not tell them apart.
	sharedIDs map[acctName]int
	// trailGaps are, by account, what its trails fail to record (trails.go).
	trailGaps map[string][]string
	// watch is the watch table by user (lifecycle.go).
	watch *watchIndex
	// activeKeys are the Active keys of Options.AccessKeys by account and
	// lower-cased user name, as "ID (source)".
	activeKeys map[acctName][]string
}

func newClassifier(users []tables.User, activity []tables.Activity, coverage []tables.Coverage, refs []tables.Reference, opts Options) *classifier {
	c := &classifier{
		opts:        opts,
		windowStart: opts.WindowStart(),
		activity:    activity,
		byPrincipal: newChain[string](len(activity)),
		byARN:       newChain[string](0),
		coverage:    newCoverageIndex(coverage, opts.WindowStart(), opts.AsOf).withDigests(opts.DigestProven),
		allow:       make(map[acctName]allowState, len(opts.Allowlist)),
		trailGaps:   trailGapsByAccount(opts),
		watch:       newWatchIndex(opts.Watch),
		activeKeys:  map[acctName][]string{},
	}
	for _, k := range opts.AccessKeys {
		if k.Status == "Active" {
			n := allowKey(k.AccountID, k.UserName)
			c.activeKeys[n] = append(c.activeKeys[n], k.AccessKeyID+" ("+k.Source+")")
		}
	}
	c.byARN.next = c.byPrincipal.next // rows are in exactly one of the two chains
	for i := range activity {
		a := &activity[i]
		switch {
		case a.PrincipalID != "":
			c.byPrincipal.add(a.PrincipalID, i)
		case a.ARN != "":
			c.byARN.add(a.ARN, i)
		}
	}

	// References: sorted and de-duplicated so that reasons come out in one
	// order and a reference listed twice counts once.
	c.refs = slices.Clone(refs)
	slices.SortFunc(c.refs, compareRefs)
	c.refs = slices.Compact(c.refs)
	// Each reference is filed under every key it has; refsFor decides which
	// key counts for a given user.
	c.refsByID = newChain[string](len(c.refs))
	c.refsByARN = newChain[string](len(c.refs))
	c.refsByName = newChain[acctName](len(c.refs))
	for i := range c.refs {
		r := &c.refs[i]
		if r.UserID != "" {
			c.refsByID.add(r.UserID, i)
		}
		if r.UserARN != "" {
			c.refsByARN.add(r.UserARN, i)
		}
		if r.UserName != "" {
			c.refsByName.add(acctName{r.AccountID, r.UserName}, i)
		}
	}

	ids := make(map[acctName]int, len(users))
	for i := range users {
		if u := &users[i]; u.UserID != "" {
			ids[acctName{u.AccountID, u.UserID}]++
		}
	}
	for k, n := range ids {
		if n > 1 {
			if c.sharedIDs == nil {
				c.sharedIDs = make(map[acctName]int)
			}
			c.sharedIDs[k] = n
		}
	}

	for i := range opts.Allowlist {
		e := &opts.Allowlist[i]
		k := allowKey(e.AccountID, e.UserName)
		st := c.allow[k]
		if e.Expires.Before(opts.AsOf) {
			if st.expired == nil || e.Expires.After(st.expired.Expires) {
				st.expired = e
			}
		} else if st.valid == nil || e.Expires.After(st.valid.Expires) {
			st.valid = e
		}
		c.allow[k] = st
	}
	return c
}

// allowKey is the allowlist's key for a user: the account ID exactly, the
// name without case (IAM refuses a second user whose name differs only in
// case, so the name is one name whatever its case).
func allowKey(account, name string) acctName {
	return acctName{account, strings.ToLower(name)}
}

// compareRefs orders references as their reasons are listed: by kind,
// resource and place, then by the identity they name (a total order, so
// identical rows end up adjacent for de-duplication).
func compareRefs(a, b tables.Reference) int {
	return cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.ResourceARN, b.ResourceARN),
		cmp.Compare(a.Location, b.Location),
		cmp.Compare(a.Region, b.Region),
		cmp.Compare(a.Match, b.Match),
		cmp.Compare(a.AccountID, b.AccountID),
		cmp.Compare(a.UserID, b.UserID),
		cmp.Compare(a.UserARN, b.UserARN),
		cmp.Compare(a.UserName, b.UserName),
	)
}

// cloudTrail finds the user's CloudTrail rows: by unique ID (globally unique,
// so a cross-account row logged under another account still is this user);
// and rows without a principal ID whose ARN is the user's and whose last
// event is not before the user's creation, so that a user deleted and
// re-created under the same name never inherits the old one's events. The
// ARN rows count even when rows by ID matched: an event without a principal
// ID is still use, and ignoring it could make a user in use look inactive.
func (c *classifier) cloudTrail(u *tables.User) ctSignal {
	var s ctSignal
	if u.UserID != "" {
		c.byPrincipal.each(u.UserID, func(i int) { s.add(&c.activity[i]) })
	}
	if u.ARN != "" {
		c.byARN.each(u.ARN, func(i int) {
			a := &c.activity[i]
			if !a.LastEvent.Before(u.CreateDate) {
				s.add(a)
			}
		})
	}
	return s
}

// refsFor returns the references that name u, in sorted order. A reference
// is matched on the unique ID when both sides have one (a reference to an
// earlier user of the same name is not this user's), else on the ARN, else
// on account and name.
func (c *classifier) refsFor(u *tables.User) []tables.Reference {
	var idx []int
	match := func(i int) {
		r := &c.refs[i]
		var ok bool
		switch {
		case r.UserID != "" && u.UserID != "":
			ok = r.UserID == u.UserID
		case r.UserARN != "" && u.ARN != "":
			ok = r.UserARN == u.ARN
		default:
			ok = r.AccountID == u.AccountID && r.UserName != "" && r.UserName == u.UserName
		}
		if ok {
			idx = append(idx, i)
		}
	}
	if u.UserID != "" {
		c.refsByID.each(u.UserID, match)
	}
	if u.ARN != "" {
		c.refsByARN.each(u.ARN, match)
	}
	c.refsByName.each(acctName{u.AccountID, u.UserName}, match)
	if len(idx) == 0 {
		return nil
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]tables.Reference, len(idx))
	for j, i := range idx {
		out[j] = c.refs[i]
	}
	// One place found through two matches (the ARN and the unique ID in the
	// same statement) is one reference: count it, and list it, once.
	return slices.CompactFunc(out, func(a, b tables.Reference) bool {
		return a.Kind == b.Kind && a.ResourceARN == b.ResourceARN && a.Location == b.Location
	})
}
