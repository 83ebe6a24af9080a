package awsfake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// IAM quotas the mutating calls enforce (IAM User Guide, "IAM and AWS STS
// quotas").
const (
	maxPoliciesPerUser   = 10
	maxGroupsPerUser     = 10
	maxTagsPerEntity     = 50
	maxInlinePolicyChars = 2048 // per user, whitespace excluded
)

var (
	iamNamePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

func iamUpdateAccessKey(req *request) (any, *apiError) {
	u, id, aerr := req.userAndParam(true, "AccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	st, aerr := req.required("Status")
	if aerr != nil {
		return nil, aerr
	}
	if st != StatusActive && st != StatusInactive {
		return nil, errValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", st))
	}
	for _, k := range u.AccessKeys {
		if k.ID == id {
			k.Status = st
			return nil, nil
		}
	}
	return nil, errNoSuchEntity("The Access Key with id %s cannot be found", id)
}

func iamDeleteAccessKey(req *request) (any, *apiError) {
	u, id, aerr := req.userAndParam(true, "AccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	return removeOr(&u.AccessKeys, func(k *AccessKey) bool { return k.ID == id },
		errNoSuchEntity("The Access Key with id %s cannot be found", id))
}

func iamDeleteLoginProfile(req *request) (any, *apiError) {
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	if u.LoginProfile == nil {
		return nil, errNoSuchEntity("Login Profile for User %s cannot be found.", u.Name)
	}
	u.LoginProfile = nil
	return nil, nil
}

func iamCreateLoginProfile(req *request) (any, *apiError) {
	u, aerr := req.userParam(true)
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := req.required("Password"); aerr != nil {
		return nil, aerr
	}
	if u.LoginProfile != nil {
		return nil, errEntityExists("Login Profile for user %s already exists.", u.Name)
	}
	u.LoginProfile = &LoginProfile{CreateDate: req.now, PasswordLastChanged: req.now, PasswordResetRequired: req.boolParam("PasswordResetRequired")}
	return struct{ LoginProfile xLoginProfile }{
		xLoginProfile{u.Name, isoTime(req.now), u.LoginProfile.PasswordResetRequired},
	}, nil
}

func iamDeleteSigningCertificate(req *request) (any, *apiError) {
	u, id, aerr := req.userAndParam(true, "CertificateId")
	if aerr != nil {
		return nil, aerr
	}
	return removeOr(&u.SigningCertificates, func(c *SigningCertificate) bool { return c.ID == id },
		errNoSuchEntity("The Certificate with id %s cannot be found.", id))
}

func iamDeleteSSHPublicKey(req *request) (any, *apiError) {
	u, id, aerr := req.userAndParam(false, "SSHPublicKeyId")
	if aerr != nil {
		return nil, aerr
	}
	return removeOr(&u.SSHPublicKeys, func(k *SSHPublicKey) bool { return k.ID == id },
		errNoSuchEntity("The Public Key with id %s cannot be found.", id))
}

func iamDeleteServiceSpecificCredential(req *request) (any, *apiError) {
	u, id, aerr := req.userAndParam(true, "ServiceSpecificCredentialId")
	if aerr != nil {
		return nil, aerr
	}
	return removeOr(&u.ServiceSpecificCredentials, func(c *ServiceSpecificCredential) bool { return c.ID == id },
		errNoSuchEntity("No such credential %s exists for user %s.", id, u.Name))
}

// iamDeactivateMFADevice disassociates a device from its user. A virtual
// device survives, unassigned, until DeleteVirtualMFADevice; a hardware
// device is gone from the account.
func iamDeactivateMFADevice(req *request) (any, *apiError) {
	u, serial, aerr := req.userAndParam(true, "SerialNumber")
	if aerr != nil {
		return nil, aerr
	}
	var d *MFADevice
	var ok bool
	if u.MFADevices, d, ok = removeFirst(u.MFADevices, func(d *MFADevice) bool { return d.SerialNumber == serial }); ok {
		if d.Virtual {
			req.acct.UnassignedVirtualMFADevices = append(req.acct.UnassignedVirtualMFADevices, d)
		}
		return nil, nil
	}
	return nil, errNoSuchEntity("MFA Device with serial number %s does not exist for user %s.", serial, u.Name)
}

func iamDeleteVirtualMFADevice(req *request) (any, *apiError) {
	serial, aerr := req.required("SerialNumber")
	if aerr != nil {
		return nil, aerr
	}
	for _, u := range req.acct.Users {
		for _, d := range u.MFADevices {
			if d.SerialNumber == serial {
				// The exact AWS wording is unconfirmed; the code and status are.
				return nil, errDeleteConflict(fmt.Sprintf("Cannot delete entity, MFA device %s is still in use by user %s.", serial, u.Name))
			}
		}
	}
	return removeOr(&req.acct.UnassignedVirtualMFADevices, func(d *MFADevice) bool { return d.SerialNumber == serial },
		errNoSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial))
}

func iamDeleteUserPolicy(req *request) (any, *apiError) {
	u, name, aerr := req.userAndParam(false, "PolicyName")
	if aerr != nil {
		return nil, aerr
	}
	return removeOr(&u.InlinePolicies, func(p *InlinePolicy) bool { return p.Name == name },
		errNoSuchEntity("The user policy with name %s cannot be found.", name))
}

func iamPutUserPolicy(req *request) (any, *apiError) {
	u, name, aerr := req.userAndParam(false, "PolicyName")
	if aerr != nil {
		return nil, aerr
	}
	doc, aerr := req.required("PolicyDocument")
	if aerr != nil {
		return nil, aerr
	}
	if !policyNamePattern.MatchString(name) {
		return nil, errValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name))
	}
	if aerr := checkPolicyDocument(doc); aerr != nil {
		return nil, aerr
	}
	total := nonSpaceLen(doc)
	for _, p := range u.InlinePolicies {
		if p.Name != name {
			total += nonSpaceLen(p.Document)
		}
	}
	if total > maxInlinePolicyChars {
		return nil, errLimitExceeded(fmt.Sprintf("Maximum policy size of %d bytes exceeded for user %s", maxInlinePolicyChars, u.Name))
	}
	u.InlinePolicies = putInline(u.InlinePolicies, name, doc)
	return nil, nil
}

// removeOr removes the first item of *items that matches, or answers
// notFound when none does: how IAM deletes a user's credential or policy.
func removeOr[T any](items *[]T, match func(T) bool, notFound *apiError) (any, *apiError) {
	var ok bool
	if *items, _, ok = removeFirst(*items, match); !ok {
		return nil, notFound
	}
	return nil, nil
}

// checkPolicyDocument rejects what IAM rejects before evaluating anything: a
// document that is not a JSON object with a Statement.
func checkPolicyDocument(doc string) *apiError {
	var v map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return errMalformedPolicy("Syntax errors in policy.")
	}
	if _, ok := v["Statement"]; !ok {
		return errMalformedPolicy("Missing required field Statement")
	}
	return nil
}

func nonSpaceLen(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func iamDetachUserPolicy(req *request) (any, *apiError) {
	u, arn, aerr := req.userAndParam(false, "PolicyArn")
	if aerr != nil {
		return nil, aerr
	}
	var ok bool
	if u.AttachedPolicyARNs, ok = removeString(u.AttachedPolicyARNs, arn); !ok {
		return nil, errNoSuchEntity("Policy %s was not found.", arn)
	}
	return nil, nil
}

func iamAttachUserPolicy(req *request) (any, *apiError) {
	u, arn, aerr := req.userAndParam(false, "PolicyArn")
	if aerr != nil {
		return nil, aerr
	}
	p := req.s.org.managedPolicy(req.acct, arn)
	if p == nil {
		return nil, errNoSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	if p.NotAttachable {
		return nil, &apiError{status: 400, code: "PolicyNotAttachable", msg: fmt.Sprintf("Policy %s is not attachable.", arn)}
	}
	for _, a := range u.AttachedPolicyARNs {
		if a == arn {
			return nil, nil // attaching twice is a no-op in IAM
		}
	}
	if len(u.AttachedPolicyARNs) >= maxPoliciesPerUser {
		return nil, errLimitExceeded(fmt.Sprintf("Cannot exceed quota for PoliciesPerUser: %d", maxPoliciesPerUser))
	}
	u.AttachedPolicyARNs = append(u.AttachedPolicyARNs, arn)
	return nil, nil
}

func (req *request) groupParam() (*Group, *apiError) {
	name, aerr := req.required("GroupName")
	if aerr != nil {
		return nil, aerr
	}
	g := req.acct.Group(name)
	if g == nil {
		return nil, errNoSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

func iamRemoveUserFromGroup(req *request) (any, *apiError) {
	g, aerr := req.groupParam()
	if aerr != nil {
		return nil, aerr
	}
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	return removeOr(&u.Groups, func(name string) bool { return strings.EqualFold(name, g.Name) },
		errNoSuchEntity("User %s is not in group %s.", u.Name, g.Name))
}

func iamAddUserToGroup(req *request) (any, *apiError) {
	g, aerr := req.groupParam()
	if aerr != nil {
		return nil, aerr
	}
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	for _, name := range u.Groups {
		if strings.EqualFold(name, g.Name) {
			return nil, nil
		}
	}
	if len(u.Groups) >= maxGroupsPerUser {
		return nil, errLimitExceeded(fmt.Sprintf("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser))
	}
	u.Groups = append(u.Groups, g.Name)
	return nil, nil
}

// iamDeleteUserPermissionsBoundary succeeds when the user has no boundary:
// the model lists only NoSuchEntity (for the user) and ServiceFailure.
func iamDeleteUserPermissionsBoundary(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	u.PermissionsBoundaryARN = ""
	return nil, nil
}

func iamPutUserPermissionsBoundary(req *request) (any, *apiError) {
	u, arn, aerr := req.userAndParam(false, "PermissionsBoundary")
	if aerr != nil {
		return nil, aerr
	}
	if p := req.s.org.managedPolicy(req.acct, arn); p == nil || p.NotAttachable {
		return nil, errNoSuchEntity("Scope ARN: %s does not exist or is not attachable.", arn)
	}
	u.PermissionsBoundaryARN = arn
	return nil, nil
}

func checkTags(tags []Tag) *apiError {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return errInvalidInput(fmt.Sprintf("Tag key %q or value %q is empty or too long (keys 1-128, values 0-256 characters).", t.Key, t.Value))
		}
	}
	return nil
}

func iamTagUser(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	tags := req.tagList("Tags")
	if len(tags) == 0 {
		_, aerr := req.required("Tags")
		return nil, aerr
	}
	if aerr := checkTags(tags); aerr != nil {
		return nil, aerr
	}
	merged := append([]Tag(nil), u.Tags...)
	for _, t := range tags {
		merged = setTag(merged, t.Key, t.Value)
	}
	if len(merged) > maxTagsPerEntity {
		return nil, errLimitExceeded(fmt.Sprintf("Cannot exceed quota for TagsPerUser: %d", maxTagsPerEntity))
	}
	u.Tags = merged
	return nil, nil
}

func iamUntagUser(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	keys := req.strList("TagKeys")
	if len(keys) == 0 {
		_, aerr := req.required("TagKeys")
		return nil, aerr
	}
	kept := u.Tags[:0:0]
	for _, t := range u.Tags {
		drop := false
		for _, k := range keys {
			drop = drop || strings.EqualFold(t.Key, k)
		}
		if !drop {
			kept = append(kept, t)
		}
	}
	u.Tags = kept
	return nil, nil
}

func iamCreateUser(req *request) (any, *apiError) {
	name, aerr := req.required("UserName")
	if aerr != nil {
		return nil, aerr
	}
	if !iamNamePattern.MatchString(name) {
		return nil, errValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 64", name))
	}
	path := req.str("Path")
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") || len(path) > 512 {
		return nil, errValidation(fmt.Sprintf("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: %s", path))
	}
	if req.acct.User(name) != nil {
		return nil, errEntityExists("User with name %s already exists.", name)
	}
	boundary := req.str("PermissionsBoundary")
	if boundary != "" {
		if p := req.s.org.managedPolicy(req.acct, boundary); p == nil || p.NotAttachable {
			return nil, errNoSuchEntity("Scope ARN: %s does not exist or is not attachable.", boundary)
		}
	}
	tags := req.tagList("Tags")
	if aerr := checkTags(tags); aerr != nil {
		return nil, aerr
	}
	if len(tags) > maxTagsPerEntity {
		return nil, errLimitExceeded(fmt.Sprintf("Cannot exceed quota for TagsPerUser: %d", maxTagsPerEntity))
	}
	// A new user always gets a new unique ID, even under a reused name.
	u := &User{Name: name, Path: path, UserID: req.s.org.nextID("AIDA", 17), CreateDate: req.now,
		PermissionsBoundaryARN: boundary, acct: req.acct}
	for _, t := range tags {
		u.SetTag(t.Key, t.Value)
	}
	req.acct.Users = append(req.acct.Users, u)
	return struct{ User xUser }{userXML(req.acct, u, true)}, nil
}

// iamDeleteUser deletes a user only once nothing is attached to it, checking
// in the order the IAM User Guide lists the prerequisites. Messages are the
// ones real IAM returns where known (login profile, certificates, SSH keys,
// MFA, groups); the others follow the same pattern.
func iamDeleteUser(req *request) (any, *apiError) {
	u, aerr := req.userParam(false)
	if aerr != nil {
		return nil, aerr
	}
	checks := []struct {
		remains bool
		msg     string
	}{
		{u.LoginProfile != nil, "Cannot delete entity, must delete login profile first."},
		{len(u.AccessKeys) > 0, "Cannot delete entity, must delete access keys first."},
		{len(u.SigningCertificates) > 0, "Cannot delete entity, must delete certificates first."},
		{len(u.SSHPublicKeys) > 0, "Cannot delete entity, must remove referenced objects first."},
		{len(u.ServiceSpecificCredentials) > 0, "Cannot delete entity, must remove referenced objects first."},
		{len(u.MFADevices) > 0, "Cannot delete entity, must delete MFA device first."},
		{len(u.InlinePolicies) > 0, "Cannot delete entity, must delete policies first."},
		{len(u.AttachedPolicyARNs) > 0, "Cannot delete entity, must detach all policies first."},
		{len(u.Groups) > 0, "Cannot delete entity, must remove users from group first."},
		{req.s.cfg.boundaryBlocksDelete && u.PermissionsBoundaryARN != "", "Cannot delete entity, must delete permissions boundary first."},
	}
	for _, c := range checks {
		if c.remains {
			return nil, errDeleteConflict(c.msg)
		}
	}
	a := req.acct
	for i, x := range a.Users {
		if x == u {
			a.Users = append(a.Users[:i:i], a.Users[i+1:]...)
			break
		}
	}
	// IAM stores principals in trust policies by unique ID and shows the ARN
	// while the user exists; once deleted, the raw ID shows and a user
	// re-created under the same name is not trusted.
	quoted := `"` + u.ARN(a.ID) + `"`
	for _, acct := range req.s.org.Accounts {
		for _, r := range acct.Roles {
			r.AssumeRolePolicyDocument = strings.ReplaceAll(r.AssumeRolePolicyDocument, quoted, `"`+u.UserID+`"`)
		}
	}
	return nil, nil
}
