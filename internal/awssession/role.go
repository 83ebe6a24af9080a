package awssession

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
)

// RoleARN is the ARN of roleName in account. A role name given with a path
// ("/audit/dormant") keeps it; leading slashes are dropped, since the ARN
// already has one after "role".
func RoleARN(partition, account, roleName string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, strings.TrimLeft(roleName, "/"))
}

// Role is the role assumed in every account other than the caller's, and
// the AssumeRole parameters a command chooses.
type Role struct {
	// Name is the role's name, or path/name. Empty: only the caller's own
	// account can be reached.
	Name string
	// ExternalID, when set, is passed as sts:ExternalId.
	ExternalID string
	// SessionName is the role session name CloudTrail records.
	SessionName string
	// Duration of the credentials; zero leaves STS's default (one hour).
	Duration time.Duration
}

// RoleCredentials assumes roleARN through client, cached and renewed five
// minutes before they expire, so a long run never calls with credentials
// about to lapse.
func RoleCredentials(client stscreds.AssumeRoleAPIClient, roleARN string, r Role) *aws.CredentialsCache {
	prov := stscreds.NewAssumeRoleProvider(client, roleARN, func(ao *stscreds.AssumeRoleOptions) {
		ao.RoleSessionName = r.SessionName
		if r.Duration > 0 {
			ao.Duration = r.Duration
		}
		if r.ExternalID != "" {
			ao.ExternalID = aws.String(r.ExternalID)
		}
	})
	return aws.NewCredentialsCache(prov, func(co *aws.CredentialsCacheOptions) { co.ExpiryWindow = 5 * time.Minute })
}
