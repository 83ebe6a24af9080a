package awsfake

import (
	"strings"
)

// This file holds the per-user IAM read operations: users, access keys, MFA
// devices, certificates, SSH keys, service credentials, policies, groups,
// tags and login profiles.

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
