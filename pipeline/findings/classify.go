package findings

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/parallel"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

const day = 24 * time.Hour

// Dates AWS began recording last use. A credential report's no_information
// for a user created before passwordTrackingStart, or an access key's N/A for
// a key created before keyTrackingStart, may hide use from before tracking, so
// such a user is inactive with last use unknown, never "never used".
var (
	passwordTrackingStart = time.Date(2014, 10, 20, 0, 0, 0, 0, time.UTC)
	keyTrackingStart      = time.Date(2015, 4, 22, 0, 0, 0, 0, time.UTC)
)

// Reason texts that do not depend on the user.
const (
	reasonRoot             = "root user: reported apart, never remediated"
	reasonNotInReport      = "not in the credential report (created after it was generated?)"
	reasonNotInAuthDetails = "not in the authorization details (deleted since the credential report was generated?)"
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
}

// Classify applies the classification spec to every user and returns one
// finding per user, sorted by account, user name (then user ID and ARN).
// It is pure: the same inputs give the same output, whatever the input order.
// Work is linear in the rows: every lookup goes through a map.
func Classify(users []tables.User, activity []tables.Activity, coverage []tables.Coverage, refs []tables.Reference, opts Options) ([]tables.Finding, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(users) > math.MaxInt32 || len(activity) > math.MaxInt32 || len(refs) > math.MaxInt32 {
		return nil, fmt.Errorf("classifying users: %d users, %d activity rows or %d references exceed the %d row limit", len(users), len(activity), len(refs), math.MaxInt32)
	}
	c := newClassifier(users, activity, coverage, refs, opts)
	c.coverage.expectRegionsOf(users)
	// Sort small keys rather than findings or users: both are large to swap
	// and to reach at random.
	type sortKey struct {
		account, name string
		i             int32
	}
	order := make([]sortKey, len(users))
	for i := range users {
		order[i] = sortKey{users[i].AccountID, users[i].UserName, int32(i)}
	}
	compareKeys := func(a, b sortKey) int {
		// Not cmp.Or: it evaluates every comparison, and the last ones
		// reach into the users.
		if c := strings.Compare(a.account, b.account); c != 0 {
			return c
		}
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := compareUsers(&users[a.i], &users[b.i]); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i) // identical rows: keep input order
	}
	if !slices.IsSortedFunc(order, compareKeys) {
		slices.SortFunc(order, compareKeys)
	}
	out := make([]tables.Finding, len(users))
	// The classifier is read-only once built, so the users are classified
	// in chunks across the cores; the first error in output order wins, as
	// a sequential loop would report it.
	const chunk = 4096
	err := parallel.Each((len(order)+chunk-1)/chunk, runtime.GOMAXPROCS(0), func(ci int) error {
		for j := ci * chunk; j < min((ci+1)*chunk, len(order)); j++ {
			if err := c.classify(&users[order[j].i], &out[j]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// compareUsers is the findings' order: account, user name, then what tells
// apart two rows of one name (a re-created user listed twice).
func compareUsers(a, b *tables.User) int {
	return cmp.Or(
		cmp.Compare(a.AccountID, b.AccountID),
		cmp.Compare(a.UserName, b.UserName),
		cmp.Compare(a.UserID, b.UserID),
		cmp.Compare(a.ARN, b.ARN),
		a.CreateDate.Compare(b.CreateDate),
	)
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

// checkUser validates a user's password state before classification.
func checkUser(u *tables.User) error {
	switch u.PasswordState {
	case "", tables.PasswordUsed, tables.PasswordNever, tables.PasswordNoInformation, tables.PasswordNotSupported, tables.PasswordNA:
		return nil
	}
	return fmt.Errorf("classifying user %s in account %s: unknown password state %q (want %s, %s, %s, %s or %s)",
		u.UserName, u.AccountID, u.PasswordState,
		tables.PasswordUsed, tables.PasswordNever, tables.PasswordNoInformation, tables.PasswordNotSupported, tables.PasswordNA)
}

// classify writes u's finding into f.
func (c *classifier) classify(u *tables.User, f *tables.Finding) error {
	if err := checkUser(u); err != nil {
		return err
	}
	opts := c.opts
	S := c.windowStart
	ct := c.cloudTrail(u)
	refs := c.refsFor(u)

	*f = tables.Finding{
		AccountID:  u.AccountID,
		UserName:   u.UserName,
		UserID:     u.UserID,
		ARN:        u.ARN,
		Path:       u.Path,
		CreateDate: u.CreateDate,

		PasswordEnabled:  u.PasswordEnabled,
		PasswordLastUsed: u.PasswordLastUsed,
		PasswordState:    u.PasswordState,
		MFAActive:        u.MFAActive,
		Key1Active:       u.Key1Active,
		Key1LastRotated:  u.Key1LastRotated,
		Key1LastUsed:     u.Key1LastUsed,
		Key2Active:       u.Key2Active,
		Key2LastRotated:  u.Key2LastRotated,
		Key2LastUsed:     u.Key2LastUsed,

		CloudTrailFirstEvent:    ct.first,
		CloudTrailLastEvent:     ct.last,
		CloudTrailEvents:        ct.events,
		CloudTrailLastEventName: ct.lastName,
		FailedConsoleLogins:     ct.failed,
		LastFailedConsoleLogin:  ct.lastFailed,

		References: int64(len(refs)),

		InCredentialReport:        u.InCredentialReport,
		InAuthorizationDetails:    u.InAuthorizationDetails,
		ReportGeneratedAt:         u.ReportGeneratedAt,
		ReportNotBefore:           u.ReportNotBefore,
		CredentialReportGiven:     reportGiven(u),
		AuthorizationDetailsGiven: authDetailsGiven(u),
	}

	// Last activity: the latest signal; on a tie the earlier source in this
	// order wins (console, access_key, cloudtrail).
	consider := func(t time.Time, source string) {
		if !t.IsZero() && t.After(f.LastActivity) {
			f.LastActivity, f.LastActivitySource = t, source
		}
	}
	if u.PasswordState == tables.PasswordUsed {
		consider(u.PasswordLastUsed, tables.SourceConsole)
	}
	consider(u.Key1LastUsed, tables.SourceAccessKey)
	consider(u.Key2LastUsed, tables.SourceAccessKey)
	consider(ct.last, tables.SourceCloudTrail)

	// Never negative: activity after as-of is "in use" (0 days), and a user
	// created after as-of did not exist then (unknown, -1).
	f.DaysInactive = -1
	switch {
	case !f.LastActivity.IsZero():
		f.DaysInactive = max(0, floorDays(opts.AsOf.Sub(f.LastActivity)))
	case !u.CreateDate.IsZero() && !u.CreateDate.After(opts.AsOf):
		f.DaysInactive = floorDays(opts.AsOf.Sub(u.CreateDate))
	}

	if u.IsRoot {
		f.Status, f.Decision = tables.StatusRoot, tables.DecisionKeep
		f.Reasons = append(f.Reasons, reasonRoot)
		if !f.LastActivity.IsZero() {
			f.Reasons = append(f.Reasons, c.lastActivityReason(f))
		}
		return nil
	}

	// Exemptions come before activity: an exempt user is never remediated.
	allow := c.allow[allowKey(u.AccountID, u.UserName)]
	if allow.valid == nil && allow.expired != nil {
		f.AllowlistExpired = true
		f.Reasons = append(f.Reasons, fmt.Sprintf("allowlist entry expired %s (owner %s)", date(allow.expired.Expires), allow.expired.Owner))
	}
	if c.exemptByTag(u) {
		f.Status, f.Decision = tables.StatusExempt, tables.DecisionKeep
		f.Exemption = "tag:" + opts.ExemptTagKey + "=true"
		f.Reasons = slices.Insert(f.Reasons, 0, "exempt by tag "+opts.ExemptTagKey+"=true")
		c.appendUseReason(u, f)
		return nil
	}
	if e := allow.valid; e != nil {
		f.Status, f.Decision = tables.StatusExempt, tables.DecisionKeep
		f.Exemption = "allowlist"
		f.ExemptionOwner, f.ExemptionReason, f.ExemptionExpires = e.Owner, e.Reason, e.Expires
		f.Reasons = append(f.Reasons, fmt.Sprintf("exempt by allowlist until %s (owner %s): %s", date(e.Expires), e.Owner, e.Reason))
		c.appendUseReason(u, f)
		return nil
	}

	if !f.LastActivity.IsZero() && !f.LastActivity.Before(S) {
		f.Status, f.Decision = tables.StatusActive, tables.DecisionKeep
		f.Reasons = append(f.Reasons, c.lastActivityReason(f))
		c.unusedKeys(u, f)
		if len(f.UnusedKeys) > 0 {
			// Deactivating a key is a removal too: it needs the same proof.
			hold := c.evidenceReasons(u)
			if len(hold) == 0 {
				hold = planReasons(f)
			}
			hold = append(hold, c.keyUseDisagrees(u, ct)...)
			if len(hold) > 0 {
				f.Decision = tables.DecisionReview
				f.Reasons = append(f.Reasons, "unused access keys kept out of the remediation plan until reviewed:")
				f.Reasons = append(f.Reasons, hold...)
			}
		}
		return nil
	}
	if f.LastActivity.IsZero() && u.CreateDate.After(opts.AsOf) {
		f.Status, f.Decision = tables.StatusNew, tables.DecisionKeep
		f.Reasons = append(f.Reasons, fmt.Sprintf("created %s, after as-of %s: the user did not exist at as-of", date(u.CreateDate), rfc3339(opts.AsOf)))
		return nil
	}
	if f.LastActivity.IsZero() && !u.CreateDate.Before(S) {
		f.Status, f.Decision = tables.StatusNew, tables.DecisionKeep
		f.Reasons = append(f.Reasons, fmt.Sprintf("created %s, inside the window: grace", date(u.CreateDate)))
		return nil
	}

	// Candidates: inactive or never used, unless something needs review.
	var review []string
	unknown := preTrackingReasons(u)
	switch {
	case !f.LastActivity.IsZero():
		f.Status = tables.StatusInactive
		f.Reasons = append(f.Reasons, c.lastActivityReason(f))
		if !u.CreateDate.Before(S) {
			// Not in the spec's cases: used before it was created. The
			// inventory and the activity disagree; a person must look.
			review = append(review, fmt.Sprintf("last activity %s is before the creation date %s: inventory and activity disagree",
				date(f.LastActivity), date(u.CreateDate)))
		}
	case len(unknown) > 0:
		f.Status = tables.StatusInactive
		f.Reasons = append(f.Reasons, unknown...)
	case !u.InCredentialReport:
		// No report row: password and key use are unknown, not absent.
		f.Status = tables.StatusNeverUsed
		f.Reasons = append(f.Reasons, "no use in CloudTrail; password and access key use unknown without a credential report row")
	default:
		f.Status = tables.StatusNeverUsed
		if u.CreateDate.IsZero() {
			f.Reasons = append(f.Reasons, "never used; creation date unknown")
		} else {
			f.Reasons = append(f.Reasons, "never used since created "+date(u.CreateDate))
		}
	}
	if f.LastActivity.IsZero() && u.CreateDate.IsZero() {
		// Without a creation date nothing says how long the user has been
		// unused; never delete on that.
		review = append(review, "creation date unknown: cannot tell how long the user has been unused")
	}

	review = append(review, c.reviewReasons(u, f, ct, refs)...)
	review = append(review, c.trailGaps[u.AccountID]...)
	if len(review) == 0 {
		review = planReasons(f)
	}
	if len(review) > 0 {
		f.Status, f.Decision = tables.StatusReview, tables.DecisionReview
		f.Reasons = append(f.Reasons, review...)
		return nil
	}

	del := opts.DeleteAfterDays
	if f.Status == tables.StatusNeverUsed {
		age := opts.AsOf.Sub(u.CreateDate)
		if age > time.Duration(del)*day {
			f.Decision = tables.DecisionDelete
			f.Reasons = append(f.Reasons, fmt.Sprintf("never used in %d days of existence, more than %d: delete", floorDays(age), del))
		} else {
			f.Decision = tables.DecisionDeactivate
			f.Reasons = append(f.Reasons, fmt.Sprintf("never used in %d days of existence, not more than %d: deactivate", floorDays(age), del))
		}
		return nil
	}
	if f.DaysInactive > int64(del) {
		f.Decision = tables.DecisionDelete
		f.Reasons = append(f.Reasons, fmt.Sprintf("inactive %d days, more than %d: delete", f.DaysInactive, del))
	} else {
		f.Decision = tables.DecisionDeactivate
		f.Reasons = append(f.Reasons, fmt.Sprintf("inactive %d days, not more than %d: deactivate", f.DaysInactive, del))
	}
	return nil
}

func (c *classifier) exemptByTag(u *tables.User) bool {
	for _, t := range u.Tags {
		if t.Key == c.opts.ExemptTagKey && strings.EqualFold(t.Value, "true") {
			return true
		}
	}
	return false
}

// appendUseReason adds what is known of an exempt user's use, for the record.
func (c *classifier) appendUseReason(u *tables.User, f *tables.Finding) {
	switch {
	case !f.LastActivity.IsZero():
		f.Reasons = append(f.Reasons, c.lastActivityReason(f))
	case !u.InCredentialReport:
		// Without a report row, password and key use are unknown, not absent.
		f.Reasons = append(f.Reasons, "no use in CloudTrail; password and access key use unknown without a credential report row")
	case !f.CreateDate.IsZero():
		f.Reasons = append(f.Reasons, "no recorded use since created "+date(f.CreateDate))
	}
}

func (c *classifier) lastActivityReason(f *tables.Finding) string {
	if f.LastActivity.After(c.opts.AsOf) {
		return fmt.Sprintf("last activity %s (%s), after as-of %s", date(f.LastActivity), f.LastActivitySource, rfc3339(c.opts.AsOf))
	}
	return fmt.Sprintf("last activity %s (%s), %d days before as-of", date(f.LastActivity), f.LastActivitySource, f.DaysInactive)
}

// keySlot is what the classifier reads of one access key slot.
type keySlot struct {
	active            bool
	lastUsed, rotated time.Time
}

// keySlots returns the user's key slots 1 and 2, in order.
func keySlots(u *tables.User) [2]keySlot {
	return [2]keySlot{
		{u.Key1Active, u.Key1LastUsed, u.Key1LastRotated},
		{u.Key2Active, u.Key2LastUsed, u.Key2LastRotated},
	}
}

// unusedKeys records an active user's active keys that were not used since
// the window start. A key created (rotated) inside the window is in grace.
func (c *classifier) unusedKeys(u *tables.User, f *tables.Finding) {
	S := c.windowStart
	for i, k := range keySlots(u) {
		if !k.active || !k.lastUsed.Before(S) || !k.rotated.Before(S) {
			continue
		}
		n := int64(i + 1)
		f.UnusedKeys = append(f.UnusedKeys, n)
		var last string
		if k.lastUsed.IsZero() {
			last = "never used"
		} else {
			last = "last used " + date(k.lastUsed)
		}
		f.Reasons = append(f.Reasons, fmt.Sprintf("access key %d active but unused since %s (window start); %s, created %s",
			n, date(S), last, dateOrUnknown(k.rotated)))
	}
}

// keyUseDisagrees says why the credential report cannot tell which key is
// unused: CloudTrail saw more distinct long-term keys sign the user's requests
// than the report shows used since the window start (a key used after the
// report was generated, or a key since deleted). The report names slots, not
// key IDs, so the key CloudTrail saw may be the one the report calls unused.
func (c *classifier) keyUseDisagrees(u *tables.User, ct ctSignal) []string {
	used := 0
	for _, k := range keySlots(u) {
		if !k.lastUsed.Before(c.windowStart) {
			used++
		}
	}
	if len(ct.keys) <= used {
		return nil
	}
	return []string{fmt.Sprintf("CloudTrail shows %d long-term access key(s) signing this user's requests since %s, the credential report %d key(s) used since then: the key it calls unused may be one CloudTrail saw (used after the report was generated?)",
		len(ct.keys), date(c.windowStart), used)}
}

// preTrackingReasons says why a user without any recorded use may still have
// been used before AWS began tracking; empty when nothing hides use.
func preTrackingReasons(u *tables.User) []string {
	var out []string
	switch {
	case u.PasswordState == tables.PasswordNoInformation && u.CreateDate.Before(passwordTrackingStart):
		out = append(out, fmt.Sprintf("password last use unknown: no_information for a user created %s, before password tracking began on %s",
			dateOrUnknown(u.CreateDate), date(passwordTrackingStart)))
	case u.PasswordState == tables.PasswordUsed && u.PasswordLastUsed.IsZero():
		out = append(out, "password last use unknown: the credential report marks it used without a date")
	}
	for i, k := range keySlots(u) {
		if k.active && k.lastUsed.IsZero() && k.rotated.Before(keyTrackingStart) {
			out = append(out, fmt.Sprintf("access key %d last use unknown: N/A for a key created %s, before key tracking began on %s",
				i+1, dateOrUnknown(k.rotated), date(keyTrackingStart)))
		}
	}
	return out
}

// reviewReasons lists why a candidate's evidence is incomplete or disagrees
// (spec step 7, a to g).
func (c *classifier) reviewReasons(u *tables.User, f *tables.Finding, ct ctSignal, refs []tables.Reference) []string {
	// Trail coverage (coverage.go): the same reasons for every candidate of the account.
	out := slices.Clone(c.coverage.accountReasons(u.AccountID))

	out = append(out, c.opts.DigestProblems[u.AccountID]...)

	if n := c.opts.SkippedRecords[u.AccountID]; n > 0 {
		out = append(out, fmt.Sprintf("%d CloudTrail records in account %s's logs could not be attributed (no userIdentity, or no usable eventTime) "+
			"and could be this user's: see the log files on the Coverage sheet", n, u.AccountID))
	}

	if ct.failed > 0 {
		last := "unknown"
		if !ct.lastFailed.IsZero() {
			last = rfc3339(ct.lastFailed)
		}
		out = append(out, fmt.Sprintf("%d failed console sign-ins in window (last %s)", ct.failed, last))
	}

	for _, r := range refs {
		out = append(out, fmt.Sprintf("%s: %s (%s)", r.Kind, r.ResourceARN, r.Location))
	}

	return append(out, c.evidenceReasons(u)...)
}

// reportGiven and authDetailsGiven say whether the account's input was
// given; a user listed in it proves it was, whatever the flag says.
func reportGiven(u *tables.User) bool { return u.CredentialReportGiven || u.InCredentialReport }
func authDetailsGiven(u *tables.User) bool {
	return u.AuthorizationDetailsGiven || u.InAuthorizationDetails
}

// evidenceReasons lists what the inventory's inputs fail to prove for a
// removal: a credential report of proven freshness that lists the user;
// authorization details that list it; and no
// gap the inputs left (InputGaps). Empty when they prove all of it.
func (c *classifier) evidenceReasons(u *tables.User) []string {
	var out []string
	switch {
	case !reportGiven(u):
		out = append(out, fmt.Sprintf("no credential report given for account %s: password and access key use not assessed", u.AccountID))
	default:
		out = append(out, c.reportAgeReasons(u)...)
		if !u.InCredentialReport {
			out = append(out, reasonNotInReport)
		}
	}
	switch {
	case !authDetailsGiven(u):
		out = append(out, fmt.Sprintf("no authorization details given for account %s: groups, policies and references not assessed", u.AccountID))
	case !u.InAuthorizationDetails:
		out = append(out, reasonNotInAuthDetails)
	}
	out = append(out, u.InputGaps...)
	if u.UserID == "" {
		out = append(out, "no unique user ID: remediation matches users by unique ID (so that a re-created user is never touched) and cannot act on this one")
	}
	if n := c.sharedIDs[acctName{u.AccountID, u.UserID}]; n > 1 {
		out = append(out, fmt.Sprintf("unique ID %s is on %d users of account %s in the inventory: the inputs disagree on who holds it", u.UserID, n, u.AccountID))
	}
	return out
}

// reportAgeReasons says why the credential report cannot show who was
// unused at as-of: older than the maximum age, or of unknown age. The
// generation time is proven by ReportGeneratedAt or, failing that, bounded by
// ReportNotBefore (the report was generated at or after the latest time
// inside it). A report generated after as-of is fresh: its last-use dates
// reach past as-of, so use after as-of makes the user active and no use
// through a later moment is no use at as-of either. A live run's report is
// always generated a little after its as-of.
func (c *classifier) reportAgeReasons(u *tables.User) []string {
	opts := c.opts
	gen, nb := u.ReportGeneratedAt, u.ReportNotBefore
	switch {
	case !gen.IsZero() && !gen.Before(opts.AsOf), gen.IsZero() && !nb.IsZero() && !nb.Before(opts.AsOf):
		return nil
	case !gen.IsZero():
		if opts.AsOf.Sub(gen) > opts.ReportMaxAge {
			return []string{fmt.Sprintf("credential report generated %s, older than %s days at as-of", rfc3339(gen), formatDays(opts.ReportMaxAge))}
		}
		return nil
	case !nb.IsZero() && opts.AsOf.Sub(nb) <= opts.ReportMaxAge:
		return nil
	}
	bound := "and nothing inside it bounds its age"
	if !nb.IsZero() {
		bound = fmt.Sprintf("and its latest time, %s, is older than %s days at as-of", rfc3339(nb), formatDays(opts.ReportMaxAge))
	}
	return []string{fmt.Sprintf("credential report's age is unknown: it does not say when it was generated (a CSV does not) %s; state it with --report-generated-at %s=TIME, or give the CLI's JSON (aws iam get-credential-report), whose GeneratedTime proves it",
		bound, u.AccountID)}
}

// planReasons is why remediation could not act on the finding's plan
// safely: what Build would refuse in data that came from the inputs.
func planReasons(f *tables.Finding) []string {
	if err := manifest.CheckFinding(f); err != nil {
		return []string{"remediation cannot identify the user safely: " + err.Error()}
	}
	return nil
}

// floorDays is floor(d / 24h), also for negative d (activity after as-of).
func floorDays(d time.Duration) int64 {
	n := int64(d / day)
	if d < 0 && d%day != 0 {
		n--
	}
	return n
}

func formatDays(d time.Duration) string {
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10)
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

func date(t time.Time) string    { return t.UTC().Format(time.DateOnly) }
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func dateOrUnknown(t time.Time) string {
	if t.IsZero() {
		return "at an unknown date"
	}
	return date(t)
}
