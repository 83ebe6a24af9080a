package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/dormant-iam/dormant/internal/awssession"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/tables"
)

// IAMAPI is the IAM calls the inventory makes, with the SDK's signatures
// (*iam.Client satisfies it).
type IAMAPI interface {
	GenerateCredentialReport(ctx context.Context, params *iam.GenerateCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error)
	GetCredentialReport(ctx context.Context, params *iam.GetCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error)
	GetAccountAuthorizationDetails(ctx context.Context, params *iam.GetAccountAuthorizationDetailsInput, optFns ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	ListAccessKeys(ctx context.Context, params *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
}

// STSAPI is the STS calls the inventory makes, through internal/awssession
// (*sts.Client satisfies it).
type STSAPI = awssession.STSAPI

// OrganizationsAPI is the Organizations calls the inventory makes
// (*organizations.Client satisfies it).
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, params *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	DescribeOrganization(ctx context.Context, params *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

// Clients are the AWS clients a Source calls. [New] builds real ones from an
// aws.Config; [NewWithClients] takes them as given.
type Clients struct {
	STS           STSAPI
	Organizations OrganizationsAPI
	// IAM returns an IAM client signing with creds; nil creds means the
	// caller's own credentials. It is called once per account.
	IAM func(creds aws.CredentialsProvider) IAMAPI
}

// Defaults of Options.
const (
	DefaultConcurrency     = 8
	DefaultSessionName     = "dormant-inventory"
	DefaultPollInterval    = 500 * time.Millisecond
	DefaultMaxPollInterval = 15 * time.Second
	DefaultReportTimeout   = 15 * time.Minute
	DefaultMaxAttempts     = 10
)

// Options says which accounts to read and how.
type Options struct {
	// Accounts are the account IDs to read. Empty, and without Org: the
	// caller's account.
	Accounts []string
	// Org reads every ACTIVE account of the caller's Organization
	// (organizations:ListAccounts), which needs the management account or
	// a delegated administrator.
	Org bool
	// RoleName is the role assumed in every account but the caller's: a
	// name, or path/name. Required when any other account is read.
	RoleName string
	// ExternalID is passed to AssumeRole (sts:ExternalId in the trust policy).
	ExternalID string
	// SessionName is the AssumeRole session name, which CloudTrail records
	// in every read's ARN (default "dormant-inventory").
	SessionName string
	// Concurrency is how many accounts are read at once (default 8).
	Concurrency int
	// FreshReport accepts only a credential report whose generation this run
	// started. IAM generates at most one report per account every four hours
	// and otherwise hands back the last one, up to four hours old; it cannot
	// be forced. With FreshReport, an account whose report IAM reused waits
	// until that report is four hours old, then has IAM generate a new one.
	// The wait (up to four hours) is logged with its end time and reported
	// through Progress; cancelling the context ends it. Without it, a
	// reused report is accepted, and its generation time is recorded.
	FreshReport bool
	// PollInterval is the first wait before asking again for a report being
	// generated (default 500ms); each wait is a quarter longer than the
	// last, up to MaxPollInterval (default 15s).
	PollInterval, MaxPollInterval time.Duration
	// ReportTimeout is how long a report may stay in progress before the
	// account is given up (default 15 minutes).
	ReportTimeout time.Duration
	// MaxAttempts is how many times the SDK tries each call before giving up
	// on throttling or a transient error (default 10). AWS_MAX_ATTEMPTS or
	// the profile's max_attempts, when set in the aws.Config, win.
	MaxAttempts int
	// Retryer replaces the SDK retryer New configures (the adaptive retry
	// mode with MaxAttempts attempts). Each IAM client gets its own, as IAM
	// throttles each account separately.
	Retryer func() aws.Retryer
	// Logger receives the run's structured logs (default slog.Default()).
	Logger *slog.Logger
	// Progress, when set, is called on every change of an account's state,
	// one call at a time.
	Progress func(AccountProgress)
}

// Option adjusts Options.
type Option func(*Options)

// WithOptions sets every option at once.
func WithOptions(o Options) Option { return func(dst *Options) { *dst = o } }

// WithAccounts reads the given accounts.
func WithAccounts(ids ...string) Option {
	return func(o *Options) { o.Accounts = append(o.Accounts, ids...) }
}

// WithOrg reads every ACTIVE account of the Organization.
func WithOrg() Option { return func(o *Options) { o.Org = true } }

// WithRole assumes roleName (with externalID, if not empty) in every
// account but the caller's.
func WithRole(roleName, externalID string) Option {
	return func(o *Options) { o.RoleName, o.ExternalID = roleName, externalID }
}

// WithConcurrency reads n accounts at once.
func WithConcurrency(n int) Option { return func(o *Options) { o.Concurrency = n } }

// WithFreshReport accepts only credential reports generated by this run
// (see Options.FreshReport).
func WithFreshReport() Option { return func(o *Options) { o.FreshReport = true } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithProgress sets the progress callback.
func WithProgress(fn func(AccountProgress)) Option { return func(o *Options) { o.Progress = fn } }

// Source reads IAM inventory from AWS.
type Source struct {
	opts    Options
	clients Clients
	sess    *awssession.Session
	log     *slog.Logger

	progressMu sync.Mutex
}

// New returns a Source whose clients are built from cfg, the caller's
// configuration (config.LoadDefaultConfig with --profile and --region).
// Endpoints follow the SDK's own resolution (cfg.BaseEndpoint, such as
// --endpoint-url sets; AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM, ... and the
// profile's endpoint_url), so VPC endpoints, FIPS endpoints and emulators
// need nothing more. Every client retries in the SDK's adaptive mode. With
// no region configured, us-east-1 is used: IAM and Organizations are
// global, and STS answers there.
func New(cfg aws.Config, opts ...Option) *Source {
	o := applyOptions(opts)
	cfg = cfg.Copy()
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	maxAttempts := o.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	cfg.Retryer = o.Retryer
	if cfg.Retryer == nil {
		cfg.Retryer = func() aws.Retryer {
			return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = maxAttempts })
			})
		}
	}
	cfg.HTTPClient = pooledHTTPClient(cfg.HTTPClient, o.Concurrency)
	c := Clients{
		STS:           sts.NewFromConfig(cfg),
		Organizations: organizations.NewFromConfig(cfg),
		IAM: func(creds aws.CredentialsProvider) IAMAPI {
			return iam.NewFromConfig(cfg, func(io *iam.Options) {
				if creds != nil {
					io.Credentials = creds
				}
			})
		},
	}
	return newSource(cfg, c, o)
}

// NewWithClients returns a Source calling the given clients (all three must
// be set).
func NewWithClients(c Clients, opts ...Option) *Source {
	return newSource(aws.Config{}, c, applyOptions(opts))
}

func applyOptions(opts []Option) Options {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.SessionName == "" {
		o.SessionName = DefaultSessionName
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MaxPollInterval == 0 {
		o.MaxPollInterval = max(DefaultMaxPollInterval, o.PollInterval)
	}
	if o.ReportTimeout == 0 {
		o.ReportTimeout = DefaultReportTimeout
	}
	return o
}

func newSource(cfg aws.Config, c Clients, o Options) *Source {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Source{opts: o, clients: c, sess: awssession.NewWithSTS(cfg, c.STS), log: log}
}

// pooledHTTPClient keeps enough idle connections for every account in
// flight (two IAM calls each, report and details in parallel), so TLS
// handshakes are not repeated on every call. A client the caller built
// itself is left alone.
func pooledHTTPClient(c aws.HTTPClient, concurrency int) aws.HTTPClient {
	idle := 2*max(concurrency, 1) + 4
	tune := func(tr *http.Transport) { tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, idle) }
	switch bc := c.(type) {
	case nil:
		return awshttp.NewBuildableClient().WithTransportOptions(tune)
	case *awshttp.BuildableClient:
		return bc.WithTransportOptions(tune)
	default:
		return c
	}
}

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	roleNamePattern    = regexp.MustCompile(`^(/?[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
)

// validate checks the options before any call is made.
func (o Options) validate() error {
	if o.Org && len(o.Accounts) > 0 {
		return errors.New("reading IAM inventory: both a list of accounts and the whole Organization were asked for; give one of --accounts or --org")
	}
	for _, a := range o.Accounts {
		if !accountIDPattern.MatchString(a) {
			return fmt.Errorf("reading IAM inventory: account %q is not a 12-digit AWS account ID (keep leading zeros)", a)
		}
	}
	if o.Concurrency < 1 {
		return fmt.Errorf("reading IAM inventory: concurrency %d: want at least 1", o.Concurrency)
	}
	if !sessionNamePattern.MatchString(o.SessionName) {
		return fmt.Errorf("reading IAM inventory: session name %q: want 2 to 64 characters of letters, digits and +=,.@_-", o.SessionName)
	}
	if o.RoleName != "" && !roleNamePattern.MatchString(o.RoleName) {
		return fmt.Errorf("reading IAM inventory: role name %q is not an IAM role name (letters, digits and +=,.@_-, optionally after a path)", o.RoleName)
	}
	if o.ExternalID != "" {
		if o.RoleName == "" {
			return errors.New("reading IAM inventory: an external ID was given without a role name; give --role-name too")
		}
		if n := len(o.ExternalID); n < 2 || n > 1224 {
			return fmt.Errorf("reading IAM inventory: the external ID has %d characters; AWS accepts 2 to 1224", n)
		}
	}
	if o.PollInterval < 0 || o.MaxPollInterval < o.PollInterval {
		return fmt.Errorf("reading IAM inventory: poll interval %s to %s: want a positive interval no longer than the maximum", o.PollInterval, o.MaxPollInterval)
	}
	if o.ReportTimeout < 0 {
		return fmt.Errorf("reading IAM inventory: report timeout %s is negative", o.ReportTimeout)
	}
	return nil
}

// AccountInventory is what was read from one account.
type AccountInventory struct {
	AccountID string
	// CredentialReport is the report's CSV exactly as GetCredentialReport
	// returned it (the SDK has already decoded the base64 of the wire).
	CredentialReport []byte
	// GeneratedAt is the report's GeneratedTime, as IAM says.
	GeneratedAt time.Time
	// AuthorizationDetailsPages holds every GetAccountAuthorizationDetails
	// page, each as JSON in the API's member names (UserDetailList,
	// GroupDetailList, RoleDetailList, Policies, IsTruncated, Marker), with
	// the policy documents URL-encoded as IAM returned them. AWS managed
	// policies are not requested: they name no user of the account.
	AuthorizationDetailsPages [][]byte
	// Report and Details are the parsed inputs (Details merges the pages).
	// Both are nil when Err is set.
	Report  *inventory.CredentialReport
	Details *inventory.AuthorizationDetails
	// AccessKeys are the keys, by ID, of the users with a key in the report
	// and of the users tagged dormant:deactivated (ListAccessKeys).
	AccessKeys []tables.AccessKey
	// Err, when set (an *AccountError), says why the account was not
	// assessed. Its users must not be reported as inactive. The raw fields
	// then hold whatever was read before the failure, as evidence only.
	Err error
	// Elapsed is how long the account took.
	Elapsed time.Duration
}

// ReportFile is the name the account's credential report is parsed under
// (and so its rows' Source): where the run directory keeps it, relative to
// the run directory.
func ReportFile(accountID string) string {
	return "inputs/" + accountID + "/credential-report.csv"
}

// DetailsFile is the name the account's authorization details are parsed
// under; see ReportFile.
func DetailsFile(accountID string) string {
	return "inputs/" + accountID + "/authorization-details.json"
}

// Stages at which an account can fail, as AccountError.Stage.
const (
	StageAssumeRole           = "assume-role"
	StageCredentialReport     = "credential-report"
	StageAuthorizationDetails = "authorization-details"
	StageParse                = "parse"
	StageInterrupted          = "interrupted"
)

// AccountError says why an account was not assessed.
type AccountError struct {
	AccountID string
	Stage     string // one of the Stage constants
	// Code is AWS's error code (AccessDenied, LimitExceeded, ...), empty when
	// the failure was not an AWS error.
	Code string
	Err  error
}

func (e *AccountError) Error() string {
	return fmt.Sprintf("account %s not assessed (%s): %v", e.AccountID, e.Stage, e.Err)
}

func (e *AccountError) Unwrap() error { return e.Err }

func accountError(acct, stage string, err error) *AccountError {
	return &AccountError{AccountID: acct, Stage: stage, Code: ErrorCode(err), Err: err}
}

// ErrorCode returns the AWS error code in err's chain, "" when there is none.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Collect reads every account in scope and returns one AccountInventory per
// account, in the order of Options.Accounts or of ListAccounts. An account
// that could not be read carries its Err; the others are complete. The
// error is for when nothing could be done: the caller cannot be identified,
// the options are wrong, the Organization cannot be listed, or no account
// could be assessed (the results, each with its Err, are returned too).
// When ctx is cancelled, Collect returns what was read with context.Cause.
func (s *Source) Collect(ctx context.Context) ([]AccountInventory, error) {
	if err := s.opts.validate(); err != nil {
		return nil, err
	}
	who, err := s.sess.Caller(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	targets, err := s.targets(ctx, who)
	if err != nil {
		return nil, err
	}
	if s.opts.RoleName == "" {
		for _, t := range targets {
			if t != who.Account {
				return nil, fmt.Errorf("reading IAM inventory: account %s is not the caller's (%s, %s), so a role must be assumed there; give --role-name", t, who.Account, who.ARN)
			}
		}
	}
	s.log.InfoContext(ctx, "reading IAM inventory", "caller", who.ARN, "accounts", len(targets),
		"concurrency", s.opts.Concurrency, "role", s.opts.RoleName, "fresh_report", s.opts.FreshReport)

	results := s.run(ctx, who, targets)
	if ctx.Err() != nil {
		return results, context.Cause(ctx)
	}
	assessed := 0
	for _, r := range results {
		if r.Err == nil {
			assessed++
		}
	}
	s.log.InfoContext(ctx, "IAM inventory read", "accounts", len(results), "assessed", assessed, "failed", len(results)-assessed)
	if assessed == 0 && len(results) > 0 {
		return results, fmt.Errorf("reading IAM inventory: none of the %d account(s) could be assessed; the first: %w", len(results), results[0].Err)
	}
	return results, nil
}

// targets lists the accounts to read.
func (s *Source) targets(ctx context.Context, who awssession.Caller) ([]string, error) {
	switch {
	case len(s.opts.Accounts) > 0:
		var targets []string
		for _, a := range s.opts.Accounts {
			if !slices.Contains(targets, a) {
				targets = append(targets, a)
			}
		}
		return targets, nil
	case !s.opts.Org:
		return []string{who.Account}, nil
	}
	org, err := s.clients.Organizations.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, fmt.Errorf("describing the Organization of account %s: %w; --org needs organizations:DescribeOrganization in an account of an Organization", who.Account, err)
	}
	var mgmt, orgID string
	if o := org.Organization; o != nil {
		mgmt, orgID = aws.ToString(o.MasterAccountId), aws.ToString(o.Id)
	}
	var targets []string
	p := organizations.NewListAccountsPaginator(s.clients.Organizations, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			return nil, fmt.Errorf("listing the Organization's accounts: %w; --org must run in the management account (%s) or a delegated administrator, with organizations:ListAccounts", err, mgmt)
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			state := string(a.State)
			if state == "" {
				state = string(a.Status) // before State existed
			}
			if state != string(orgtypes.AccountStateActive) {
				s.log.InfoContext(ctx, "skipping account that is not ACTIVE", "account", id, "state", state)
				s.progress(AccountProgress{AccountID: id, State: StateSkipped, Detail: state})
				continue
			}
			if !slices.Contains(targets, id) {
				targets = append(targets, id)
			}
		}
	}
	s.log.InfoContext(ctx, "Organization listed", "organization", orgID, "management_account", mgmt, "active_accounts", len(targets))
	return targets, nil
}

// run reads the accounts, at most Concurrency at a time, keeping their order.
func (s *Source) run(ctx context.Context, who awssession.Caller, targets []string) []AccountInventory {
	results := make([]AccountInventory, len(targets))
	tr := &tracker{s: s, total: len(targets)}
	for _, t := range targets {
		tr.update(AccountProgress{AccountID: t, State: StateQueued})
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(s.opts.Concurrency, len(targets)) {
		wg.Go(func() {
			for i := range next {
				results[i] = s.collectAccount(ctx, who, targets[i], tr)
			}
		})
	}
	for i := range targets {
		if ctx.Err() != nil {
			results[i] = AccountInventory{AccountID: targets[i], Err: accountError(targets[i], StageInterrupted, context.Cause(ctx))}
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}
