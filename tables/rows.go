package tables

import "time"

// Password states, from the credential report's password_last_used column.
const (
	PasswordUsed          = "used"           // a date: the password was used then
	PasswordNever         = "never"          // no_information for a user created after tracking began
	PasswordNoInformation = "no_information" // no_information for a user created before 2014-10-20: unknown
	PasswordNotSupported  = "not_supported"  // root, or an exporter's spelling of "no password"
	PasswordNA            = "n/a"            // the user has no password
)

// Statuses a finding can have.
const (
	StatusActive    = "active"
	StatusInactive  = "inactive"
	StatusNeverUsed = "never_used"
	StatusNew       = "new"
	StatusExempt    = "exempt"
	StatusReview    = "review"
	StatusRoot      = "root"
)

// Decisions a finding can carry.
const (
	DecisionDelete     = "delete"
	DecisionDeactivate = "deactivate"
	DecisionReview     = "review"
	DecisionKeep       = "keep"
)

// Sources of a user's last activity.
const (
	SourceConsole    = "console"
	SourceAccessKey  = "access_key"
	SourceCloudTrail = "cloudtrail"
)

// RootUserName is the credential report's name for the account root user.
const RootUserName = "<root_account>"

// Tag is an IAM tag.
type Tag struct {
	Key   string `arrow:"key"`
	Value string `arrow:"value"`
}

// User is one row of the inventory table: an IAM user (or the root row) as the
// credential report and the authorization details describe it.
type User struct {
	AccountID  string    `arrow:"account_id"`
	UserName   string    `arrow:"user_name"`
	UserID     string    `arrow:"user_id"` // AIDA...; empty when only the credential report knows the user
	ARN        string    `arrow:"arn"`
	Path       string    `arrow:"path"`
	CreateDate time.Time `arrow:"create_date"`
	IsRoot     bool      `arrow:"is_root"`

	PasswordEnabled     bool      `arrow:"password_enabled"`
	PasswordLastUsed    time.Time `arrow:"password_last_used"`
	PasswordState       string    `arrow:"password_state"` // one of the Password* constants
	PasswordLastChanged time.Time `arrow:"password_last_changed"`
	MFAActive           bool      `arrow:"mfa_active"`

	Key1Active          bool      `arrow:"key1_active"`
	Key1LastRotated     time.Time `arrow:"key1_last_rotated"`
	Key1LastUsed        time.Time `arrow:"key1_last_used_date"`
	Key1LastUsedRegion  string    `arrow:"key1_last_used_region"`
	Key1LastUsedService string    `arrow:"key1_last_used_service"`
	Key2Active          bool      `arrow:"key2_active"`
	Key2LastRotated     time.Time `arrow:"key2_last_rotated"`
	Key2LastUsed        time.Time `arrow:"key2_last_used_date"`
	Key2LastUsedRegion  string    `arrow:"key2_last_used_region"`
	Key2LastUsedService string    `arrow:"key2_last_used_service"`
	Cert1Active         bool      `arrow:"cert1_active"`
	Cert2Active         bool      `arrow:"cert2_active"`

	Groups              []string `arrow:"groups"`
	AttachedPolicies    []string `arrow:"attached_policies"` // policy ARNs
	InlinePolicies      []string `arrow:"inline_policies"`   // policy names
	PermissionsBoundary string   `arrow:"permissions_boundary"`
	Tags                []Tag    `arrow:"tags"`

	// ReportGeneratedAt is the credential report's generation time where it
	// is proven (GetCredentialReport's GeneratedTime, or stated by the user
	// with --report-generated-at); zero when unknown. A file's modification
	// time proves nothing and is never used.
	ReportGeneratedAt time.Time `arrow:"report_generated_at"`
	// ReportNotBefore is the latest timestamp inside the report: the report
	// was generated at or after it, so it bounds the report's age from above
	// even when ReportGeneratedAt is unknown.
	ReportNotBefore        time.Time `arrow:"report_not_before"`
	InCredentialReport     bool      `arrow:"in_credential_report"`
	InAuthorizationDetails bool      `arrow:"in_authorization_details"`
	// The account's inputs: whether a credential report and authorization
	// details were given at all, so that "missing from the input" and "no
	// input" are told apart, and unknown is never printed as false.
	CredentialReportGiven     bool `arrow:"credential_report_given"`
	AuthorizationDetailsGiven bool `arrow:"authorization_details_given"`
	// InputGaps names evidence the inputs could not give for this user (a
	// column the report lacks, a filtered authorization-details export, a
	// null trust policy). Each one keeps a removal candidate in review, with
	// the text as its reason.
	InputGaps []string `arrow:"input_gaps"`
	Source    string   `arrow:"source"` // where the row came from: a file path, or aws:<account>
}

// Policy is one policy document found in the authorization details, decoded to
// plain JSON. Reference checks read these.
type Policy struct {
	AccountID string `arrow:"account_id"`
	// Kind: role_trust, role_inline, group_inline, user_inline, managed.
	Kind string `arrow:"kind"`
	// OwnerARN is the role, group, user or managed policy the document belongs to.
	OwnerARN  string `arrow:"owner_arn"`
	Name      string `arrow:"name"`       // inline policy name, or managed policy name
	VersionID string `arrow:"version_id"` // managed policy version, else empty
	IsDefault bool   `arrow:"is_default"` // managed policy default version
	Document  string `arrow:"document"`   // decoded JSON text
}

// Reference is a place that names an IAM user: a policy that grants it
// something or trusts it, or a resource it owns by tag.
type Reference struct {
	AccountID string `arrow:"account_id"`
	UserName  string `arrow:"user_name"`
	UserID    string `arrow:"user_id"`
	UserARN   string `arrow:"user_arn"`
	// Kind says what names the user, e.g. "role trust policy", "s3 bucket policy".
	Kind        string `arrow:"kind"`
	ResourceARN string `arrow:"resource_arn"`
	Region      string `arrow:"region"`
	// Location is where in the document: Principal, NotPrincipal, Resource, NotResource, Condition, Tag:<key>.
	Location string `arrow:"location"`
	// Match is the text that matched: the ARN, a wildcard pattern, or the unique ID.
	Match string `arrow:"match"`
}

// Activity is one row of the activity table: a principal that acted in the
// window, keyed by the IAM user's unique ID (or by ARN when the event had none).
type Activity struct {
	AccountID   string `arrow:"account_id"`
	PrincipalID string `arrow:"principal_id"` // the IAM user's unique ID (AIDA...), or empty
	ARN         string `arrow:"arn"`
	UserName    string `arrow:"user_name"`

	FirstEvent      time.Time `arrow:"first_event"` // successful or not-failed use only
	LastEvent       time.Time `arrow:"last_event"`
	Events          int64     `arrow:"events"`
	LastEventName   string    `arrow:"last_event_name"`
	LastEventSource string    `arrow:"last_event_source"`
	LastSourceIP    string    `arrow:"last_source_ip"`
	LastRegion      string    `arrow:"last_region"`

	ConsoleLogins          int64     `arrow:"console_logins"` // successful
	FailedConsoleLogins    int64     `arrow:"failed_console_logins"`
	LastFailedConsoleLogin time.Time `arrow:"last_failed_console_login"`
	AccessKeyIDs           []string  `arrow:"access_key_ids"` // long-term (AKIA) keys seen, sorted
}

// Coverage is one cell of the CloudTrail data the engine saw: an account, a
// region (empty when neither the record nor its file's folder names one) and
// an hour (UTC, truncated; a record without a usable eventTime counts in the
// midnight of its file's date folder), with the first and last event time
// and the number of records in that cell. Coverage is decided per account
// from which cells exist (pipeline/findings/coverage.go).
type Coverage struct {
	AccountID  string    `arrow:"account_id"`
	Region     string    `arrow:"region"`
	Hour       time.Time `arrow:"hour"`
	FirstEvent time.Time `arrow:"first_event"`
	LastEvent  time.Time `arrow:"last_event"`
	Events     int64     `arrow:"events"`
}

// Finding is one row of the findings table: a user, every signal, and the
// classification with its reasons.
type Finding struct {
	AccountID  string    `arrow:"account_id"`
	UserName   string    `arrow:"user_name"`
	UserID     string    `arrow:"user_id"`
	ARN        string    `arrow:"arn"`
	Path       string    `arrow:"path"`
	CreateDate time.Time `arrow:"create_date"`

	PasswordEnabled  bool      `arrow:"password_enabled"`
	PasswordLastUsed time.Time `arrow:"password_last_used"`
	PasswordState    string    `arrow:"password_state"`
	MFAActive        bool      `arrow:"mfa_active"`
	Key1Active       bool      `arrow:"key1_active"`
	Key1LastRotated  time.Time `arrow:"key1_last_rotated"`
	Key1LastUsed     time.Time `arrow:"key1_last_used_date"`
	Key2Active       bool      `arrow:"key2_active"`
	Key2LastRotated  time.Time `arrow:"key2_last_rotated"`
	Key2LastUsed     time.Time `arrow:"key2_last_used_date"`

	CloudTrailFirstEvent    time.Time `arrow:"cloudtrail_first_event"`
	CloudTrailLastEvent     time.Time `arrow:"cloudtrail_last_event"`
	CloudTrailEvents        int64     `arrow:"cloudtrail_events"`
	CloudTrailLastEventName string    `arrow:"cloudtrail_last_event_name"`
	FailedConsoleLogins     int64     `arrow:"failed_console_logins"`
	LastFailedConsoleLogin  time.Time `arrow:"last_failed_console_login"`

	LastActivity       time.Time `arrow:"last_activity"`
	LastActivitySource string    `arrow:"last_activity_source"` // console, access_key, cloudtrail; empty if never
	// DaysInactive counts whole days from last activity (or, never used, from
	// creation) to as-of; -1 when neither is known.
	DaysInactive int64 `arrow:"days_inactive"`

	Status   string   `arrow:"status"`
	Decision string   `arrow:"decision"`
	Reasons  []string `arrow:"reasons"`

	// Exemption: "tag:<key>=<value>" or "allowlist"; empty when not exempt.
	Exemption        string    `arrow:"exemption"`
	ExemptionOwner   string    `arrow:"exemption_owner"`
	ExemptionReason  string    `arrow:"exemption_reason"`
	ExemptionExpires time.Time `arrow:"exemption_expires"`
	// AllowlistExpired is set when an allowlist entry names the user but has expired.
	AllowlistExpired bool `arrow:"allowlist_expired"`

	// UnusedKeys lists key slots (1, 2) that are active but unused since the
	// window start, for active users (their own manifest action).
	UnusedKeys []int64 `arrow:"unused_keys"`
	References int64   `arrow:"references"`

	InCredentialReport     bool `arrow:"in_credential_report"`
	InAuthorizationDetails bool `arrow:"in_authorization_details"`
	// ReportGeneratedAt is zero when the report's generation time is not
	// proven; ReportNotBefore is the latest time inside it (User's fields).
	ReportGeneratedAt time.Time `arrow:"report_generated_at"`
	ReportNotBefore   time.Time `arrow:"report_not_before"`
	// Whether the account's credential report and authorization details were
	// given at all: the reports leave a fact from an absent source empty
	// ("not assessed"), never false.
	CredentialReportGiven     bool `arrow:"credential_report_given"`
	AuthorizationDetailsGiven bool `arrow:"authorization_details_given"`

	// DeactivatedOn and DeleteAfter are the user's dormant:deactivated and
	// dormant:delete-after tags (ReadDeactivation); zero when absent or
	// unreadable. Runs before issue 17 wrote no such columns.
	DeactivatedOn time.Time `arrow:"deactivated_on,added"`
	DeleteAfter   time.Time `arrow:"delete_after,added"`
}

// CoverageSpans folds coverage cells, sorted by account, region and hour as
// the engines return them, into one row per account and region: the first
// and last event and the records of all its cells, without an hour. The run
// record keeps these; the cells themselves are in the coverage table.
func CoverageSpans(cells []Coverage) []Coverage {
	var out []Coverage
	for _, c := range cells {
		n := len(out)
		if n == 0 || out[n-1].AccountID != c.AccountID || out[n-1].Region != c.Region {
			c.Hour = time.Time{}
			out = append(out, c)
			continue
		}
		s := &out[n-1]
		if !c.FirstEvent.IsZero() && (s.FirstEvent.IsZero() || c.FirstEvent.Before(s.FirstEvent)) {
			s.FirstEvent = c.FirstEvent
		}
		if c.LastEvent.After(s.LastEvent) {
			s.LastEvent = c.LastEvent
		}
		s.Events += c.Events
	}
	return out
}
