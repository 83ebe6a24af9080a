package awsfake

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// This file holds the Org and Account builders: callers, accounts, users,
// groups, roles and managed policies.

// CallerCredentials returns the first static caller's credentials: the
// tool's own credentials in the management account.
func (o *Org) CallerCredentials() aws.Credentials {
	if len(o.Callers) == 0 {
		return aws.Credentials{}
	}
	return o.Callers[0].Credentials()
}

// AddCaller adds a static credential for a principal in accountID that is not
// part of the served IAM state.
func (o *Org) AddCaller(accountID, arn string) *Caller {
	c := &Caller{
		AccessKeyID:     o.nextID("AKIA", 16),
		SecretAccessKey: o.nextSecret(),
		AccountID:       accountID,
		ARN:             arn,
		UserID:          o.nextID("AIDA", 17),
	}
	o.Callers = append(o.Callers, c)
	return c
}

// AddAWSManagedPolicy adds (or returns) the AWS managed policy named name.
func (o *Org) AddAWSManagedPolicy(name, document string) *ManagedPolicy {
	arn := "arn:aws:iam::aws:policy/" + name
	for _, p := range o.AWSManagedPolicies {
		if p.ARN == arn {
			return p
		}
	}
	p := &ManagedPolicy{
		Name: name, Path: "/", ARN: arn, PolicyID: o.nextID("ANPA", 17),
		CreateDate: DefaultDate, UpdateDate: DefaultDate, DefaultVersionID: "v1",
		Versions: []*PolicyVersion{{VersionID: "v1", Document: document, CreateDate: DefaultDate}},
	}
	o.AWSManagedPolicies = append(o.AWSManagedPolicies, p)
	return p
}

// Account returns the account with the given ID, or nil.
func (o *Org) Account(id string) *Account {
	for _, a := range o.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// AccountOption sets an account attribute in AddAccount.
type AccountOption func(*Account)

// AccountName sets the account's name.
func AccountName(name string) AccountOption { return func(a *Account) { a.Name = name } }

// AccountEmail sets the account's root email.
func AccountEmail(email string) AccountOption { return func(a *Account) { a.Email = email } }

// Suspended marks the account SUSPENDED in Organizations.
func Suspended() AccountOption { return func(a *Account) { a.Status = AccountSuspended } }

// AccountCreated sets the account (root user) creation time.
func AccountCreated(t time.Time) AccountOption {
	return func(a *Account) { a.CreateDate = t; a.JoinedTimestamp = t }
}

// PasswordMaxAge sets the password policy's rotation period in days.
func PasswordMaxAge(days int) AccountOption { return func(a *Account) { a.PasswordMaxAgeDays = days } }

// AddAccount returns the account with the given ID, creating it (ACTIVE,
// created DefaultDate) if needed, and applies opts.
func (o *Org) AddAccount(id string, opts ...AccountOption) *Account {
	a := o.Account(id)
	if a == nil {
		a = &Account{
			ID: id, Name: "account-" + id, Email: "aws+" + id + "@example.com",
			Status: AccountActive, JoinedMethod: "CREATED",
			JoinedTimestamp: DefaultDate, CreateDate: DefaultDate, org: o,
		}
		if id == o.ManagementAccountID {
			a.JoinedMethod = "INVITED"
		}
		o.Accounts = append(o.Accounts, a)
	}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// UserOption sets a user attribute in AddUser.
type UserOption func(*User)

// UserPath sets the user's path ("/division/").
func UserPath(path string) UserOption { return func(u *User) { u.Path = path } }

// UserCreated sets the user's creation time.
func UserCreated(t time.Time) UserOption { return func(u *User) { u.CreateDate = t } }

// UserTag sets a tag on the user.
func UserTag(key, value string) UserOption { return func(u *User) { u.SetTag(key, value) } }

// User returns the user named name (IAM names are case-insensitive), or nil.
func (a *Account) User(name string) *User {
	return byName(a.Users, func(u *User) string { return u.Name }, name)
}

// AddUser returns the user named name, creating it (path "/", created
// DefaultDate, a fresh unique ID) if needed, and applies opts.
func (a *Account) AddUser(name string, opts ...UserOption) *User {
	u := a.User(name)
	if u == nil {
		u = &User{Name: name, Path: "/", UserID: a.gen().nextID("AIDA", 17), CreateDate: DefaultDate, acct: a}
		a.Users = append(a.Users, u)
	}
	for _, opt := range opts {
		opt(u)
	}
	return u
}

// byName finds the item whose name is name as IAM compares names (without
// regard to case), or returns the zero value.
func byName[T any](items []T, nameOf func(T) string, name string) T {
	for _, x := range items {
		if strings.EqualFold(nameOf(x), name) {
			return x
		}
	}
	var zero T
	return zero
}

// Group returns the group named name, or nil.
func (a *Account) Group(name string) *Group {
	return byName(a.Groups, func(g *Group) string { return g.Name }, name)
}

// AddGroup returns the group named name, creating it if needed.
func (a *Account) AddGroup(name string) *Group {
	if g := a.Group(name); g != nil {
		return g
	}
	g := &Group{Name: name, Path: "/", GroupID: a.gen().nextID("AGPA", 17), CreateDate: DefaultDate}
	a.Groups = append(a.Groups, g)
	return g
}

// PutInlinePolicy sets the group's inline policy name to document.
func (g *Group) PutInlinePolicy(name, document string) *Group {
	g.InlinePolicies = putInline(g.InlinePolicies, name, document)
	return g
}

// AttachPolicy attaches the managed policy arn to the group.
func (g *Group) AttachPolicy(arn string) *Group {
	g.AttachedPolicyARNs = addString(g.AttachedPolicyARNs, arn)
	return g
}

// Role returns the role named name, or nil.
func (a *Account) Role(name string) *Role {
	return byName(a.Roles, func(r *Role) string { return r.Name }, name)
}

// RoleOption sets a role attribute in AddRole.
type RoleOption func(*trustSpec)

type trustSpec struct {
	principals []string
	externalID string
}

// TrustedBy lets principals (account IDs, or user/role/root ARNs) assume
// the role. Without it the management account is trusted.
func TrustedBy(principals ...string) RoleOption {
	return func(t *trustSpec) { t.principals = append(t.principals, principals...) }
}

// RequireExternalID makes the trust policy require sts:ExternalId = id.
func RequireExternalID(id string) RoleOption { return func(t *trustSpec) { t.externalID = id } }

// AddRole returns the role named name, creating it if needed with a trust
// policy built from opts (by default: the management account may assume it).
func (a *Account) AddRole(name string, opts ...RoleOption) *Role {
	if r := a.Role(name); r != nil {
		return r
	}
	var spec trustSpec
	for _, opt := range opts {
		opt(&spec)
	}
	if len(spec.principals) == 0 {
		spec.principals = []string{arnPrefix(a.gen().ManagementAccountID) + "root"}
	}
	r := &Role{
		Name: name, Path: "/", RoleID: a.gen().nextID("AROA", 17), CreateDate: DefaultDate,
		AssumeRolePolicyDocument: trustPolicyDocument(spec.principals, spec.externalID),
	}
	a.Roles = append(a.Roles, r)
	return r
}

// AddPolicy returns the customer managed policy named name, creating it with
// one version (v1) holding document if needed.
func (a *Account) AddPolicy(name, document string) *ManagedPolicy {
	arn := arnPrefix(a.ID) + "policy/" + name
	if p := a.Policy(arn); p != nil {
		return p
	}
	p := &ManagedPolicy{
		Name: name, Path: "/", ARN: arn, PolicyID: a.gen().nextID("ANPA", 17),
		CreateDate: DefaultDate, UpdateDate: DefaultDate, DefaultVersionID: "v1",
		Versions: []*PolicyVersion{{VersionID: "v1", Document: document, CreateDate: DefaultDate}},
	}
	a.Policies = append(a.Policies, p)
	return p
}

// Policy returns the customer managed policy with the given ARN, or nil.
func (a *Account) Policy(arn string) *ManagedPolicy {
	for _, p := range a.Policies {
		if p.ARN == arn {
			return p
		}
	}
	return nil
}

// SeedCredentialReport stores a complete report generated at t from the
// current state, as if GenerateCredentialReport had run then.
func (a *Account) SeedCredentialReport(t time.Time) {
	a.CredentialReport = &CredentialReport{GeneratedTime: t, ReadyAt: t, Content: a.reportContent()}
}

// gen returns the Org that generates IDs, or a detached one for accounts
// built outside NewOrg (IDs then stay unique within the process).
func (a *Account) gen() *Org {
	if a.org == nil {
		a.org = &Org{seq: detachedSeq()}
	}
	return a.org
}

func (u *User) gen() *Org {
	if u.acct == nil {
		u.acct = &Account{}
	}
	return u.acct.gen()
}
