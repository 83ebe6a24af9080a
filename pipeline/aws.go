package pipeline

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dormant-iam/dormant/internal/awssession"
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
	cfg  aws.Config
	sess *awssession.Session
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
		sess = &awsSession{cfg: cfg, sess: awssession.New(cfg)}
		return sess, nil
	}
}

// LoadAWSConfig is the one place AWS access is configured, for the run and
// for remediation: the SDK's default chain with an optional profile and
// region (IAM, STS and Organizations are global, so us-east-1 when none is
// set), and endpointURL, when given, overriding every service.
func LoadAWSConfig(ctx context.Context, profile, region, endpointURL string) (aws.Config, error) {
	return awssession.Load(ctx, awssession.Settings{Profile: profile, Region: region, EndpointURL: endpointURL})
}

// identify learns the caller's account and partition, once.
func (a *awsSession) identify(ctx context.Context) error {
	_, err := a.sess.Caller(ctx)
	return err
}

// credentials acts in an account: the caller's own credentials in its own
// account, the audit role elsewhere.
func (a *awsSession) credentials(roleName, externalID string) func(ctx context.Context, account string) (aws.CredentialsProvider, error) {
	role := awssession.Role{Name: roleName, ExternalID: externalID, SessionName: "dormant-references"}
	return func(ctx context.Context, account string) (aws.CredentialsProvider, error) {
		return a.sess.Credentials(ctx, account, role)
	}
}
