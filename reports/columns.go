package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// kind is how a column's values are typed: the CSV renders every kind as
// text, the workbook as real Excel strings, dates, numbers and booleans.
type kind int

const (
	kText kind = iota
	kTime
	kInt
	kBool
	kFloat // workbook only
)

// cell is one value. A zero time, and a number or boolean with null set,
// are blank; a boolean with s set is written as that text (the credential
// report's not_supported).
type cell struct {
	s    string
	t    time.Time
	n    int64
	f    float64
	b    bool
	null bool
}

// column is one column of the findings table, shared by the CSV and the
// workbook so both always carry the same data in the same order.
type column struct {
	name  string // CSV header: the findings table's column name
	title string // workbook header
	kind  kind
	get   func(f *tables.Finding) cell
	// textLen measures a text value without building it, for column widths.
	textLen func(f *tables.Finding) int
	// width fixes the workbook column's width; 0 fits the data.
	width float64
}

// ReasonSeparator joins a finding's reasons into one cell.
const ReasonSeparator = "; "

func text(name, title string, get func(f *tables.Finding) string) column {
	return column{name: name, title: title, kind: kText, get: func(f *tables.Finding) cell { return cell{s: get(f)} }}
}

func date(name, title string, get func(f *tables.Finding) time.Time) column {
	return column{name: name, title: title, kind: kTime, get: func(f *tables.Finding) cell { return cell{t: get(f)} }}
}

func integer(name, title string, get func(f *tables.Finding) int64) column {
	return column{name: name, title: title, kind: kInt, get: func(f *tables.Finding) cell { return cell{n: get(f)} }}
}

func boolean(name, title string, get func(f *tables.Finding) bool) column {
	return column{name: name, title: title, kind: kBool, get: func(f *tables.Finding) cell { return cell{b: get(f)} }}
}

// reportBool is a credential report column: blank when the report has no
// row for the user (none given, or the user missing from it), because
// unknown is not false.
func reportBool(name, title string, get func(f *tables.Finding) bool) column {
	return column{name: name, title: title, kind: kBool, get: func(f *tables.Finding) cell {
		return cell{b: get(f), null: !f.InCredentialReport}
	}}
}

// passwordEnabledNotSupported is what the credential report writes in the
// root row's password_enabled (AWS's credential report documentation): the
// root user's password is not an IAM login profile.
const passwordEnabledNotSupported = "not_supported"

func joinInts(v []int64) string {
	var b strings.Builder
	for i, n := range v {
		if i > 0 {
			b.WriteString(ReasonSeparator)
		}
		b.WriteString(strconv.FormatInt(n, 10))
	}
	return b.String()
}

// findingColumns is every column of tables.Finding, identity and verdict
// first (what a reader scans), then the signals in the order they are
// weighed: password, keys, CloudTrail, exemption, provenance.
var findingColumns = []column{
	text("account_id", "Account ID", func(f *tables.Finding) string { return f.AccountID }),
	text("user_name", "User name", func(f *tables.Finding) string { return f.UserName }),
	text("user_id", "User ID", func(f *tables.Finding) string { return f.UserID }),
	text("arn", "ARN", func(f *tables.Finding) string { return f.ARN }),
	text("path", "Path", func(f *tables.Finding) string { return f.Path }),
	date("create_date", "Created (UTC)", func(f *tables.Finding) time.Time { return f.CreateDate }),
	text("status", "Status", func(f *tables.Finding) string { return f.Status }),
	text("decision", "Decision", func(f *tables.Finding) string { return f.Decision }),
	date("last_activity", "Last activity (UTC)", func(f *tables.Finding) time.Time { return f.LastActivity }),
	text("last_activity_source", "Last activity source", func(f *tables.Finding) string { return f.LastActivitySource }),
	{
		name: "days_inactive", title: "Days inactive", kind: kInt,
		// -1 means neither last activity nor creation is known: blank, not a
		// number that would sort and chart as "active yesterday".
		get: func(f *tables.Finding) cell { return cell{n: f.DaysInactive, null: f.DaysInactive < 0} },
	},
	// The dormant:deactivated and dormant:delete-after tags' dates: blank on
	// a user remediation never deactivated (or whose tags are unreadable).
	date("deactivated_on", "Deactivated on (UTC)", func(f *tables.Finding) time.Time { return f.DeactivatedOn }),
	date("delete_after", "Delete after (UTC)", func(f *tables.Finding) time.Time { return f.DeleteAfter }),
	{
		name: "reasons", title: "Reasons", kind: kText,
		get: func(f *tables.Finding) cell { return cell{s: strings.Join(f.Reasons, ReasonSeparator)} },
		textLen: func(f *tables.Finding) int {
			n := 0
			for i, r := range f.Reasons {
				if i > 0 {
					n += len(ReasonSeparator)
				}
				n += len(r)
			}
			return n
		},
	},
	{
		name: "password_enabled", title: "Password enabled", kind: kBool,
		get: func(f *tables.Finding) cell {
			if isRoot(f) && f.InCredentialReport {
				return cell{s: passwordEnabledNotSupported}
			}
			return cell{b: f.PasswordEnabled, null: !f.InCredentialReport}
		},
	},
	text("password_state", "Password state", func(f *tables.Finding) string { return f.PasswordState }),
	date("password_last_used", "Password last used (UTC)", func(f *tables.Finding) time.Time { return f.PasswordLastUsed }),
	reportBool("mfa_active", "MFA active", func(f *tables.Finding) bool { return f.MFAActive }),
	reportBool("key1_active", "Key 1 active", func(f *tables.Finding) bool { return f.Key1Active }),
	date("key1_last_rotated", "Key 1 created (UTC)", func(f *tables.Finding) time.Time { return f.Key1LastRotated }),
	date("key1_last_used_date", "Key 1 last used (UTC)", func(f *tables.Finding) time.Time { return f.Key1LastUsed }),
	reportBool("key2_active", "Key 2 active", func(f *tables.Finding) bool { return f.Key2Active }),
	date("key2_last_rotated", "Key 2 created (UTC)", func(f *tables.Finding) time.Time { return f.Key2LastRotated }),
	date("key2_last_used_date", "Key 2 last used (UTC)", func(f *tables.Finding) time.Time { return f.Key2LastUsed }),
	{
		name: "unused_keys", title: "Unused keys", kind: kText,
		get: func(f *tables.Finding) cell { return cell{s: joinInts(f.UnusedKeys)} },
		textLen: func(f *tables.Finding) int {
			return max(0, len(f.UnusedKeys)*(1+len(ReasonSeparator))-len(ReasonSeparator))
		},
	},
	date("cloudtrail_first_event", "CloudTrail first event (UTC)", func(f *tables.Finding) time.Time { return f.CloudTrailFirstEvent }),
	date("cloudtrail_last_event", "CloudTrail last event (UTC)", func(f *tables.Finding) time.Time { return f.CloudTrailLastEvent }),
	integer("cloudtrail_events", "CloudTrail events", func(f *tables.Finding) int64 { return f.CloudTrailEvents }),
	text("cloudtrail_last_event_name", "CloudTrail last event", func(f *tables.Finding) string { return f.CloudTrailLastEventName }),
	integer("failed_console_logins", "Failed console logins", func(f *tables.Finding) int64 { return f.FailedConsoleLogins }),
	date("last_failed_console_login", "Last failed console login (UTC)", func(f *tables.Finding) time.Time { return f.LastFailedConsoleLogin }),
	integer("references", "References", func(f *tables.Finding) int64 { return f.References }),
	text("exemption", "Exemption", func(f *tables.Finding) string { return f.Exemption }),
	text("exemption_owner", "Exemption owner", func(f *tables.Finding) string { return f.ExemptionOwner }),
	text("exemption_reason", "Exemption reason", func(f *tables.Finding) string { return f.ExemptionReason }),
	date("exemption_expires", "Exemption expires (UTC)", func(f *tables.Finding) time.Time { return f.ExemptionExpires }),
	boolean("allowlist_expired", "Allowlist entry expired", func(f *tables.Finding) bool { return f.AllowlistExpired }),
	// Whether the user is in an input is unknown when the input was not given.
	{
		name: "in_credential_report", title: "In credential report", kind: kBool,
		get: func(f *tables.Finding) cell {
			return cell{b: f.InCredentialReport, null: !f.CredentialReportGiven && !f.InCredentialReport}
		},
	},
	{
		name: "in_authorization_details", title: "In authorization details", kind: kBool,
		get: func(f *tables.Finding) cell {
			return cell{b: f.InAuthorizationDetails, null: !f.AuthorizationDetailsGiven && !f.InAuthorizationDetails}
		},
	},
	date("report_generated_at", "Credential report generated (UTC)", func(f *tables.Finding) time.Time { return f.ReportGeneratedAt }),
	date("report_not_before", "Credential report generated at or after (UTC)", func(f *tables.Finding) time.Time { return f.ReportNotBefore }),
	boolean("credential_report_given", "Credential report given", func(f *tables.Finding) bool { return f.CredentialReportGiven }),
	boolean("authorization_details_given", "Authorization details given", func(f *tables.Finding) bool { return f.AuthorizationDetailsGiven }),
}

// FindingColumns returns the CSV header: the findings table's column names in
// report order.
func FindingColumns() []string {
	out := make([]string, len(findingColumns))
	for i, c := range findingColumns {
		out[i] = c.name
	}
	return out
}

// FindingTitles returns the workbook's Findings header, in the same order.
func FindingTitles() []string {
	out := make([]string, len(findingColumns))
	for i, c := range findingColumns {
		out[i] = c.title
	}
	return out
}

// FindingBoolText is the text the workbook's Findings sheet shows in the
// boolean column titled title for f: "true", "false", the credential
// report's own word where it has one (root's not_supported), or "" where
// the value is not known. A reader that compares a reviewed workbook with
// the run uses it, so the two never render a cell differently.
func FindingBoolText(title string, f *tables.Finding) (string, error) {
	for i := range findingColumns {
		col := &findingColumns[i]
		if col.title != title {
			continue
		}
		if col.kind != kBool {
			return "", fmt.Errorf("findings column %q is not a boolean column", title)
		}
		c := col.get(f)
		switch {
		case c.null:
			return "", nil
		case c.s != "":
			return c.s, nil
		}
		return strconv.FormatBool(c.b), nil
	}
	return "", fmt.Errorf("no findings column titled %q", title)
}
