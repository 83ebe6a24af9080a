// Package awsrole is how every stage that reaches another account assumes
// the role there: one ARN format, one credentials cache, one set of
// AssumeRole options.
package awsrole

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
)

// ARN is the ARN of roleName in account. A role name given with a path
// ("/audit/dormant") keeps it; leading slashes are dropped, since the ARN
// already has one after "role".
func ARN(partition, account, roleName string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, strings.TrimLeft(roleName, "/"))
}

// Options are the AssumeRole parameters a stage chooses.
type Options struct {
	// SessionName is the role session name CloudTrail records.
	SessionName string
	// ExternalID, when set, is passed as sts:ExternalId.
	ExternalID string
	// Duration of the credentials; zero leaves STS's default (one hour).
	Duration time.Duration
}

// Credentials assumes roleARN through client, cached and renewed five
// minutes before they expire, so a long run never calls with credentials
// about to lapse.
func Credentials(client stscreds.AssumeRoleAPIClient, roleARN string, o Options) *aws.CredentialsCache {
	prov := stscreds.NewAssumeRoleProvider(client, roleARN, func(ao *stscreds.AssumeRoleOptions) {
		ao.RoleSessionName = o.SessionName
		if o.Duration > 0 {
			ao.Duration = o.Duration
		}
		if o.ExternalID != "" {
			ao.ExternalID = aws.String(o.ExternalID)
		}
	})
	return aws.NewCredentialsCache(prov, func(co *aws.CredentialsCacheOptions) { co.ExpiryWindow = 5 * time.Minute })
}
