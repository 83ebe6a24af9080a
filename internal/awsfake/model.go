package awsfake

import (
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
