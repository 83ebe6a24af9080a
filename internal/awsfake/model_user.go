package awsfake

import (
	"fmt"
	"time"
)

// This file holds the User builders: password, access keys, other
// credentials, MFA devices, policies, groups and tags.

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
