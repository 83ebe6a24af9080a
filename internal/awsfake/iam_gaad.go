package awsfake

import (
	"fmt"
	"strings"
)

// This file holds GetAccountAuthorizationDetails and the helpers that render
// its user, group, role and policy details.

// Entity kinds of GetAccountAuthorizationDetails, in the order pages walk them.
const (
	gaadUser = iota
	gaadGroup
	gaadRole
	gaadLocalPolicy
	gaadAWSPolicy
)

var gaadFilters = map[string]int{
	"User": gaadUser, "Group": gaadGroup, "Role": gaadRole,
	"LocalManagedPolicy": gaadLocalPolicy, "AWSManagedPolicy": gaadAWSPolicy,
}

type gaadItem struct {
	kind int
	key  string
	val  any
}

func iamGetAccountAuthorizationDetails(req *request) (any, *apiError) {
	want := map[int]bool{}
	for _, f := range req.strList("Filter") {
		k, ok := gaadFilters[f]
		if !ok {
			return nil, errValidation(fmt.Sprintf("1 validation error detected: Value '[%s]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, LocalManagedPolicy, Group, AWSManagedPolicy]]", f))
		}
		want[k] = true
	}
	all := len(want) == 0
	limit, aerr := req.listLimit()
	if aerr != nil {
		return nil, aerr
	}
	a := req.acct
	var items []gaadItem
	add := func(kind int, name string, val any) {
		if all || want[kind] {
			items = append(items, gaadItem{kind: kind, key: fmt.Sprintf("%d/%s", kind, nameKey(name)), val: val})
		}
	}
	for _, u := range a.Users {
		add(gaadUser, u.Name, u)
	}
	for _, g := range a.Groups {
		add(gaadGroup, g.Name, g)
	}
	for _, r := range a.Roles {
		add(gaadRole, r.Name, r)
	}
	for _, p := range a.Policies {
		add(gaadLocalPolicy, p.Path+p.Name, p)
	}
	attached, boundaries := a.policyUsage()
	for _, p := range req.s.org.AWSManagedPolicies {
		// IAM lists the AWS managed policies the account uses.
		if attached[p.ARN]+boundaries[p.ARN] > 0 {
			add(gaadAWSPolicy, p.Path+p.Name, p)
		}
	}
	pageItems, next, aerr := paginate(req.action, items, func(i gaadItem) string { return i.key }, req.str("Marker"), limit)
	if aerr != nil {
		return nil, aerr
	}
	res := struct {
		UserDetailList  members[xUserDetail]
		GroupDetailList members[xGroupDetail]
		RoleDetailList  members[xRoleDetail]
		Policies        members[xManagedPolicyDetail]
		page
	}{page: newPage(next)}
	for _, it := range pageItems {
		switch v := it.val.(type) {
		case *User:
			res.UserDetailList.Member = append(res.UserDetailList.Member, req.userDetail(v))
		case *Group:
			res.GroupDetailList.Member = append(res.GroupDetailList.Member, xGroupDetail{
				Path: v.Path, GroupName: v.Name, GroupId: v.GroupID, Arn: v.ARN(a.ID), CreateDate: isoTime(v.CreateDate),
				GroupPolicyList:         inlineXML(v.InlinePolicies),
				AttachedManagedPolicies: req.attachedXML(v.AttachedPolicyARNs),
			})
		case *Role:
			res.RoleDetailList.Member = append(res.RoleDetailList.Member, xRoleDetail{
				Path: v.Path, RoleName: v.Name, RoleId: v.RoleID, Arn: v.ARN(a.ID), CreateDate: isoTime(v.CreateDate),
				AssumeRolePolicyDocument: encodePolicyDocument(v.AssumeRolePolicyDocument),
				RolePolicyList:           inlineXML(v.InlinePolicies),
				AttachedManagedPolicies:  req.attachedXML(v.AttachedPolicyARNs),
				PermissionsBoundary:      boundaryXML(v.PermissionsBoundaryARN),
				Tags:                     tagsXML(v.Tags),
				RoleLastUsed:             xRoleLastUsed{LastUsedDate: isoTimePtr(v.LastUsedDate), Region: v.LastUsedRegion},
			})
		case *ManagedPolicy:
			x := xManagedPolicyDetail{
				PolicyName: v.Name, PolicyId: v.PolicyID, Arn: v.ARN, Path: v.Path, DefaultVersionId: v.DefaultVersionID,
				AttachmentCount: attached[v.ARN], PermissionsBoundaryUsageCount: boundaries[v.ARN],
				IsAttachable: !v.NotAttachable, Description: v.Description,
				CreateDate: isoTime(v.CreateDate), UpdateDate: isoTime(v.UpdateDate),
			}
			def := v.DefaultVersion()
			for _, ver := range v.Versions {
				x.PolicyVersionList.Member = append(x.PolicyVersionList.Member, xPolicyVersion{
					Document: encodePolicyDocument(ver.Document), VersionId: ver.VersionID,
					IsDefaultVersion: ver == def, CreateDate: isoTime(ver.CreateDate),
				})
			}
			res.Policies.Member = append(res.Policies.Member, x)
		}
	}
	return res, nil
}

func (req *request) userDetail(u *User) xUserDetail {
	a := req.acct
	groups := make([]string, 0, len(u.Groups))
	for _, g := range u.Groups {
		if grp := a.Group(g); grp != nil {
			g = grp.Name
		}
		groups = append(groups, g)
	}
	return xUserDetail{
		Path: u.Path, UserName: u.Name, UserId: u.UserID, Arn: u.ARN(a.ID), CreateDate: isoTime(u.CreateDate),
		UserPolicyList:          inlineXML(u.InlinePolicies),
		GroupList:               list(groups),
		AttachedManagedPolicies: req.attachedXML(u.AttachedPolicyARNs),
		PermissionsBoundary:     boundaryXML(u.PermissionsBoundaryARN),
		Tags:                    tagsXML(u.Tags),
	}
}

// inlineXML renders inline policies with URL-encoded documents, as IAM does.
func inlineXML(policies []*InlinePolicy) members[xPolicyDetail] {
	out := make([]xPolicyDetail, len(policies))
	for i, p := range policies {
		out[i] = xPolicyDetail{PolicyName: p.Name, PolicyDocument: encodePolicyDocument(p.Document)}
	}
	return list(out)
}

func (req *request) attachedXML(arns []string) members[xAttachedPolicy] {
	out := make([]xAttachedPolicy, len(arns))
	for i, arn := range arns {
		out[i] = xAttachedPolicy{PolicyName: req.policyName(arn), PolicyArn: arn}
	}
	return list(out)
}

func (req *request) policyName(arn string) string {
	if p := req.s.org.managedPolicy(req.acct, arn); p != nil {
		return p.Name
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}

// policyUsage counts, per managed policy ARN, its attachments to users,
// groups and roles, and its uses as a permissions boundary.
func (a *Account) policyUsage() (attached, boundaries map[string]int) {
	attached, boundaries = map[string]int{}, map[string]int{}
	for _, u := range a.Users {
		for _, arn := range u.AttachedPolicyARNs {
			attached[arn]++
		}
		if u.PermissionsBoundaryARN != "" {
			boundaries[u.PermissionsBoundaryARN]++
		}
	}
	for _, g := range a.Groups {
		for _, arn := range g.AttachedPolicyARNs {
			attached[arn]++
		}
	}
	for _, r := range a.Roles {
		for _, arn := range r.AttachedPolicyARNs {
			attached[arn]++
		}
		if r.PermissionsBoundaryARN != "" {
			boundaries[r.PermissionsBoundaryARN]++
		}
	}
	return attached, boundaries
}
