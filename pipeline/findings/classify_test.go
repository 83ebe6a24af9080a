package findings

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

const (
	acct  = "111111111111"
	acct2 = "222222222222"
	uid   = "AIDAEXAMPLEUSER00001"
	arn   = "arn:aws:iam::111111111111:user/team/alice"
)

var (
	asOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	winS = time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC) // asOf - 90 days
)

func daysBefore(n int) time.Time { return asOf.Add(-time.Duration(n) * 24 * time.Hour) }

// baseUser is a plain user created long before the window with no password,
// no keys, present in both inventory sources and a fresh credential report.
func baseUser() tables.User {
	return tables.User{
		AccountID: acct, UserName: "alice", UserID: uid, ARN: arn, Path: "/team/",
		CreateDate:             time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		PasswordState:          tables.PasswordNA,
		ReportGeneratedAt:      asOf.Add(-time.Hour),
		InCredentialReport:     true,
		InAuthorizationDetails: true,

		CredentialReportGiven:     true,
		AuthorizationDetailsGiven: true,
	}
}

// fullCoverage covers the whole window for acct: a cell every day in one
// region, from ten days before the window to an hour before as-of.
func fullCoverage() []tables.Coverage {
	return dailyCells(acct, "us-east-1", winS.Add(-10*24*time.Hour), asOf.Add(-time.Hour))
}

type classifyCase struct {
	name     string
	user     func(u *tables.User)
	activity []tables.Activity
	coverage []tables.Coverage // nil: fullCoverage()
	refs     []tables.Reference
	opts     func(o *Options)

	status, decision string
	lastActivity     time.Time
	source           string
	days             int64
	reasons          []string // exact, in order
	check            func(t *testing.T, f tables.Finding)
}

func runCase(t *testing.T, tc classifyCase) tables.Finding {
	t.Helper()
	u := baseUser()
	if tc.user != nil {
		tc.user(&u)
	}
	cov := tc.coverage
	if cov == nil {
		cov = fullCoverage()
	}
	opts := DefaultOptions(asOf)
	if tc.opts != nil {
		tc.opts(&opts)
	}
	got, err := Classify([]tables.User{u}, tc.activity, cov, tc.refs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d findings, want 1", len(got))
	}
	f := got[0]
	if f.Status != tc.status || f.Decision != tc.decision {
		t.Errorf("status/decision = %s/%s, want %s/%s\nreasons: %q", f.Status, f.Decision, tc.status, tc.decision, f.Reasons)
	}
	if !f.LastActivity.Equal(tc.lastActivity) || f.LastActivitySource != tc.source {
		t.Errorf("last activity = %v (%q), want %v (%q)", f.LastActivity, f.LastActivitySource, tc.lastActivity, tc.source)
	}
	if f.DaysInactive != tc.days {
		t.Errorf("days inactive = %d, want %d", f.DaysInactive, tc.days)
	}
	if tc.reasons != nil && !slices.Equal(f.Reasons, tc.reasons) {
		t.Errorf("reasons:\n got %q\nwant %q", f.Reasons, tc.reasons)
	}
	if len(f.Reasons) == 0 {
		t.Error("finding has no reason")
	}
	if tc.check != nil {
		tc.check(t, f)
	}
	return f
}

func TestClassifyStatuses(t *testing.T) {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	createdDays := int64(asOf.Sub(created) / (24 * time.Hour)) // 1035
	tests := []classifyCase{
		{
			name: "root is reported apart, with its last activity",
			user: func(u *tables.User) {
				u.IsRoot, u.UserName, u.UserID, u.ARN = true, tables.RootUserName, "", "arn:aws:iam::111111111111:root"
				u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(400)
			},
			status: tables.StatusRoot, decision: tables.DecisionKeep,
			lastActivity: daysBefore(400), source: tables.SourceConsole, days: 400,
			reasons: []string{"root user: reported apart, never remediated", "last activity 2025-09-27 (console), 400 days before as-of"},
		},
		{
			name: "exempt by tag, value case-insensitive",
			user: func(u *tables.User) {
				u.Tags = []tables.Tag{{Key: "team", Value: "x"}, {Key: "dormant:exempt", Value: "TRUE"}}
			},
			status: tables.StatusExempt, decision: tables.DecisionKeep, days: createdDays,
			reasons: []string{"exempt by tag dormant:exempt=true", "no recorded use since created 2024-01-01"},
			check: func(t *testing.T, f tables.Finding) {
				if f.Exemption != "tag:dormant:exempt=true" {
					t.Errorf("exemption = %q", f.Exemption)
				}
			},
		},
		{
			name:   "custom exempt tag key",
			user:   func(u *tables.User) { u.Tags = []tables.Tag{{Key: "keep-me", Value: "true"}} },
			opts:   func(o *Options) { o.ExemptTagKey = "keep-me" },
			status: tables.StatusExempt, decision: tables.DecisionKeep, days: createdDays,
			check: func(t *testing.T, f tables.Finding) {
				if f.Exemption != "tag:keep-me=true" {
					t.Errorf("exemption = %q", f.Exemption)
				}
			},
		},
		{
			name:   "exempt tag with value false does not exempt",
			user:   func(u *tables.User) { u.Tags = []tables.Tag{{Key: "dormant:exempt", Value: "false"}} },
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: createdDays,
		},
		{
			name:   "exempt tag key is matched exactly",
			user:   func(u *tables.User) { u.Tags = []tables.Tag{{Key: "Dormant:Exempt", Value: "true"}} },
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: createdDays,
		},
		{
			name: "exempt by allowlist, expiring exactly at as-of",
			opts: func(o *Options) {
				o.Allowlist = []AllowEntry{
					{AccountID: acct, UserName: "alice", Reason: "older entry", Owner: "a@x", Expires: asOf.Add(-time.Hour)},
					{AccountID: acct, UserName: "alice", Reason: "vendor integration", Owner: "sec@x", Expires: asOf},
				}
			},
			user:   func(u *tables.User) { u.Key1Active, u.Key1LastUsed = true, daysBefore(500) },
			status: tables.StatusExempt, decision: tables.DecisionKeep,
			lastActivity: daysBefore(500), source: tables.SourceAccessKey, days: 500,
			reasons: []string{"exempt by allowlist until 2026-11-01 (owner sec@x): vendor integration", "last activity 2025-06-19 (access_key), 500 days before as-of"},
			check: func(t *testing.T, f tables.Finding) {
				if f.Exemption != "allowlist" || f.ExemptionOwner != "sec@x" || f.ExemptionReason != "vendor integration" || !f.ExemptionExpires.Equal(asOf) || f.AllowlistExpired {
					t.Errorf("exemption = %q %q %q %v expired=%v", f.Exemption, f.ExemptionOwner, f.ExemptionReason, f.ExemptionExpires, f.AllowlistExpired)
				}
				if len(f.UnusedKeys) != 0 {
					t.Errorf("exempt user got unused keys %v", f.UnusedKeys)
				}
			},
		},
		{
			name: "expired allowlist entry no longer exempts and is reported",
			opts: func(o *Options) {
				o.Allowlist = []AllowEntry{{AccountID: acct, UserName: "alice", Reason: "migration", Owner: "ops@x", Expires: asOf.Add(-time.Second)}}
			},
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: createdDays,
			reasons: []string{
				"allowlist entry expired 2026-10-31 (owner ops@x)",
				"never used since created 2024-01-01",
				"never used in 1035 days of existence, more than 365: delete",
			},
			check: func(t *testing.T, f tables.Finding) {
				if !f.AllowlistExpired || f.Exemption != "" {
					t.Errorf("allowlist expired = %v, exemption %q", f.AllowlistExpired, f.Exemption)
				}
			},
		},
		{
			name: "expired allowlist entry is still reported for a tag-exempt user",
			user: func(u *tables.User) { u.Tags = []tables.Tag{{Key: "dormant:exempt", Value: "true"}} },
			opts: func(o *Options) {
				o.Allowlist = []AllowEntry{{AccountID: acct, UserName: "alice", Reason: "migration", Owner: "ops@x", Expires: daysBefore(3)}}
			},
			status: tables.StatusExempt, decision: tables.DecisionKeep, days: createdDays,
			reasons: []string{"exempt by tag dormant:exempt=true", "allowlist entry expired 2026-10-29 (owner ops@x)", "no recorded use since created 2024-01-01"},
		},
		{
			name: "allowlist entry for the same name in another account does not exempt",
			opts: func(o *Options) {
				o.Allowlist = []AllowEntry{{AccountID: acct2, UserName: "alice", Reason: "r", Owner: "o", Expires: asOf.AddDate(1, 0, 0)}}
			},
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: createdDays,
		},
		{
			name: "active via console, last use exactly at window start",
			user: func(u *tables.User) {
				u.PasswordEnabled, u.PasswordState, u.PasswordLastUsed = true, tables.PasswordUsed, winS
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: winS, source: tables.SourceConsole, days: 90,
			reasons: []string{"last activity 2026-08-03 (console), 90 days before as-of"},
		},
		{
			name: "inactive one nanosecond before window start",
			user: func(u *tables.User) {
				u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, winS.Add(-time.Nanosecond)
			},
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
			lastActivity: winS.Add(-time.Nanosecond), source: tables.SourceConsole, days: 90,
			reasons: []string{"last activity 2026-08-02 (console), 90 days before as-of", "inactive 90 days, not more than 365: deactivate"},
		},
		{
			name:   "password date ignored unless the state is used",
			user:   func(u *tables.User) { u.PasswordState, u.PasswordLastUsed = tables.PasswordNever, daysBefore(3) },
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: createdDays,
		},
		{
			name: "active via access key 2",
			user: func(u *tables.User) {
				u.Key2Active, u.Key2LastRotated, u.Key2LastUsed = true, daysBefore(5), daysBefore(2)
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(2), source: tables.SourceAccessKey, days: 2,
		},
		{
			name:   "an inactive key's last use still counts as use",
			user:   func(u *tables.User) { u.Key1Active, u.Key1LastUsed = false, daysBefore(10) },
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(10), source: tables.SourceAccessKey, days: 10,
		},
		{
			name: "active via CloudTrail, matched by unique ID",
			activity: []tables.Activity{
				{AccountID: acct, PrincipalID: uid, ARN: arn, UserName: "alice", FirstEvent: daysBefore(30), LastEvent: daysBefore(4), Events: 12, LastEventName: "GetObject"},
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(4), source: tables.SourceCloudTrail, days: 4,
			check: func(t *testing.T, f tables.Finding) {
				if !f.CloudTrailFirstEvent.Equal(daysBefore(30)) || f.CloudTrailEvents != 12 || f.CloudTrailLastEventName != "GetObject" {
					t.Errorf("cloudtrail signals = %v %d %q", f.CloudTrailFirstEvent, f.CloudTrailEvents, f.CloudTrailLastEventName)
				}
			},
		},
		{
			name: "active via a federated session's row (issuer's unique ID), merged with the user's own row",
			activity: []tables.Activity{
				{AccountID: acct, PrincipalID: uid, ARN: arn, FirstEvent: daysBefore(80), LastEvent: daysBefore(70), Events: 3, LastEventName: "ListBuckets"},
				{AccountID: acct, PrincipalID: uid, ARN: "arn:aws:sts::111111111111:federated-user/alice-session", FirstEvent: daysBefore(60), LastEvent: daysBefore(6), Events: 5, LastEventName: "DescribeInstances"},
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(6), source: tables.SourceCloudTrail, days: 6,
			check: func(t *testing.T, f tables.Finding) {
				if f.CloudTrailEvents != 8 || !f.CloudTrailFirstEvent.Equal(daysBefore(80)) || f.CloudTrailLastEventName != "DescribeInstances" {
					t.Errorf("merged cloudtrail signals = %d %v %q", f.CloudTrailEvents, f.CloudTrailFirstEvent, f.CloudTrailLastEventName)
				}
			},
		},
		{
			name: "cross-account row with the user's unique ID counts",
			activity: []tables.Activity{
				{AccountID: acct2, PrincipalID: uid, FirstEvent: daysBefore(9), LastEvent: daysBefore(9), Events: 1, LastEventName: "AssumeRole"},
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(9), source: tables.SourceCloudTrail, days: 9,
		},
		{
			name: "ARN fallback: row without principal ID after the create date counts",
			activity: []tables.Activity{
				{AccountID: acct, ARN: arn, FirstEvent: daysBefore(20), LastEvent: daysBefore(8), Events: 2},
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(8), source: tables.SourceCloudTrail, days: 8,
		},
		{
			name: "re-created user: the old principal's rows never count",
			user: func(u *tables.User) { u.CreateDate = daysBefore(30) },
			activity: []tables.Activity{
				// The old user's events: its own unique ID, same ARN, and an
				// ARN-only row whose last event predates the new user.
				{AccountID: acct, PrincipalID: "AIDAOLDUSER000000001", ARN: arn, FirstEvent: daysBefore(80), LastEvent: daysBefore(5), Events: 40, FailedConsoleLogins: 3},
				{AccountID: acct, ARN: arn, FirstEvent: daysBefore(85), LastEvent: daysBefore(31), Events: 7},
			},
			status: tables.StatusNew, decision: tables.DecisionKeep, days: 30,
			reasons: []string{"created 2026-10-02, inside the window: grace"},
			check: func(t *testing.T, f tables.Finding) {
				if f.CloudTrailEvents != 0 || f.FailedConsoleLogins != 0 || !f.CloudTrailLastEvent.IsZero() {
					t.Errorf("inherited the old user's events: %d events, %d failed", f.CloudTrailEvents, f.FailedConsoleLogins)
				}
			},
		},
		{
			name: "ARN fallback event exactly at the create date counts",
			user: func(u *tables.User) { u.CreateDate = daysBefore(30) },
			activity: []tables.Activity{
				{AccountID: acct, ARN: arn, FirstEvent: daysBefore(30), LastEvent: daysBefore(30), Events: 1},
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(30), source: tables.SourceCloudTrail, days: 30,
		},
		{
			// Issue 13's invariant test found this case: it used to expect
			// deactivate, ignoring the user's own use three days before as-of
			// because rows by unique ID had matched.
			name: "an ARN-only event after creation counts even when rows by unique ID matched",
			activity: []tables.Activity{
				{AccountID: acct, PrincipalID: uid, ARN: arn, FirstEvent: daysBefore(200), LastEvent: daysBefore(200), Events: 1},
				{AccountID: acct, ARN: arn, FirstEvent: daysBefore(3), LastEvent: daysBefore(3), Events: 1},
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(3), source: tables.SourceCloudTrail, days: 3,
		},
		{
			name: "tie between password and key: console wins",
			user: func(u *tables.User) {
				u.PasswordState, u.PasswordLastUsed, u.Key1LastUsed = tables.PasswordUsed, daysBefore(7), daysBefore(7)
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(7), source: tables.SourceConsole, days: 7,
		},
		{
			name:     "tie between key and CloudTrail: access_key wins",
			user:     func(u *tables.User) { u.Key2LastUsed = daysBefore(7) },
			activity: []tables.Activity{{AccountID: acct, PrincipalID: uid, LastEvent: daysBefore(7), Events: 1}},
			status:   tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(7), source: tables.SourceAccessKey, days: 7,
		},
		{
			name:   "new: created exactly at window start, never used",
			user:   func(u *tables.User) { u.CreateDate = winS },
			status: tables.StatusNew, decision: tables.DecisionKeep, days: 90,
			reasons: []string{"created 2026-08-03, inside the window: grace"},
		},
		{
			name:   "new users are not turned into review",
			user:   func(u *tables.User) { u.CreateDate, u.InAuthorizationDetails = daysBefore(10), false },
			status: tables.StatusNew, decision: tables.DecisionKeep, days: 10, coverage: []tables.Coverage{},
		},
		{
			name:   "never used, deactivate",
			user:   func(u *tables.User) { u.CreateDate = daysBefore(200) },
			status: tables.StatusNeverUsed, decision: tables.DecisionDeactivate, days: 200,
			reasons: []string{"never used since created 2026-04-15", "never used in 200 days of existence, not more than 365: deactivate"},
		},
		{
			name:   "never used for exactly delete-after days: deactivate",
			user:   func(u *tables.User) { u.CreateDate = daysBefore(365) },
			status: tables.StatusNeverUsed, decision: tables.DecisionDeactivate, days: 365,
		},
		{
			name:   "never used a second longer than delete-after: delete",
			user:   func(u *tables.User) { u.CreateDate = daysBefore(365).Add(-time.Second) },
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: 365,
		},
		{
			name: "never used, with an inactive key and a password never used",
			user: func(u *tables.User) {
				u.PasswordEnabled, u.PasswordState, u.Key1LastRotated = true, tables.PasswordNever, created
			},
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: createdDays,
		},
		{
			name:   "inactive exactly delete-after days: deactivate",
			user:   func(u *tables.User) { u.Key1Active, u.Key1LastUsed = true, daysBefore(365) },
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
			lastActivity: daysBefore(365), source: tables.SourceAccessKey, days: 365,
			reasons: []string{"last activity 2025-11-01 (access_key), 365 days before as-of", "inactive 365 days, not more than 365: deactivate"},
		},
		{
			name:   "inactive 365 days and 23 hours: whole days 365, deactivate",
			user:   func(u *tables.User) { u.Key1LastUsed = daysBefore(366).Add(time.Hour) },
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
			lastActivity: daysBefore(366).Add(time.Hour), source: tables.SourceAccessKey, days: 365,
		},
		{
			name:   "inactive 366 days: delete",
			user:   func(u *tables.User) { u.Key1LastUsed = daysBefore(366) },
			status: tables.StatusInactive, decision: tables.DecisionDelete,
			lastActivity: daysBefore(366), source: tables.SourceAccessKey, days: 366,
			reasons: []string{"last activity 2025-10-31 (access_key), 366 days before as-of", "inactive 366 days, more than 365: delete"},
		},
		{
			name: "password no_information before tracking began: inactive, last use unknown",
			user: func(u *tables.User) {
				u.CreateDate, u.PasswordEnabled, u.PasswordState = time.Date(2012, 3, 4, 0, 0, 0, 0, time.UTC), true, tables.PasswordNoInformation
			},
			status: tables.StatusInactive, decision: tables.DecisionDelete, days: 5355,
			reasons: []string{
				"password last use unknown: no_information for a user created 2012-03-04, before password tracking began on 2014-10-20",
				"inactive 5355 days, more than 365: delete",
			},
		},
		{
			name: "password no_information after tracking began: never used",
			user: func(u *tables.User) {
				u.CreateDate, u.PasswordState = time.Date(2014, 10, 20, 0, 0, 0, 0, time.UTC), tables.PasswordNoInformation
			},
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: 4395,
		},
		{
			name:   "password marked used without a date: last use unknown, not never used",
			user:   func(u *tables.User) { u.PasswordEnabled, u.PasswordState = true, tables.PasswordUsed },
			status: tables.StatusInactive, decision: tables.DecisionDelete, days: createdDays,
			reasons: []string{
				"password last use unknown: the credential report marks it used without a date",
				"inactive 1035 days, more than 365: delete",
			},
		},
		{
			name: "active key rotated before key tracking, never used since: inactive, last use unknown",
			user: func(u *tables.User) {
				u.CreateDate = time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)
				u.Key2Active, u.Key2LastRotated = true, time.Date(2015, 4, 21, 0, 0, 0, 0, time.UTC)
			},
			status: tables.StatusInactive, decision: tables.DecisionDelete, days: 5052,
			reasons: []string{
				"access key 2 last use unknown: N/A for a key created 2015-04-21, before key tracking began on 2015-04-22",
				"inactive 5052 days, more than 365: delete",
			},
		},
		{
			name: "active key rotated on the day key tracking began: never used",
			user: func(u *tables.User) {
				u.CreateDate = time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)
				u.Key2Active, u.Key2LastRotated = true, time.Date(2015, 4, 22, 0, 0, 0, 0, time.UTC)
			},
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: 5052,
		},
		{
			name: "inactive pre-tracking key does not hide use",
			user: func(u *tables.User) {
				u.CreateDate = time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)
				u.Key1Active, u.Key1LastRotated = false, time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)
			},
			status: tables.StatusNeverUsed, decision: tables.DecisionDelete, days: 5052,
		},
		{
			name: "failed console sign-ins do not make a user active (and exempt=yes is not true)",
			user: func(u *tables.User) { u.Tags = []tables.Tag{{Key: "dormant:exempt", Value: "yes"}} },
			activity: []tables.Activity{
				{AccountID: acct, PrincipalID: uid, FailedConsoleLogins: 4, LastFailedConsoleLogin: daysBefore(1)},
			},
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			reasons: []string{"never used since created 2024-01-01", "4 failed console sign-ins in window (last 2026-10-31T00:00:00Z)"},
			check: func(t *testing.T, f tables.Finding) {
				if f.FailedConsoleLogins != 4 || !f.LastFailedConsoleLogin.Equal(daysBefore(1)) {
					t.Errorf("failed logins = %d at %v", f.FailedConsoleLogins, f.LastFailedConsoleLogin)
				}
			},
		},
		{
			name:     "failed sign-ins on an active user keep it active",
			user:     func(u *tables.User) { u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1) },
			activity: []tables.Activity{{AccountID: acct, PrincipalID: uid, FailedConsoleLogins: 2, LastFailedConsoleLogin: daysBefore(2)}},
			status:   tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(1), source: tables.SourceConsole, days: 1,
		},
		{
			name:   "unknown creation date: never delete on it",
			user:   func(u *tables.User) { u.CreateDate = time.Time{} },
			status: tables.StatusReview, decision: tables.DecisionReview, days: -1,
			reasons: []string{"never used; creation date unknown", "creation date unknown: cannot tell how long the user has been unused"},
		},
		{
			name:   "activity before a creation inside the window: review",
			user:   func(u *tables.User) { u.CreateDate, u.Key1LastUsed = daysBefore(10), daysBefore(100) },
			status: tables.StatusReview, decision: tables.DecisionReview,
			lastActivity: daysBefore(100), source: tables.SourceAccessKey, days: 100,
		},
		{
			// Issue 13: days inactive is never negative; the reason says so.
			name: "activity after as-of: active, zero days, the reason says after as-of",
			user: func(u *tables.User) {
				u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, asOf.Add(36*time.Hour)
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: asOf.Add(36 * time.Hour), source: tables.SourceConsole, days: 0,
			reasons: []string{"last activity 2026-11-02 (console), after as-of 2026-11-01T00:00:00Z"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runCase(t, tc) })
	}
}

func TestClassifyReview(t *testing.T) {
	// An inactive user that would be deactivated, if nothing needed review.
	inactive := func(u *tables.User) {
		u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, daysBefore(800), daysBefore(100)
	}
	base := []string{"last activity 2026-07-24 (access_key), 100 days before as-of"}
	withBase := func(r ...string) []string { return append(slices.Clone(base), r...) }
	aliceRef := func(kind, res, loc string) tables.Reference {
		return tables.Reference{AccountID: acct, UserName: "alice", UserID: uid, UserARN: arn, Kind: kind, ResourceARN: res, Location: loc, Match: arn}
	}
	tests := []classifyCase{
		{
			name: "baseline: nothing to review", user: inactive,
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
			reasons: withBase("inactive 100 days, not more than 365: deactivate"),
		},
		{
			// Issue 13 item 13: records the scan skipped could be this user's.
			name: "CloudTrail records skipped in the account", user: inactive,
			opts:   func(o *Options) { o.SkippedRecords = map[string]int64{acct: 3} },
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("3 CloudTrail records in account 111111111111's logs could not be attributed (no userIdentity, or no usable eventTime) " +
				"and could be this user's: see the log files on the Coverage sheet"),
		},
		{
			name: "CloudTrail records skipped in another account", user: inactive,
			opts:   func(o *Options) { o.SkippedRecords = map[string]int64{acct2: 3} },
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
			reasons: withBase("inactive 100 days, not more than 365: deactivate"),
		},
		{
			name: "a. no coverage at all for the account", user: inactive,
			coverage: []tables.Coverage{{AccountID: acct2, FirstEvent: winS, LastEvent: asOf}},
			status:   tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("no CloudTrail events for account 111111111111 in the data"),
		},
		{
			name: "a. coverage rows without times count as none", user: inactive,
			coverage: []tables.Coverage{{AccountID: acct, Region: "us-east-1"}},
			status:   tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("no CloudTrail events for account 111111111111 in the data"),
		},
		{
			name: "b. coverage starts after window start", user: inactive,
			coverage: []tables.Coverage{{AccountID: acct, FirstEvent: winS.Add(time.Second), LastEvent: asOf}},
			status:   tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("trail coverage for account 111111111111 starts 2026-08-03T00:00:01Z, after window start 2026-08-03T00:00:00Z"),
		},
		{
			name: "b. coverage starting exactly at window start is enough", user: inactive,
			coverage: []tables.Coverage{{AccountID: acct, FirstEvent: winS, LastEvent: asOf}},
			status:   tables.StatusInactive, decision: tables.DecisionDeactivate,
		},
		{
			// (Before coverage cells, this case had eu-west-1 start 30 days
			// late and us-east-1 stop 20 days early, and expected deactivate:
			// the unsafe rule issue 14 removes; see coverage_test.go.)
			name: "b. per-region cells: the account's earliest first event counts", user: inactive,
			coverage: append(dailyCells(acct, "eu-west-1", winS, asOf),
				dailyCells(acct, "us-east-1", winS.Add(-time.Hour), daysBefore(1))...),
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
		},
		{
			name: "c. coverage ends more than a day before as-of", user: inactive,
			coverage: []tables.Coverage{{AccountID: acct, FirstEvent: winS, LastEvent: asOf.Add(-24*time.Hour - time.Second)}},
			status:   tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("trail coverage for account 111111111111 ends 2026-10-30T23:59:59Z, more than a day before as-of"),
		},
		{
			name: "c. coverage ending exactly a day before as-of is enough", user: inactive,
			coverage: []tables.Coverage{{AccountID: acct, FirstEvent: winS, LastEvent: asOf.Add(-24 * time.Hour)}},
			status:   tables.StatusInactive, decision: tables.DecisionDeactivate,
		},
		{
			name: "d. failed console sign-ins on the matched row", user: inactive,
			activity: []tables.Activity{{AccountID: acct, PrincipalID: uid, FailedConsoleLogins: 1, LastFailedConsoleLogin: daysBefore(12).Add(3 * time.Hour)}},
			status:   tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("1 failed console sign-ins in window (last 2026-10-20T03:00:00Z)"),
		},
		{
			name: "e. references: matched by ID, ARN or name; the old user's and duplicates are not counted",
			user: inactive,
			refs: []tables.Reference{
				aliceRef("s3 bucket policy", "arn:aws:s3:::payroll", "Principal"),
				aliceRef("s3 bucket policy", "arn:aws:s3:::payroll", "Principal"),                                                                // listed twice
				{AccountID: acct, UserID: uid, Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::payroll", Location: "Principal", Match: uid}, // same place, by unique ID
				aliceRef("role trust policy", "arn:aws:iam::111111111111:role/deploy", "Principal"),
				{AccountID: acct, UserARN: arn, Kind: "kms key policy", ResourceARN: "arn:aws:kms:us-east-1:111111111111:key/k1", Location: "Condition"},
				{AccountID: acct, UserName: "alice", Kind: "tag owner", ResourceARN: "arn:aws:ec2:us-east-1:111111111111:instance/i-1", Location: "Tag:Owner"},
				// The user deleted before this one was created: another unique ID.
				{AccountID: acct, UserName: "alice", UserID: "AIDAOLDUSER000000001", UserARN: arn, Kind: "sqs queue policy", ResourceARN: "arn:aws:sqs:us-east-1:111111111111:q", Location: "Principal"},
				// Same name in another account.
				{AccountID: acct2, UserName: "alice", Kind: "tag owner", ResourceARN: "arn:aws:s3:::other", Location: "Tag:Owner"},
				// A longer name.
				{AccountID: acct, UserName: "alice2", UserARN: arn + "2", Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::x", Location: "Principal"},
			},
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase(
				"kms key policy: arn:aws:kms:us-east-1:111111111111:key/k1 (Condition)",
				"role trust policy: arn:aws:iam::111111111111:role/deploy (Principal)",
				"s3 bucket policy: arn:aws:s3:::payroll (Principal)",
				"tag owner: arn:aws:ec2:us-east-1:111111111111:instance/i-1 (Tag:Owner)",
			),
			check: func(t *testing.T, f tables.Finding) {
				if f.References != 4 {
					t.Errorf("references = %d, want 4", f.References)
				}
			},
		},
		{
			name:   "f. credential report older than its maximum age",
			user:   func(u *tables.User) { inactive(u); u.ReportGeneratedAt = asOf.Add(-36*time.Hour - time.Second) },
			opts:   func(o *Options) { o.ReportMaxAge = 36 * time.Hour },
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("credential report generated 2026-10-30T11:59:59Z, older than 1.5 days at as-of"),
		},
		{
			name:   "f. credential report exactly its maximum age is fresh enough",
			user:   func(u *tables.User) { inactive(u); u.ReportGeneratedAt = daysBefore(7) },
			status: tables.StatusInactive, decision: tables.DecisionDeactivate,
		},
		{
			// Issue 13: an unknown age proves no freshness (this case used
			// to expect deactivate, the unsafe behaviour the issue forbids).
			name:   "f. unknown report time keeps a candidate in review",
			user:   func(u *tables.User) { inactive(u); u.ReportGeneratedAt = time.Time{} },
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("credential report's age is unknown: it does not say when it was generated (a CSV does not) and nothing inside it bounds its age; " +
				"state it with --report-generated-at 111111111111=TIME, or give the CLI's JSON (aws iam get-credential-report), whose GeneratedTime proves it"),
		},
		{
			name: "g. missing from the credential report", user: func(u *tables.User) { inactive(u); u.InCredentialReport = false },
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("not in the credential report (created after it was generated?)"),
		},
		{
			name: "g. missing from the authorization details", user: func(u *tables.User) { inactive(u); u.InAuthorizationDetails = false },
			status: tables.StatusReview, decision: tables.DecisionReview,
			reasons: withBase("not in the authorization details (deleted since the credential report was generated?)"),
		},
		{
			name: "never used user with several review reasons, in spec order",
			user: func(u *tables.User) {
				u.CreateDate = daysBefore(500)
				u.ReportGeneratedAt = daysBefore(8)
				u.InAuthorizationDetails = false
			},
			coverage: []tables.Coverage{{AccountID: acct, FirstEvent: daysBefore(10), LastEvent: daysBefore(5)}},
			activity: []tables.Activity{{AccountID: acct, PrincipalID: uid, FailedConsoleLogins: 2}},
			refs:     []tables.Reference{aliceRef("user inline policy", "arn:aws:iam::111111111111:user/bob", "Resource")},
			status:   tables.StatusReview, decision: tables.DecisionReview, days: 500,
			reasons: []string{
				"never used since created 2025-06-19",
				"trail coverage for account 111111111111 starts 2026-10-22T00:00:00Z, after window start 2026-08-03T00:00:00Z",
				"trail coverage for account 111111111111 ends 2026-10-27T00:00:00Z, more than a day before as-of",
				"2 failed console sign-ins in window (last unknown)",
				"user inline policy: arn:aws:iam::111111111111:user/bob (Resource)",
				"credential report generated 2026-10-24T00:00:00Z, older than 7 days at as-of",
				"not in the authorization details (deleted since the credential report was generated?)",
			},
		},
		{
			name: "active users are never turned into review",
			user: func(u *tables.User) {
				u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
				u.InCredentialReport, u.InAuthorizationDetails, u.ReportGeneratedAt = false, false, daysBefore(100)
			},
			coverage: []tables.Coverage{},
			refs:     []tables.Reference{aliceRef("s3 bucket policy", "arn:aws:s3:::payroll", "Principal")},
			status:   tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(1), source: tables.SourceConsole, days: 1,
			check: func(t *testing.T, f tables.Finding) {
				if f.References != 1 {
					t.Errorf("references = %d, want the count kept for information", f.References)
				}
			},
		},
		{
			name:     "exempt users are never turned into review",
			user:     func(u *tables.User) { inactive(u); u.Tags = []tables.Tag{{Key: "dormant:exempt", Value: "true"}} },
			coverage: []tables.Coverage{},
			status:   tables.StatusExempt, decision: tables.DecisionKeep,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.days == 0 && tc.lastActivity.IsZero() && tc.source == "" {
				// Cases built on the inactive user share its signals.
				tc.lastActivity, tc.source, tc.days = daysBefore(100), tables.SourceAccessKey, 100
			}
			runCase(t, tc)
		})
	}
}

func TestClassifyUnusedKeys(t *testing.T) {
	rotatedLongAgo := daysBefore(700)
	tests := []struct {
		name    string
		user    func(u *tables.User)
		want    []int64
		reasons []string // after the last-activity reason
	}{
		{
			name: "key 1 used before the window, key 2 never used: both unused",
			user: func(u *tables.User) {
				u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, rotatedLongAgo, daysBefore(91)
				u.Key2Active, u.Key2LastRotated = true, rotatedLongAgo
			},
			want: []int64{1, 2},
			reasons: []string{
				"access key 1 active but unused since 2026-08-03 (window start); last used 2026-08-02, created 2024-12-01",
				"access key 2 active but unused since 2026-08-03 (window start); never used, created 2024-12-01",
			},
		},
		{
			name: "key last used exactly at window start is in use",
			user: func(u *tables.User) { u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, rotatedLongAgo, winS },
		},
		{
			name: "key created inside the window is in grace",
			user: func(u *tables.User) { u.Key2Active, u.Key2LastRotated = true, daysBefore(10) },
		},
		{
			name: "key created exactly at window start is in grace",
			user: func(u *tables.User) { u.Key2Active, u.Key2LastRotated = true, winS },
		},
		{
			name: "key created just before window start is not",
			user: func(u *tables.User) { u.Key2Active, u.Key2LastRotated = true, winS.Add(-time.Second) },
			want: []int64{2},
		},
		{
			name: "inactive key is not reported",
			user: func(u *tables.User) {
				u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = false, rotatedLongAgo, daysBefore(300)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := baseUser()
			u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
			tt.user(&u)
			got, err := Classify([]tables.User{u}, nil, fullCoverage(), nil, DefaultOptions(asOf))
			if err != nil {
				t.Fatal(err)
			}
			f := got[0]
			if f.Status != tables.StatusActive {
				t.Fatalf("status %s, want active", f.Status)
			}
			if !slices.Equal(f.UnusedKeys, tt.want) {
				t.Errorf("unused keys = %v, want %v", f.UnusedKeys, tt.want)
			}
			want := append([]string{"last activity 2026-10-31 (console), 1 days before as-of"}, tt.reasons...)
			if tt.reasons != nil && !slices.Equal(f.Reasons, want) {
				t.Errorf("reasons:\n got %q\nwant %q", f.Reasons, want)
			}
			if len(f.Reasons) != 1+len(tt.want) {
				t.Errorf("got %d reasons for %d unused keys: %q", len(f.Reasons), len(tt.want), f.Reasons)
			}
		})
	}

	// Only active users get unused keys.
	u := baseUser()
	u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, rotatedLongAgo, daysBefore(200)
	u.Key2Active, u.Key2LastRotated = true, rotatedLongAgo
	got, err := Classify([]tables.User{u}, nil, fullCoverage(), nil, DefaultOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Status != tables.StatusInactive || len(got[0].UnusedKeys) != 0 {
		t.Errorf("inactive user: status %s, unused keys %v; want inactive and none", got[0].Status, got[0].UnusedKeys)
	}
}

// TestClassifyDeterministic shuffles every input and expects the same output,
// sorted by account, then user name.
func TestClassifyDeterministic(t *testing.T) {
	users, activity, coverage, refs := synthetic(400, 1200, 7)
	opts := DefaultOptions(asOf)
	opts.Allowlist = []AllowEntry{
		{AccountID: "100000000001", UserName: "user-00011", Reason: "r", Owner: "o", Expires: asOf.AddDate(0, 1, 0)},
		{AccountID: "100000000002", UserName: "user-00012", Reason: "r", Owner: "o", Expires: asOf.AddDate(0, -1, 0)},
	}
	want, err := Classify(users, activity, coverage, refs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(users) {
		t.Fatalf("got %d findings for %d users", len(want), len(users))
	}
	if !slices.IsSortedFunc(want, func(a, b tables.Finding) int {
		return strings.Compare(a.AccountID+"\x00"+a.UserName, b.AccountID+"\x00"+b.UserName)
	}) {
		t.Error("findings are not sorted by account, then user name")
	}
	statuses := map[string]int{}
	for _, f := range want {
		statuses[f.Status]++
	}
	for _, s := range []string{tables.StatusActive, tables.StatusInactive, tables.StatusNeverUsed, tables.StatusNew, tables.StatusReview, tables.StatusExempt} {
		if statuses[s] == 0 {
			t.Errorf("synthetic data has no %s finding (%v): the test would not exercise it", s, statuses)
		}
	}

	r := rand.New(rand.NewPCG(1, 2))
	for range 3 {
		shuffle(r, users)
		shuffle(r, activity)
		shuffle(r, coverage)
		shuffle(r, refs)
		got, err := Classify(users, activity, coverage, refs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			for i := range got {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("finding %d differs after shuffling:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		}
	}
}

func shuffle[T any](r *rand.Rand, s []T) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

func TestClassifyErrors(t *testing.T) {
	u := baseUser()
	u.PasswordState = "sometimes"
	_, err := Classify([]tables.User{u}, nil, nil, nil, DefaultOptions(asOf))
	if err == nil || !strings.Contains(err.Error(), `user alice in account 111111111111: unknown password state "sometimes"`) {
		t.Errorf("error = %v, want one naming the user and the password state", err)
	}
	_, err = Classify([]tables.User{baseUser()}, nil, nil, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "as-of") {
		t.Errorf("Classify with zero options: error %v, want the options' validation error", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := AllowEntry{AccountID: acct, UserName: "bob", Reason: "r", Owner: "o", Expires: asOf}
	tests := []struct {
		name string
		mod  func(o *Options)
		want []string // empty: valid
	}{
		{"defaults", func(o *Options) {}, nil},
		{"with allowlist", func(o *Options) { o.Allowlist = []AllowEntry{good} }, nil},
		{"zero as-of", func(o *Options) { o.AsOf = time.Time{} }, []string{"as-of time is not set"}},
		{"zero window", func(o *Options) { o.WindowDays = 0 }, []string{"window of 0 days is out of range"}},
		{"huge window", func(o *Options) { o.WindowDays = 90000 }, []string{"window of 90000 days"}},
		{"negative delete-after", func(o *Options) { o.DeleteAfterDays = -1 }, []string{"delete-after of -1 days"}},
		{"empty tag key", func(o *Options) { o.ExemptTagKey = "" }, []string{`exempt tag key ""`}},
		{"zero report age", func(o *Options) { o.ReportMaxAge = 0 }, []string{"maximum age 0s must be positive"}},
		{"bad allowlist entry", func(o *Options) {
			bad := good
			bad.AccountID, bad.Owner, bad.Expires = "12", "", time.Time{}
			o.Allowlist = []AllowEntry{good, bad}
		}, []string{"allowlist entry 2 (12/bob): account_id", "allowlist entry 2 (12/bob): owner", "allowlist entry 2 (12/bob): expires"}},
		{"several at once", func(o *Options) { o.WindowDays, o.DeleteAfterDays = -5, 0 }, []string{"window of -5 days", "delete-after of 0 days"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions(asOf)
			tt.mod(&o)
			err := o.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	d := DefaultOptions(asOf)
	if d.WindowDays != 90 || d.DeleteAfterDays != 365 || d.ExemptTagKey != "dormant:exempt" || d.ReportMaxAge != 7*24*time.Hour || !d.AsOf.Equal(asOf) {
		t.Errorf("DefaultOptions = %+v", d)
	}
	if !d.WindowStart().Equal(winS) {
		t.Errorf("WindowStart = %v, want %v", d.WindowStart(), winS)
	}
}

func TestSummarize(t *testing.T) {
	f := []tables.Finding{
		{AccountID: acct, Status: tables.StatusActive, Decision: tables.DecisionKeep, UnusedKeys: []int64{1, 2}},
		{AccountID: acct, Status: tables.StatusInactive, Decision: tables.DecisionDelete},
		{AccountID: acct2, Status: tables.StatusInactive, Decision: tables.DecisionDeactivate},
		{AccountID: acct2, Status: tables.StatusActive, Decision: tables.DecisionKeep, UnusedKeys: []int64{2}},
		{AccountID: acct2, Status: tables.StatusReview, Decision: tables.DecisionReview},
	}
	got := Summarize(f)
	want := Summary{
		ByStatus:   map[string]int{"active": 2, "inactive": 2, "review": 1},
		ByDecision: map[string]int{"keep": 2, "delete": 1, "deactivate": 1, "review": 1},
		ByAccount: map[string]map[string]int{
			acct:  {"active": 1, "inactive": 1},
			acct2: {"active": 1, "inactive": 1, "review": 1},
		},
		UnusedKeys: 3,
		Total:      5,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Summarize:\n got %+v\nwant %+v", got, want)
	}
	if empty := Summarize(nil); empty.Total != 0 || empty.ByStatus == nil {
		t.Errorf("Summarize(nil) = %+v, want zero counts with usable maps", empty)
	}
}

// A user deleted and re-created under one name can appear twice (the
// credential report still lists the old one): each row keeps its own
// evidence, and the order is fixed by unique ID.
func TestClassifySameNameTwice(t *testing.T) {
	old := baseUser()
	old.UserID, old.CreateDate, old.InAuthorizationDetails = "AIDAOLDUSER000000001", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), false
	cur := baseUser()
	cur.CreateDate = daysBefore(20)
	activity := []tables.Activity{
		{AccountID: acct, PrincipalID: old.UserID, ARN: arn, FirstEvent: daysBefore(60), LastEvent: daysBefore(40), Events: 9},
	}
	for _, users := range [][]tables.User{{cur, old}, {old, cur}} {
		got, err := Classify(users, activity, fullCoverage(), nil, DefaultOptions(asOf))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].UserID != "AIDAEXAMPLEUSER00001" || got[1].UserID != "AIDAOLDUSER000000001" {
			t.Fatalf("order: %+v", got)
		}
		if got[0].Status != tables.StatusNew || got[0].CloudTrailEvents != 0 {
			t.Errorf("new user: status %s with %d events, want new with none", got[0].Status, got[0].CloudTrailEvents)
		}
		if got[1].Status != tables.StatusActive || got[1].CloudTrailEvents != 9 {
			t.Errorf("old user: status %s with %d events, want active with 9", got[1].Status, got[1].CloudTrailEvents)
		}
	}
}

// TestClassifyUnusedKeyCloudTrailDisagrees: the credential report says which
// key slots were used since the window start, CloudTrail which long-term
// keys signed requests in it. When CloudTrail shows more keys than the
// report used (a key used after the report was generated, or a report that
// lags), the "unused" key may be the one CloudTrail saw: deactivating it
// would cut off a key in use, so the finding goes to review.
func TestClassifyUnusedKeyCloudTrailDisagrees(t *testing.T) {
	rotatedLongAgo := daysBefore(700)
	ctRow := func(keys ...string) []tables.Activity {
		return []tables.Activity{{AccountID: acct, PrincipalID: uid, ARN: arn, UserName: "alice",
			FirstEvent: daysBefore(30), LastEvent: asOf.Add(-2 * time.Hour), Events: 9, LastEventName: "GetObject",
			AccessKeyIDs: keys}}
	}
	tests := []struct {
		name     string
		user     func(u *tables.User)
		activity []tables.Activity
		decision string
	}{
		{
			name: "two keys seen, the report used one: the other may be the unused one",
			user: func(u *tables.User) {
				u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, rotatedLongAgo, daysBefore(1)
				u.Key2Active, u.Key2LastRotated, u.Key2LastUsed = true, rotatedLongAgo, daysBefore(200)
			},
			activity: ctRow("AKIAEXAMPLEKEY000001", "AKIAEXAMPLEKEY000002"),
			decision: tables.DecisionReview,
		},
		{
			name: "a key seen, the report used none since the window start",
			user: func(u *tables.User) {
				u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
				u.Key2Active, u.Key2LastRotated, u.Key2LastUsed = true, rotatedLongAgo, daysBefore(200)
			},
			activity: ctRow("AKIAEXAMPLEKEY000002"),
			decision: tables.DecisionReview,
		},
		{
			name: "one key seen, the report used one: the other is unused",
			user: func(u *tables.User) {
				u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, rotatedLongAgo, daysBefore(1)
				u.Key2Active, u.Key2LastRotated, u.Key2LastUsed = true, rotatedLongAgo, daysBefore(200)
			},
			activity: ctRow("AKIAEXAMPLEKEY000001"),
			decision: tables.DecisionKeep,
		},
		{
			name: "no key seen in CloudTrail",
			user: func(u *tables.User) {
				u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(1)
				u.Key2Active, u.Key2LastRotated, u.Key2LastUsed = true, rotatedLongAgo, daysBefore(200)
			},
			activity: ctRow(),
			decision: tables.DecisionKeep,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := baseUser()
			tt.user(&u)
			got, err := Classify([]tables.User{u}, tt.activity, fullCoverage(), nil, DefaultOptions(asOf))
			if err != nil {
				t.Fatal(err)
			}
			f := got[0]
			if f.Status != tables.StatusActive || !slices.Equal(f.UnusedKeys, []int64{2}) {
				t.Fatalf("status %s, unused keys %v; want active with key 2 unused\nreasons: %q", f.Status, f.UnusedKeys, f.Reasons)
			}
			if f.Decision != tt.decision {
				t.Errorf("decision %s, want %s\nreasons: %q", f.Decision, tt.decision, f.Reasons)
			}
			if tt.decision == tables.DecisionReview && !slices.ContainsFunc(f.Reasons, func(r string) bool {
				return strings.Contains(r, "CloudTrail shows") && strings.Contains(r, "long-term access key")
			}) {
				t.Errorf("review without the key disagreement named: %q", f.Reasons)
			}
		})
	}
}
