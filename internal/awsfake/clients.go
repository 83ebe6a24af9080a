package awsfake

// Helpers that give tests real SDK clients pointed at a Server.

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ClientOption adjusts the aws.Config the client helpers build.
type ClientOption func(*aws.Config)

// WithMaxAttempts sets how many attempts the default test retryer makes
// (default 10).
func WithMaxAttempts(n int) ClientOption {
	return func(c *aws.Config) { c.Retryer = func() aws.Retryer { return testRetryer(n) } }
}

// WithRetryer replaces the retryer, for example with the SDK's own
// retry.NewStandard() to measure its real back-off.
func WithRetryer(fn func() aws.Retryer) ClientOption {
	return func(c *aws.Config) { c.Retryer = fn }
}

// AWSConfig returns a hermetic aws.Config for the server: the given static
// credentials, region us-east-1, BaseEndpoint the server's URL, and a
// retryer that retries what the SDK's standard retryer retries (throttling
// included) with millisecond back-off and no client-side retry quota, so
// fault-injection tests stay fast. Nothing is read from the environment or
// ~/.aws.
func (s *Server) AWSConfig(creds aws.Credentials, opts ...ClientOption) aws.Config {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		BaseEndpoint: aws.String(s.URL()),
		HTTPClient:   s.ts.Client(),
		Retryer:      func() aws.Retryer { return testRetryer(10) },
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	return cfg
}

func testRetryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			return time.Duration(min(attempt, 10)) * time.Millisecond, nil
		})
	})
}

// IAMClient returns a real IAM client signing with creds.
func (s *Server) IAMClient(creds aws.Credentials, opts ...ClientOption) *iam.Client {
	return iam.NewFromConfig(s.AWSConfig(creds, opts...))
}

// STSClient returns a real STS client signing with creds.
func (s *Server) STSClient(creds aws.Credentials, opts ...ClientOption) *sts.Client {
	return sts.NewFromConfig(s.AWSConfig(creds, opts...))
}

// OrganizationsClient returns a real Organizations client signing with creds.
func (s *Server) OrganizationsClient(creds aws.Credentials, opts ...ClientOption) *organizations.Client {
	return organizations.NewFromConfig(s.AWSConfig(creds, opts...))
}

// AssumeRole calls STS AssumeRole with creds and returns the temporary
// credentials, for tests that need to act in another account.
func (s *Server) AssumeRole(ctx context.Context, creds aws.Credentials, roleARN, externalID string) (aws.Credentials, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("awsfake-test")}
	if externalID != "" {
		in.ExternalId = aws.String(externalID)
	}
	out, err := s.STSClient(creds).AssumeRole(ctx, in)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("assuming role %s: %w", roleARN, err)
	}
	c := out.Credentials
	return aws.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: aws.ToTime(c.Expiration),
		Source: "awsfake AssumeRole",
	}, nil
}

// KMSClient returns a real KMS client signing with creds.
func (s *Server) KMSClient(creds aws.Credentials, opts ...ClientOption) *kms.Client {
	return kms.NewFromConfig(s.AWSConfig(creds, opts...))
}
