package pipeline

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/internal/awsrole"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/pipeline/inventory/live"
	"github.com/dormant-iam/dormant/pipeline/references"
	reflive "github.com/dormant-iam/dormant/pipeline/references/live"
	"github.com/dormant-iam/dormant/tables"
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

func (s *state) aws(ctx context.Context) (*awsSession, error) {
	if s.awsSess != nil {
		return s.awsSess, nil
	}
	cfg, err := LoadAWSConfig(ctx, s.cfg.Profile, s.cfg.Region, s.cfg.EndpointURL)
	if err != nil {
		return nil, err
	}
	s.awsSess = &awsSession{cfg: cfg, creds: map[string]aws.CredentialsProvider{}}
	return s.awsSess, nil
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

// liveInventory reads IAM from AWS for the accounts in scope, stores every
// raw answer under inputs/<account>/, and records accounts that could not be
// assessed.
func (s *state) liveInventory(ctx context.Context) error {
	sess, err := s.aws(ctx)
	if err != nil {
		return err
	}
	opts := live.Options{
		Accounts: s.cfg.Accounts, Org: s.cfg.Org, RoleName: s.cfg.RoleName, ExternalID: s.cfg.ExternalID,
		Concurrency: s.cfg.Concurrency, FreshReport: s.cfg.FreshReport, Logger: s.cfg.Logger,
		Progress: s.cfg.Progress,
	}
	results, err := live.New(sess.cfg, live.WithOptions(opts)).Collect(ctx)
	if err != nil {
		return fmt.Errorf("reading IAM from AWS: %w", err)
	}
	var reps []*inventory.CredentialReport
	var dets []*inventory.AuthorizationDetails
	for _, r := range results {
		if r.Err != nil {
			s.rec.Accounts = append(s.rec.Accounts, AccountRecord{AccountID: r.AccountID, Assessed: false, Error: r.Err.Error()})
			s.cfg.Logger.Warn("account not assessed", "account", r.AccountID, "error", r.Err)
			continue
		}
		rel := live.ReportFile(r.AccountID)
		if err := atomicfile.WriteBytes(s.st.path(rel), r.CredentialReport); err != nil {
			return fmt.Errorf("storing the credential report of %s: %w", r.AccountID, err)
		}
		// The CSV carries no generation time: keep GetCredentialReport's in
		// run.json and as the file's modification time.
		_ = os.Chtimes(s.st.path(rel), r.GeneratedAt, r.GeneratedAt)
		s.rec.addInput(rel, r.AccountID, kindCredentialReport, "aws:iam:GetCredentialReport", r.GeneratedAt)
		for i, page := range r.AuthorizationDetailsPages {
			prel := fmt.Sprintf("%s/%s/authorization-details-page-%03d.json", InputsDir, r.AccountID, i+1)
			if err := atomicfile.WriteBytes(s.st.path(prel), page); err != nil {
				return fmt.Errorf("storing authorization details of %s: %w", r.AccountID, err)
			}
			s.rec.addInput(prel, r.AccountID, kindAuthorizationDetails, "aws:iam:GetAccountAuthorizationDetails", time.Time{})
		}
		s.rec.Accounts = append(s.rec.Accounts, AccountRecord{AccountID: r.AccountID, Assessed: true, ReportGeneratedAt: r.GeneratedAt})
		reps = append(reps, r.Report)
		dets = append(dets, r.Details)
	}
	slices.SortFunc(s.rec.Accounts, func(a, b AccountRecord) int { return strings.Compare(a.AccountID, b.AccountID) })
	if s.users, s.policies, err = inventory.Build(reps, dets); err != nil {
		return err
	}
	// Later stages' fingerprints follow the data AWS returned.
	f := newFingerprint("inventory-live", s.cfg.ToolVersion)
	for _, in := range s.rec.Inputs {
		if err := f.addFile(s.st.path(in.Path)); err != nil {
			return err
		}
	}
	s.remember("inventory", f.sum())
	return nil
}

// liveReferences runs the live reference checks for the users a first
// classification (without references) would offer for removal: only their
// accounts are called.
func (s *state) liveReferences(ctx context.Context, candidates []tables.User, names []string) (references.Result, error) {
	sess, err := s.aws(ctx)
	if err != nil {
		return references.Result{}, err
	}
	clients := &reflive.Clients{Config: sess.cfg, Credentials: sess.credentials(s.cfg.RoleName, s.cfg.ExternalID), S3UsePathStyle: s.cfg.EndpointURL != ""}
	regions := s.cfg.Regions
	if len(regions) == 0 {
		regions = DefaultRegions
	}
	avail := append([]references.Checker{references.PolicyChecker{Policies: s.policies}},
		reflive.Checkers(clients, reflive.Options{
			Regions: reflive.StaticRegions(regions...), Inventory: s.users,
			OwnerTagKeys: s.cfg.OwnerTags, Logger: s.cfg.Logger,
		})...)
	selected, missing, err := references.Select(avail, names)
	if err != nil {
		return references.Result{}, err
	}
	if len(missing) > 0 {
		return references.Result{}, fmt.Errorf("--reference-checks %s cannot run here", strings.Join(missing, ","))
	}
	return references.Run(ctx, candidates, selected...)
}
