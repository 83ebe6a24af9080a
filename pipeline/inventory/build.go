package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Policy kinds, as tables.Policy.Kind.
const (
	PolicyRoleTrust   = "role_trust"
	PolicyRoleInline  = "role_inline"
	PolicyGroupInline = "group_inline"
	PolicyUserInline  = "user_inline"
	PolicyManaged     = "managed"
)

// Build joins credential reports and authorization details (any number of
// accounts) into inventory rows and policy documents.
//
// Within an account, a report row and an authorization-details user are the
// same user when their ARNs are equal (path included), or failing that when
// their names are (the path changed between the two exports). A user found in
// only one input is kept, with InCredentialReport / InAuthorizationDetails
// saying which; such rows still carry the account's ReportGeneratedAt, so a
// later stage can tell a user created after the report from one deleted
// since. Several authorization-details pages of one account are merged.
//
// Users are sorted by account, then user name; policies by account, owner,
// kind, name and version. Two reports for one account, or an account whose
// authorization details lack their last page, are errors.
func Build(reports []*CredentialReport, details []*AuthorizationDetails) (users []tables.User, policies []tables.Policy, err error) {
	repByAccount := map[string]*CredentialReport{}
	accounts := map[string]bool{}
	for _, r := range reports {
		if r == nil {
			continue
		}
		if r.AccountID == "" {
			return nil, nil, fmt.Errorf("building inventory: credential report %s has no account ID; parse it with ParseCredentialReport", r.Name)
		}
		if prev, ok := repByAccount[r.AccountID]; ok {
			return nil, nil, fmt.Errorf("building inventory: credential reports %s and %s are both for account %s; give one report per account (the newer one)",
				prev.Name, r.Name, r.AccountID)
		}
		repByAccount[r.AccountID] = r
		accounts[r.AccountID] = true
	}
	pages := map[string][]*AuthorizationDetails{}
	for _, d := range details {
		// An export without any entity of its own account (only AWS-managed
		// policies, or nothing) adds nothing to any account.
		if d == nil || d.AccountID == "" {
			continue
		}
		pages[d.AccountID] = append(pages[d.AccountID], d)
		accounts[d.AccountID] = true
	}
	detByAccount := map[string]*AuthorizationDetails{}
	for acct, ps := range pages {
		m, err := MergeAuthorizationDetails(ps...)
		if err != nil {
			return nil, nil, fmt.Errorf("building inventory: %w", err)
		}
		if m.IsTruncated {
			return nil, nil, fmt.Errorf("building inventory: authorization details for account %s (%s) are incomplete: "+
				"IsTruncated is true (or the CLI printed a NextToken) and no page ends the listing; "+
				"export with `aws iam get-account-authorization-details` without --max-items, which fetches every page, or give every page",
				acct, m.Name)
		}
		detByAccount[acct] = m
	}

	order := make([]string, 0, len(accounts))
	for a := range accounts {
		order = append(order, a)
	}
	slices.Sort(order)
	for _, acct := range order {
		users = append(users, joinAccount(repByAccount[acct], detByAccount[acct])...)
		if d := detByAccount[acct]; d != nil {
			policies = append(policies, policyRows(d)...)
		}
	}
	slices.SortStableFunc(users, func(a, b tables.User) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.UserName, b.UserName), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortStableFunc(policies, func(a, b tables.Policy) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.OwnerARN, b.OwnerARN), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.VersionID, b.VersionID))
	})
	return users, policies, nil
}

// joinAccount joins one account's report rows and authorization-details users.
// Either may be nil. Every row says which of the two inputs were given, and
// carries the gaps of the account's inputs (accountGaps) and its own.
func joinAccount(rep *CredentialReport, det *AuthorizationDetails) []tables.User {
	var gaad []UserDetail
	if det != nil {
		gaad = det.Users
	}
	byARN := make(map[string]int, len(gaad))
	byName := make(map[string]int, len(gaad))
	for i, g := range gaad {
		byARN[g.Arn] = i
		byName[g.UserName] = i
	}
	shared := accountGaps(det)
	stamp := func(u *tables.User) {
		u.CredentialReportGiven, u.AuthorizationDetailsGiven = rep != nil, det != nil
		if rep != nil {
			u.ReportGeneratedAt, u.ReportNotBefore = rep.GeneratedAt, rep.NotBefore
		}
		u.InputGaps = append(slices.Clip(u.InputGaps), shared...)
	}
	used := make([]bool, len(gaad))
	var out []tables.User
	if rep != nil {
		for _, u := range rep.Users {
			u.Source = rep.Name
			u.InCredentialReport = true
			u.InputGaps = slices.Clone(u.InputGaps)
			if !u.IsRoot {
				i, ok := byARN[u.ARN]
				if !ok {
					i, ok = byName[u.UserName]
				}
				if ok && !used[i] {
					used[i] = true
					if g := gaad[i]; !g.CreateDate.IsZero() && !u.CreateDate.IsZero() && !sameSecond(g.CreateDate, u.CreateDate) {
						// Two users of one name (deleted and created again
						// between the exports) look like this: the report's
						// use may be the other user's.
						u.InputGaps = append(u.InputGaps, fmt.Sprintf(
							"creation date differs: credential report %s says %s, authorization details %s say %s (kept); the report's row may be an earlier user of the same name",
							rep.Name, u.CreateDate.Format(time.RFC3339), det.Name, g.CreateDate.Format(time.RFC3339)))
					}
					applyDetail(&u, gaad[i])
				}
			}
			stamp(&u)
			out = append(out, u)
		}
	}
	for i, g := range gaad {
		if used[i] {
			continue
		}
		u := tables.User{AccountID: det.AccountID, UserName: g.UserName, ARN: g.Arn, Source: det.Name}
		applyDetail(&u, g)
		stamp(&u)
		out = append(out, u)
	}
	return out
}

// sameSecond compares at the credential report's precision (whole
// seconds), so an export carrying fractions is not a disagreement.
func sameSecond(a, b time.Time) bool {
	return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}

// accountGaps names what an account's authorization details cannot say
// about any of its users: a list the export left out, or roles whose trust
// policy is missing, so that a policy naming the user may be unseen.
func accountGaps(det *AuthorizationDetails) []string {
	if det == nil {
		return nil
	}
	var gaps []string
	for _, l := range det.MissingLists {
		var what string
		switch l {
		case "UserDetailList":
			what = "users' groups, policies, tags and unique IDs"
		case "GroupDetailList":
			what = "group policies naming the user"
		case "RoleDetailList":
			what = "role trust and inline policies naming the user"
		case "Policies":
			what = "customer managed policies naming the user"
		}
		gaps = append(gaps, fmt.Sprintf("authorization details %s have no %s (a filtered export): %s not checked; export again without --filter",
			det.Name, l, what))
	}
	if n := len(det.NoTrustPolicy); n > 0 {
		gaps = append(gaps, fmt.Sprintf("authorization details %s give %d role(s) without a trust policy (AssumeRolePolicyDocument null or absent; first %s): trust policies naming the user not checked; export again with the AWS CLI",
			det.Name, n, det.NoTrustPolicy[0]))
	}
	return gaps
}

// applyDetail copies what only the authorization details know onto a row.
func applyDetail(u *tables.User, g UserDetail) {
	u.InAuthorizationDetails = true
	u.UserID = g.UserId
	u.UserName = g.UserName
	u.ARN = g.Arn
	u.Path = g.Path
	// The authorization details' date wins: it comes with the unique ID
	// CloudTrail names, so it is the date of the user the activity is
	// matched to (a disagreement is an input gap, see joinAccount).
	if !g.CreateDate.IsZero() {
		u.CreateDate = g.CreateDate
	}
	u.Groups = slices.Clone(g.GroupList)
	u.AttachedPolicies = nil
	for _, p := range g.AttachedManagedPolicies {
		u.AttachedPolicies = append(u.AttachedPolicies, p.PolicyArn)
	}
	u.InlinePolicies = nil
	for _, p := range g.UserPolicyList {
		u.InlinePolicies = append(u.InlinePolicies, p.PolicyName)
	}
	u.PermissionsBoundary = ""
	if g.PermissionsBoundary != nil {
		u.PermissionsBoundary = g.PermissionsBoundary.PermissionsBoundaryArn
	}
	u.Tags = slices.Clone(g.Tags)
}

// policyRows lists every policy document of an account. AWS-managed policies
// are left out: they belong to no account and cannot name its users.
func policyRows(d *AuthorizationDetails) []tables.Policy {
	var out []tables.Policy
	add := func(kind, owner, name, version string, isDefault bool, doc string) {
		if doc == "" {
			return
		}
		out = append(out, tables.Policy{AccountID: d.AccountID, Kind: kind, OwnerARN: owner, Name: name,
			VersionID: version, IsDefault: isDefault, Document: doc})
	}
	for _, r := range d.Roles {
		add(PolicyRoleTrust, r.Arn, "", "", false, r.AssumeRolePolicyDocument)
		for _, p := range r.RolePolicyList {
			add(PolicyRoleInline, r.Arn, p.PolicyName, "", false, p.PolicyDocument)
		}
	}
	for _, g := range d.Groups {
		for _, p := range g.GroupPolicyList {
			add(PolicyGroupInline, g.Arn, p.PolicyName, "", false, p.PolicyDocument)
		}
	}
	for _, u := range d.Users {
		for _, p := range u.UserPolicyList {
			add(PolicyUserInline, u.Arn, p.PolicyName, "", false, p.PolicyDocument)
		}
	}
	for _, m := range d.Policies {
		if m.AWSManaged() {
			continue
		}
		for _, v := range m.PolicyVersionList {
			add(PolicyManaged, m.Arn, m.PolicyName, v.VersionId, v.IsDefaultVersion || v.VersionId == m.DefaultVersionId, v.Document)
		}
	}
	return out
}
