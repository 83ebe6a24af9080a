package tables

import "time"

// The quarterly lifecycle (issue 17) and infrastructure as code (issue 18).
const (
	// StatusDeactivated is a user dormant remediation deactivated (tag
	// dormant:deactivated) that still has no active key and no login
	// profile.
	StatusDeactivated = "deactivated"
	// DecisionRemoveInIaC is a candidate that infrastructure as code
	// manages: it is removed by changing the code, never through IAM.
	DecisionRemoveInIaC = "remove-in-iac"
)

// AccessKey is one access key of a user, by its ID, as IAM's ListAccessKeys
// (live) or an `aws iam list-access-keys` export (--access-keys) gives it.
type AccessKey struct {
	AccountID   string    `arrow:"account_id"`
	UserName    string    `arrow:"user_name"`
	AccessKeyID string    `arrow:"access_key_id"`
	Status      string    `arrow:"status"` // Active or Inactive
	CreateDate  time.Time `arrow:"create_date"`
	Source      string    `arrow:"source"` // aws:<account>, or the export's path
}

// WatchTarget is a deactivated user the activity engines watch: any event
// after Since by its unique ID or one of its access key IDs, and any failed
// console sign-in under its name, is a WatchEvent.
type WatchTarget struct {
	AccountID    string
	UserName     string
	UserID       string
	AccessKeyIDs []string
	Since        time.Time // the deactivation date (midnight UTC of the tag's date)
}

// Kinds of WatchEvent.
const (
	WatchUse           = "use"            // the user or one of its keys made a call, failed or not
	WatchSigninFailure = "signin_failure" // a failed ConsoleLogin under the user's name
	WatchReenable      = "reenable"       // someone gave the user a key or a password again
)

// WatchEvent is one CloudTrail event that touched a watched (deactivated)
// user after its deactivation date; the watch table holds them.
type WatchEvent struct {
	AccountID   string    `arrow:"account_id"`
	UserName    string    `arrow:"user_name"`
	UserID      string    `arrow:"user_id"`
	Kind        string    `arrow:"kind"` // one of the Watch* constants
	EventTime   time.Time `arrow:"event_time"`
	EventSource string    `arrow:"event_source"`
	EventName   string    `arrow:"event_name"`
	ErrorCode   string    `arrow:"error_code"` // empty: the call succeeded
	AccessKeyID string    `arrow:"access_key_id"`
	SourceIP    string    `arrow:"source_ip"`
	Region      string    `arrow:"region"`
	ActorARN    string    `arrow:"actor_arn"` // who acted (for reenable: not the user)
	EventID     string    `arrow:"event_id"`
}
