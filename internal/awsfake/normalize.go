package awsfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// normalize fills what a loader may leave blank (IDs, ARNs, paths, dates,
// statuses) and links entities to their account, so handlers can rely on
// every field being set.
func (o *Org) normalize() {
	if o.ID == "" {
		o.ID = defaultOrgID(o.ManagementAccountID)
	}
	for _, c := range o.Callers {
		if c.AccessKeyID == "" {
			c.AccessKeyID = o.nextID("AKIA", 16)
		}
		if c.SecretAccessKey == "" {
			c.SecretAccessKey = o.nextSecret()
		}
		if c.UserID == "" {
			c.UserID = o.nextID("AIDA", 17)
		}
	}
	for _, p := range o.AWSManagedPolicies {
		o.normalizePolicy(p, "arn:aws:iam::aws:policy")
	}
	for _, a := range o.Accounts {
		a.org = o
		if a.Name == "" {
			a.Name = "account-" + a.ID
		}
		if a.Email == "" {
			a.Email = "aws+" + a.ID + "@example.com"
		}
		if a.Status == "" {
			a.Status = AccountActive
		}
		if a.JoinedMethod == "" {
			a.JoinedMethod = "CREATED"
		}
		if a.CreateDate.IsZero() {
			a.CreateDate = DefaultDate
		}
		if a.JoinedTimestamp.IsZero() {
			a.JoinedTimestamp = a.CreateDate
		}
		for _, k := range a.Root.AccessKeys {
			o.normalizeKey(k, a.CreateDate)
		}
		for _, c := range a.Root.SigningCertificates {
			o.normalizeCert(c, a.CreateDate)
		}
		for _, u := range a.Users {
			o.normalizeUser(a, u)
		}
		for _, g := range a.Groups {
			g.Path = pathOrRoot(g.Path)
			if g.GroupID == "" {
				g.GroupID = o.nextID("AGPA", 17)
			}
			if g.CreateDate.IsZero() {
				g.CreateDate = DefaultDate
			}
		}
		for _, r := range a.Roles {
			r.Path = pathOrRoot(r.Path)
			if r.RoleID == "" {
				r.RoleID = o.nextID("AROA", 17)
			}
			if r.CreateDate.IsZero() {
				r.CreateDate = DefaultDate
			}
			if r.AssumeRolePolicyDocument == "" {
				r.AssumeRolePolicyDocument = trustPolicyDocument([]string{arnPrefix(o.ManagementAccountID) + "root"}, "")
			}
		}
		for _, p := range a.Policies {
			o.normalizePolicy(p, arnPrefix(a.ID)+"policy")
		}
		for _, d := range a.UnassignedVirtualMFADevices {
			d.Virtual = true
		}
	}
}

func (o *Org) normalizeUser(a *Account, u *User) {
	u.acct = a
	u.Path = pathOrRoot(u.Path)
	if u.UserID == "" {
		u.UserID = o.nextID("AIDA", 17)
	}
	if u.CreateDate.IsZero() {
		u.CreateDate = DefaultDate
	}
	if lp := u.LoginProfile; lp != nil {
		if lp.CreateDate.IsZero() {
			lp.CreateDate = u.CreateDate
		}
		if lp.PasswordLastChanged.IsZero() {
			lp.PasswordLastChanged = lp.CreateDate
		}
	}
	for _, k := range u.AccessKeys {
		o.normalizeKey(k, u.CreateDate)
	}
	for _, c := range u.SigningCertificates {
		o.normalizeCert(c, u.CreateDate)
	}
	for _, k := range u.SSHPublicKeys {
		if k.ID == "" {
			k.ID = o.nextID("APKA", 17)
		}
		if k.Status == "" {
			k.Status = StatusActive
		}
		if k.UploadDate.IsZero() {
			k.UploadDate = u.CreateDate
		}
		if k.Body == "" {
			k.Body = "ssh-rsa " + k.ID + " " + u.Name
		}
	}
	for _, c := range u.ServiceSpecificCredentials {
		if c.ID == "" {
			c.ID = o.nextID("ACCA", 17)
		}
		if c.Status == "" {
			c.Status = StatusActive
		}
		if c.CreateDate.IsZero() {
			c.CreateDate = u.CreateDate
		}
		if c.ServiceName == "" {
			c.ServiceName = "codecommit.amazonaws.com"
		}
		if c.ServiceUserName == "" {
			c.ServiceUserName = u.Name + "-at-" + c.ID[len(c.ID)-6:]
		}
	}
	for i, d := range u.MFADevices {
		if d.SerialNumber == "" {
			if d.Virtual {
				d.SerialNumber = fmt.Sprintf("%smfa/%s-%d", arnPrefix(a.ID), u.Name, i+1)
			} else {
				d.SerialNumber = "GAHT" + digits(o.nextID("", 8))
			}
		}
		if d.EnableDate.IsZero() {
			d.EnableDate = u.CreateDate
		}
	}
}

func (o *Org) normalizeKey(k *AccessKey, created time.Time) {
	if k.ID == "" {
		k.ID = o.nextID("AKIA", 16)
	}
	if k.SecretAccessKey == "" {
		k.SecretAccessKey = o.nextSecret()
	}
	if k.Status == "" {
		k.Status = StatusActive
	}
	if k.CreateDate.IsZero() {
		k.CreateDate = created
	}
}

func (o *Org) normalizeCert(c *SigningCertificate, created time.Time) {
	if c.ID == "" {
		c.ID = o.nextID("", 32)
	}
	if c.Status == "" {
		c.Status = StatusActive
	}
	if c.UploadDate.IsZero() {
		c.UploadDate = created
	}
	if c.Body == "" {
		c.Body = fakePEM(c.ID)
	}
}

func (o *Org) normalizePolicy(p *ManagedPolicy, arnBase string) {
	p.Path = pathOrRoot(p.Path)
	if p.ARN == "" {
		p.ARN = arnBase + p.Path + p.Name
	}
	if p.PolicyID == "" {
		p.PolicyID = o.nextID("ANPA", 17)
	}
	if p.CreateDate.IsZero() {
		p.CreateDate = DefaultDate
	}
	if p.UpdateDate.IsZero() {
		p.UpdateDate = p.CreateDate
	}
	for i, v := range p.Versions {
		if v.VersionID == "" {
			v.VersionID = fmt.Sprintf("v%d", i+1)
		}
		if v.CreateDate.IsZero() {
			v.CreateDate = p.CreateDate
		}
	}
	if p.DefaultVersionID == "" && len(p.Versions) > 0 {
		p.DefaultVersionID = p.Versions[len(p.Versions)-1].VersionID
	}
}

// Validate reports every inconsistency in the Org that IAM or Organizations
// could never hold: malformed or duplicate account IDs, duplicate names,
// more credentials than IAM allows, references to groups or policies that do
// not exist, and policy documents that are not JSON. Each message names the
// account, entity and field. Call it after filling an Org by hand; [New]
// calls it too.
func (o *Org) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !isAccountID(o.ManagementAccountID) {
		bad("organization: ManagementAccountID %q is not a 12-digit account ID", o.ManagementAccountID)
	}
	if o.Account(o.ManagementAccountID) == nil {
		bad("organization: management account %s is not in Accounts; add it with AddAccount", o.ManagementAccountID)
	}
	seenAcct := map[string]bool{}
	keyOwner := map[string]string{}
	claimKey := func(id, owner string) {
		if prev, ok := keyOwner[id]; ok {
			bad("%s: access key ID %s is also used by %s; access key IDs are unique", owner, id, prev)
			return
		}
		keyOwner[id] = owner
	}
	for _, c := range o.Callers {
		claimKey(c.AccessKeyID, "caller "+c.ARN)
		if o.Account(c.AccountID) == nil {
			bad("caller %s: account %s is not in the organization", c.ARN, c.AccountID)
		}
	}
	for _, p := range o.AWSManagedPolicies {
		checkPolicy(p, "AWS managed policy "+p.ARN, bad)
	}
	for _, a := range o.Accounts {
		where := "account " + a.ID
		if !isAccountID(a.ID) {
			bad("%s: ID is not a 12-digit account ID", where)
		}
		if seenAcct[a.ID] {
			bad("%s: listed twice in Accounts", where)
		}
		seenAcct[a.ID] = true
		if a.Status != AccountActive && a.Status != AccountSuspended {
			bad("%s: Status %q must be %s or %s", where, a.Status, AccountActive, AccountSuspended)
		}
		for i, k := range a.Root.AccessKeys {
			claimKey(k.ID, fmt.Sprintf("%s: root access key %d", where, i+1))
		}
		if n := len(a.Root.AccessKeys); n > 2 {
			bad("%s: root has %d access keys; IAM allows at most 2", where, n)
		}
		names := map[string]bool{}
		for _, u := range a.Users {
			uw := fmt.Sprintf("%s: user %q", where, u.Name)
			if u.Name == "" {
				bad("%s: a user has an empty Name", where)
			}
			if names[strings.ToLower(u.Name)] {
				bad("%s: user name is used twice (IAM names are case-insensitive)", uw)
			}
			names[strings.ToLower(u.Name)] = true
			if !strings.HasPrefix(u.Path, "/") || !strings.HasSuffix(u.Path, "/") {
				bad("%s: Path %q must begin and end with /", uw, u.Path)
			}
			if n := len(u.AccessKeys); n > 2 {
				bad("%s: has %d access keys; IAM allows at most 2 per user", uw, n)
			}
			if n := len(u.SigningCertificates); n > 2 {
				bad("%s: has %d signing certificates; IAM allows at most 2 per user", uw, n)
			}
			for i, k := range u.AccessKeys {
				claimKey(k.ID, fmt.Sprintf("%s: access key %d", uw, i+1))
				checkStatus(k.Status, fmt.Sprintf("%s: access key %s", uw, k.ID), bad)
			}
			for _, c := range u.SigningCertificates {
				checkStatus(c.Status, fmt.Sprintf("%s: signing certificate %s", uw, c.ID), bad)
			}
			for _, k := range u.SSHPublicKeys {
				checkStatus(k.Status, fmt.Sprintf("%s: SSH public key %s", uw, k.ID), bad)
			}
			for _, c := range u.ServiceSpecificCredentials {
				checkStatus(c.Status, fmt.Sprintf("%s: service-specific credential %s", uw, c.ID), bad)
			}
			for _, g := range u.Groups {
				if a.Group(g) == nil {
					bad("%s: member of group %q, which is not in the account's Groups", uw, g)
				}
			}
			for _, arn := range u.AttachedPolicyARNs {
				if o.managedPolicy(a, arn) == nil {
					bad("%s: attached policy %s does not exist in the account or the AWS managed catalogue", uw, arn)
				}
			}
			if b := u.PermissionsBoundaryARN; b != "" && o.managedPolicy(a, b) == nil {
				bad("%s: permissions boundary %s does not exist", uw, b)
			}
			for _, p := range u.InlinePolicies {
				if !json.Valid([]byte(p.Document)) {
					bad("%s: inline policy %q: document is not valid JSON", uw, p.Name)
				}
			}
		}
		for _, g := range a.Groups {
			o.checkPolicies(a, fmt.Sprintf("%s: group %q", where, g.Name), g.AttachedPolicyARNs, g.InlinePolicies, bad)
		}
		for _, r := range a.Roles {
			if !json.Valid([]byte(r.AssumeRolePolicyDocument)) {
				bad("%s: role %q: AssumeRolePolicyDocument is not valid JSON", where, r.Name)
			}
			o.checkPolicies(a, fmt.Sprintf("%s: role %q", where, r.Name), r.AttachedPolicyARNs, r.InlinePolicies, bad)
		}
		for _, p := range a.Policies {
			checkPolicy(p, fmt.Sprintf("%s: policy %s", where, p.ARN), bad)
		}
	}
	return errors.Join(errs...)
}

// checkPolicies reports, for the group or role who, the attached policies
// that exist neither in account a nor in the AWS managed catalogue and the
// inline policies whose document is not JSON.
func (o *Org) checkPolicies(a *Account, who string, attached []string, inline []*InlinePolicy, bad func(string, ...any)) {
	for _, arn := range attached {
		if o.managedPolicy(a, arn) == nil {
			bad("%s: attached policy %s does not exist", who, arn)
		}
	}
	for _, p := range inline {
		if !json.Valid([]byte(p.Document)) {
			bad("%s: inline policy %q: document is not valid JSON", who, p.Name)
		}
	}
}

func checkPolicy(p *ManagedPolicy, where string, bad func(string, ...any)) {
	if len(p.Versions) == 0 {
		bad("%s: has no versions; a managed policy needs at least one", where)
	}
	if p.DefaultVersion() == nil {
		bad("%s: DefaultVersionID %q names no version", where, p.DefaultVersionID)
	}
	for _, v := range p.Versions {
		if !json.Valid([]byte(v.Document)) {
			bad("%s: version %s: document is not valid JSON", where, v.VersionID)
		}
	}
}

func checkStatus(s, where string, bad func(string, ...any)) {
	if s != StatusActive && s != StatusInactive {
		bad("%s: Status %q must be %s or %s", where, s, StatusActive, StatusInactive)
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// managedPolicy resolves a managed policy ARN for account a: its own customer
// managed policies or the AWS managed catalogue.
func (o *Org) managedPolicy(a *Account, arn string) *ManagedPolicy {
	if p := a.Policy(arn); p != nil {
		return p
	}
	for _, p := range o.AWSManagedPolicies {
		if p.ARN == arn {
			return p
		}
	}
	return nil
}
