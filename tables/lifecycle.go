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

// Tag keys dormant remediation writes on a user it deactivates (the
// manifest package names them too; tables cannot import it).
const (
	TagDeactivated = "dormant:deactivated"
	TagDeleteAfter = "dormant:delete-after"
)

// Deactivation is what a user's dormant tags say: when remediation
// deactivated it and from when it is due for deletion. Problems names a tag
// that is present but not a YYYY-MM-DD date (an edited tag is evidence of
// nothing: the user goes to review, never to deletion).
type Deactivation struct {
	Tagged      bool // dormant:deactivated is present
	On          time.Time
	DeleteAfter time.Time // zero when the tag is absent or unreadable
	Problems    []string
}

// ReadDeactivation reads the dormant:deactivated and dormant:delete-after
// tags, matched by exact key as IAM stores them.
func ReadDeactivation(tags []Tag) Deactivation {
	var d Deactivation
	for _, t := range tags {
		switch t.Key {
		case TagDeactivated:
			d.Tagged = true
			on, err := time.Parse(time.DateOnly, t.Value)
			if err != nil {
				d.Problems = append(d.Problems, "tag "+TagDeactivated+"="+t.Value+" is not a YYYY-MM-DD date")
				continue
			}
			d.On = on
		case TagDeleteAfter:
			at, err := time.Parse(time.DateOnly, t.Value)
			if err != nil {
				d.Problems = append(d.Problems, "tag "+TagDeleteAfter+"="+t.Value+" is not a YYYY-MM-DD date")
				continue
			}
			d.DeleteAfter = at
		}
	}
	if d.Tagged && !d.On.IsZero() && d.DeleteAfter.IsZero() && len(d.Problems) == 0 {
		d.Problems = append(d.Problems, "tag "+TagDeactivated+" without a readable "+TagDeleteAfter)
	}
	return d
}
