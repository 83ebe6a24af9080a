package awsfake

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Status values of IAM credentials (access keys, certificates, SSH keys,
// service-specific credentials), as IAM spells them.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// Organizations account statuses.
const (
	AccountActive    = "ACTIVE"
	AccountSuspended = "SUSPENDED"
)

// DefaultDate is the creation date given to entities built without one, so
// that reports built from the same Org are identical from run to run.
var DefaultDate = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Org is the whole state the fake serves: an AWS Organization and, for each
// of its accounts, the IAM entities in it. Fields are exported and plain so
// that loaders can fill them directly; [New] fills blanks (IDs, ARNs, dates)
// and checks consistency. After New, change it only through [Server.Do].
type Org struct {
	// ID is the organization ID (o-...). Derived from the management account
	// when empty.
	ID string
	// ManagementAccountID is the account that owns the organization.
	ManagementAccountID string
	// Accounts in the order ListAccounts returns them.
	Accounts []*Account
	// AWSManagedPolicies is the catalogue of AWS managed policies
	// (arn:aws:iam::aws:policy/...) that users, groups and roles may attach.
	AWSManagedPolicies []*ManagedPolicy
	// Callers are principals whose long-term static credentials exist but who
	// are not part of the IAM state served (the tool's own profile), so they
	// never appear in reports.
	Callers []*Caller

	seq uint64
}

// Caller is a static credential outside the served IAM state.
type Caller struct {
	AccessKeyID     string
	SecretAccessKey string
	AccountID       string
	// ARN is what GetCallerIdentity returns, e.g. arn:aws:iam::111111111111:user/auditor.
	ARN string
	// UserID is what GetCallerIdentity returns as UserId (AIDA...).
	UserID string
}

// Credentials returns the caller's static credentials.
func (c *Caller) Credentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "awsfake"}
}

// Account is one AWS account: its Organizations attributes and its IAM state.
type Account struct {
	ID              string
	Name            string
	Email           string
	Status          string // AccountActive or AccountSuspended
	JoinedMethod    string // CREATED or INVITED
	JoinedTimestamp time.Time
	// CreateDate is the account's (root user's) creation time, the root row's
	// user_creation_time in the credential report.
	CreateDate time.Time
	// PasswordMaxAgeDays is the password policy's rotation period; 0 means
	// passwords never expire (password_next_rotation is N/A).
	PasswordMaxAgeDays int
	Root               Root

	Users    []*User
	Groups   []*Group
	Roles    []*Role
	Policies []*ManagedPolicy // customer managed policies
	// UnassignedVirtualMFADevices are virtual MFA devices that exist in the
	// account but are enabled for no user (for example after
	// DeactivateMFADevice); DeleteVirtualMFADevice removes them.
	UnassignedVirtualMFADevices []*MFADevice

	// CredentialReport is the account's latest credential report, nil when
	// none was ever generated. AWS keeps one report per account.
	CredentialReport *CredentialReport
	// ReportTemplate, when set, is the CSV every credential report of the
	// account is generated with, instead of one rendered from the state.
	// The loader of exported files ([FromFiles]) sets it so that a
	// report generated live holds exactly the exported rows (users deleted
	// since, or missing from the authorization details, included).
	ReportTemplate []byte

	org *Org
}

// Root describes the account's root user as the credential report shows it.
type Root struct {
	PasswordLastUsed    *time.Time
	MFAActive           bool
	AccessKeys          []*AccessKey
	SigningCertificates []*SigningCertificate
}

// CredentialReport is a generated (or generating) credential report.
type CredentialReport struct {
	// GeneratedTime is when generation started; GetCredentialReport returns it.
	GeneratedTime time.Time
	// ReadyAt is when generation completes; before it the report is
	// INPROGRESS and GetCredentialReport answers ReportInProgress.
	ReadyAt time.Time
	// Content is the CSV, a snapshot of the state at GeneratedTime.
	Content []byte
	// Expired makes GetCredentialReport answer ReportExpired.
	Expired bool
}

// User is an IAM user with everything IAM can attach to it.
type User struct {
	Name       string
	Path       string
	UserID     string
	CreateDate time.Time
	// PasswordLastUsed is the last console sign-in; nil when never used.
	PasswordLastUsed *time.Time
	// LoginProfile is the console password; nil when the user has none.
	LoginProfile               *LoginProfile
	AccessKeys                 []*AccessKey
	SigningCertificates        []*SigningCertificate
	SSHPublicKeys              []*SSHPublicKey
	ServiceSpecificCredentials []*ServiceSpecificCredential
	// MFADevices are the devices enabled for the user.
	MFADevices             []*MFADevice
	InlinePolicies         []*InlinePolicy
	AttachedPolicyARNs     []string
	Groups                 []string // group names
	PermissionsBoundaryARN string
	Tags                   []Tag

	acct *Account
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	CreateDate time.Time
	// PasswordLastChanged defaults to CreateDate.
	PasswordLastChanged   time.Time
	PasswordResetRequired bool
}

// AccessKey is a long-term access key.
type AccessKey struct {
	ID              string
	SecretAccessKey string
	Status          string // StatusActive or StatusInactive
	CreateDate      time.Time
	LastUsedDate    *time.Time
	LastUsedRegion  string // empty for non-regional services (report shows N/A)
	LastUsedService string
}

// Credentials returns the key as SDK credentials, so a test can sign
// requests as the key's user.
func (k *AccessKey) Credentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.SecretAccessKey, Source: "awsfake"}
}

// SigningCertificate is an X.509 signing certificate.
type SigningCertificate struct {
	ID         string
	Body       string
	Status     string
	UploadDate time.Time
}

// SSHPublicKey is an SSH public key for CodeCommit.
type SSHPublicKey struct {
	ID         string
	Body       string
	Status     string
	UploadDate time.Time
}

// ServiceSpecificCredential is a service-specific credential (CodeCommit Git
// credentials, Keyspaces, Bedrock API keys...).
type ServiceSpecificCredential struct {
	ID              string
	ServiceName     string
	ServiceUserName string
	Status          string
	CreateDate      time.Time
}

// MFADevice is an MFA device; virtual devices have an ARN serial number.
type MFADevice struct {
	SerialNumber string
	Virtual      bool
	EnableDate   time.Time
}

// InlinePolicy is an inline (embedded) policy with its JSON document as written.
type InlinePolicy struct {
	Name     string
	Document string
}

// Tag is an IAM tag.
type Tag struct {
	Key   string
	Value string
}

// Group is an IAM group. Membership is recorded on the users.
type Group struct {
	Name               string
	Path               string
	GroupID            string
	CreateDate         time.Time
	InlinePolicies     []*InlinePolicy
	AttachedPolicyARNs []string
}

// Role is an IAM role.
type Role struct {
	Name       string
	Path       string
	RoleID     string
	CreateDate time.Time
	// AssumeRolePolicyDocument is the trust policy; AssumeRole evaluates it
	// (principals, sts:ExternalId).
	AssumeRolePolicyDocument string
	Description              string
	// MaxSessionDuration caps AssumeRole's DurationSeconds, in seconds
	// (0: IAM's default of 3600).
	MaxSessionDuration     int
	InlinePolicies         []*InlinePolicy
	AttachedPolicyARNs     []string
	PermissionsBoundaryARN string
	Tags                   []Tag
	LastUsedDate           *time.Time
	LastUsedRegion         string
}

// ManagedPolicy is a customer managed or AWS managed policy.
type ManagedPolicy struct {
	Name        string
	Path        string
	PolicyID    string
	ARN         string
	Description string
	CreateDate  time.Time
	UpdateDate  time.Time
	// DefaultVersionID names the default version; defaults to the last one.
	DefaultVersionID string
	Versions         []*PolicyVersion
	// NotAttachable marks policies IAM refuses to attach.
	NotAttachable bool
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID  string
	Document   string
	CreateDate time.Time
}

// arnPrefix returns "arn:aws:iam::<account>:".
func arnPrefix(accountID string) string { return "arn:aws:iam::" + accountID + ":" }

// ARN returns the user's ARN, which includes its path.
func (u *User) ARN(accountID string) string {
	return arnPrefix(accountID) + "user" + pathOrRoot(u.Path) + u.Name
}

// ARN returns the group's ARN.
func (g *Group) ARN(accountID string) string {
	return arnPrefix(accountID) + "group" + pathOrRoot(g.Path) + g.Name
}

// ARN returns the role's ARN.
func (r *Role) ARN(accountID string) string {
	return arnPrefix(accountID) + "role" + pathOrRoot(r.Path) + r.Name
}

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// DefaultVersion returns the policy's default version, nil when it has none.
func (p *ManagedPolicy) DefaultVersion() *PolicyVersion {
	for _, v := range p.Versions {
		if v.VersionID == p.DefaultVersionID {
			return v
		}
	}
	if n := len(p.Versions); n > 0 && p.DefaultVersionID == "" {
		return p.Versions[n-1]
	}
	return nil
}

// NewOrg returns an organization whose management account is
// managementAccountID, with one static caller (the tool's own credentials,
// arn:aws:iam::<management>:user/auditor) and the common AWS managed policies.
func NewOrg(managementAccountID string) *Org {
	o := &Org{ManagementAccountID: managementAccountID}
	o.AddAccount(managementAccountID, AccountName("management"))
	o.AddCaller(managementAccountID, arnPrefix(managementAccountID)+"user/auditor")
	for _, name := range []string{"AdministratorAccess", "ReadOnlyAccess", "SecurityAudit", "PowerUserAccess", "IAMUserChangePassword"} {
		o.AddAWSManagedPolicy(name, defaultPolicyDocument(name))
	}
	return o
}

func defaultPolicyDocument(name string) string {
	switch name {
	case "AdministratorAccess":
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	case "ReadOnlyAccess", "SecurityAudit":
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","s3:Get*","s3:List*"],"Resource":"*"}]}`
	case "IAMUserChangePassword":
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}`
	default:
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}`
	}
}

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

// SetPassword gives the user a console password last changed at changed,
// last used at lastUsed (nil: never used).
func (u *User) SetPassword(changed time.Time, lastUsed *time.Time) *User {
	u.LoginProfile = &LoginProfile{CreateDate: changed, PasswordLastChanged: changed}
	u.PasswordLastUsed = lastUsed
	return u
}

// KeyOption sets an access key attribute in AddAccessKey.
type KeyOption func(*AccessKey)

// KeyCreated sets the key's creation (last rotation) time.
func KeyCreated(t time.Time) KeyOption { return func(k *AccessKey) { k.CreateDate = t } }

// KeyInactive makes the key Inactive.
func KeyInactive() KeyOption { return func(k *AccessKey) { k.Status = StatusInactive } }

// KeyLastUsed records the key's last use; region may be empty for global
// services.
func KeyLastUsed(t time.Time, region, service string) KeyOption {
	return func(k *AccessKey) { k.LastUsedDate = &t; k.LastUsedRegion = region; k.LastUsedService = service }
}

// AddAccessKey adds an Active access key created at the user's creation time
// unless opts say otherwise.
func (u *User) AddAccessKey(opts ...KeyOption) *AccessKey {
	g := u.gen()
	k := &AccessKey{ID: g.nextID("AKIA", 16), SecretAccessKey: g.nextSecret(), Status: StatusActive, CreateDate: u.CreateDate}
	for _, opt := range opts {
		opt(k)
	}
	u.AccessKeys = append(u.AccessKeys, k)
	return k
}

// AddSigningCertificate adds a signing certificate uploaded at uploaded.
func (u *User) AddSigningCertificate(uploaded time.Time, active bool) *SigningCertificate {
	id := u.gen().nextID("", 32)
	c := &SigningCertificate{ID: id, Body: fakePEM(id), Status: status(active), UploadDate: uploaded}
	u.SigningCertificates = append(u.SigningCertificates, c)
	return c
}

// AddSSHPublicKey adds an SSH public key uploaded at uploaded.
func (u *User) AddSSHPublicKey(uploaded time.Time, active bool) *SSHPublicKey {
	id := u.gen().nextID("APKA", 17)
	k := &SSHPublicKey{ID: id, Body: "ssh-rsa " + id + " " + u.Name, Status: status(active), UploadDate: uploaded}
	u.SSHPublicKeys = append(u.SSHPublicKeys, k)
	return k
}

// AddServiceSpecificCredential adds a credential for service (for example
// codecommit.amazonaws.com) created at created.
func (u *User) AddServiceSpecificCredential(service string, created time.Time, active bool) *ServiceSpecificCredential {
	id := u.gen().nextID("ACCA", 17)
	c := &ServiceSpecificCredential{
		ID: id, ServiceName: service, ServiceUserName: fmt.Sprintf("%s-at-%s", u.Name, id[len(id)-6:]),
		Status: status(active), CreateDate: created,
	}
	u.ServiceSpecificCredentials = append(u.ServiceSpecificCredentials, c)
	return c
}

// AddMFADevice enables an MFA device for the user: a virtual device
// (serial arn:aws:iam::<account>:mfa/<user>-N) or a hardware token.
func (u *User) AddMFADevice(virtual bool, enabled time.Time) *MFADevice {
	d := &MFADevice{Virtual: virtual, EnableDate: enabled}
	if virtual {
		acct := ""
		if u.acct != nil {
			acct = u.acct.ID
		}
		d.SerialNumber = fmt.Sprintf("%smfa/%s-%d", arnPrefix(acct), u.Name, len(u.MFADevices)+1)
	} else {
		d.SerialNumber = "GAHT" + digits(u.gen().nextID("", 8))
	}
	u.MFADevices = append(u.MFADevices, d)
	return d
}

// PutInlinePolicy sets the user's inline policy name to document.
func (u *User) PutInlinePolicy(name, document string) *User {
	u.InlinePolicies = putInline(u.InlinePolicies, name, document)
	return u
}

// AttachPolicy attaches the managed policy arn to the user.
func (u *User) AttachPolicy(arn string) *User {
	u.AttachedPolicyARNs = addString(u.AttachedPolicyARNs, arn)
	return u
}

// AddToGroup makes the user a member of group, creating the group if the
// user belongs to an account and it does not exist yet.
func (u *User) AddToGroup(group string) *User {
	if u.acct != nil && u.acct.ID != "" {
		group = u.acct.AddGroup(group).Name
	}
	u.Groups = addString(u.Groups, group)
	return u
}

// SetPermissionsBoundary sets the user's permissions boundary policy ARN.
func (u *User) SetPermissionsBoundary(arn string) *User {
	u.PermissionsBoundaryARN = arn
	return u
}

// SetTag sets (or replaces) the tag key.
func (u *User) SetTag(key, value string) *User {
	u.Tags = setTag(u.Tags, key, value)
	return u
}

// Tag returns the value of tag key and whether it is set.
func (u *User) Tag(key string) (string, bool) {
	for _, t := range u.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

func setTag(tags []Tag, key, value string) []Tag {
	for i := range tags {
		// IAM tag keys are case-insensitive for uniqueness.
		if strings.EqualFold(tags[i].Key, key) {
			tags[i] = Tag{Key: key, Value: value}
			return tags
		}
	}
	return append(tags, Tag{Key: key, Value: value})
}

func putInline(list []*InlinePolicy, name, document string) []*InlinePolicy {
	for _, p := range list {
		if p.Name == name {
			p.Document = document
			return list
		}
	}
	return append(list, &InlinePolicy{Name: name, Document: document})
}

func addString(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func removeString(list []string, s string) ([]string, bool) {
	list, _, ok := removeFirst(list, func(x string) bool { return x == s })
	return list, ok
}

// removeFirst returns items without the first one that matches (copied, so
// that a slice shared with a snapshot is left alone), that item, and whether
// there was one.
func removeFirst[T any](items []T, match func(T) bool) ([]T, T, bool) {
	for i, x := range items {
		if match(x) {
			return append(items[:i:i], items[i+1:]...), x, true
		}
	}
	var zero T
	return items, zero, false
}

func status(active bool) string {
	if active {
		return StatusActive
	}
	return StatusInactive
}

func fakePEM(id string) string {
	return "-----BEGIN CERTIFICATE-----\n" + id + "\n-----END CERTIFICATE-----\n"
}

// digits maps an ID's characters to decimal digits (hardware MFA serials are
// numeric after the vendor prefix).
func digits(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = '0' + c%10
	}
	return string(b)
}
