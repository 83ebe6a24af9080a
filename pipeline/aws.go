package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/dormant-iam/dormant/internal/awsrole"
)

// AWS access is set up here, once per run: the SDK's default chain
// (--profile, --region, environment), endpoints as the SDK resolves them
// (AWS_ENDPOINT_URL*, the profile's endpoint_url), with --endpoint-url
// overriding every service. Stages get clients built from this config.

// DefaultRegions are the regions every account has enabled; opt-in regions
// are added with --regions.
var DefaultRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
}

// awsSession is the run's AWS configuration and the caller's identity.
type awsSession struct {
	cfg           aws.Config
	callerAccount string
	partition     string

	mu    sync.Mutex
	creds map[string]aws.CredentialsProvider
}

// sessionFunc gives the run's AWS session, created on first use: a run on
// exported files never loads an AWS configuration.
type sessionFunc func(ctx context.Context) (*awsSession, error)

func lazySession(c Config) sessionFunc {
	var mu sync.Mutex
	var sess *awsSession
	return func(ctx context.Context) (*awsSession, error) {
		mu.Lock()
		defer mu.Unlock()
		if sess != nil {
			return sess, nil
		}
		cfg, err := LoadAWSConfig(ctx, c.Profile, c.Region, c.EndpointURL)
		if err != nil {
			return nil, err
		}
		sess = &awsSession{cfg: cfg, creds: map[string]aws.CredentialsProvider{}}
		return sess, nil
	}
}

// LoadAWSConfig is the one place AWS access is configured, for the run and
// for remediation: the SDK's default chain with an optional profile and
// region (IAM, STS and Organizations are global, so us-east-1 when none is
// set), and endpointURL, when given, overriding every service.
func LoadAWSConfig(ctx context.Context, profile, region, endpointURL string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if endpointURL != "" {
		cfg.BaseEndpoint = aws.String(endpointURL)
	}
	return cfg, nil
}

// identify learns the caller's account and partition, once.
func (a *awsSession) identify(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.callerAccount != "" {
		return nil
	}
	id, err := sts.NewFromConfig(a.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("identifying the caller with sts:GetCallerIdentity (check --profile and credentials): %w", err)
	}
	a.callerAccount, a.partition = aws.ToString(id.Account), "aws"
	if p, err := arn.Parse(aws.ToString(id.Arn)); err == nil {
		a.partition = p.Partition
	}
	return nil
}

// credentials acts in an account: the caller's own credentials in its own
// account, the audit role elsewhere.
func (a *awsSession) credentials(roleName, externalID string) func(ctx context.Context, account string) (aws.CredentialsProvider, error) {
	return func(ctx context.Context, account string) (aws.CredentialsProvider, error) {
		if err := a.identify(ctx); err != nil {
			return nil, err
		}
		if account == a.callerAccount {
			return a.cfg.Credentials, nil
		}
		if roleName == "" {
			return nil, fmt.Errorf("account %s is not the caller's (%s): give --role-name to assume into it", account, a.callerAccount)
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if p, ok := a.creds[account]; ok {
			return p, nil
		}
		p := awsrole.Credentials(sts.NewFromConfig(a.cfg), awsrole.ARN(a.partition, account, roleName),
			awsrole.Options{SessionName: "dormant-references", ExternalID: externalID})
		a.creds[account] = p
		return p, nil
	}
}
