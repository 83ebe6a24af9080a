package live

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/dormant-iam/dormant/pipeline/references"
)

// MaxAttempts is how many attempts the adaptive retryer Clients installs
// makes per call: more than the SDK's default 3, because a fan-out over
// every region of many accounts meets throttling as a matter of course.
const MaxAttempts = 10

// Clients makes the real SDK clients the checks use, one per service,
// account and region, and keeps them for reuse. Its methods are the checks'
// ClientFuncs. Use it through a pointer; the zero value is not usable
// without Config.
type Clients struct {
	// Config is the base of every client: HTTP client, BaseEndpoint (for
	// test endpoints), logging, and the credentials of accounts Credentials
	// does not give. When Config.Retryer is nil the clients use the SDK's
	// adaptive retry mode (client-side rate limiting that backs off when
	// throttled) with MaxAttempts attempts.
	Config aws.Config
	// Credentials returns the credentials to act in an account, typically an
	// AssumeRole provider into the audit role. It is called once per account
	// and should only build the provider (the SDK fetches lazily). Nil:
	// Config.Credentials everywhere.
	Credentials func(ctx context.Context, accountID string) (aws.CredentialsProvider, error)
	// S3UsePathStyle addresses buckets in the path rather than the host
	// name, as S3-compatible test endpoints need.
	S3UsePathStyle bool

	mu      sync.Mutex
	creds   map[string]aws.CredentialsProvider
	clients map[clientKey]any
}

type clientKey struct{ service, account, region string }

// AdaptiveRetryer is the retryer Clients installs when Config has none.
func AdaptiveRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = MaxAttempts })
	})
}

// client returns the cached client for service, account and region, making
// it with mk from a config for them.
func (c *Clients) client(ctx context.Context, service, account, region string, mk func(aws.Config) any) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := clientKey{service, account, region}
	if cl, ok := c.clients[k]; ok {
		return cl, nil
	}
	cfg := c.Config.Copy()
	cfg.Region = region
	if cfg.Retryer == nil {
		cfg.Retryer = AdaptiveRetryer
	}
	if c.Credentials != nil {
		p, ok := c.creds[account]
		if !ok {
			var err error
			if p, err = c.Credentials(ctx, account); err != nil {
				return nil, fmt.Errorf("getting credentials for account %s: %w", account, err)
			}
			if p == nil {
				return nil, fmt.Errorf("getting credentials for account %s: the Credentials function returned no provider", account)
			}
			if _, cached := p.(*aws.CredentialsCache); !cached {
				p = aws.NewCredentialsCache(p)
			}
			if c.creds == nil {
				c.creds = map[string]aws.CredentialsProvider{}
			}
			c.creds[account] = p
		}
		cfg.Credentials = p
	}
	cl := mk(cfg)
	if c.clients == nil {
		c.clients = map[clientKey]any{}
	}
	c.clients[k] = cl
	return cl, nil
}

func get[C any](ctx context.Context, c *Clients, service, account, region string, mk func(aws.Config) C) (C, error) {
	cl, err := c.client(ctx, service, account, region, func(cfg aws.Config) any { return mk(cfg) })
	if err != nil {
		var zero C
		return zero, err
	}
	return cl.(C), nil
}

// S3 returns the S3 client for an account and region.
func (c *Clients) S3(ctx context.Context, accountID, region string) (S3API, error) {
	return get(ctx, c, "s3", accountID, region, func(cfg aws.Config) S3API {
		return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = c.S3UsePathStyle })
	})
}

// KMS returns the KMS client for an account and region.
func (c *Clients) KMS(ctx context.Context, accountID, region string) (KMSAPI, error) {
	return get(ctx, c, "kms", accountID, region, func(cfg aws.Config) KMSAPI { return kms.NewFromConfig(cfg) })
}

// SNS returns the SNS client for an account and region.
func (c *Clients) SNS(ctx context.Context, accountID, region string) (SNSAPI, error) {
	return get(ctx, c, "sns", accountID, region, func(cfg aws.Config) SNSAPI { return sns.NewFromConfig(cfg) })
}

// SQS returns the SQS client for an account and region.
func (c *Clients) SQS(ctx context.Context, accountID, region string) (SQSAPI, error) {
	return get(ctx, c, "sqs", accountID, region, func(cfg aws.Config) SQSAPI { return sqs.NewFromConfig(cfg) })
}

// SecretsManager returns the Secrets Manager client for an account and region.
func (c *Clients) SecretsManager(ctx context.Context, accountID, region string) (SecretsManagerAPI, error) {
	return get(ctx, c, "secretsmanager", accountID, region, func(cfg aws.Config) SecretsManagerAPI { return secretsmanager.NewFromConfig(cfg) })
}

// ECR returns the ECR client for an account and region.
func (c *Clients) ECR(ctx context.Context, accountID, region string) (ECRAPI, error) {
	return get(ctx, c, "ecr", accountID, region, func(cfg aws.Config) ECRAPI { return ecr.NewFromConfig(cfg) })
}

// Lambda returns the Lambda client for an account and region.
func (c *Clients) Lambda(ctx context.Context, accountID, region string) (LambdaAPI, error) {
	return get(ctx, c, "lambda", accountID, region, func(cfg aws.Config) LambdaAPI { return lambda.NewFromConfig(cfg) })
}

// Tagging returns the Resource Groups Tagging API client for an account and
// region.
func (c *Clients) Tagging(ctx context.Context, accountID, region string) (TaggingAPI, error) {
	return get(ctx, c, "tagging", accountID, region, func(cfg aws.Config) TaggingAPI { return tagging.NewFromConfig(cfg) })
}

// liveCheck is one live check: its spec and how to build it from the run's
// clients.
type liveCheck struct {
	spec  references.CheckSpec
	build func(c *Clients, opts Options) *Checker
}

var liveChecks []liveCheck

// register adds a live check to references' registry and to Checkers; each
// check's file calls it from init.
func register(name string, rank int, build func(c *Clients, opts Options) *Checker) {
	spec := references.CheckSpec{Name: name, Live: true, Rank: rank}
	references.RegisterCheck(spec)
	liveChecks = append(liveChecks, liveCheck{spec: spec, build: build})
	slices.SortStableFunc(liveChecks, func(a, b liveCheck) int { return cmp.Compare(a.spec.Rank, b.spec.Rank) })
}

// Checkers returns every registered live check, in references.KnownChecks
// order, with clients from c. They share one bound of Options.Concurrency
// calls in flight.
func Checkers(c *Clients, opts Options) []references.Checker {
	sem := make(chan struct{}, concurrency(opts))
	out := make([]references.Checker, len(liveChecks))
	for i, lc := range liveChecks {
		ch := lc.build(c, opts)
		ch.sem = sem
		out[i] = ch
	}
	return out
}
