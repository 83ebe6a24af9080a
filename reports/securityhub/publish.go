package securityhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/dormant-iam/dormant/reports"
)

// API is the part of the Security Hub client Publish calls, with the SDK's
// own signatures: *securityhub.Client satisfies it, and so does a fake.
type API interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

// BatchSize is the most findings one BatchImportFindings call takes.
const BatchSize = 100

// Result counts what Publish did.
type Result struct {
	Created  int // findings not in Security Hub before
	Updated  int // findings updated in place by their ID
	Archived int // earlier findings of users or keys no longer assessed
}

// Options are Publish's settings.
type Options struct {
	Target Target
	// Now stamps archived findings' UpdatedAt; zero means time.Now.
	Now    time.Time
	Logger *slog.Logger
}

// Publish imports findings (from Findings, for opts.Target) into the
// target account's Security Hub in batches of BatchSize. It first reads the
// generator's active findings under the target's product ARN
// (GetFindings): a finding with the same ID is updated in place, keeping
// its first CreatedAt; an earlier finding whose ID is not among findings
// (the user was deleted, or the key used or removed since) is imported
// again with RecordState ARCHIVED and Workflow RESOLVED. Findings that
// Security Hub rejects are returned as one error naming each ID and code,
// after every batch was tried.
func Publish(ctx context.Context, client API, findings []types.AwsSecurityFinding, opts Options) (Result, error) {
	var res Result
	t := opts.Target
	if err := t.validate(); err != nil {
		return res, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	product := t.ProductARN()
	ids := map[string]bool{}
	for i, f := range findings {
		id := aws.ToString(f.Id)
		switch {
		case id == "":
			return res, fmt.Errorf("publishing to Security Hub: finding %d has no Id", i)
		case aws.ToString(f.ProductArn) != product || aws.ToString(f.AwsAccountId) != t.AccountID:
			return res, fmt.Errorf("publishing to Security Hub: finding %s is for product %s, account %s, not the target's %s: build findings with Findings for the same target",
				id, aws.ToString(f.ProductArn), aws.ToString(f.AwsAccountId), product)
		case aws.ToString(f.GeneratorId) != GeneratorID:
			return res, fmt.Errorf("publishing to Security Hub: finding %s has generator %q, want %q", id, aws.ToString(f.GeneratorId), GeneratorID)
		case ids[id]:
			return res, fmt.Errorf("publishing to Security Hub: finding ID %s appears twice", id)
		}
		ids[id] = true
	}

	previous, err := activeFindings(ctx, client, t)
	if err != nil {
		return res, err
	}
	batch := slices.Clone(findings)
	for i := range batch {
		if p, ok := previous[aws.ToString(batch[i].Id)]; ok {
			batch[i].CreatedAt = p.CreatedAt
			res.Updated++
		} else {
			res.Created++
		}
	}
	stamp := now.UTC().Format(timeFormat)
	for _, id := range slices.Sorted(maps.Keys(previous)) {
		if ids[id] {
			continue
		}
		batch = append(batch, archived(previous[id], stamp))
		res.Archived++
	}

	var failed []error
	for start := 0; start < len(batch); start += BatchSize {
		part := batch[start:min(start+BatchSize, len(batch))]
		out, err := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: part})
		if err != nil {
			return res, fmt.Errorf("importing findings %d-%d of %d into Security Hub (%s): %w", start+1, start+len(part), len(batch), product, err)
		}
		for _, e := range out.FailedFindings {
			failed = append(failed, fmt.Errorf("finding %s: %s: %s", aws.ToString(e.Id), aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage)))
		}
		log.InfoContext(ctx, "security hub import", "product", product, "batch_start", start+1, "findings", len(part),
			"succeeded", aws.ToInt32(out.SuccessCount), "failed", aws.ToInt32(out.FailedCount))
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("security hub rejected %d of %d findings (%s): %w", len(failed), len(batch), product, errors.Join(failed...))
	}
	return res, nil
}

// activeFindings reads the generator's active findings under the target's
// product, by ID.
func activeFindings(ctx context.Context, client API, t Target) (map[string]types.AwsSecurityFinding, error) {
	eq := func(v string) []types.StringFilter {
		return []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(v)}}
	}
	in := &securityhub.GetFindingsInput{
		Filters: &types.AwsSecurityFindingFilters{
			ProductArn:   eq(t.ProductARN()),
			GeneratorId:  eq(GeneratorID),
			AwsAccountId: eq(t.AccountID),
			RecordState:  eq(string(types.RecordStateActive)),
		},
		MaxResults: aws.Int32(BatchSize),
	}
	out := map[string]types.AwsSecurityFinding{}
	p := securityhub.NewGetFindingsPaginator(client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading earlier findings of %s from Security Hub (GetFindings): %w", t.ProductARN(), err)
		}
		for _, f := range page.Findings {
			out[aws.ToString(f.Id)] = f
		}
	}
	return out, nil
}

// archived is an earlier finding as it is re-imported to close it: the
// required attributes it had, RecordState ARCHIVED, Workflow RESOLVED.
func archived(p types.AwsSecurityFinding, stamp string) types.AwsSecurityFinding {
	return types.AwsSecurityFinding{
		SchemaVersion: p.SchemaVersion, Id: p.Id, ProductArn: p.ProductArn, GeneratorId: p.GeneratorId,
		AwsAccountId: p.AwsAccountId, Types: p.Types, CreatedAt: p.CreatedAt, UpdatedAt: aws.String(stamp),
		Severity: p.Severity, Title: p.Title, Description: p.Description, Resources: p.Resources,
		Compliance: p.Compliance, Remediation: p.Remediation, ProductFields: p.ProductFields,
		RecordState: types.RecordStateArchived,
		Workflow:    &types.Workflow{Status: types.WorkflowStatusResolved},
	}
}

// PublishRun publishes a run into the Security Hub of every account it has
// findings for, in region, each through the client clientFor returns for
// that account (e.g. one built with the account's assumed-role
// credentials). The partition is taken from the account's user ARNs. It
// goes on after an account fails and returns every account's error joined,
// with the results of the accounts that succeeded.
func PublishRun(ctx context.Context, in *reports.Input, region string, now time.Time, clientFor func(ctx context.Context, accountID string) (API, error), log *slog.Logger) (map[string]Result, error) {
	partitions := map[string]string{}
	var accounts []string
	for i := range in.Findings {
		f := &in.Findings[i]
		if _, seen := partitions[f.AccountID]; !seen {
			accounts = append(accounts, f.AccountID)
			partitions[f.AccountID] = ""
		}
		if p := arnPartition(f.ARN); p != "" && partitions[f.AccountID] == "" {
			partitions[f.AccountID] = p
		}
	}
	results := map[string]Result{}
	var errs []error
	for _, acct := range accounts {
		t := Target{Partition: partitions[acct], Region: region, AccountID: acct}
		if t.Partition == "" {
			errs = append(errs, fmt.Errorf("publishing account %s to Security Hub: no user ARN names its partition", acct))
			continue
		}
		fs, err := Findings(in, t, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		client, err := clientFor(ctx, acct)
		if err != nil {
			errs = append(errs, fmt.Errorf("publishing account %s to Security Hub: getting a client: %w", acct, err))
			continue
		}
		res, err := Publish(ctx, client, fs, Options{Target: t, Now: now, Logger: log})
		if err != nil {
			errs = append(errs, fmt.Errorf("publishing account %s to Security Hub: %w", acct, err))
			continue
		}
		results[acct] = res
	}
	return results, errors.Join(errs...)
}

// arnPartition is an ARN's partition ("arn:aws-cn:iam::..." -> aws-cn).
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}
