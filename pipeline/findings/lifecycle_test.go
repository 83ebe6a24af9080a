package findings

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// deactivatedOn tags u as remediation does: deactivated on, due from after.
func deactivatedOn(on, after string) func(u *tables.User) {
	return func(u *tables.User) {
		u.Tags = []tables.Tag{{Key: "team", Value: "x"}, {Key: tables.TagDeactivated, Value: on}, {Key: tables.TagDeleteAfter, Value: after}}
	}
}

func ymd(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// watched is a watch event on baseUser.
func watched(kind, when, source, name, errCode string) tables.WatchEvent {
	return tables.WatchEvent{AccountID: acct, UserName: "alice", UserID: uid, Kind: kind, EventTime: at(when),
		EventSource: source, EventName: name, ErrorCode: errCode}
}

func withWatch(events ...tables.WatchEvent) func(o *Options) {
	return func(o *Options) { o.Watch = events }
}

// wantReasons checks that, for each entry, some reason contains every part.
func wantReasons(parts ...[]string) func(t *testing.T, f tables.Finding) {
	return func(t *testing.T, f tables.Finding) {
		t.Helper()
		for _, p := range parts {
			if !hasReason(f, p...) {
				t.Errorf("no reason with %q in %q", p, f.Reasons)
			}
		}
	}
}

func TestClassifyDeactivated(t *testing.T) {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	createdDays := int64(asOf.Sub(created) / (24 * time.Hour))
	dates := func(on, after string) func(t *testing.T, f tables.Finding) {
		return func(t *testing.T, f tables.Finding) {
			t.Helper()
			if !f.DeactivatedOn.Equal(ymd(on)) || !f.DeleteAfter.Equal(ymd(after)) {
				t.Errorf("dates = %v, %v; want %s, %s", f.DeactivatedOn, f.DeleteAfter, on, after)
			}
		}
	}
	both := func(checks ...func(t *testing.T, f tables.Finding)) func(t *testing.T, f tables.Finding) {
		return func(t *testing.T, f tables.Finding) {
			t.Helper()
			for _, c := range checks {
				c(t, f)
			}
		}
	}
	tests := []classifyCase{
		{
			name:   "pending: kept until delete-after",
			user:   deactivatedOn("2026-09-01", "2027-01-01"),
			status: tables.StatusDeactivated, decision: tables.DecisionKeep, days: createdDays,
			reasons: []string{"deactivated 2026-09-01, delete after 2027-01-01: no active access key, no login profile and no use seen since; keep until 2027-01-01 (61 days after as-of)"},
			check:   dates("2026-09-01", "2027-01-01"),
		},
		{
			name:   "due: delete-after at as-of is delete",
			user:   deactivatedOn("2026-08-01", "2026-11-01"),
			status: tables.StatusDeactivated, decision: tables.DecisionDelete, days: createdDays,
			reasons: []string{"deactivated 2026-08-01, delete after 2026-11-01: no active access key, no login profile and no use seen since; delete-after reached at as-of: delete"},
			check:   dates("2026-08-01", "2026-11-01"),
		},
		{
			name: "due, last used long ago: delete",
			user: func(u *tables.User) {
				deactivatedOn("2026-02-01", "2026-10-01")(u)
				u.Key1LastRotated, u.Key1LastUsed = ymd("2025-01-01"), daysBefore(300)
			},
			status: tables.StatusDeactivated, decision: tables.DecisionDelete,
			lastActivity: daysBefore(300), source: tables.SourceAccessKey, days: 300,
		},
		{
			name:     "due, but the account's logs do not cover the window: review, never delete",
			user:     deactivatedOn("2026-08-01", "2026-10-01"),
			coverage: []tables.Coverage{},
			status:   tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: both(dates("2026-08-01", "2026-10-01"),
				wantReasons([]string{"due for deletion, but the evidence does not prove it unused"}, []string{"no CloudTrail"})),
		},
		{
			name: "due, but the password's last use is unknown: review",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.PasswordState = tables.PasswordUsed
			},
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"password last use unknown", "after the deactivation"}),
		},
		{
			name: "due, created before password tracking: the unknown ends before the deactivation, so delete",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.CreateDate, u.PasswordState = time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC), tables.PasswordNoInformation
			},
			status: tables.StatusDeactivated, decision: tables.DecisionDelete, days: int64(asOf.Sub(time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour)),
		},
		{
			name:   "due, but a policy names it: review",
			user:   deactivatedOn("2026-08-01", "2026-10-01"),
			refs:   []tables.Reference{{AccountID: acct, UserID: uid, Kind: "role trust policy", ResourceARN: "arn:aws:iam::111111111111:role/r", Location: "Principal"}},
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"role trust policy: arn:aws:iam::111111111111:role/r (Principal)"}),
		},
		{
			name: "due, but the credential report is stale: review",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.ReportGeneratedAt = asOf.Add(-30 * 24 * time.Hour)
			},
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"credential report generated"}),
		},
		{
			name:   "used after deactivation: a successful call",
			user:   deactivatedOn("2026-09-01", "2027-01-01"),
			opts:   withWatch(watched(tables.WatchUse, "2026-10-02T10:00:00Z", "s3.amazonaws.com", "ListBuckets", "")),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			reasons: []string{
				"deactivated 2026-09-01, delete after 2027-01-01",
				"used after deactivation (1 watched events): something still depends on it: restore it or find the owner",
				"2026-10-02T10:00:00Z s3.amazonaws.com ListBuckets succeeded",
			},
			check: dates("2026-09-01", "2027-01-01"),
		},
		{
			name: "used after deactivation: a failed call with the inactive key, on a user due for deletion",
			user: deactivatedOn("2026-08-01", "2026-10-01"),
			opts: withWatch(func() tables.WatchEvent {
				e := watched(tables.WatchUse, "2026-10-05T08:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", "InvalidClientTokenId")
				e.AccessKeyID, e.SourceIP = "AKIAEXAMPLE000000001", "192.0.2.7"
				return e
			}()),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{reasonDependsOn},
				[]string{"2026-10-05T08:00:00Z sts.amazonaws.com GetCallerIdentity failed: InvalidClientTokenId, key AKIAEXAMPLE000000001, from 192.0.2.7"}),
		},
		{
			name: "used after deactivation: a failed console sign-in under its name",
			user: deactivatedOn("2026-09-01", "2027-01-01"),
			opts: withWatch(func() tables.WatchEvent {
				e := watched(tables.WatchSigninFailure, "2026-10-03T07:00:00Z", "signin.amazonaws.com", "ConsoleLogin", "Failed authentication")
				e.UserID = "" // a failed sign-in names the user, not its ID
				return e
			}()),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{reasonDependsOn}, []string{"2026-10-03T07:00:00Z signin.amazonaws.com ConsoleLogin failed: Failed authentication"}),
		},
		{
			name: "events before the deactivation, or another user's, are not use after it",
			user: deactivatedOn("2026-09-01", "2027-01-01"),
			opts: withWatch(
				watched(tables.WatchUse, "2026-08-31T23:59:59Z", "s3.amazonaws.com", "ListBuckets", ""),
				func() tables.WatchEvent {
					e := watched(tables.WatchUse, "2026-10-02T10:00:00Z", "s3.amazonaws.com", "ListBuckets", "")
					e.UserID = "AIDAEXAMPLEUSER00002"
					return e
				}(),
				func() tables.WatchEvent { // the name's earlier holder, before this user was created
					e := watched(tables.WatchSigninFailure, "2023-10-03T07:00:00Z", "signin.amazonaws.com", "ConsoleLogin", "Failed authentication")
					e.UserID = ""
					return e
				}(),
			),
			status: tables.StatusDeactivated, decision: tables.DecisionKeep, days: createdDays,
		},
		{
			name: "used after deactivation: the events are bounded, the rest counted",
			user: deactivatedOn("2026-09-01", "2027-01-01"),
			opts: func(o *Options) {
				for i := range 8 {
					o.Watch = append(o.Watch, watched(tables.WatchUse, fmt.Sprintf("2026-10-0%dT10:00:00Z", i+1), "s3.amazonaws.com", "GetObject", "AccessDenied"))
				}
			},
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: func(t *testing.T, f tables.Finding) {
				wantReasons([]string{"(8 watched events)"}, []string{"2026-10-01T10:00:00Z s3.amazonaws.com GetObject failed: AccessDenied"},
					[]string{"2026-10-05T10:00:00Z"}, []string{"and 3 more such events"})(t, f)
				if hasReason(f, "2026-10-06T10:00:00Z") {
					t.Errorf("the sixth event is listed: %q", f.Reasons)
				}
			},
		},
		{
			name: "used after deactivation by the credential report, without a watch table",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.Key1LastRotated, u.Key1LastUsed = ymd("2025-01-01"), at("2026-08-15T00:00:00Z")
			},
			status: tables.StatusReview, decision: tables.DecisionReview,
			lastActivity: at("2026-08-15T00:00:00Z"), source: tables.SourceAccessKey, days: 78,
			check: wantReasons([]string{"access key 1 last used 2026-08-15T00:00:00Z, after the deactivation"}, []string{reasonDependsOn}),
		},
		{
			name: "used after deactivation by CloudTrail's activity table",
			user: deactivatedOn("2026-08-01", "2026-10-01"),
			activity: []tables.Activity{{AccountID: acct, PrincipalID: uid, ARN: arn, LastEvent: at("2026-09-09T09:00:00Z"),
				FirstEvent: at("2026-09-09T09:00:00Z"), Events: 1, LastEventName: "GetObject"}},
			status: tables.StatusReview, decision: tables.DecisionReview,
			lastActivity: at("2026-09-09T09:00:00Z"), source: tables.SourceCloudTrail, days: 52,
			check: wantReasons([]string{"CloudTrail last event 2026-09-09T09:00:00Z (GetObject), after the deactivation"}),
		},
		{
			name: "reactivated: a key given back, the logs show who; never used since, so review, not delete",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.Key1Active, u.Key1LastRotated = true, at("2026-08-10T12:00:00Z")
			},
			opts: withWatch(func() tables.WatchEvent {
				e := watched(tables.WatchReenable, "2026-08-10T12:00:00Z", "iam.amazonaws.com", "CreateAccessKey", "")
				e.ActorARN = "arn:aws:iam::111111111111:user/admin"
				return e
			}()),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: both(dates("2026-08-01", "2026-10-01"), wantReasons(
				[]string{"reactivated after dormant deactivated it on 2026-08-01: CreateAccessKey by arn:aws:iam::111111111111:user/admin on 2026-08-10T12:00:00Z"},
				[]string{reasonReenabled})),
		},
		{
			name: "reactivated and in use: active, the logs do not show who",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, at("2026-08-10T12:00:00Z"), daysBefore(3)
			},
			status: tables.StatusActive, decision: tables.DecisionKeep,
			lastActivity: daysBefore(3), source: tables.SourceAccessKey, days: 3,
			reasons: []string{
				"reactivated after dormant deactivated it on 2026-08-01: has an active access key again; the logs do not show who",
				"last activity 2026-10-29 (access_key), 3 days before as-of",
			},
		},
		{
			name: "reactivated with a login profile, inactive: review, never deactivated again on this run alone",
			user: func(u *tables.User) {
				deactivatedOn("2025-01-01", "2025-06-01")(u)
				u.PasswordEnabled, u.PasswordState, u.PasswordLastUsed = true, tables.PasswordUsed, daysBefore(200)
			},
			status: tables.StatusReview, decision: tables.DecisionReview,
			lastActivity: daysBefore(200), source: tables.SourceConsole, days: 200,
			check: wantReasons([]string{"has a login profile again; the logs do not show who"}, []string{reasonReenabled}),
		},
		{
			name: "re-enabled in the logs, yet no credentials in the report: review",
			user: deactivatedOn("2026-08-01", "2026-10-01"),
			opts: withWatch(func() tables.WatchEvent {
				e := watched(tables.WatchReenable, "2026-10-30T12:00:00Z", "iam.amazonaws.com", "CreateLoginProfile", "")
				e.ActorARN = "arn:aws:iam::111111111111:user/admin"
				return e
			}()),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"re-enabled after deactivation"}, []string{"CreateLoginProfile by arn:aws:iam::111111111111:user/admin on 2026-10-30T12:00:00Z"}),
		},
		{
			name:   "unreadable deactivation date: review, never delete",
			user:   deactivatedOn("last week", "2026-10-01"),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			reasons: []string{"dormant tags unreadable: tag dormant:deactivated=last week is not a YYYY-MM-DD date: an edited tag proves nothing, so the user is never deleted on it"},
		},
		{
			name:   "unreadable delete-after: review",
			user:   deactivatedOn("2026-08-01", "2026-13-01"),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"dormant tags unreadable: tag dormant:delete-after=2026-13-01 is not a YYYY-MM-DD date"}),
		},
		{
			name:   "delete-after before the deactivation: review",
			user:   deactivatedOn("2026-08-01", "2026-07-01"),
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"tag dormant:delete-after=2026-07-01 is before dormant:deactivated=2026-08-01"}),
		},
		{
			name:   "delete-after without deactivated: review",
			user:   func(u *tables.User) { u.Tags = []tables.Tag{{Key: tables.TagDeleteAfter, Value: "2026-07-01"}} },
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"tag dormant:delete-after=2026-07-01 without dormant:deactivated"}),
		},
		{
			name: "without a credential report row: review",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.InCredentialReport = false
			},
			status: tables.StatusReview, decision: tables.DecisionReview, days: createdDays,
			check: wantReasons([]string{"it is unknown whether the user still has an active access key or a login profile"}),
		},
		{
			name: "exempt: the exemption wins; the dates are still reported",
			user: func(u *tables.User) {
				deactivatedOn("2026-08-01", "2026-10-01")(u)
				u.Tags = append(u.Tags, tables.Tag{Key: "dormant:exempt", Value: "true"})
			},
			opts:   withWatch(watched(tables.WatchUse, "2026-10-02T10:00:00Z", "s3.amazonaws.com", "ListBuckets", "AccessDenied")),
			status: tables.StatusExempt, decision: tables.DecisionKeep, days: createdDays,
			check: dates("2026-08-01", "2026-10-01"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runCase(t, tc) })
	}
}

// A watch event of no known kind, or without a time, is a damaged table:
// classification refuses it rather than ignore what may be use.
func TestWatchEventsValidated(t *testing.T) {
	for _, e := range []tables.WatchEvent{
		{AccountID: acct, UserName: "alice", Kind: "used", EventTime: asOf},
		{AccountID: acct, UserName: "alice", Kind: tables.WatchUse},
	} {
		opts := DefaultOptions(asOf)
		opts.Watch = []tables.WatchEvent{e}
		_, err := Classify([]tables.User{baseUser()}, nil, fullCoverage(), nil, opts)
		if err == nil || !strings.Contains(err.Error(), "watch event 1 (111111111111/alice") {
			t.Errorf("event %+v: err = %v, want a refusal naming it", e, err)
		}
	}
}

// Use seen only by the credential report counts no watched events, and says none.
func TestUsedAfterDeactivationWithoutWatchEvents(t *testing.T) {
	f := runCase(t, classifyCase{
		user: func(u *tables.User) {
			deactivatedOn("2026-08-01", "2026-10-01")(u)
			u.Key2LastRotated, u.Key2LastUsed = ymd("2025-01-01"), at("2026-08-20T00:00:00Z")
		},
		status: tables.StatusReview, decision: tables.DecisionReview,
		lastActivity: at("2026-08-20T00:00:00Z"), source: tables.SourceAccessKey, days: 73,
	})
	if !hasReason(f, "used after deactivation: "+reasonDependsOn) || hasReason(f, "watched events") {
		t.Errorf("reasons %q", f.Reasons)
	}
}
