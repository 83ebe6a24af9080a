package findings

import (
	"fmt"
	"slices"
	"time"

	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

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
		if isOwnership(r) {
			continue // not a use: removeInIaC (iac.go) reads it
		}
		if r.ResourceARN == "" { // a file found by the code search
			out = append(out, fmt.Sprintf("%s: %s names the user", r.Kind, r.Location))
			continue
		}
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
