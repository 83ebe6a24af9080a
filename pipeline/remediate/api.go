package remediate

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/dormant-iam/dormant/internal/awssession"
)

// IAMAPI is exactly the IAM calls this package makes, with the SDK's own
// signatures, so *iam.Client satisfies it and tests point a real client at
// internal/awsfake.
type IAMAPI interface {
	// Re-check, backup, and listing what remains after a DeleteConflict.
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	GetLoginProfile(ctx context.Context, in *iam.GetLoginProfileInput, optFns ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, optFns ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
	ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	GetUserPolicy(ctx context.Context, in *iam.GetUserPolicyInput, optFns ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	ListMFADevices(ctx context.Context, in *iam.ListMFADevicesInput, optFns ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	ListSSHPublicKeys(ctx context.Context, in *iam.ListSSHPublicKeysInput, optFns ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error)
	ListSigningCertificates(ctx context.Context, in *iam.ListSigningCertificatesInput, optFns ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error)
	ListServiceSpecificCredentials(ctx context.Context, in *iam.ListServiceSpecificCredentialsInput, optFns ...func(*iam.Options)) (*iam.ListServiceSpecificCredentialsOutput, error)

	// Deactivation and deletion.
	UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	DeleteLoginProfile(ctx context.Context, in *iam.DeleteLoginProfileInput, optFns ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	DeleteSigningCertificate(ctx context.Context, in *iam.DeleteSigningCertificateInput, optFns ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error)
	DeleteSSHPublicKey(ctx context.Context, in *iam.DeleteSSHPublicKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteSSHPublicKeyOutput, error)
	DeleteServiceSpecificCredential(ctx context.Context, in *iam.DeleteServiceSpecificCredentialInput, optFns ...func(*iam.Options)) (*iam.DeleteServiceSpecificCredentialOutput, error)
	DeactivateMFADevice(ctx context.Context, in *iam.DeactivateMFADeviceInput, optFns ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error)
	DeleteVirtualMFADevice(ctx context.Context, in *iam.DeleteVirtualMFADeviceInput, optFns ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error)
	DeleteUserPolicy(ctx context.Context, in *iam.DeleteUserPolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, optFns ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	RemoveUserFromGroup(ctx context.Context, in *iam.RemoveUserFromGroupInput, optFns ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
	DeleteUserPermissionsBoundary(ctx context.Context, in *iam.DeleteUserPermissionsBoundaryInput, optFns ...func(*iam.Options)) (*iam.DeleteUserPermissionsBoundaryOutput, error)
	TagUser(ctx context.Context, in *iam.TagUserInput, optFns ...func(*iam.Options)) (*iam.TagUserOutput, error)
	DeleteUser(ctx context.Context, in *iam.DeleteUserInput, optFns ...func(*iam.Options)) (*iam.DeleteUserOutput, error)

	// Restore.
	CreateUser(ctx context.Context, in *iam.CreateUserInput, optFns ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	PutUserPolicy(ctx context.Context, in *iam.PutUserPolicyInput, optFns ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error)
	AttachUserPolicy(ctx context.Context, in *iam.AttachUserPolicyInput, optFns ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error)
	AddUserToGroup(ctx context.Context, in *iam.AddUserToGroupInput, optFns ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error)
	PutUserPermissionsBoundary(ctx context.Context, in *iam.PutUserPermissionsBoundaryInput, optFns ...func(*iam.Options)) (*iam.PutUserPermissionsBoundaryOutput, error)
	UntagUser(ctx context.Context, in *iam.UntagUserInput, optFns ...func(*iam.Options)) (*iam.UntagUserOutput, error)
}

var _ IAMAPI = (*iam.Client)(nil)

// ClientFactory returns an IAM client acting in accountID. The Remediator
// calls it at most once per account and reuses the client.
type ClientFactory func(ctx context.Context, accountID string) (IAMAPI, error)

// STSAPI is the STS calls AWSClients makes: GetCallerIdentity and
// AssumeRole, through internal/awssession.
type STSAPI = awssession.STSAPI

// AWSAccess says how AWSClients reaches each account.
type AWSAccess struct {
	// RoleName is assumed as arn:<partition>:iam::<account>:role/<RoleName>
	// in every account other than the caller's. Empty: only the caller's own
	// account can be remediated.
	RoleName string
	// ExternalID is passed to AssumeRole when set.
	ExternalID string
	// SessionName names the assumed-role sessions, so CloudTrail shows who
	// acted (default "dormant-remediate").
	SessionName string
}

// DefaultSessionName names assumed-role sessions in CloudTrail.
const DefaultSessionName = "dormant-remediate"

// AWSClients returns a ClientFactory over cfg (the caller's credentials, as
// config.LoadDefaultConfig built them): the caller's own account is used
// directly, any other account through AssumeRole with access.RoleName, the
// way the inventory reaches accounts. IAM is global, so a config without a
// region signs for us-east-1.
func AWSClients(cfg aws.Config, access AWSAccess) ClientFactory {
	cfg = cfg.Copy()
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Retryer == nil && cfg.RetryMaxAttempts == 0 {
		// Remediation of many users meets IAM throttling; the SDK's default
		// of 3 attempts gives up too early for mutating calls.
		cfg.RetryMaxAttempts = 10
	}
	if access.SessionName == "" {
		access.SessionName = DefaultSessionName
	}
	stsClient := sts.NewFromConfig(cfg)
	return newAWSClients(cfg, stsClient, access)
}

func newAWSClients(cfg aws.Config, stsClient STSAPI, access AWSAccess) ClientFactory {
	sess := awssession.NewWithSTS(cfg, stsClient)
	role := awssession.Role{Name: access.RoleName, ExternalID: access.ExternalID, SessionName: access.SessionName}
	return func(ctx context.Context, accountID string) (IAMAPI, error) {
		// Assumed now, so a denied role fails here, naming the role, rather
		// than on the first IAM call.
		creds, err := sess.CheckedCredentials(ctx, accountID, role)
		if err != nil {
			return nil, err
		}
		c := cfg.Copy()
		c.Credentials = creds
		return iam.NewFromConfig(c), nil
	}
}

// errorCode is the AWS error code of err ("NoSuchEntity"), or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

const (
	codeNoSuchEntity   = "NoSuchEntity"
	codeDeleteConflict = "DeleteConflict"
)
