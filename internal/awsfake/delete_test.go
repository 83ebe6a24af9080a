package awsfake

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const policyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`

// everything gives u one of every attachment IAM checks before DeleteUser.
func everything(u *User) {
	u.SetPassword(DefaultDate, nil)
	u.AddAccessKey()
	u.AddAccessKey(KeyInactive())
	u.AddSigningCertificate(DefaultDate, true)
	u.AddSSHPublicKey(DefaultDate, true)
	u.AddServiceSpecificCredential("codecommit.amazonaws.com", DefaultDate, true)
	u.AddMFADevice(true, DefaultDate)
	u.AddMFADevice(false, DefaultDate)
	u.PutInlinePolicy("inline", policyDoc)
	u.AttachPolicy("arn:aws:iam::aws:policy/ReadOnlyAccess")
	u.AddToGroup("devs")
	u.SetPermissionsBoundary("arn:aws:iam::aws:policy/PowerUserAccess")
	u.SetTag("owner", "ops")
}

// TestDeleteUserInIAMOrder removes a fully loaded user step by step, in the
// order the IAM User Guide gives; before each step DeleteUser must refuse
// with DeleteConflict (409) naming what remains.
func TestDeleteUserInIAMOrder(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	everything(org.Account(mgmtID).AddUser("victim"))
	s := start(t, org)
	c := s.IAMClient(org.CallerCredentials())
	name := aws.String("victim")

	steps := []struct {
		conflict string
		remove   func() error
	}{
		{"must delete login profile first", func() error {
			_, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: name})
			return err
		}},
		{"must delete access keys first", func() error {
			out, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name})
			if err != nil {
				return err
			}
			for _, k := range out.AccessKeyMetadata {
				if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: name, AccessKeyId: k.AccessKeyId}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"must delete certificates first", func() error {
			out, err := c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: name})
			if err != nil {
				return err
			}
			_, err = c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: name, CertificateId: out.Certificates[0].CertificateId})
			return err
		}},
		{"must remove referenced objects first", func() error {
			out, err := c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: name})
			if err != nil {
				return err
			}
			_, err = c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: name, SSHPublicKeyId: out.SSHPublicKeys[0].SSHPublicKeyId})
			return err
		}},
		{"must remove referenced objects first", func() error {
			out, err := c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: name})
			if err != nil {
				return err
			}
			_, err = c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: name, ServiceSpecificCredentialId: out.ServiceSpecificCredentials[0].ServiceSpecificCredentialId})
			return err
		}},
		{"must delete MFA device first", func() error {
			out, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: name})
			if err != nil {
				return err
			}
			for _, d := range out.MFADevices {
				virtual := strings.HasPrefix(aws.ToString(d.SerialNumber), "arn:")
				if virtual {
					// Still assigned: deleting it must fail first.
					_, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: d.SerialNumber})
					var dc *iamtypes.DeleteConflictException
					if !errors.As(err, &dc) || httpStatus(err) != 409 {
						t.Errorf("DeleteVirtualMFADevice of an enabled device: %v, want DeleteConflict 409", err)
					}
				}
				if _, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: name, SerialNumber: d.SerialNumber}); err != nil {
					return err
				}
				if virtual {
					if _, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: d.SerialNumber}); err != nil {
						return err
					}
				}
			}
			return nil
		}},
		{"must delete policies first", func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String("inline")})
			return err
		}},
		{"must detach all policies first", func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}},
		{"must remove users from group first", func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: name, GroupName: aws.String("devs")})
			return err
		}},
	}
	for i, step := range steps {
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
		var dc *iamtypes.DeleteConflictException
		if !errors.As(err, &dc) || httpStatus(err) != 409 {
			t.Fatalf("step %d: DeleteUser = %v, want DeleteConflict 409", i+1, err)
		}
		if msg := errorMessage(err); !strings.HasPrefix(msg, "Cannot delete entity, ") || !strings.Contains(msg, step.conflict) {
			t.Fatalf("step %d: DeleteConflict message %q, want it to say %q", i+1, msg, step.conflict)
		}
		if err := step.remove(); err != nil {
			t.Fatalf("step %d (%s): %v", i+1, step.conflict, err)
		}
	}
	if _, err := c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name}); err != nil {
		t.Fatalf("DeleteUser after removing everything: %v", err)
	}

	// Re-running any step now answers NoSuchEntity (404), which remediation
	// treats as already done.
	var nse *iamtypes.NoSuchEntityException
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: name}); !errors.As(err, &nse) || httpStatus(err) != 404 {
		t.Errorf("GetUser after deletion: %v, want NoSuchEntity 404", err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name}); !errors.As(err, &nse) {
		t.Errorf("second DeleteUser: %v, want NoSuchEntity", err)
	}
	if _, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: name}); !errors.As(err, &nse) {
		t.Errorf("DeleteLoginProfile of a deleted user: %v, want NoSuchEntity", err)
	}
	// One refusal per step, the deletion, the second attempt.
	if n := s.Calls("DeleteUser"); n != len(steps)+2 {
		t.Errorf("DeleteUser calls = %d, want %d (no retries of DeleteConflict)", n, len(steps)+2)
	}
}

// TestDeleteUserRefusesEachAttachment gives a user one attachment at a time:
// each alone must block DeleteUser.
func TestDeleteUserRefusesEachAttachment(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		kind     string
		attach   func(*User)
		conflict string
	}{
		{"login profile", func(u *User) { u.SetPassword(DefaultDate, nil) }, "login profile"},
		{"access key", func(u *User) { u.AddAccessKey(KeyInactive()) }, "access keys"},
		{"signing certificate", func(u *User) { u.AddSigningCertificate(DefaultDate, false) }, "certificates"},
		{"SSH public key", func(u *User) { u.AddSSHPublicKey(DefaultDate, false) }, "referenced objects"},
		{"service-specific credential", func(u *User) { u.AddServiceSpecificCredential("cassandra.amazonaws.com", DefaultDate, false) }, "referenced objects"},
		{"virtual MFA device", func(u *User) { u.AddMFADevice(true, DefaultDate) }, "MFA device"},
		{"hardware MFA device", func(u *User) { u.AddMFADevice(false, DefaultDate) }, "MFA device"},
		{"inline policy", func(u *User) { u.PutInlinePolicy("p", policyDoc) }, "delete policies"},
		{"attached policy", func(u *User) { u.AttachPolicy("arn:aws:iam::aws:policy/SecurityAudit") }, "detach all policies"},
		{"group membership", func(u *User) { u.AddToGroup("readers") }, "remove users from group"},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			org := NewOrg(mgmtID)
			tc.attach(org.Account(mgmtID).AddUser("u"))
			s := start(t, org)
			c := s.IAMClient(org.CallerCredentials())
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")})
			if errorCode(err) != "DeleteConflict" || !strings.Contains(errorMessage(err), tc.conflict) {
				t.Fatalf("DeleteUser with a %s: %v, want DeleteConflict mentioning %q", tc.kind, err, tc.conflict)
			}
			s.Do(func(o *Org) {
				if o.Account(mgmtID).User("u") == nil {
					t.Error("the user was deleted despite the conflict")
				}
			})
		})
	}
	t.Run("tags and boundary do not block", func(t *testing.T) {
		org := NewOrg(mgmtID)
		org.Account(mgmtID).AddUser("u").SetTag("k", "v").SetPermissionsBoundary("arn:aws:iam::aws:policy/PowerUserAccess")
		s := start(t, org)
		if _, err := s.IAMClient(org.CallerCredentials()).DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("boundary blocks when configured", func(t *testing.T) {
		org := NewOrg(mgmtID)
		org.Account(mgmtID).AddUser("u").SetPermissionsBoundary("arn:aws:iam::aws:policy/PowerUserAccess")
		s := start(t, org, WithBoundaryBlocksDeleteUser())
		_, err := s.IAMClient(org.CallerCredentials()).DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")})
		if errorCode(err) != "DeleteConflict" {
			t.Fatalf("DeleteUser with a boundary: %v, want DeleteConflict", err)
		}
	})
}

func TestMissingEntitiesAnswerNoSuchEntity(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	org.Account(mgmtID).AddUser("u").AddToGroup("g")
	s := start(t, org)
	c := s.IAMClient(org.CallerCredentials())
	u, missing := aws.String("u"), aws.String("ghost")
	calls := map[string]func() error{
		"GetUser missing user": func() error { _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: missing}); return err },
		"ListAccessKeys missing user": func() error {
			_, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: missing})
			return err
		},
		"DeleteAccessKey missing key": func() error {
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: u, AccessKeyId: aws.String("AKIAGHOSTGHOSTGHOST1")})
			return err
		},
		"UpdateAccessKey missing key": func() error {
			_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: u, AccessKeyId: aws.String("AKIAGHOSTGHOSTGHOST1"), Status: iamtypes.StatusTypeInactive})
			return err
		},
		"DeleteLoginProfile none": func() error {
			_, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: u})
			return err
		},
		"DeleteSigningCertificate missing": func() error {
			_, err := c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: u, CertificateId: aws.String("X")})
			return err
		},
		"DeleteSSHPublicKey missing": func() error {
			_, err := c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: u, SSHPublicKeyId: aws.String("APKAGHOSTGHOSTGHOST1")})
			return err
		},
		"DeleteServiceSpecificCredential missing": func() error {
			_, err := c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: u, ServiceSpecificCredentialId: aws.String("ACCAGHOSTGHOSTGHOST1")})
			return err
		},
		"DeactivateMFADevice missing": func() error {
			_, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: u, SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/none")})
			return err
		},
		"DeleteVirtualMFADevice missing": func() error {
			_, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/none")})
			return err
		},
		"DeleteUserPolicy missing": func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: u, PolicyName: aws.String("none")})
			return err
		},
		"DetachUserPolicy not attached": func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: u, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		},
		"AttachUserPolicy unknown policy": func() error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: u, PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
			return err
		},
		"RemoveUserFromGroup missing group": func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: u, GroupName: aws.String("nogroup")})
			return err
		},
		"AddUserToGroup missing group": func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: u, GroupName: aws.String("nogroup")})
			return err
		},
		"PutUserPermissionsBoundary unknown policy": func() error {
			_, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: u, PermissionsBoundary: aws.String("arn:aws:iam::111111111111:policy/none")})
			return err
		},
		"TagUser missing user": func() error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: missing, Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"DeleteUser missing user": func() error { _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: missing}); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			var nse *iamtypes.NoSuchEntityException
			if !errors.As(err, &nse) || httpStatus(err) != 404 {
				t.Errorf("got %v (HTTP %d), want NoSuchEntity 404", err, httpStatus(err))
			}
		})
	}
}

// TestMutatingCallsAndRestore runs the calls remediation and restore make,
// checks the mutating-call counter, and that a re-created user gets a new
// unique ID that roles trusting the old user do not trust.
func TestMutatingCallsAndRestore(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	a := org.Account(mgmtID)
	a.AddGroup("devs")
	old := a.AddUser("alice", UserPath("/eng/"))
	key := old.AddAccessKey()
	role := a.AddRole("Trusting", TrustedBy(old.ARN(mgmtID)))
	s := start(t, org)
	c := s.IAMClient(org.CallerCredentials())
	name := aws.String("alice")

	// A dry run reads only.
	for _, read := range []func() error{
		func() error { _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: name}); return err },
		func() error { _, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name}); return err },
		func() error { _, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: name}); return err },
		func() error {
			_, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: name})
			return err
		},
	} {
		if err := read(); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.MutatingCalls(); n != 0 {
		t.Fatalf("reads counted %d mutating calls", n)
	}

	// Deactivate: key inactive, tagged.
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: name, AccessKeyId: aws.String(key.ID), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: name, Tags: []iamtypes.Tag{{Key: aws.String("dormant:deactivated"), Value: aws.String("2026-06-01")}}}); err != nil {
		t.Fatal(err)
	}
	if n, m := s.MutatingCalls(), s.AccountMutatingCalls(mgmtID); n != 2 || m != 2 {
		t.Fatalf("MutatingCalls = %d, AccountMutatingCalls = %d, want 2", n, m)
	}
	s.Do(func(*Org) {
		if v, ok := old.Tag("dormant:deactivated"); !ok || v != "2026-06-01" || key.Status != StatusInactive {
			t.Fatalf("deactivation not applied: tag %q %v, key %s", v, ok, key.Status)
		}
	})
	if _, err := c.UntagUser(ctx, &iam.UntagUserInput{UserName: name, TagKeys: []string{"dormant:deactivated"}}); err != nil {
		t.Fatal(err)
	}

	// Delete, then restore under the same name.
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: name, AccessKeyId: aws.String(key.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name}); err != nil {
		t.Fatal(err)
	}
	var trust string
	s.Do(func(*Org) { trust = role.AssumeRolePolicyDocument })
	if strings.Contains(trust, old.ARN(mgmtID)) || !strings.Contains(trust, old.UserID) {
		t.Errorf("after deletion the trust policy should show the old unique ID, got %s", trust)
	}
	created, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: name, Path: aws.String("/eng/"),
		Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("ops")}}})
	if err != nil {
		t.Fatal(err)
	}
	newID := aws.ToString(created.User.UserId)
	if newID == old.UserID || !strings.HasPrefix(newID, "AIDA") || len(newID) != 21 {
		t.Errorf("re-created user ID %s, old %s: want a new AIDA ID", newID, old.UserID)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")}); errorCode(err) != "EntityAlreadyExists" || httpStatus(err) != 409 {
		t.Errorf("CreateUser of an existing name: %v, want EntityAlreadyExists 409", err)
	}
	restore := []func() error{
		func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String("devs")})
			return err
		},
		func() error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		},
		func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String("inline"), PolicyDocument: aws.String(policyDoc)})
			return err
		},
		func() error {
			_, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: name, PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})
			return err
		},
		func() error {
			_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: name, Password: aws.String("Temp-Passw0rd!"), PasswordResetRequired: true})
			return err
		},
	}
	for i, call := range restore {
		if err := call(); err != nil {
			t.Fatalf("restore call %d: %v", i+1, err)
		}
	}
	gaad, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser}})
	if err != nil {
		t.Fatal(err)
	}
	d := gaad.UserDetailList[0]
	if aws.ToString(d.UserId) != newID || aws.ToString(d.Path) != "/eng/" || len(d.GroupList) != 1 || len(d.AttachedManagedPolicies) != 1 ||
		len(d.UserPolicyList) != 1 || d.PermissionsBoundary == nil || len(d.Tags) != 1 {
		t.Errorf("restored user = %+v", d)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: name, Password: aws.String("x")}); errorCode(err) != "EntityAlreadyExists" {
		t.Errorf("second CreateLoginProfile: %v, want EntityAlreadyExists", err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String("bad"), PolicyDocument: aws.String("{not json")}); errorCode(err) != "MalformedPolicyDocument" {
		t.Errorf("PutUserPolicy with a broken document: %v, want MalformedPolicyDocument", err)
	}
	// 2 deactivation + untag + delete key + delete user + create + failed create
	// + 5 restore + failed login profile + failed policy.
	if n := s.MutatingCalls(); n != 14 {
		t.Errorf("MutatingCalls = %d, want 14", n)
	}
}
