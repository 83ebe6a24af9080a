package demo

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// This file holds the quarters after the first (issue 17): the same
// organization drawn at a later as-of, carrying what remediation did to the
// IAM of the quarter before, with the lifecycle cases placed on deactivated
// users: some left idle (pending, and due for deletion), one used after its
// deactivation, one re-enabled by an admin, and one deleted user still named
// by a policy.
//
// Accounts, user names, unique IDs and cases come from the seed alone, so a
// later quarter holds the same users as the one before (less the deleted
// ones); their dates and activity are drawn again relative to the new as-of,
// as the generator draws them for any as-of.

// Quarter is what a quarter after the first starts from: the IAM state the
// previous quarter's remediation left (read from the fake IAM), and the
// re-enabling an admin did since.
type Quarter struct {
	// Number is the quarter's ordinal (2 for the second).
	Number int
	// PreviousAsOf is the previous quarter's as-of.
	PreviousAsOf time.Time
	// Users is every IAM user the fake IAM holds now, in every account;
	// a user of the organization missing from it was deleted.
	Users []IAMUser
	// Reenabled is the admin's re-enabling of a deactivated user's access
	// key, which the new quarter's CloudTrail logs; nil: none.
	Reenabled *Reenabled
	// DeactivatedFirst is the previous quarter's delete entry (account/user)
	// its reviewer only deactivated: the plan's deletion is not carried out.
	DeactivatedFirst string
}

// IAMUser is one user as IAM holds it.
type IAMUser struct {
	AccountID    string
	UserName     string
	UserID       string
	LoginProfile bool
	// Keys are the user's access keys in the order IAM lists them, which
	// is the credential report's slot order.
	Keys []IAMKey
	Tags []tables.Tag
}

// IAMKey is one access key of an IAMUser.
type IAMKey struct {
	ID     string
	Active bool
}

// Reenabled is an admin's UpdateAccessKey (Status Active) on a deactivated
// user's key.
type Reenabled struct {
	AccountID   string
	UserName    string
	AccessKeyID string
	At          time.Time
	// RoleName and SessionName are the admin's assumed role and session,
	// as the CloudTrail event names them.
	RoleName    string
	SessionName string
}

// Lifecycle roles of users in a quarter after the first (Expected.Lifecycle).
const (
	LifecycleDeactivatedPending = "deactivated_pending" // deactivated, idle, delete-after still ahead: keep
	LifecycleDeactivatedDue     = "deactivated_due"     // deactivated, idle, delete-after at or before as-of: delete
	LifecycleUsedAfter          = "used_after_deactivation"
	LifecycleReactivated        = "reactivated"
)

// ReviewUsedAfterDeactivation is the review condition of a deactivated user
// something still tried to use.
const ReviewUsedAfterDeactivation = "used_after_deactivation"

// ReviewReactivated is the review condition of a user a person re-enabled
// after dormant deactivated it, whose activity alone would remove it.
const ReviewReactivated = "reactivated"

// Reason keywords the findings of the lifecycle users must carry (matched
// case-insensitively as substrings).
const (
	ReasonKeywordReactivated = "reactivated"
	ReasonKeywordUsedAfter   = "after deactivation"
)

// ExpectedOrphan is a unique ID of a deleted user that a policy still names.
type ExpectedOrphan struct {
	AccountID   string `json:"account_id"`
	UniqueID    string `json:"unique_id"`
	UserName    string `json:"user_name"`    // the deleted user's name
	ResourceARN string `json:"resource_arn"` // the policy naming it
}

// AdminRoleName is the role the demo's admins act through in every account.
const AdminRoleName = "OrganizationAccountAccessRole"

func (q *Quarter) validate(asOf time.Time) error {
	switch {
	case q.Number < 2:
		return fmt.Errorf("demo: quarter %d: a quarter after the first is numbered from 2", q.Number)
	case q.PreviousAsOf.IsZero() || !q.PreviousAsOf.Before(asOf):
		return fmt.Errorf("demo: quarter %d: the previous as-of %s must be before the as-of %s", q.Number, q.PreviousAsOf.Format(time.RFC3339), asOf.Format(time.RFC3339))
	}
	if re := q.Reenabled; re != nil {
		if re.AccountID == "" || re.UserName == "" || re.AccessKeyID == "" || re.RoleName == "" || re.SessionName == "" {
			return fmt.Errorf("demo: quarter %d: the re-enabling names no account, user, access key, role or session: %+v", q.Number, *re)
		}
		if !re.At.After(q.PreviousAsOf) || !re.At.Before(asOf) {
			return fmt.Errorf("demo: quarter %d: the re-enabling of %s/%s at %s is not between the previous as-of %s and the as-of %s",
				q.Number, re.AccountID, re.UserName, re.At.Format(time.RFC3339), q.PreviousAsOf.Format(time.RFC3339), asOf.Format(time.RFC3339))
		}
	}
	return nil
}

// deactivated reports whether iu is deactivated as remediation leaves a
// user: tagged with readable dates, no active key, no login profile.
func (iu *IAMUser) deactivated() (tables.Deactivation, bool) {
	d := tables.ReadDeactivation(iu.Tags)
	if !d.Tagged || len(d.Problems) > 0 || iu.LoginProfile {
		return d, false
	}
	for _, k := range iu.Keys {
		if k.Active {
			return d, false
		}
	}
	return d, true
}

// PickReenable chooses the deactivated user an admin re-enables before a
// quarter whose as-of is nextAsOf: one still pending (its delete-after after
// nextAsOf), with an access key, of a case whose only signal is its age, in
// an account whose trail covers the whole window (so the admin's call is in
// the logs), outside the management account when another qualifies. prev is
// the previous quarter's ground truth and accounts its accounts.
func PickReenable(accounts []AccountInfo, prev []Expected, users []IAMUser, nextAsOf time.Time) (IAMUser, bool) {
	full := map[string]int{}
	for i, a := range accounts {
		if a.Coverage == coverageFull.String() {
			full[a.AccountID] = i
		}
	}
	cases := map[string]string{}
	for _, e := range prev {
		cases[e.AccountID+"/"+e.UserName] = e.Case
	}
	var cands []IAMUser
	for _, iu := range users {
		d, ok := iu.deactivated()
		if _, covered := full[iu.AccountID]; !ok || !covered || len(iu.Keys) == 0 || !d.DeleteAfter.After(nextAsOf) {
			continue
		}
		if c := cases[iu.AccountID+"/"+iu.UserName]; c != CaseInactiveDeactivate && c != CaseNeverUsedDeactivate {
			continue
		}
		cands = append(cands, iu)
	}
	if len(cands) == 0 {
		return IAMUser{}, false
	}
	slices.SortFunc(cands, func(x, y IAMUser) int {
		// The management account last: its admins act as the caller, not
		// through the role.
		rank := func(u IAMUser) int {
			if i := full[u.AccountID]; i > 0 {
				return i
			}
			return len(accounts)
		}
		return cmp.Or(cmp.Compare(rank(x), rank(y)), strings.Compare(x.UserName, y.UserName))
	})
	return cands[0], true
}

// applyQuarter carries the IAM state q reports into the freshly built
// organization and places the lifecycle cases; it runs before the sessions
// are finalized, so its sessions are sized and filed with the others.
func (o *org) applyQuarter(q *Quarter) error {
	state := make(map[string]*IAMUser, len(q.Users))
	for i := range q.Users {
		iu := &q.Users[i]
		state[iu.AccountID+"/"+iu.UserName] = iu
	}
	seen := make(map[string]bool, len(q.Users))
	r := newRNG(o.seed, tagQuarter, uint64(q.Number))
	var gone []*user
	for _, a := range o.accounts {
		kept := a.users[:0]
		for _, u := range a.users {
			k := a.id + "/" + u.name
			iu, ok := state[k]
			if !ok && !u.inGAAD {
				// Only in the credential report: the fake IAM, loaded from
				// the exports, never held it (awsfake.FromFiles), and
				// remediation never touches a user under review.
				kept = append(kept, u)
				continue
			}
			if !ok {
				u.gone, u.inReport, u.inGAAD = true, false, false
				gone = append(gone, u)
				continue
			}
			seen[k] = true
			if iu.UserID != "" && iu.UserID != u.id {
				return fmt.Errorf("demo: quarter %d: IAM holds %s with unique ID %s, the organization's user has %s: the state is not this organization's", q.Number, k, iu.UserID, u.id)
			}
			if err := u.carry(iu); err != nil {
				return fmt.Errorf("demo: quarter %d: %s: %w", q.Number, k, err)
			}
			kept = append(kept, u)
		}
		a.users = kept
	}
	for _, iu := range q.Users {
		if k := iu.AccountID + "/" + iu.UserName; !seen[k] {
			return fmt.Errorf("demo: quarter %d: IAM holds %s, which the organization (seed %d) never had: the state is not this organization's", q.Number, k, o.opts.Seed)
		}
	}

	// The re-enabled user: its key is active again, and the admin's call is
	// in the logs.
	var reenabled *user
	if re := q.Reenabled; re != nil {
		u := o.userNamed(re.AccountID, re.UserName)
		if u == nil {
			return fmt.Errorf("demo: quarter %d: the re-enabled user %s/%s is not in IAM", q.Number, re.AccountID, re.UserName)
		}
		slot := -1
		for i := range u.keys {
			if u.keys[i].exists && u.keys[i].id == re.AccessKeyID {
				slot = i
			}
		}
		t := u.acct.trail
		switch {
		case slot < 0 || !u.keys[slot].active:
			return fmt.Errorf("demo: quarter %d: the re-enabled user %s/%s has no active access key %s in IAM", q.Number, re.AccountID, re.UserName, re.AccessKeyID)
		case !u.deact.Tagged:
			return fmt.Errorf("demo: quarter %d: the re-enabled user %s/%s carries no %s tag", q.Number, re.AccountID, re.UserName, tables.TagDeactivated)
		case t == nil || re.At.Unix() < t.start || re.At.Unix() >= t.end:
			return fmt.Errorf("demo: quarter %d: the re-enabling of %s/%s at %s falls outside its account's trail", q.Number, re.AccountID, re.UserName, re.At.Format(time.RFC3339))
		}
		o.sessions = append(o.sessions, session{start: re.At.Unix(), trail: int32(t.idx), user: u.idx, kind: sessReenable, region: rUSEast1, n: 1, slot: uint8(slot)})
		u.lifecycle, u.reenabledBy = LifecycleReactivated, re
		reenabled = u
	}

	// The deactivated users: idle, except one something still tries to use
	// (a failed console sign-in under its name after the deactivation).
	var used *user
	for _, a := range o.accounts {
		for _, u := range a.users {
			if u == reenabled || !u.isDeactivated() {
				continue
			}
			if u.deact.DeleteAfter.After(o.asOf) {
				u.lifecycle = LifecycleDeactivatedPending
			} else {
				u.lifecycle = LifecycleDeactivatedDue
			}
			if used == nil && u.lifecycle == LifecycleDeactivatedPending && a.trail != nil && a.cov == coverageFull &&
				(u.caseName == CaseInactiveDeactivate || u.caseName == CaseNeverUsedDeactivate) {
				used = u
			}
		}
	}
	if used != nil {
		t := used.acct.trail
		lo, hi := max(used.deact.On.Unix()+2*86400, o.S, t.start)+6*3600, o.A-6*3600
		if lo < hi {
			st := o.place(r, t, lo, hi, 300)
			o.sessions = append(o.sessions, session{start: st, trail: int32(t.idx), user: used.idx, kind: sessFailed, region: pick(r, []uint8{rUSEast1, rUSEast2, rEUNorth}), n: int32(1 + r.IntN(3)), step: int32(between(r, 8, 60))})
			used.lifecycle = LifecycleUsedAfter
		}
	}

	// A deleted user still named by a policy: an engineer copied an old
	// statement into a new customer managed policy after the deletion, so
	// the policy names the user by its unique ID, as IAM shows a deleted
	// principal.
	slices.SortFunc(gone, func(x, y *user) int {
		return cmp.Or(cmp.Compare(x.acct.idx, y.acct.idx), strings.Compare(x.name, y.name))
	})
	for _, u := range gone {
		if u.id == "" || u.kind != kindUser || u.caseName == CaseNotInAuthDetails {
			continue
		}
		a := u.acct
		name := "legacy-" + strings.ToLower(strings.NewReplacer(".", "-", "@", "-", "_", "-", "+", "-", "=", "-", ",", "-").Replace(u.name)) + "-access"
		if len(name) > 128 {
			name = name[:128]
		}
		p := &managedPolicy{name: name, path: "/", arn: "arn:aws:iam::" + a.id + ":policy/" + name,
			description: "Copied from an old bucket policy statement"}
		p.id = o.uniqueID(r, "ANPA", 17)
		p.created = q.PreviousAsOf.Add(time.Duration(between(r, 3*86400, 20*86400)) * time.Second)
		p.updated = p.created
		p.versions = []policyVersion{{id: "v1", isDefault: true, created: p.created, doc: policyDoc{Version: "2012-10-17", Statement: []statement{{
			Sid: "LegacyArtifactsRead", Effect: "Allow", Action: []string{"s3:GetObject", "s3:ListBucket"},
			Resource:  []string{"arn:aws:s3:::" + o.bucket, "arn:aws:s3:::" + o.bucket + "/*"},
			Condition: map[string]map[string]string{"StringEquals": {"aws:userid": u.id}},
		}}}}}
		a.policies = append(a.policies, p)
		o.orphans = append(o.orphans, ExpectedOrphan{AccountID: a.id, UniqueID: u.id, UserName: u.name, ResourceARN: p.arn})
		break
	}
	o.quarter = q
	return nil
}

// carry sets the user's credentials and tags to what IAM holds.
func (u *user) carry(iu *IAMUser) error {
	if !iu.LoginProfile {
		u.pwEnabled = false
	} else if !u.pwEnabled {
		return fmt.Errorf("IAM holds a login profile the organization's user does not have: the demo only removes credentials")
	}
	i := 0
	for s := range u.keys {
		k := &u.keys[s]
		if !k.exists {
			continue
		}
		if i >= len(iu.Keys) {
			// Remediation deleted it (an unused-key entry in delete mode).
			*k = keySlot{}
			continue
		}
		k.active = iu.Keys[i].Active
		if iu.Keys[i].ID != "" {
			k.id = iu.Keys[i].ID
		}
		i++
	}
	if i < len(iu.Keys) {
		return fmt.Errorf("IAM holds %d access keys, the organization's user has %d", len(iu.Keys), i)
	}
	for _, t := range iu.Tags {
		if t.Key != tables.TagDeactivated && t.Key != tables.TagDeleteAfter {
			continue
		}
		u.tags = slices.DeleteFunc(u.tags, func(x tag) bool { return x.Key == t.Key })
		u.tags = append(u.tags, tag{t.Key, t.Value})
	}
	u.deact = tables.ReadDeactivation(iu.Tags)
	return nil
}

// isDeactivated: tagged with readable dates, no active key, no password.
func (u *user) isDeactivated() bool {
	if !u.deact.Tagged || len(u.deact.Problems) > 0 || u.pwEnabled {
		return false
	}
	for _, k := range u.keys {
		if k.exists && k.active {
			return false
		}
	}
	return true
}

func (o *org) userNamed(account, name string) *user {
	for _, a := range o.accounts {
		if a.id != account {
			continue
		}
		for _, u := range a.users {
			if u.name == name {
				return u
			}
		}
	}
	return nil
}

// expectLifecycle turns the expectation drawn from the user's activity into
// the one its lifecycle role calls for.
func (o *org) expectLifecycle(u *user, e *Expected) {
	if u.deact.Tagged {
		e.DeactivatedOn, e.DeleteAfter = u.deact.On, u.deact.DeleteAfter
	}
	e.Lifecycle = u.lifecycle
	switch u.lifecycle {
	case LifecycleDeactivatedPending, LifecycleDeactivatedDue:
		e.Status, e.Decision, e.Review, e.UnusedKeys = tables.StatusDeactivated, tables.DecisionKeep, nil, nil
		if u.lifecycle == LifecycleDeactivatedDue {
			e.Decision = tables.DecisionDelete
		}
	case LifecycleUsedAfter:
		e.Status, e.Decision, e.UnusedKeys = tables.StatusReview, tables.DecisionReview, nil
		e.Review = []string{ReviewUsedAfterDeactivation}
		e.ReasonKeywords = []string{ReasonKeywordUsedAfter}
	case LifecycleReactivated:
		// Its status is its activity's; the reason names the re-enabling.
		// A person gave it credentials again on purpose: where its activity
		// alone would remove it, it goes to review instead.
		e.ReasonKeywords = []string{ReasonKeywordReactivated}
		if e.Decision == tables.DecisionDelete || e.Decision == tables.DecisionDeactivate {
			e.Status, e.Decision, e.UnusedKeys = tables.StatusReview, tables.DecisionReview, nil
			e.Review = append(e.Review, ReviewReactivated)
		}
	}
}
