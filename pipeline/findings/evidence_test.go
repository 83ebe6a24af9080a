package findings

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Issue 13: a decision that removes something needs evidence that proves it.
// These cases build Users the way the inventory describes its inputs
// (ReportGeneratedAt only when proven, ReportNotBefore from inside the report,
// which inputs were given, the gaps they left).

// inactiveUser would be deactivated if nothing kept it in review.
func inactiveUser(u *tables.User) {
	u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, daysBefore(800), daysBefore(100)
}

// classifyOne classifies u with the defaults and full coverage.
func classifyOne(t *testing.T, u tables.User, mod func(o *Options)) tables.Finding {
	t.Helper()
	opts := DefaultOptions(asOf)
	if mod != nil {
		mod(&opts)
	}
	got, err := Classify([]tables.User{u}, nil, fullCoverage(), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return got[0]
}

// hasReason reports whether some reason contains every part.
func hasReason(f tables.Finding, parts ...string) bool {
	return slices.ContainsFunc(f.Reasons, func(r string) bool {
		for _, p := range parts {
			if !strings.Contains(r, p) {
				return false
			}
		}
		return true
	})
}

func wantReview(t *testing.T, f tables.Finding, parts ...string) {
	t.Helper()
	if f.Status != tables.StatusReview || f.Decision != tables.DecisionReview {
		t.Errorf("status/decision = %s/%s, want review/review; reasons %q", f.Status, f.Decision, f.Reasons)
	}
	if !hasReason(f, parts...) {
		t.Errorf("no reason with %q in %q", parts, f.Reasons)
	}
}

func TestReportAge(t *testing.T) {
	t.Run("unknown age keeps a candidate in review, saying how to state it", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.ReportGeneratedAt = time.Time{}
		f := classifyOne(t, u, nil)
		wantReview(t, f, "age is unknown", "--report-generated-at 111111111111=", "JSON")
		if !f.ReportGeneratedAt.IsZero() {
			t.Errorf("report generated at %v, want unknown (zero)", f.ReportGeneratedAt)
		}
	})
	t.Run("the latest time inside the report proves freshness", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.ReportGeneratedAt, u.ReportNotBefore = time.Time{}, daysBefore(7)
		f := classifyOne(t, u, nil)
		if f.Status != tables.StatusInactive || f.Decision != tables.DecisionDeactivate {
			t.Errorf("status/decision = %s/%s, want inactive/deactivate; reasons %q", f.Status, f.Decision, f.Reasons)
		}
		if !f.ReportNotBefore.Equal(daysBefore(7)) {
			t.Errorf("finding's report lower bound = %v, want %v", f.ReportNotBefore, daysBefore(7))
		}
	})
	t.Run("a lower bound older than the maximum age proves nothing", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.ReportGeneratedAt, u.ReportNotBefore = time.Time{}, daysBefore(7).Add(-time.Second)
		wantReview(t, classifyOne(t, u, nil), "age is unknown", "2026-10-24T23:59:59Z")
	})
	for _, tc := range []struct {
		name string
		mod  func(u *tables.User)
		want tables.Finding
	}{
		{"active", func(u *tables.User) { u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(3) },
			tables.Finding{Status: tables.StatusActive, Decision: tables.DecisionKeep}},
		{"new", func(u *tables.User) { u.CreateDate = daysBefore(10) },
			tables.Finding{Status: tables.StatusNew, Decision: tables.DecisionKeep}},
		{"exempt", func(u *tables.User) {
			inactiveUser(u)
			u.Tags = []tables.Tag{{Key: DefaultExemptTagKey, Value: "true"}}
		},
			tables.Finding{Status: tables.StatusExempt, Decision: tables.DecisionKeep}},
	} {
		t.Run("unknown age still supports "+tc.name, func(t *testing.T) {
			u := baseUser()
			u.ReportGeneratedAt = time.Time{}
			tc.mod(&u)
			f := classifyOne(t, u, nil)
			if f.Status != tc.want.Status || f.Decision != tc.want.Decision {
				t.Errorf("status/decision = %s/%s, want %s/%s; reasons %q", f.Status, f.Decision, tc.want.Status, tc.want.Decision, f.Reasons)
			}
		})
	}
	t.Run("an active user's unused key needs a report of proven age", func(t *testing.T) {
		u := baseUser()
		u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
		u.Key2Active, u.Key2LastRotated = true, daysBefore(700)
		u.ReportGeneratedAt = time.Time{}
		f := classifyOne(t, u, nil)
		if f.Status != tables.StatusActive || f.Decision != tables.DecisionReview {
			t.Errorf("status/decision = %s/%s, want active/review; reasons %q", f.Status, f.Decision, f.Reasons)
		}
		if !slices.Equal(f.UnusedKeys, []int64{2}) || !hasReason(f, "age is unknown") {
			t.Errorf("unused keys %v, reasons %q: want key 2 listed and the report's age named", f.UnusedKeys, f.Reasons)
		}
	})
}

func TestReportAfterAsOf(t *testing.T) {
	// A report generated after as-of is fresher evidence, not staler: a live
	// run's report is always generated a little after its as-of.
	t.Run("a report generated after as-of supports a candidate", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.ReportGeneratedAt = asOf.Add(140 * 24 * time.Hour)
		if f := classifyOne(t, u, nil); f.Status != tables.StatusInactive || hasReason(f, "after as-of") {
			t.Errorf("status %s, reasons %q: want inactive on the report's evidence", f.Status, f.Reasons)
		}
	})
	t.Run("a time inside the report after as-of proves it fresh too", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.ReportGeneratedAt, u.ReportNotBefore = time.Time{}, asOf.Add(time.Hour)
		if f := classifyOne(t, u, nil); f.Status != tables.StatusInactive || hasReason(f, "age is unknown") {
			t.Errorf("status %s, reasons %q: want inactive, the report's age proven by the time inside it", f.Status, f.Reasons)
		}
	})
	t.Run("activity after as-of is active, never negative days", func(t *testing.T) {
		u := baseUser()
		u.ReportGeneratedAt = asOf.Add(140 * 24 * time.Hour)
		u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, daysBefore(800), asOf.Add(100*24*time.Hour)
		f := classifyOne(t, u, nil)
		if f.Status != tables.StatusActive || f.DaysInactive != 0 {
			t.Errorf("status %s, days inactive %d; want active, 0", f.Status, f.DaysInactive)
		}
		if !hasReason(f, "last activity 2027-02-09 (access_key), after as-of") {
			t.Errorf("reasons %q do not say the activity is after as-of", f.Reasons)
		}
	})
	t.Run("a user created after as-of is not new inside the window", func(t *testing.T) {
		u := baseUser()
		u.ReportGeneratedAt = asOf.Add(140 * 24 * time.Hour)
		u.CreateDate = asOf.Add(30 * 24 * time.Hour)
		f := classifyOne(t, u, nil)
		if f.Status != tables.StatusNew || f.Decision != tables.DecisionKeep || f.DaysInactive != -1 {
			t.Errorf("status/decision %s/%s, days %d; want new/keep, -1 (unknown)", f.Status, f.Decision, f.DaysInactive)
		}
		if !hasReason(f, "created 2026-12-01, after as-of") || hasReason(f, "inside the window") {
			t.Errorf("reasons %q: want \"created after as-of\", not \"inside the window\"", f.Reasons)
		}
	})
	t.Run("an active user's unused key from a report after as-of is planned", func(t *testing.T) {
		u := baseUser()
		u.ReportGeneratedAt = asOf.Add(140 * 24 * time.Hour)
		u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
		u.Key2Active, u.Key2LastRotated = true, daysBefore(700)
		f := classifyOne(t, u, nil)
		if f.Decision != tables.DecisionKeep || !slices.Equal(f.UnusedKeys, []int64{2}) {
			t.Errorf("decision %s, unused keys %v, reasons %q: want keep with key 2 planned", f.Decision, f.UnusedKeys, f.Reasons)
		}
	})
}

func TestNoUniqueID(t *testing.T) {
	t.Run("an active user's unused key without a unique ID goes to review", func(t *testing.T) {
		u := baseUser()
		u.UserID, u.InAuthorizationDetails = "", false
		u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
		u.Key2Active, u.Key2LastRotated = true, daysBefore(700)
		f := classifyOne(t, u, nil)
		if f.Status != tables.StatusActive || f.Decision != tables.DecisionReview || !hasReason(f, "unique user ID") {
			t.Errorf("status/decision %s/%s, reasons %q: want active/review naming the unique ID", f.Status, f.Decision, f.Reasons)
		}
	})
	t.Run("a candidate listed in the authorization details without an ID", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.UserID = ""
		wantReview(t, classifyOne(t, u, nil), "unique user ID")
	})
	t.Run("a user ID outside IAM's contract", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.UserID = "AIDA-SHORT"
		wantReview(t, classifyOne(t, u, nil), "AIDA-SHORT")
	})
	t.Run("an ARN that names another user", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.ARN = "arn:aws:iam::111111111111:user/team/bob"
		wantReview(t, classifyOne(t, u, nil), "arn:aws:iam::111111111111:user/team/bob")
	})
	t.Run("an active user's key without a creation time", func(t *testing.T) {
		u := baseUser()
		u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
		u.Key1Active = true
		f := classifyOne(t, u, nil)
		if f.Decision != tables.DecisionReview || !hasReason(f, "access key 1", "creation") {
			t.Errorf("decision %s, reasons %q: want review naming the key's unknown creation", f.Decision, f.Reasons)
		}
	})
	t.Run("one unique ID on two users of an account", func(t *testing.T) {
		a, b := baseUser(), baseUser()
		inactiveUser(&a)
		inactiveUser(&b)
		b.UserName, b.ARN = "alice2", "arn:aws:iam::111111111111:user/team/alice2"
		got, err := Classify([]tables.User{a, b}, nil, fullCoverage(), nil, DefaultOptions(asOf))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range got {
			wantReview(t, f, uid, "2 users")
		}
	})
}

func TestAllowlistCase(t *testing.T) {
	entry := AllowEntry{AccountID: acct, UserName: "SVC-SFTP-PROD", Reason: "legal hold", Owner: "legal@example.com", Expires: asOf.AddDate(1, 0, 0)}
	u := baseUser()
	inactiveUser(&u)
	u.UserName, u.ARN = "svc-sftp-prod", "arn:aws:iam::111111111111:user/team/svc-sftp-prod"
	f := classifyOne(t, u, func(o *Options) { o.Allowlist = []AllowEntry{entry} })
	if f.Status != tables.StatusExempt || f.Exemption != "allowlist" {
		t.Errorf("status %s, exemption %q: an entry naming SVC-SFTP-PROD must exempt svc-sftp-prod (IAM names are case-insensitive)", f.Status, f.Exemption)
	}
	other := entry
	other.AccountID = acct2
	f = classifyOne(t, u, func(o *Options) { o.Allowlist = []AllowEntry{other} })
	if f.Status == tables.StatusExempt {
		t.Error("an entry for another account exempted the user")
	}
	expired := entry
	expired.Expires = asOf.AddDate(0, -1, 0)
	f = classifyOne(t, u, func(o *Options) { o.Allowlist = []AllowEntry{expired} })
	if !f.AllowlistExpired {
		t.Error("an expired entry differing in case is not reported as expired")
	}
}

func TestInputsNotGiven(t *testing.T) {
	t.Run("no authorization details given", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.UserID, u.InAuthorizationDetails, u.AuthorizationDetailsGiven = "", false, false
		f := classifyOne(t, u, nil)
		wantReview(t, f, "no authorization details given for account 111111111111: groups, policies and references not assessed")
		if hasReason(f, "deleted since") {
			t.Errorf("reasons %q guess at a deletion with no authorization details given", f.Reasons)
		}
		if f.AuthorizationDetailsGiven {
			t.Error("finding says authorization details were given")
		}
	})
	t.Run("no credential report row: never says never used", func(t *testing.T) {
		u := baseUser()
		u.InCredentialReport, u.PasswordState = false, ""
		f := classifyOne(t, u, nil)
		wantReview(t, f, "not in the credential report")
		if hasReason(f, "never used since created") {
			t.Errorf("reasons %q claim the user was never used without a report row", f.Reasons)
		}
	})
	t.Run("an exempt user without a report row is not said to be unused", func(t *testing.T) {
		u := baseUser()
		u.InCredentialReport, u.PasswordState = false, ""
		u.Tags = []tables.Tag{{Key: DefaultExemptTagKey, Value: "true"}}
		f := classifyOne(t, u, nil)
		if f.Status != tables.StatusExempt || hasReason(f, "no recorded use") || !hasReason(f, "use unknown") {
			t.Errorf("status %s, reasons %q: want exempt, saying use is unknown", f.Status, f.Reasons)
		}
	})
	t.Run("no credential report given", func(t *testing.T) {
		u := baseUser()
		u.InCredentialReport, u.CredentialReportGiven, u.PasswordState, u.ReportGeneratedAt = false, false, "", time.Time{}
		f := classifyOne(t, u, nil)
		wantReview(t, f, "no credential report given for account 111111111111")
		if f.CredentialReportGiven {
			t.Error("finding says a report was given")
		}
	})
	t.Run("input gaps are review reasons", func(t *testing.T) {
		u := baseUser()
		inactiveUser(&u)
		u.InputGaps = []string{"credential report lacks column access_key_2_last_used_date", "authorization details lack RoleDetailList"}
		f := classifyOne(t, u, nil)
		for _, g := range u.InputGaps {
			wantReview(t, f, g)
		}
	})
}

// As-of must lie where evidence can exist and where dates derived from it
// can be written: a manifest's delete-after tag up to 36500 days later.
func TestOptionsAsOfRange(t *testing.T) {
	for _, tc := range []struct {
		asOf time.Time
		ok   bool
	}{
		{time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(9899, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), false},
		{time.Date(2009, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(9900, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		err := DefaultOptions(tc.asOf).Validate()
		if (err == nil) != tc.ok {
			t.Errorf("as-of %s: error %v, want ok=%v", tc.asOf.Format(time.RFC3339Nano), err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "as-of "+tc.asOf.Format(time.RFC3339)+" is out of range") {
			t.Errorf("as-of %s: error %q does not name the value and the range", tc.asOf, err)
		}
	}
}
