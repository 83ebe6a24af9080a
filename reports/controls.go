package reports

import (
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Control is a compliance control whose evidence the workbook carries.
type Control struct {
	ID        string // e.g. "IAM.22"
	Standard  string // where it comes from
	Title     string // the control's own title
	Threshold int    // days a credential may go unused
}

// Controls are evaluated per finding, whatever the run's own window: an
// auditor asks "which users fail IAM.22", not "which users are inactive by
// this run's settings". Sources: AWS Security Hub controls reference for
// IAM.22 and IAM.8 (AWS Config rule iam-user-unused-credentials-check with
// maxCredentialUsageAge 45 and 90). Standard lists every citation with the
// same threshold (controls_citations.go).
var Controls = []Control{
	{
		ID:        "IAM.22",
		Standard:  standardsAt(45),
		Title:     "IAM user credentials unused for 45 days should be removed",
		Threshold: 45,
	},
	{
		ID:        "IAM.8",
		Standard:  standardsAt(90),
		Title:     "Unused IAM user credentials should be removed",
		Threshold: 90,
	},
}

// standardsAt names every citation whose threshold is days, in Citations
// order, joined with "; ".
func standardsAt(days int) string {
	var names []string
	for _, c := range Citations {
		if c.ThresholdDays == days {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, "; ")
}

// Results of a control for one finding or key.
const (
	ControlFail    = "fail"
	ControlPass    = "pass"
	ControlUnknown = "unknown" // a credential's last use and creation are both unknown
	ControlNA      = "n/a"     // the root user: not an IAM user resource
	// ControlNotAssessed: no credential report row for the user (none given,
	// or the user missing from it), so its credentials are unknown; never
	// "pass".
	ControlNotAssessed = "not assessed"
)

// credentialAge is how long one credential has gone unused at as-of.
type credentialAge struct {
	days  int64
	known bool
}

// unusedDays counts whole days from ref to asOf (never negative); ref zero
// is unknown.
func unusedDays(ref, asOf time.Time) credentialAge {
	if ref.IsZero() {
		return credentialAge{}
	}
	d := asOf.Sub(ref)
	if d < 0 {
		return credentialAge{known: true}
	}
	return credentialAge{days: int64(d / (24 * time.Hour)), known: true}
}

// keyAge is how long an access key slot has gone unused: since its last
// use or, never used, since its creation (last rotation).
func keyAge(f *tables.Finding, slot int64, asOf time.Time) credentialAge {
	last, created := f.Key1LastUsed, f.Key1LastRotated
	if slot == 2 {
		last, created = f.Key2LastUsed, f.Key2LastRotated
	}
	if last.IsZero() {
		last = created
	}
	return unusedDays(last, asOf)
}

// credentialAges lists the credentials the controls weigh: the console
// password if enabled (unused since last use or, never used, since the
// user's creation: the report has no password creation date) and each
// active access key. Inactive keys do not fail the controls.
func credentialAges(f *tables.Finding, asOf time.Time) []credentialAge {
	var out []credentialAge
	if f.PasswordEnabled {
		ref := f.PasswordLastUsed
		if ref.IsZero() {
			ref = f.CreateDate
		}
		out = append(out, unusedDays(ref, asOf))
	}
	if f.Key1Active {
		out = append(out, keyAge(f, 1, asOf))
	}
	if f.Key2Active {
		out = append(out, keyAge(f, 2, asOf))
	}
	return out
}

// longestUnused is the days the longest-unused credential has gone unused;
// ok is false when the finding has no credential the controls weigh, one
// of them cannot be dated, or the report has no row for the user.
func longestUnused(f *tables.Finding, asOf time.Time) (days int64, ok bool) {
	if !f.InCredentialReport {
		return 0, false
	}
	ages := credentialAges(f, asOf)
	if len(ages) == 0 {
		return 0, false
	}
	for _, a := range ages {
		if !a.known {
			return 0, false
		}
		days = max(days, a.days)
	}
	return days, true
}

// ControlResult evaluates a control for a finding as AWS Config's
// iam-user-unused-credentials-check does: it fails when the console
// password or an active access key has gone unused for threshold days or
// more, a never-used credential counting from its creation. The root user
// is not an IAM user resource: n/a. A user without a credential report row
// is not assessed: its credentials come from the report.
func ControlResult(f *tables.Finding, asOf time.Time, threshold int) string {
	if isRoot(f) {
		return ControlNA
	}
	if !f.InCredentialReport {
		return ControlNotAssessed
	}
	return controlOf(credentialAges(f, asOf), threshold)
}

func controlOf(ages []credentialAge, threshold int) string {
	unknown := false
	for _, a := range ages {
		switch {
		case !a.known:
			unknown = true
		case a.days >= int64(threshold):
			return ControlFail
		}
	}
	if unknown {
		return ControlUnknown
	}
	return ControlPass
}

// KeyControlResult evaluates a control for one access key slot alone.
func KeyControlResult(f *tables.Finding, slot int64, asOf time.Time, threshold int) string {
	return controlOf([]credentialAge{keyAge(f, slot, asOf)}, threshold)
}

func isRoot(f *tables.Finding) bool {
	return f.Status == tables.StatusRoot || f.UserName == tables.RootUserName
}
