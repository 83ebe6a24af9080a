// Package awssession is how every command reaches AWS: one configuration
// (profile, region, an endpoint for emulators and the fakes), the caller's
// identity and partition, and credentials for any account, the caller's own
// or through the role assumed in the others (an Organization's member
// accounts).
package awssession

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// DefaultRegion is the region signed for when neither the flags nor the
// profile set one: IAM, STS and Organizations are global and answer there.
const DefaultRegion = "us-east-1"

// Settings are what a command's flags say about reaching AWS.
type Settings struct {
	// Profile is the shared config profile; empty follows the SDK's default
	// chain (AWS_PROFILE, the environment, instance roles).
	Profile string
	// Region; empty takes the profile's, else DefaultRegion.
	Region string
	// EndpointURL, when set, overrides every service's endpoint (an
	// emulator, internal/awsfake); AWS_ENDPOINT_URL_<SERVICE> and the
	// profile's endpoint_url work without it, as the SDK resolves them.
	EndpointURL string
	// Logger receives the SDK's own log output; nil logs through
	// slog.Default() (see SDKLogger).
	Logger *slog.Logger
}

// S3UsePathStyle says whether S3 clients address buckets in the path: an
// overridden endpoint serves one host, so bucket host names do not resolve.
func (s Settings) S3UsePathStyle() bool { return s.EndpointURL != "" }

// Load returns the AWS configuration of s: the SDK's default chain with the
// profile and region, DefaultRegion when none is set, the endpoint
// override, and the SDK's own log output sent to slog.
func Load(ctx context.Context, s Settings) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithLogger(SDKLogger(s.Logger))}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration (profile %q): %w; check --profile, ~/.aws/config and the AWS_* environment", s.Profile, err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if s.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(s.EndpointURL)
	}
	return cfg, nil
}

// STSAPI is exactly the STS calls this package makes, with the SDK's own
// signatures (*sts.Client satisfies it).
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRole(ctx context.Context, params *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ STSAPI = (*sts.Client)(nil)

// Caller is who the credentials are.
type Caller struct {
	Account string
	ARN     string
	// Partition is the caller ARN's partition (aws, aws-us-gov, aws-cn,
	// ...), which every role ARN built for it must share.
	Partition string
}

// Identify asks STS who the credentials are. The partition comes from the
// caller's ARN; an answer without a parseable ARN or an account is refused
// rather than guessed.
func Identify(ctx context.Context, client STSAPI) (Caller, error) {
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Caller{}, fmt.Errorf("identifying the caller with sts:GetCallerIdentity: %w; check the credentials (--profile, AWS_PROFILE, the environment)", err)
	}
	c := Caller{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}
	a, err := arn.Parse(c.ARN)
	if err != nil {
		return Caller{}, fmt.Errorf("identifying the caller with sts:GetCallerIdentity: its ARN %q does not parse (%w), so the partition of role ARNs is unknown; check --endpoint-url points at STS", c.ARN, err)
	}
	if c.Account == "" {
		return Caller{}, fmt.Errorf("identifying the caller with sts:GetCallerIdentity: the answer for %s names no account; check --endpoint-url points at STS", c.ARN)
	}
	c.Partition = a.Partition
	return c, nil
}

// Session is a command's AWS access: its configuration, the caller
// (identified once), and credentials for each account, cached per account
// and role so each role is assumed once and renewed before it expires.
type Session struct {
	cfg aws.Config
	sts STSAPI

	mu     sync.Mutex
	caller *Caller
	creds  map[credsKey]*aws.CredentialsCache
}

type credsKey struct {
	account string
	role    Role
}

// New returns the Session of cfg, calling STS through cfg.
func New(cfg aws.Config) *Session { return NewWithSTS(cfg, sts.NewFromConfig(cfg)) }

// NewWithSTS returns the Session of cfg calling client, for callers that
// tune their STS client (retries) or tests.
func NewWithSTS(cfg aws.Config, client STSAPI) *Session {
	return &Session{cfg: cfg, sts: client, creds: map[credsKey]*aws.CredentialsCache{}}
}

// Config is the configuration every client of the command is built from.
func (s *Session) Config() aws.Config { return s.cfg }

// Caller identifies the caller on first use; a failure is not remembered,
// so a later call may succeed.
func (s *Session) Caller(ctx context.Context) (Caller, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.caller != nil {
		return *s.caller, nil
	}
	c, err := Identify(ctx, s.sts)
	if err != nil {
		return Caller{}, err
	}
	s.caller = &c
	return c, nil
}

// Credentials returns credentials acting in account: the configuration's
// own in the caller's account, role's in any other. The role is assumed
// lazily, on the first call signed with it; see [Session.CheckedCredentials]
// to fail early.
func (s *Session) Credentials(ctx context.Context, account string, role Role) (aws.CredentialsProvider, error) {
	c, err := s.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if account == c.Account {
		return s.cfg.Credentials, nil
	}
	if role.Name == "" {
		return nil, fmt.Errorf("reaching account %s: the caller (%s) is in account %s and no role name was given; pass --role-name (for example OrganizationAccountAccessRole) or run with credentials of account %s",
			account, c.ARN, c.Account, account)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := credsKey{account, role}
	if p, ok := s.creds[k]; ok {
		return p, nil
	}
	p := RoleCredentials(s.sts, RoleARN(c.Partition, account, role.Name), role)
	s.creds[k] = p
	return p, nil
}

// CheckedCredentials is [Session.Credentials] with the role assumed now, so
// a role that cannot be assumed fails here, naming the role and what to
// check, rather than on the first call signed with it.
func (s *Session) CheckedCredentials(ctx context.Context, account string, role Role) (aws.CredentialsProvider, error) {
	p, err := s.Credentials(ctx, account, role)
	if err != nil {
		return nil, err
	}
	c, err := s.Caller(ctx)
	if err != nil || account == c.Account {
		return p, err
	}
	if _, err := p.Retrieve(ctx); err != nil {
		roleARN := RoleARN(c.Partition, account, role.Name)
		hint := ""
		if errorCode(err) == "AccessDenied" {
			hint = fmt.Sprintf("; check that role %s exists in account %s, that its trust policy lets %s assume it", role.Name, account, c.ARN)
			if role.ExternalID != "" {
				hint += " with this external ID"
			}
			hint += ", and that the caller may call sts:AssumeRole on it"
		}
		return nil, fmt.Errorf("assuming role %s: %w%s", roleARN, err, hint)
	}
	return p, nil
}

// errorCode is the AWS error code in err's chain, "" when there is none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
