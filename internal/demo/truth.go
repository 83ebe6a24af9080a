package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/tables"
)

// Expected is the ground truth for one user (or root row): what the
// classification must conclude.
type Expected struct {
	AccountID string `json:"account_id"`
	UserName  string `json:"user_name"`
	// UserID is empty where the tool cannot know it: root, and users only in
	// the credential report (which has no unique IDs).
	UserID   string `json:"user_id"`
	ARN      string `json:"arn"`
	Case     string `json:"case"`
	Status   string `json:"status"`
	Decision string `json:"decision"`
	// UnusedKeys: key slots (1, 2) of an active user that are active but
	// unused since the window start (and older than it).
	UnusedKeys []int `json:"unused_keys,omitempty"`
	// Review lists the review conditions that apply (Review* constants);
	// set only when Status is review.
	Review []string `json:"review,omitempty"`
	// LastActivity is the latest of password use, key use and counted
	// CloudTrail events in the window; zero when none is known.
	LastActivity       time.Time `json:"last_activity,omitzero"`
	LastActivitySource string    `json:"last_activity_source,omitempty"` // console, access_key, cloudtrail
	// DaysInactive: whole days from LastActivity (else creation) to as-of.
	DaysInactive int64 `json:"days_inactive"`

	// In a quarter after the first: the user's lifecycle role (Lifecycle*),
	// the dates of its dormant tags, and words its findings' reasons must
	// hold (case-insensitive substrings).
	Lifecycle      string    `json:"lifecycle,omitempty"`
	DeactivatedOn  time.Time `json:"deactivated_on,omitzero"`
	DeleteAfter    time.Time `json:"delete_after,omitzero"`
	ReasonKeywords []string  `json:"reason_keywords,omitempty"`
}

// AccountInfo describes one generated account.
type AccountInfo struct {
	AccountID string `json:"account_id"`
	// Coverage: "full" (logs from before the window start), "partial" (the
	// trail starts inside the window) or "none" (no logs).
	Coverage             string    `json:"coverage"`
	TrailStart           time.Time `json:"trail_start,omitzero"`
	ReportGeneratedAt    time.Time `json:"report_generated_at"`
	CredentialReport     string    `json:"credential_report"`     // path relative to the demo directory
	AuthorizationDetails string    `json:"authorization_details"` // path relative to the demo directory
}

const groundTruthSchema = 1

type groundTruthFile struct {
	SchemaVersion   int           `json:"schema_version"`
	Generator       string        `json:"generator"`
	Seed            int64         `json:"seed"`
	AsOf            time.Time     `json:"as_of"`
	WindowDays      int           `json:"window_days"`
	DeleteAfterDays int           `json:"delete_after_days"`
	Events          int64         `json:"events"`
	Accounts        []AccountInfo `json:"accounts"`
	// Quarter, PreviousAsOf and Orphans are set for a quarter after the
	// first only.
	Quarter      int              `json:"quarter,omitempty"`
	PreviousAsOf time.Time        `json:"previous_as_of,omitzero"`
	Orphans      []ExpectedOrphan `json:"orphans,omitempty"`
	Users        []Expected       `json:"users"`
}

func isActiveCase(c string) bool {
	switch c {
	case CaseActiveConsole, CaseActiveKey, CaseActiveUnusedKey2, CaseActiveCloudTrailOnly, CaseActiveFederated, CaseActiveCrossAccount, CaseActiveDuplicate:
		return true
	}
	return false
}

// computeExpectations sets every user's ground truth. Status and decision
// come from the case the user was built for; the review conditions from the
// account's coverage and the user's flags; last activity from the signals the
// builder wrote. The tests re-derive all of it from the files.
func (o *org) computeExpectations() {
	for _, a := range o.accounts {
		for _, u := range a.users {
			u.exp = o.expect(u)
		}
		a.root.exp = o.expect(a.root)
	}
}

func (o *org) expect(u *user) Expected {
	a := u.acct
	e := Expected{AccountID: a.id, UserName: u.name, UserID: u.id, ARN: u.arn, Case: u.caseName}
	if u.kind == kindRoot || !u.inGAAD {
		e.UserID = ""
	}

	// Last activity: latest signal; ties prefer console, then access key.
	consider := func(t time.Time, src string) {
		if !t.IsZero() && t.After(e.LastActivity) {
			e.LastActivity, e.LastActivitySource = t, src
		}
	}
	if u.inReport {
		if u.pwEnabled || u.kind == kindRoot {
			if !u.pwNoInfo {
				consider(u.pwLastUsed, tables.SourceConsole)
			}
		}
		for _, k := range u.keys {
			consider(k.lastUsed, tables.SourceAccessKey)
		}
	}
	if u.ctLast != 0 && u.kind == kindUser && u.inGAAD {
		consider(time.Unix(u.ctLast, 0).UTC(), tables.SourceCloudTrail)
	}
	ref := e.LastActivity
	if ref.IsZero() {
		ref = u.created
	}
	e.DaysInactive = int64(o.asOf.Sub(ref) / day)

	switch c := u.caseName; {
	case c == CaseRoot:
		e.Status, e.Decision = tables.StatusRoot, tables.DecisionKeep
	case isActiveCase(c):
		e.Status, e.Decision = tables.StatusActive, tables.DecisionKeep
		for i, k := range u.keys {
			if k.exists && k.active && (k.lastUsed.IsZero() || k.lastUsed.Before(o.winStart)) && k.rotated.Before(o.winStart) {
				e.UnusedKeys = append(e.UnusedKeys, i+1)
			}
		}
	case c == CaseNew || c == CaseRecreated:
		e.Status, e.Decision = tables.StatusNew, tables.DecisionKeep
	case c == CaseExemptTag || c == CaseExemptAllowlist:
		e.Status, e.Decision = tables.StatusExempt, tables.DecisionKeep
	case c == CaseNeverUsedDeactivate || c == CaseNotInReport:
		e.Status, e.Decision = tables.StatusNeverUsed, tables.DecisionDeactivate
	case c == CaseNeverUsedDelete:
		e.Status, e.Decision = tables.StatusNeverUsed, tables.DecisionDelete
	case c == CasePre2014NoInformation || c == CaseKeyBeforeTracking:
		e.Status, e.Decision = tables.StatusInactive, tables.DecisionDelete
	case c == CaseRoleSessionLikeUser || c == CaseFailedLoginsOnly:
		e.Status, e.Decision = tables.StatusInactive, tables.DecisionDeactivate
	default: // the inactive cases record their decision when built
		e.Status, e.Decision = tables.StatusInactive, u.decision
	}

	if e.Status == tables.StatusInactive || e.Status == tables.StatusNeverUsed {
		if a.cov != coverageFull {
			e.Review = append(e.Review, ReviewCoverage)
		}
		if u.failed {
			e.Review = append(e.Review, ReviewFailedLogins)
		}
		if u.referenced {
			e.Review = append(e.Review, ReviewReferences)
		}
		if !u.inReport {
			e.Review = append(e.Review, ReviewNotInReport)
		}
		if !u.inGAAD {
			e.Review = append(e.Review, ReviewNotInAuthorizationDetails)
		}
		if len(e.Review) > 0 {
			e.Status, e.Decision = tables.StatusReview, tables.DecisionReview
		}
	}
	if o.quarter != nil {
		o.expectLifecycle(u, &e)
	}
	return e
}

// truth lists every user's expectation: accounts in order, root first, then
// users by name.
func (o *org) truth() []Expected {
	var out []Expected
	for _, a := range o.accounts {
		out = append(out, a.root.exp)
		for _, u := range a.users {
			out = append(out, u.exp)
		}
	}
	return out
}

// writeGroundTruth streams the file user by user (100,000 users would
// otherwise be marshalled, then indented, in one piece).
func writeGroundTruth(path string, f groundTruthFile) error {
	users := f.Users
	f.Users = nil
	head, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("rendering ground truth: %w", err)
	}
	// Reopen the object's last field, "users": null, as a list.
	head = bytes.TrimSuffix(head, []byte("null\n}"))
	head = bytes.TrimSuffix(head, []byte("null}"))
	err = atomicfile.Write(path, func(w io.Writer) error {
		if !bytes.HasSuffix(head, []byte(`"users": `)) {
			return fmt.Errorf("rendering ground truth: unexpected layout %q", head[max(0, len(head)-20):])
		}
		if _, err := w.Write(head); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "["); err != nil {
			return err
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("    ", "  ")
		for i, u := range users {
			buf.Reset()
			if i > 0 {
				buf.WriteString(",")
			}
			buf.WriteString("\n    ")
			if err := enc.Encode(u); err != nil {
				return err
			}
			buf.Truncate(buf.Len() - 1) // the encoder's newline
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "\n  ]\n}\n")
		return err
	})
	if err != nil {
		return fmt.Errorf("writing ground truth %s: %w", path, err)
	}
	return nil
}

var validStatus = []string{tables.StatusActive, tables.StatusInactive, tables.StatusNeverUsed, tables.StatusNew, tables.StatusExempt, tables.StatusReview, tables.StatusRoot, tables.StatusDeactivated}
var validDecision = []string{tables.DecisionDelete, tables.DecisionDeactivate, tables.DecisionReview, tables.DecisionKeep}

// ReadGroundTruth reads a ground-truth.json written by Generate.
func ReadGroundTruth(path string) ([]Expected, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ground truth %s: %w", path, err)
	}
	var f groundTruthFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parsing ground truth %s: %w (regenerate it with `dormant demo`)", path, err)
	}
	if f.SchemaVersion != groundTruthSchema {
		return nil, fmt.Errorf("reading ground truth %s: schema_version %d, want %d (regenerate it with `dormant demo`)", path, f.SchemaVersion, groundTruthSchema)
	}
	for i, e := range f.Users {
		switch {
		case e.AccountID == "" || e.UserName == "":
			return nil, fmt.Errorf("reading ground truth %s: users[%d] has no account_id or user_name", path, i)
		case !slices.Contains(validStatus, e.Status):
			return nil, fmt.Errorf("reading ground truth %s: users[%d] (%s/%s) has unknown status %q", path, i, e.AccountID, e.UserName, e.Status)
		case !slices.Contains(validDecision, e.Decision):
			return nil, fmt.Errorf("reading ground truth %s: users[%d] (%s/%s) has unknown decision %q", path, i, e.AccountID, e.UserName, e.Decision)
		}
	}
	return f.Users, nil
}
