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
			if err := c.classifyUser(&users[order[j].i], &out[j]); err != nil {
				return err
			}
			c.removeInIaC(&users[order[j].i], &out[j]) // iac.go
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
	// The dormant tags' dates are reported whatever decides (lifecycle.go).
	d := deactivation(u, f)
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
	if c.lifecycle(u, f, d, ct, refs) {
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
