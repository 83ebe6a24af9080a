package activity

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/queries"
	"github.com/dormant-iam/dormant/tables"
)

// The watch (issue 17): after dormant deactivated a user, any event by its
// unique ID or one of its access key IDs (failed calls included), any failed
// console sign-in under its name, and anyone giving it a key or a password
// again is evidence that something still depends on it.
//
// Every engine runs a watch query (queries/<engine>/watch.sql.tmpl) that
// narrows CloudTrail to the candidate events: those naming one of the
// targets' unique IDs, key IDs or (lower-cased) names, at or after the
// earliest deactivation and inside the window. The Go scanner applies the
// same narrowing to each record. The exact per-target rules (which target,
// its own Since, its account, the kind) are then MatchWatch's, in Go, for
// every engine: the SQL dialects differ in how they read a field, not in
// what the watch concludes, so the engines return the same watch table.

// ReenableEvents are the IAM calls that give a user a credential again.
var ReenableEvents = []string{"CreateAccessKey", "UpdateAccessKey", "CreateLoginProfile", "UpdateLoginProfile"}

// hiddenUserName is what CloudTrail logs for a sign-in under a user name IAM
// does not know: it names nobody.
const hiddenUserName = "HIDDEN_DUE_TO_SECURITY_REASONS"

// WatchCandidate is one CloudTrail event a watch query (or the Go scanner)
// found naming a watch target, with the fields the rules read; empty
// strings stand for absent fields.
type WatchCandidate struct {
	EventTime    time.Time `json:"event_time"`
	EventID      string    `json:"event_id,omitempty"`
	EventSource  string    `json:"event_source,omitempty"`
	EventName    string    `json:"event_name,omitempty"`
	ErrorCode    string    `json:"error_code,omitempty"`
	ErrorMessage string    `json:"error_message,omitempty"`
	SourceIP     string    `json:"source_ip,omitempty"`
	Region       string    `json:"region,omitempty"`
	Recipient    string    `json:"recipient_account_id,omitempty"`

	IdentityType      string `json:"identity_type,omitempty"`
	PrincipalID       string `json:"principal_id,omitempty"`
	ARN               string `json:"arn,omitempty"`
	AccountID         string `json:"identity_account_id,omitempty"`
	AccessKeyID       string `json:"access_key_id,omitempty"`
	UserName          string `json:"identity_user_name,omitempty"`
	IssuerType        string `json:"issuer_type,omitempty"`
	IssuerPrincipalID string `json:"issuer_principal_id,omitempty"`

	ConsoleLogin    string `json:"console_login,omitempty"`     // responseElements.ConsoleLogin
	RequestUserName string `json:"request_user_name,omitempty"` // requestParameters.userName
	RequestStatus   string `json:"request_status,omitempty"`    // requestParameters.status
}

// WatchFilter is what the watch queries narrow CloudTrail by: built from the
// targets by NewWatchFilter.
type WatchFilter struct {
	From    time.Time // the earliest Since
	UserIDs []string  // sorted, distinct
	KeyIDs  []string  // sorted, distinct
	Names   []string  // lower-cased, sorted, distinct (IAM compares names case-insensitively)
}

// NewWatchFilter is the candidate filter for targets; ok is false when there
// is nothing to watch.
func NewWatchFilter(targets []tables.WatchTarget) (f WatchFilter, ok bool) {
	for _, t := range targets {
		if f.From.IsZero() || t.Since.Before(f.From) {
			f.From = t.Since.UTC()
		}
		if t.UserID != "" {
			f.UserIDs = append(f.UserIDs, t.UserID)
		}
		for _, k := range t.AccessKeyIDs {
			if k != "" {
				f.KeyIDs = append(f.KeyIDs, k)
			}
		}
		if t.UserName != "" {
			f.Names = append(f.Names, strings.ToLower(t.UserName))
		}
	}
	for _, s := range []*[]string{&f.UserIDs, &f.KeyIDs, &f.Names} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	return f, len(targets) > 0
}

// Match reports whether a record with these fields may concern a target: the
// Go scanner's form of the watch queries' WHERE clause (times aside).
func (f *WatchFilter) Match(principalID, issuerPrincipalID, keyID, userName, arn, requestUserName string) bool {
	has := func(list []string, v string) bool {
		if v == "" {
			return false
		}
		_, ok := slices.BinarySearch(list, v)
		return ok
	}
	pid, _, _ := strings.Cut(principalID, ":")
	return has(f.UserIDs, principalID) || has(f.UserIDs, pid) || has(f.UserIDs, issuerPrincipalID) ||
		has(f.KeyIDs, keyID) ||
		has(f.Names, strings.ToLower(userName)) || has(f.Names, strings.ToLower(arnUserName(arn))) ||
		has(f.Names, strings.ToLower(requestUserName))
}

// arnUserName is the user name an IAM user's ARN ends with
// (arn:aws:iam::<account>:user/[path/]NAME), or "".
func arnUserName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":user/")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	return rest[strings.LastIndexByte(rest, '/')+1:]
}

// MatchWatch applies the watch rules to the candidates of a query over
// [start, end] and returns the watch table, sorted (SortWatch) and without
// duplicate deliveries. Each (target, event) gives at most one row, of the
// first kind that applies: a failed sign-in, then a re-enable, then a use.
func MatchWatch(targets []tables.WatchTarget, start, end time.Time, cands []WatchCandidate) []tables.WatchEvent {
	var out []tables.WatchEvent
	for i := range cands {
		c := &cands[i]
		if c.EventTime.Before(start) || c.EventTime.After(end) {
			continue
		}
		for j := range targets {
			t := &targets[j]
			if c.EventTime.Before(t.Since) {
				continue
			}
			if kind := watchKind(t, c); kind != "" {
				out = append(out, tables.WatchEvent{
					AccountID: t.AccountID, UserName: t.UserName, UserID: t.UserID, Kind: kind,
					EventTime: c.EventTime.UTC(), EventSource: c.EventSource, EventName: c.EventName,
					ErrorCode: c.ErrorCode, AccessKeyID: c.AccessKeyID, SourceIP: c.SourceIP, Region: c.Region,
					ActorARN: c.ARN, EventID: c.EventID,
				})
			}
		}
	}
	SortWatch(out)
	// A record delivered twice (in two files) is one event.
	return slices.CompactFunc(out, func(a, b tables.WatchEvent) bool {
		if a.EventID != "" {
			return a.AccountID == b.AccountID && a.UserID == b.UserID && a.UserName == b.UserName && a.EventID == b.EventID
		}
		return a == b
	})
}

// watchKind is the kind of row c makes for t, or "".
func watchKind(t *tables.WatchTarget, c *WatchCandidate) string {
	account := cmp.Or(c.AccountID, c.Recipient)
	if c.EventName == "ConsoleLogin" && (c.ConsoleLogin == "Failure" || c.ErrorMessage == "Failed authentication") &&
		account == t.AccountID && c.UserName != hiddenUserName &&
		(strings.EqualFold(c.UserName, t.UserName) || strings.EqualFold(arnUserName(c.ARN), t.UserName)) {
		return tables.WatchSigninFailure
	}
	if c.EventSource == "iam.amazonaws.com" && slices.Contains(ReenableEvents, c.EventName) && c.ErrorCode == "" &&
		cmp.Or(c.Recipient, c.AccountID) == t.AccountID && strings.EqualFold(c.RequestUserName, t.UserName) &&
		(c.EventName != "UpdateAccessKey" || c.RequestStatus == "Active") {
		return tables.WatchReenable
	}
	if t.UserID != "" {
		pid, _, _ := strings.Cut(c.PrincipalID, ":")
		if c.PrincipalID == t.UserID || pid == t.UserID || c.IssuerType == "IAMUser" && c.IssuerPrincipalID == t.UserID {
			return tables.WatchUse
		}
	}
	if c.AccessKeyID != "" && slices.Contains(t.AccessKeyIDs, c.AccessKeyID) {
		return tables.WatchUse
	}
	return ""
}

// SortWatch orders the watch table: by account, user, time, eventID, kind
// and the remaining fields, so that every engine's table is in one order.
func SortWatch(rows []tables.WatchEvent) {
	slices.SortFunc(rows, func(a, b tables.WatchEvent) int {
		return cmp.Or(
			cmp.Compare(a.AccountID, b.AccountID),
			cmp.Compare(a.UserName, b.UserName),
			cmp.Compare(a.UserID, b.UserID),
			a.EventTime.Compare(b.EventTime),
			cmp.Compare(a.EventID, b.EventID),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.EventSource, b.EventSource),
			cmp.Compare(a.EventName, b.EventName),
			cmp.Compare(a.ErrorCode, b.ErrorCode),
			cmp.Compare(a.AccessKeyID, b.AccessKeyID),
			cmp.Compare(a.SourceIP, b.SourceIP),
			cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.ActorARN, b.ActorARN),
		)
	})
}

// WatchParams adds f to a query's parameters, for the watch templates.
func (f WatchFilter) WatchParams(p queries.Params) queries.Params {
	p.WatchFrom, p.WatchUserIDs, p.WatchKeyIDs, p.WatchNames = f.From, f.UserIDs, f.KeyIDs, f.Names
	return p
}
