package pipeline

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/internal/awssession"
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
	cfg  aws.Config
	sess *awssession.Session
}

func (s *state) aws(ctx context.Context) (*awsSession, error) {
	if s.awsSess != nil {
		return s.awsSess, nil
	}
	cfg, err := LoadAWSConfig(ctx, s.cfg.Profile, s.cfg.Region, s.cfg.EndpointURL)
	if err != nil {
		return nil, err
	}
	s.awsSess = &awsSession{cfg: cfg, sess: awssession.New(cfg)}
	return s.awsSess, nil
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
