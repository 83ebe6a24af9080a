package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/dormant-iam/dormant/reports/manifest"
)

// IAM calls restore makes, as "service:Action" like manifest.Call*.
const (
	CallCreateUser                 = "iam:CreateUser"
	CallPutUserPolicy              = "iam:PutUserPolicy"
	CallAttachUserPolicy           = "iam:AttachUserPolicy"
	CallAddUserToGroup             = "iam:AddUserToGroup"
	CallPutUserPermissionsBoundary = "iam:PutUserPermissionsBoundary"
	CallUntagUser                  = "iam:UntagUser"
)

// Param is one request parameter, kept in request order for printing.
type Param struct {
	Name, Value string
}

// Step is one IAM call of a plan.
type Step struct {
	Call   string
	Target string // see JournalRecord.Target
	Params []Param
	Tags   []Tag    // TagUser
	Keys   []string // UntagUser
	Why    string
}

func (s *Step) param(name string) string {
	for _, p := range s.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// parameters is the step's request as the journal records it.
func (s *Step) parameters() map[string]any {
	m := make(map[string]any, len(s.Params)+1)
	for _, p := range s.Params {
		m[p.Name] = p.Value
	}
	if len(s.Tags) > 0 {
		m["Tags"] = s.Tags
	}
	if len(s.Keys) > 0 {
		m["TagKeys"] = s.Keys
	}
	return m
}

// String is the call as the plan prints it.
func (s *Step) String() string {
	var b strings.Builder
	b.WriteString(s.Call)
	for _, p := range s.Params {
		v := p.Value
		if p.Name == "PolicyDocument" {
			v = fmt.Sprintf("<%d-byte document>", len(v))
		}
		fmt.Fprintf(&b, " %s=%s", p.Name, v)
	}
	for _, t := range s.Tags {
		fmt.Fprintf(&b, " Tag:%s=%s", t.Key, t.Value)
	}
	if len(s.Keys) > 0 {
		fmt.Fprintf(&b, " TagKeys=%s", strings.Join(s.Keys, ","))
	}
	return b.String()
}

// do makes the call. created is the new user's ID after CreateUser.
func (s *Step) do(ctx context.Context, api IAMAPI) (created string, err error) {
	user := aws.String(s.param("UserName"))
	switch s.Call {
	case manifest.CallUpdateAccessKey:
		_, err = api.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: aws.String(s.param("AccessKeyId")), Status: types.StatusType(s.param("Status"))})
	case manifest.CallDeleteAccessKey:
		_, err = api.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: aws.String(s.param("AccessKeyId"))})
	case manifest.CallDeleteLoginProfile:
		_, err = api.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: user})
	case manifest.CallDeleteSigningCertificate:
		_, err = api.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: user, CertificateId: aws.String(s.param("CertificateId"))})
	case manifest.CallDeleteSSHPublicKey:
		_, err = api.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: user, SSHPublicKeyId: aws.String(s.param("SSHPublicKeyId"))})
	case manifest.CallDeleteServiceSpecificCredential:
		_, err = api.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: user, ServiceSpecificCredentialId: aws.String(s.param("ServiceSpecificCredentialId"))})
	case manifest.CallDeactivateMFADevice:
		_, err = api.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: user, SerialNumber: aws.String(s.param("SerialNumber"))})
	case manifest.CallDeleteVirtualMFADevice:
		_, err = api.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(s.param("SerialNumber"))})
	case manifest.CallDeleteUserPolicy:
		_, err = api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: user, PolicyName: aws.String(s.param("PolicyName"))})
	case manifest.CallDetachUserPolicy:
		_, err = api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: user, PolicyArn: aws.String(s.param("PolicyArn"))})
	case manifest.CallRemoveUserFromGroup:
		_, err = api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: user, GroupName: aws.String(s.param("GroupName"))})
	case manifest.CallDeleteUserPermissionsBoundary:
		_, err = api.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: user})
	case manifest.CallTagUser:
		_, err = api.TagUser(ctx, &iam.TagUserInput{UserName: user, Tags: sdkTags(s.Tags)})
	case manifest.CallDeleteUser:
		_, err = api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: user})
	case CallCreateUser:
		var out *iam.CreateUserOutput
		out, err = api.CreateUser(ctx, &iam.CreateUserInput{UserName: user, Path: aws.String(s.param("Path"))})
		if err == nil && out.User != nil {
			created = aws.ToString(out.User.UserId)
		}
	case CallPutUserPolicy:
		_, err = api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String(s.param("PolicyName")), PolicyDocument: aws.String(s.param("PolicyDocument"))})
	case CallAttachUserPolicy:
		_, err = api.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: user, PolicyArn: aws.String(s.param("PolicyArn"))})
	case CallAddUserToGroup:
		_, err = api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: user, GroupName: aws.String(s.param("GroupName"))})
	case CallPutUserPermissionsBoundary:
		_, err = api.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: user, PermissionsBoundary: aws.String(s.param("PermissionsBoundary"))})
	case CallUntagUser:
		_, err = api.UntagUser(ctx, &iam.UntagUserInput{UserName: user, TagKeys: s.Keys})
	default:
		return "", fmt.Errorf("unknown call %s", s.Call)
	}
	return created, err
}

func sdkTags(tags []Tag) []types.Tag {
	out := make([]types.Tag, len(tags))
	for i, t := range tags {
		out[i] = types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)}
	}
	return out
}

// whys are the default reasons per call, used when the manifest's entry
// carries no action for the call (a delete entry downgraded to deactivate).
var whys = map[string]string{
	manifest.CallUpdateAccessKey:                 "the key is active; an inactive key no longer authenticates and can be re-activated if its owner objects",
	manifest.CallDeleteLoginProfile:              "removes the console password so nobody can sign in as the user",
	manifest.CallTagUser:                         "records the deactivation and the date the user is due for deletion",
	manifest.CallDeleteAccessKey:                 "DeleteUser fails while any access key exists",
	manifest.CallDeleteSigningCertificate:        "DeleteUser fails while any signing certificate exists",
	manifest.CallDeleteSSHPublicKey:              "DeleteUser fails while any SSH public key exists",
	manifest.CallDeleteServiceSpecificCredential: "DeleteUser fails while any service-specific credential exists",
	manifest.CallDeactivateMFADevice:             "an MFA device must be deactivated before it can be deleted or the user removed",
	manifest.CallDeleteVirtualMFADevice:          "a virtual MFA device outlives the user unless deleted, after deactivation",
	manifest.CallDeleteUserPolicy:                "DeleteUser fails while inline policies exist (their documents are in the backup)",
	manifest.CallDetachUserPolicy:                "DeleteUser fails while managed policies are attached (the policies themselves stay)",
	manifest.CallRemoveUserFromGroup:             "DeleteUser fails while the user is in any group",
	manifest.CallDeleteUserPermissionsBoundary:   "removes the permissions boundary before the user",
	manifest.CallDeleteUser:                      "the user is unused and past the delete-after threshold",
}

// why is the manifest's reason for call, or the default one.
func why(e *manifest.Entry, call string) string {
	for _, a := range e.Actions {
		if a.Call == call && a.Why != "" {
			return a.Why
		}
	}
	return whys[call]
}

func userParam(name string) Param { return Param{"UserName", name} }

// deactivatePlan: every active key Inactive, the login profile deleted, then
// the tag, last, so only a disabled user is marked deactivated.
func deactivatePlan(e *manifest.Entry, b *Backup, tags []Tag) []Step {
	var steps []Step
	for _, k := range b.AccessKeys {
		if k.Status != string(types.StatusTypeActive) {
			continue
		}
		steps = append(steps, Step{Call: manifest.CallUpdateAccessKey, Target: k.ID,
			Params: []Param{userParam(b.UserName), {"AccessKeyId", k.ID}, {"Status", string(types.StatusTypeInactive)}},
			Why:    why(e, manifest.CallUpdateAccessKey)})
	}
	if b.LoginProfile != nil {
		steps = append(steps, Step{Call: manifest.CallDeleteLoginProfile, Params: []Param{userParam(b.UserName)}, Why: why(e, manifest.CallDeleteLoginProfile)})
	}
	steps = append(steps, Step{Call: manifest.CallTagUser, Params: []Param{userParam(b.UserName)}, Tags: tags, Why: why(e, manifest.CallTagUser)})
	return steps
}

// deletePlan removes everything in the order IAM requires (manifest.DeleteOrder).
func deletePlan(e *manifest.Entry, b *Backup) []Step {
	u := b.UserName
	var steps []Step
	add := func(call, target string, params ...Param) {
		steps = append(steps, Step{Call: call, Target: target, Params: params, Why: why(e, call)})
	}
	if b.LoginProfile != nil {
		add(manifest.CallDeleteLoginProfile, "", userParam(u))
	}
	for _, k := range b.AccessKeys {
		add(manifest.CallDeleteAccessKey, k.ID, userParam(u), Param{"AccessKeyId", k.ID})
	}
	for _, c := range b.SigningCertificates {
		add(manifest.CallDeleteSigningCertificate, c.ID, userParam(u), Param{"CertificateId", c.ID})
	}
	for _, k := range b.SSHPublicKeys {
		add(manifest.CallDeleteSSHPublicKey, k.ID, userParam(u), Param{"SSHPublicKeyId", k.ID})
	}
	for _, c := range b.ServiceSpecificCredentials {
		add(manifest.CallDeleteServiceSpecificCredential, c.ID, userParam(u), Param{"ServiceSpecificCredentialId", c.ID})
	}
	for _, d := range b.MFADevices {
		add(manifest.CallDeactivateMFADevice, d.SerialNumber, userParam(u), Param{"SerialNumber", d.SerialNumber})
	}
	for _, d := range b.MFADevices {
		if d.Virtual {
			add(manifest.CallDeleteVirtualMFADevice, d.SerialNumber, Param{"SerialNumber", d.SerialNumber})
		}
	}
	for _, p := range b.InlinePolicies {
		add(manifest.CallDeleteUserPolicy, p.Name, userParam(u), Param{"PolicyName", p.Name})
	}
	for _, p := range b.AttachedPolicies {
		add(manifest.CallDetachUserPolicy, p.ARN, userParam(u), Param{"PolicyArn", p.ARN})
	}
	for _, g := range b.Groups {
		add(manifest.CallRemoveUserFromGroup, g, userParam(u), Param{"GroupName", g})
	}
	if b.PermissionsBoundary != "" {
		add(manifest.CallDeleteUserPermissionsBoundary, "", userParam(u))
	}
	add(manifest.CallDeleteUser, "", userParam(u))
	return steps
}

// keyPlan deactivates or deletes one key.
func keyPlan(e *manifest.Entry, userName string, key AccessKey, del bool) []Step {
	if del {
		return []Step{{Call: manifest.CallDeleteAccessKey, Target: key.ID,
			Params: []Param{userParam(userName), {"AccessKeyId", key.ID}},
			Why:    "the key is unused and --mode delete asks for unused keys to be deleted; its secret cannot be recovered, the owner must create a new key if it is needed"}}
	}
	return []Step{{Call: manifest.CallUpdateAccessKey, Target: key.ID,
		Params: []Param{userParam(userName), {"AccessKeyId", key.ID}, {"Status", string(types.StatusTypeInactive)}},
		Why:    why(e, manifest.CallUpdateAccessKey)}}
}

// compactJSON is doc without insignificant whitespace: IAM counts policy
// size without whitespace, but a smaller request is still kinder.
func compactJSON(doc json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return string(doc)
	}
	return b.String()
}
