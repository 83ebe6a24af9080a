package awsfake

import (
	"encoding/base64"
	"time"
)

// iamOperations lists the IAM actions served; mutating ones change state
// and are counted by MutatingCalls.
var iamOperations = map[string]operation{
	"GenerateCredentialReport":       {fn: iamGenerateCredentialReport},
	"GetCredentialReport":            {fn: iamGetCredentialReport},
	"GetAccountAuthorizationDetails": {fn: iamGetAccountAuthorizationDetails},
	"ListUsers":                      {fn: iamListUsers},
	"GetUser":                        {fn: iamGetUser},
	"ListAccessKeys":                 {fn: iamListAccessKeys},
	"GetAccessKeyLastUsed":           {fn: iamGetAccessKeyLastUsed},
	"ListMFADevices":                 {fn: iamListMFADevices},
	"ListSigningCertificates":        {fn: iamListSigningCertificates},
	"ListSSHPublicKeys":              {fn: iamListSSHPublicKeys},
	"ListServiceSpecificCredentials": {fn: iamListServiceSpecificCredentials},
	"ListUserPolicies":               {fn: iamListUserPolicies},
	"GetUserPolicy":                  {fn: iamGetUserPolicy},
	"ListAttachedUserPolicies":       {fn: iamListAttachedUserPolicies},
	"ListGroupsForUser":              {fn: iamListGroupsForUser},
	"ListUserTags":                   {fn: iamListUserTags},
	"GetLoginProfile":                {fn: iamGetLoginProfile},

	"UpdateAccessKey":                 {fn: iamUpdateAccessKey, mutating: true},
	"DeleteAccessKey":                 {fn: iamDeleteAccessKey, mutating: true},
	"DeleteLoginProfile":              {fn: iamDeleteLoginProfile, mutating: true},
	"CreateLoginProfile":              {fn: iamCreateLoginProfile, mutating: true},
	"DeleteSigningCertificate":        {fn: iamDeleteSigningCertificate, mutating: true},
	"DeleteSSHPublicKey":              {fn: iamDeleteSSHPublicKey, mutating: true},
	"DeleteServiceSpecificCredential": {fn: iamDeleteServiceSpecificCredential, mutating: true},
	"DeactivateMFADevice":             {fn: iamDeactivateMFADevice, mutating: true},
	"DeleteVirtualMFADevice":          {fn: iamDeleteVirtualMFADevice, mutating: true},
	"DeleteUserPolicy":                {fn: iamDeleteUserPolicy, mutating: true},
	"PutUserPolicy":                   {fn: iamPutUserPolicy, mutating: true},
	"DetachUserPolicy":                {fn: iamDetachUserPolicy, mutating: true},
	"AttachUserPolicy":                {fn: iamAttachUserPolicy, mutating: true},
	"RemoveUserFromGroup":             {fn: iamRemoveUserFromGroup, mutating: true},
	"AddUserToGroup":                  {fn: iamAddUserToGroup, mutating: true},
	"DeleteUserPermissionsBoundary":   {fn: iamDeleteUserPermissionsBoundary, mutating: true},
	"PutUserPermissionsBoundary":      {fn: iamPutUserPermissionsBoundary, mutating: true},
	"TagUser":                         {fn: iamTagUser, mutating: true},
	"UntagUser":                       {fn: iamUntagUser, mutating: true},
	"CreateUser":                      {fn: iamCreateUser, mutating: true},
	"DeleteUser":                      {fn: iamDeleteUser, mutating: true},
}

// reportReuseWindow is how long IAM reuses a credential report instead of
// generating a new one.
const reportReuseWindow = 4 * time.Hour

// XML shapes of IAM responses. Element names are the model's member names.

type xTag struct {
	Key   string
	Value string
}

type xBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

type xUser struct {
	Path                string
	UserName            string
	UserId              string
	Arn                 string
	CreateDate          string
	PasswordLastUsed    string         `xml:",omitempty"`
	PermissionsBoundary *xBoundary     `xml:",omitempty"`
	Tags                *members[xTag] `xml:",omitempty"`
}

type xAttachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

type xGroup struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate string
}

type xPolicyDetail struct {
	PolicyName     string
	PolicyDocument string
}

type xUserDetail struct {
	Path                    string
	UserName                string
	UserId                  string
	Arn                     string
	CreateDate              string
	UserPolicyList          members[xPolicyDetail]
	GroupList               members[string]
	AttachedManagedPolicies members[xAttachedPolicy]
	PermissionsBoundary     *xBoundary     `xml:",omitempty"`
	Tags                    *members[xTag] `xml:",omitempty"`
}

type xGroupDetail struct {
	Path                    string
	GroupName               string
	GroupId                 string
	Arn                     string
	CreateDate              string
	GroupPolicyList         members[xPolicyDetail]
	AttachedManagedPolicies members[xAttachedPolicy]
}

type xRoleLastUsed struct {
	LastUsedDate string `xml:",omitempty"`
	Region       string `xml:",omitempty"`
}

type xRoleDetail struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	InstanceProfileList      members[struct{}]
	RolePolicyList           members[xPolicyDetail]
	AttachedManagedPolicies  members[xAttachedPolicy]
	PermissionsBoundary      *xBoundary     `xml:",omitempty"`
	Tags                     *members[xTag] `xml:",omitempty"`
	RoleLastUsed             xRoleLastUsed
}

type xPolicyVersion struct {
	Document         string
	VersionId        string
	IsDefaultVersion bool
	CreateDate       string
}

type xManagedPolicyDetail struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    string
	UpdateDate                    string
	PolicyVersionList             members[xPolicyVersion]
}

// page is the IsTruncated/Marker tail of every IAM list result.
type page struct {
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func newPage(next string) page { return page{IsTruncated: next != "", Marker: next} }

func tagsXML(tags []Tag) *members[xTag] {
	if len(tags) == 0 {
		return nil
	}
	out := make([]xTag, len(tags))
	for i, t := range tags {
		out[i] = xTag(t)
	}
	l := list(out)
	return &l
}

func boundaryXML(arn string) *xBoundary {
	if arn == "" {
		return nil
	}
	return &xBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

// userXML renders a user as ListUsers (full=false) or GetUser (full=true)
// returns it: ListUsers leaves out tags and the permissions boundary.
func userXML(a *Account, u *User, full bool) xUser {
	x := xUser{Path: u.Path, UserName: u.Name, UserId: u.UserID, Arn: u.ARN(a.ID), CreateDate: isoTime(u.CreateDate)}
	if t := u.PasswordLastUsed; t != nil && !t.Before(passwordTrackingStart) {
		x.PasswordLastUsed = isoTime(*t)
	}
	if full {
		x.PermissionsBoundary = boundaryXML(u.PermissionsBoundaryARN)
		x.Tags = tagsXML(u.Tags)
	}
	return x
}

// userParam resolves the UserName parameter. When it is absent and optional
// is true, IAM acts on the calling IAM user, and refuses other principals.
func (req *request) userParam(optional bool) (*User, *apiError) {
	name := req.str("UserName")
	if name == "" {
		if !optional {
			_, aerr := req.required("UserName")
			return nil, aerr
		}
		if req.p.user == nil {
			return nil, errValidation("Must specify userName when calling with non-User credentials")
		}
		return req.p.user, nil
	}
	u := req.acct.User(name)
	if u == nil {
		return nil, errNoSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

// userAndParam resolves the user as userParam does, then the required
// parameter name: the order in which IAM reports what is missing.
func (req *request) userAndParam(optional bool, name string) (*User, string, *apiError) {
	u, aerr := req.userParam(optional)
	if aerr != nil {
		return nil, "", aerr
	}
	v, aerr := req.required(name)
	if aerr != nil {
		return nil, "", aerr
	}
	return u, v, nil
}

func (req *request) listLimit() (int, *apiError) {
	return req.pageLimit(req.str("MaxItems"), "maxItems", 100, 1000)
}

// listPage answers an IAM List call from all of its items: it reads MaxItems
// and Marker and returns the page they select, sorted by key, with its
// IsTruncated/Marker tail.
func listPage[T any](req *request, items []T, key func(T) string) (members[T], page, *apiError) {
	limit, aerr := req.listLimit()
	if aerr != nil {
		return members[T]{}, page{}, aerr
	}
	pg, next, aerr := paginate(req.action, items, key, req.str("Marker"), limit)
	if aerr != nil {
		return members[T]{}, page{}, aerr
	}
	return list(pg), newPage(next), nil
}

// reportExpired says whether GetCredentialReport answers ReportExpired.
func (s *Server) reportExpired(cr *CredentialReport, now time.Time) bool {
	return cr.Expired || (s.cfg.reportExpiry > 0 && now.Sub(cr.GeneratedTime) > s.cfg.reportExpiry)
}

func iamGenerateCredentialReport(req *request) (any, *apiError) {
	type result struct {
		State       string
		Description string `xml:",omitempty"`
	}
	a, now := req.acct, req.now
	cr := a.CredentialReport
	switch {
	case cr != nil && now.Before(cr.ReadyAt):
		return result{State: "INPROGRESS", Description: "Report generation in progress"}, nil
	case cr != nil && !req.s.reportExpired(cr, now) && now.Sub(cr.GeneratedTime) < reportReuseWindow:
		return result{State: "COMPLETE"}, nil
	}
	desc := "No report exists. Starting a new report generation task"
	if cr != nil {
		desc = "Report is older than 4 hours. Starting a new report generation task"
	}
	// The content is a snapshot of the state when generation starts.
	a.CredentialReport = &CredentialReport{GeneratedTime: now, ReadyAt: now.Add(req.s.cfg.reportDelay), Content: a.reportContent()}
	return result{State: "STARTED", Description: desc}, nil
}

func iamGetCredentialReport(req *request) (any, *apiError) {
	cr := req.acct.CredentialReport
	switch {
	case cr == nil:
		return nil, &apiError{status: 410, code: "ReportNotPresent", msg: "Credential report not present. Call GenerateCredentialReport first."}
	case req.now.Before(cr.ReadyAt):
		return nil, &apiError{status: 404, code: "ReportInProgress", msg: "Credential report is being generated. Try again later."}
	case req.s.reportExpired(cr, req.now):
		return nil, &apiError{status: 410, code: "ReportExpired", msg: "Credential report has expired. Call GenerateCredentialReport to generate a new one."}
	}
	return struct {
		Content       string
		ReportFormat  string
		GeneratedTime string
	}{base64.StdEncoding.EncodeToString(cr.Content), "text/csv", isoTime(cr.GeneratedTime)}, nil
}
