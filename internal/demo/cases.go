package demo

// Case names: each generated user exercises exactly one.
const (
	CaseActiveConsole        = "active_console"               // signs in to the console in the window
	CaseActiveKey            = "active_key"                   // uses an access key in the window, no password
	CaseActiveUnusedKey2     = "active_unused_second_key"     // key 1 used, key 2 active but unused -> unused key 2
	CaseActiveCloudTrailOnly = "active_cloudtrail_only"       // credential report says old, CloudTrail shows use in the window
	CaseActiveFederated      = "active_federated_only"        // only FederatedUser sessions it issued are in the window
	CaseActiveCrossAccount   = "active_cross_account"         // only an AWSAccount call logged in another account
	CaseActiveDuplicate      = "active_duplicate_delivery"    // active; some events delivered twice (same eventID)
	CaseInactiveDeactivate   = "inactive_deactivate"          // last use 120-300 days ago
	CaseInactiveDelete       = "inactive_delete"              // last use more than DeleteAfterDays ago
	CaseNeverUsedDeactivate  = "never_used_deactivate"        // created 100-300 days ago, never used
	CaseNeverUsedDelete      = "never_used_delete"            // created years ago, never used
	CasePre2014NoInformation = "no_information_pre_2014"      // password no_information, created before tracking began
	CaseKeyBeforeTracking    = "key_before_tracking"          // active key, last used N/A, created before key tracking began
	CaseNew                  = "new"                          // created inside the window, unused
	CaseExemptTag            = "exempt_tag"                   // tagged dormant:exempt=true
	CaseExemptAllowlist      = "exempt_allowlist"             // named by a current allowlist entry
	CaseAllowlistExpired     = "allowlist_expired"            // named by an expired allowlist entry: classified normally
	CaseRecreated            = "recreated"                    // an older user of the same name acted in the window, then was deleted
	CaseRoleSessionLikeUser  = "role_session_named_like_user" // inactive; role sessions carry its name
	CaseFailedLoginsOnly     = "failed_logins_only"           // inactive; failed console sign-ins in the window
	CaseReferencedTrust      = "referenced_in_trust_policy"   // inactive; a role trust policy names it
	CaseReferencedPolicy     = "referenced_in_managed_policy" // inactive; a customer-managed policy names it
	CaseNotInReport          = "not_in_credential_report"     // only in the authorization details
	CaseNotInAuthDetails     = "not_in_authorization_details" // only in the credential report
	CaseRoot                 = "root"                         // the account root row
)

// Review codes: which of the classification rules' review conditions apply.
const (
	ReviewCoverage                  = "coverage"      // no trail data for the account, or it starts after the window start
	ReviewFailedLogins              = "failed_logins" // failed console sign-ins in the window
	ReviewReferences                = "references"    // named in a policy
	ReviewReportAge                 = "report_age"    // credential report older than its freshness bound (never generated)
	ReviewNotInReport               = "not_in_report"
	ReviewNotInAuthorizationDetails = "not_in_authorization_details"
)

type coverage int

const (
	coverageFull    coverage = iota // logs from before the window start to as-of
	coveragePartial                 // the trail starts in the middle of the window
	coverageNone                    // no logs at all
)

func (c coverage) String() string {
	switch c {
	case coverageFull:
		return "full"
	case coveragePartial:
		return "partial"
	default:
		return "none"
	}
}

const (
	onFull = 1 << iota
	onPartial
	onNone
	onAll = onFull | onPartial | onNone
)

type caseSpec struct {
	name   string
	weight int // per mille of users at large sizes
	on     int // account coverages where the case makes sense
	// crossAccount: needs another account with trail coverage.
	crossAccount bool
}

// caseTable is in priority order: with fewer users than cases in an account,
// the first ones are kept. Weights keep most users active.
var caseTable = []caseSpec{
	{name: CaseActiveConsole, weight: 260, on: onAll},
	{name: CaseActiveKey, weight: 160, on: onAll},
	{name: CaseInactiveDeactivate, weight: 70, on: onAll},
	{name: CaseInactiveDelete, weight: 60, on: onAll},
	{name: CaseNeverUsedDeactivate, weight: 25, on: onAll},
	{name: CaseNeverUsedDelete, weight: 25, on: onAll},
	{name: CaseNew, weight: 40, on: onAll},
	{name: CaseActiveUnusedKey2, weight: 70, on: onAll},
	{name: CaseActiveCloudTrailOnly, weight: 40, on: onFull | onPartial},
	{name: CaseActiveFederated, weight: 30, on: onFull},
	{name: CaseActiveCrossAccount, weight: 30, on: onAll, crossAccount: true},
	{name: CaseActiveDuplicate, weight: 20, on: onFull | onPartial},
	{name: CasePre2014NoInformation, weight: 10, on: onAll},
	{name: CaseKeyBeforeTracking, weight: 8, on: onAll},
	{name: CaseExemptTag, weight: 12, on: onAll},
	{name: CaseExemptAllowlist, weight: 12, on: onAll},
	{name: CaseAllowlistExpired, weight: 6, on: onAll},
	{name: CaseRecreated, weight: 6, on: onFull | onPartial},
	{name: CaseRoleSessionLikeUser, weight: 6, on: onFull | onPartial},
	{name: CaseFailedLoginsOnly, weight: 6, on: onFull | onPartial},
	{name: CaseReferencedTrust, weight: 6, on: onAll},
	{name: CaseReferencedPolicy, weight: 6, on: onAll},
	{name: CaseNotInReport, weight: 4, on: onAll},
	{name: CaseNotInAuthDetails, weight: 4, on: onAll},
}

// Cases lists every case name the generator can produce, root included.
func Cases() []string {
	out := make([]string, 0, len(caseTable)+1)
	for _, c := range caseTable {
		out = append(out, c.name)
	}
	return append(out, CaseRoot)
}

// casesFor returns the cases that apply to an account with coverage c.
func casesFor(c coverage, otherCovered bool) []caseSpec {
	bit := map[coverage]int{coverageFull: onFull, coveragePartial: onPartial, coverageNone: onNone}[c]
	var out []caseSpec
	for _, cs := range caseTable {
		if cs.on&bit == 0 || (cs.crossAccount && !otherCovered) {
			continue
		}
		out = append(out, cs)
	}
	return out
}

// assignCases returns n case names for an account: one of each applicable
// case first (in priority order), then the rest where each case falls
// furthest short of its weighted share, so that proportions hold at every
// size (most users active) and every case still appears.
func assignCases(specs []caseSpec, n int) []string {
	out := make([]string, 0, n)
	for _, cs := range specs {
		if len(out) == n {
			return out
		}
		out = append(out, cs.name)
	}
	m := int64(n - len(out))
	if m == 0 {
		return out
	}
	var total int64
	for _, cs := range specs {
		total += int64(cs.weight)
	}
	// Shortfall of case i, scaled by total: its share n*w/total minus the
	// one it already has. Without any shortfall, share by weight.
	extra := make([]int64, len(specs))
	var sum int64
	for i, cs := range specs {
		extra[i] = max(0, int64(n)*int64(cs.weight)-total)
		sum += extra[i]
	}
	if sum == 0 {
		for i, cs := range specs {
			extra[i] = int64(cs.weight)
			sum += extra[i]
		}
	}
	counts := make([]int64, len(specs))
	rems := make([]int64, len(specs))
	var given int64
	for i := range specs {
		counts[i] = m * extra[i] / sum
		rems[i] = m * extra[i] % sum
		given += counts[i]
	}
	// Largest remainders; ties go to the earlier case, so the result is
	// deterministic.
	for ; given < m; given++ {
		best := 0
		for i := range rems {
			if rems[i] > rems[best] {
				best = i
			}
		}
		counts[best]++
		rems[best] = -1
	}
	for i, cs := range specs {
		for j := int64(0); j < counts[i]; j++ {
			out = append(out, cs.name)
		}
	}
	return out
}
