package awsfake

import (
	"encoding/base64"
	"fmt"
	"strings"
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

func iamListUsers(req *request) (any, *apiError) {
	prefix := req.str("PathPrefix")
	var users []xUser
	for _, u := range req.acct.Users {
		if strings.HasPrefix(u.Path, prefix) {
			users = append(users, userXML(req.acct, u, false))
		}
	}
	pg, tail, aerr := listPage(req, users, func(u xUser) string { return nameKey(u.UserName) })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		Users members[xUser]
		page
	}{pg, tail}, nil
}

func iamGetUser(req *request) (any, *apiError) {
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	return struct{ User xUser }{userXML(req.acct, u, true)}, nil
}

func iamListAccessKeys(req *request) (any, *apiError) {
	type key struct {
		UserName    string
		AccessKeyId string
		Status      string
		CreateDate  string
	}
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	var keys []key
	for _, k := range u.AccessKeys {
		keys = append(keys, key{u.Name, k.ID, k.Status, isoTime(k.CreateDate)})
	}
	pg, tail, aerr := listPage(req, keys, func(k key) string { return k.CreateDate + k.AccessKeyId })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AccessKeyMetadata members[key]
		page
	}{pg, tail}, nil
}

// findAccessKey finds an access key of the account's users by ID.
func (a *Account) findAccessKey(id string) (*User, *AccessKey) {
	for _, u := range a.Users {
		for _, k := range u.AccessKeys {
			if k.ID == id {
				return u, k
			}
		}
	}
	return nil, nil
}

func iamGetAccessKeyLastUsed(req *request) (any, *apiError) {
	id, aerr := req.required("AccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	u, k := req.acct.findAccessKey(id)
	if k == nil {
		return nil, errNoSuchEntity("The Access Key with id %s cannot be found", id)
	}
	type lastUsed struct {
		LastUsedDate string `xml:",omitempty"`
		ServiceName  string
		Region       string
	}
	// Never used (or not since tracking began): no date, and N/A for
	// service and region, as IAM answers.
	lu := lastUsed{ServiceName: reportNA, Region: reportNA}
	if t := k.LastUsedDate; t != nil && !t.Before(keyTrackingStart) {
		lu.LastUsedDate = isoTime(*t)
		if k.LastUsedService != "" {
			lu.ServiceName = k.LastUsedService
		}
		if k.LastUsedRegion != "" {
			lu.Region = k.LastUsedRegion
		}
	}
	return struct {
		UserName          string
		AccessKeyLastUsed lastUsed
	}{u.Name, lu}, nil
}

type xMFADevice struct {
	UserName     string
	SerialNumber string
	EnableDate   string
}

func iamListMFADevices(req *request) (any, *apiError) {
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	var devs []xMFADevice
	for _, d := range u.MFADevices {
		devs = append(devs, xMFADevice{u.Name, d.SerialNumber, isoTime(d.EnableDate)})
	}
	pg, tail, aerr := listPage(req, devs, func(d xMFADevice) string { return d.SerialNumber })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		MFADevices members[xMFADevice]
		page
	}{pg, tail}, nil
}

func iamListSigningCertificates(req *request) (any, *apiError) {
	type cert struct {
		UserName        string
		CertificateId   string
		CertificateBody string
		Status          string
		UploadDate      string
	}
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	var certs []cert
	for _, c := range u.SigningCertificates {
		certs = append(certs, cert{u.Name, c.ID, c.Body, c.Status, isoTime(c.UploadDate)})
	}
	pg, tail, aerr := listPage(req, certs, func(c cert) string { return c.UploadDate + c.CertificateId })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		Certificates members[cert]
		page
	}{pg, tail}, nil
}

func iamListSSHPublicKeys(req *request) (any, *apiError) {
	type sshKey struct {
		UserName       string
		SSHPublicKeyId string
		Status         string
		UploadDate     string
	}
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	var keys []sshKey
	for _, k := range u.SSHPublicKeys {
		keys = append(keys, sshKey{u.Name, k.ID, k.Status, isoTime(k.UploadDate)})
	}
	pg, tail, aerr := listPage(req, keys, func(k sshKey) string { return k.UploadDate + k.SSHPublicKeyId })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		SSHPublicKeys members[sshKey]
		page
	}{pg, tail}, nil
}

func iamListServiceSpecificCredentials(req *request) (any, *apiError) {
	type cred struct {
		UserName                    string
		Status                      string
		ServiceUserName             string
		CreateDate                  string
		ServiceSpecificCredentialId string
		ServiceName                 string
	}
	var users []*User
	if req.boolParam("AllUsers") {
		users = req.acct.Users
	} else {
		u, aerr := req.userParam(true)
		if aerr != nil {
			return nil, aerr
		}
		users = []*User{u}
	}
	service := req.str("ServiceName")
	var creds []cred
	for _, u := range users {
		for _, c := range u.ServiceSpecificCredentials {
			if service == "" || c.ServiceName == service {
				creds = append(creds, cred{u.Name, c.Status, c.ServiceUserName, isoTime(c.CreateDate), c.ID, c.ServiceName})
			}
		}
	}
	pg, tail, aerr := listPage(req, creds, func(c cred) string { return nameKey(c.UserName) + c.CreateDate + c.ServiceSpecificCredentialId })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		ServiceSpecificCredentials members[cred]
		page
	}{pg, tail}, nil
}

func iamListUserPolicies(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	var names []string
	for _, p := range u.InlinePolicies {
		names = append(names, p.Name)
	}
	pg, tail, aerr := listPage(req, names, nameKey)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		PolicyNames members[string]
		page
	}{pg, tail}, nil
}

func iamGetUserPolicy(req *request) (any, *apiError) {
	u, name, aerr := req.userAndParam(false, "PolicyName")
	if aerr != nil {
		return nil, aerr
	}
	for _, p := range u.InlinePolicies {
		if p.Name == name {
			return struct {
				UserName       string
				PolicyName     string
				PolicyDocument string
			}{u.Name, p.Name, encodePolicyDocument(p.Document)}, nil
		}
	}
	return nil, errNoSuchEntity("The user policy with name %s cannot be found.", name)
}

func iamListAttachedUserPolicies(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	prefix := req.str("PathPrefix")
	var pols []xAttachedPolicy
	for _, arn := range u.AttachedPolicyARNs {
		if p := req.s.org.managedPolicy(req.acct, arn); p != nil && !strings.HasPrefix(p.Path, prefix) {
			continue
		}
		pols = append(pols, xAttachedPolicy{PolicyName: req.policyName(arn), PolicyArn: arn})
	}
	pg, tail, aerr := listPage(req, pols, func(p xAttachedPolicy) string { return nameKey(p.PolicyName) + p.PolicyArn })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		AttachedPolicies members[xAttachedPolicy]
		page
	}{pg, tail}, nil
}

func iamListGroupsForUser(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	var groups []xGroup
	for _, name := range u.Groups {
		if g := req.acct.Group(name); g != nil {
			groups = append(groups, xGroup{g.Path, g.Name, g.GroupID, g.ARN(req.acct.ID), isoTime(g.CreateDate)})
		}
	}
	pg, tail, aerr := listPage(req, groups, func(g xGroup) string { return nameKey(g.GroupName) })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		Groups members[xGroup]
		page
	}{pg, tail}, nil
}

func iamListUserTags(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	tags := make([]xTag, len(u.Tags))
	for i, t := range u.Tags {
		tags[i] = xTag(t)
	}
	pg, tail, aerr := listPage(req, tags, func(t xTag) string { return t.Key })
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		Tags members[xTag]
		page
	}{pg, tail}, nil
}

type xLoginProfile struct {
	UserName              string
	CreateDate            string
	PasswordResetRequired bool
}

func iamGetLoginProfile(req *request) (any, *apiError) {
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	if u.LoginProfile == nil {
		return nil, errNoSuchEntity("Login Profile for User %s cannot be found.", u.Name)
	}
	return struct{ LoginProfile xLoginProfile }{
		xLoginProfile{u.Name, isoTime(u.LoginProfile.CreateDate), u.LoginProfile.PasswordResetRequired},
	}, nil
}
