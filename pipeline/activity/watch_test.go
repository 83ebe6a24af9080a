package activity

import (
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// The per-target rules, on candidates the engines' queries would return.
func TestMatchWatchRules(t *testing.T) {
	day := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	ivan := tables.WatchTarget{AccountID: "111111111111", UserName: "ivan", UserID: "AIDAIVAN", AccessKeyIDs: []string{"AKIAIVAN"}, Since: day}
	olga := tables.WatchTarget{AccountID: "111111111111", UserName: "olga", UserID: "AIDAOLGA", Since: day}
	at := day.Add(time.Hour)
	tests := []struct {
		name string
		c    WatchCandidate
		want map[string]string // user -> kind
	}{
		{"its unique ID", WatchCandidate{PrincipalID: "AIDAIVAN"}, map[string]string{"ivan": tables.WatchUse}},
		{"its key alone, refused", WatchCandidate{AccessKeyID: "AKIAIVAN", ErrorCode: "InvalidClientTokenId"}, map[string]string{"ivan": tables.WatchUse}},
		{"a session it issued", WatchCandidate{PrincipalID: "111111111111:s", IssuerType: "IAMUser", IssuerPrincipalID: "AIDAIVAN"}, map[string]string{"ivan": tables.WatchUse}},
		{"a role session's ID is not its", WatchCandidate{PrincipalID: "AROAX:ivan", ARN: "arn:aws:sts::111111111111:assumed-role/r/ivan"}, nil},
		{"failed sign-in under its name, any case", WatchCandidate{EventName: "ConsoleLogin", ConsoleLogin: "Failure", UserName: "IVAN", AccountID: "111111111111"},
			map[string]string{"ivan": tables.WatchSigninFailure}},
		{"failed sign-in by ARN only", WatchCandidate{EventName: "ConsoleLogin", ErrorMessage: "Failed authentication", ARN: "arn:aws:iam::111111111111:user/team/ivan", Recipient: "111111111111"},
			map[string]string{"ivan": tables.WatchSigninFailure}},
		{"failed sign-in in another account", WatchCandidate{EventName: "ConsoleLogin", ConsoleLogin: "Failure", UserName: "ivan", AccountID: "222222222222"}, nil},
		{"successful sign-in under its name is not a failure", WatchCandidate{EventName: "ConsoleLogin", ConsoleLogin: "Success", UserName: "ivan", AccountID: "111111111111"}, nil},
		{"an admin re-enables its key for it", WatchCandidate{EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", RequestUserName: "ivan", RequestStatus: "Active",
			Recipient: "111111111111", PrincipalID: "AIDAOLGA"}, map[string]string{"ivan": tables.WatchReenable, "olga": tables.WatchUse}},
		{"turned off is not re-enabled", WatchCandidate{EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", RequestUserName: "ivan", RequestStatus: "Inactive", Recipient: "111111111111"}, nil},
		{"refused is not re-enabled", WatchCandidate{EventSource: "iam.amazonaws.com", EventName: "CreateLoginProfile", RequestUserName: "ivan", ErrorCode: "AccessDenied", Recipient: "111111111111"}, nil},
		{"the masked name is nobody's", WatchCandidate{EventName: "ConsoleLogin", ConsoleLogin: "Failure", UserName: "HIDDEN_DUE_TO_SECURITY_REASONS", AccountID: "111111111111"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.EventTime, tt.c.EventID = at, "e1"
			rows := MatchWatch([]tables.WatchTarget{ivan, olga}, day, day.AddDate(0, 0, 1), []WatchCandidate{tt.c, tt.c})
			got := map[string]string{}
			for _, r := range rows {
				if _, dup := got[r.UserName]; dup {
					t.Errorf("%s has two rows for one event delivered twice", r.UserName)
				}
				got[r.UserName] = r.Kind
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for u, k := range tt.want {
				if got[u] != k {
					t.Errorf("%s: got %q, want %q", u, got[u], k)
				}
			}
		})
	}
	// Before the deactivation, or outside the window: nothing.
	c := WatchCandidate{PrincipalID: "AIDAIVAN", EventTime: day.Add(-time.Second), EventID: "early"}
	if rows := MatchWatch([]tables.WatchTarget{ivan}, day.AddDate(0, 0, -5), day.AddDate(0, 0, 1), []WatchCandidate{c}); rows != nil {
		t.Errorf("an event before the deactivation is watched: %+v", rows)
	}
	c.EventTime = day.AddDate(0, 0, 2)
	if rows := MatchWatch([]tables.WatchTarget{ivan}, day, day.AddDate(0, 0, 1), []WatchCandidate{c}); rows != nil {
		t.Errorf("an event after the window is watched: %+v", rows)
	}
}
