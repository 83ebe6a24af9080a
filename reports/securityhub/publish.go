package securityhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
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
	BatchUpdateFindings(ctx context.Context, in *securityhub.BatchUpdateFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error)
}

// BatchSize is the most findings one BatchImportFindings (or
// BatchUpdateFindings) call takes.
const BatchSize = 100

// Result counts what Publish did.
type Result struct {
	Created  int // findings not in Security Hub before
	Updated  int // findings updated in place by their ID
	Archived int // earlier findings of users or keys no longer assessed
	// Imported is how many findings Security Hub accepted (its
	// SuccessCount, summed over the batches).
	Imported int
	// Resolved counts existing findings whose workflow Publish set to
	// RESOLVED (BatchUpdateFindings): archived ones, and ones that pass now.
	Resolved int
	// Failed are the findings Security Hub rejected; Publish then also
	// returns an error.
	Failed []Failure
}

// Failure is one finding Security Hub did not accept, as it said why.
type Failure struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
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
// again with RecordState ARCHIVED. BatchImportFindings sets a finding's
// Workflow only when it creates it (Security Hub ignores an update's), so
// the existing findings that are closed now (archived, or passing after
// failing) are then set to Workflow RESOLVED with BatchUpdateFindings,
// unless the customer already resolved or suppressed them. Findings that
// Security Hub rejects are in Result.Failed and returned as one error
// naming each ID and code, after every batch was tried.
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
	var resolve []string // existing findings to close: their workflow is still open
	open := func(p types.AwsSecurityFinding) bool {
		return p.Workflow == nil || p.Workflow.Status == types.WorkflowStatusNew || p.Workflow.Status == types.WorkflowStatusNotified
	}
	batch := slices.Clone(findings)
	for i := range batch {
		p, ok := previous[aws.ToString(batch[i].Id)]
		if !ok {
			res.Created++
			continue
		}
		batch[i].CreatedAt = p.CreatedAt
		batch[i].Workflow = nil // Security Hub ignores it on update; the customer's stays
		res.Updated++
		if batch[i].Compliance != nil && batch[i].Compliance.Status == types.ComplianceStatusPassed && open(p) {
			resolve = append(resolve, aws.ToString(batch[i].Id))
		}
	}
	stamp := now.UTC().Format(timeFormat)
	for _, id := range slices.Sorted(maps.Keys(previous)) {
		if ids[id] {
			continue
		}
		batch = append(batch, archived(previous[id], stamp))
		res.Archived++
		if open(previous[id]) {
			resolve = append(resolve, id)
		}
	}

	failedIDs := map[string]bool{}
	for start := 0; start < len(batch); start += BatchSize {
		part := batch[start:min(start+BatchSize, len(batch))]
		out, err := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: part})
		if err != nil {
			return res, fmt.Errorf("importing findings %d-%d of %d into Security Hub (%s): %w", start+1, start+len(part), len(batch), product, err)
		}
		res.Imported += int(aws.ToInt32(out.SuccessCount))
		for _, e := range out.FailedFindings {
			failedIDs[aws.ToString(e.Id)] = true
			res.Failed = append(res.Failed, Failure{ID: aws.ToString(e.Id), Code: aws.ToString(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)})
		}
		log.InfoContext(ctx, "security hub import", "product", product, "batch_start", start+1, "findings", len(part),
			"succeeded", aws.ToInt32(out.SuccessCount), "failed", aws.ToInt32(out.FailedCount))
	}

	resolve = slices.DeleteFunc(resolve, func(id string) bool { return failedIDs[id] })
	for start := 0; start < len(resolve); start += BatchSize {
		part := resolve[start:min(start+BatchSize, len(resolve))]
		in := &securityhub.BatchUpdateFindingsInput{Workflow: &types.WorkflowUpdate{Status: types.WorkflowStatusResolved}}
		for _, id := range part {
			in.FindingIdentifiers = append(in.FindingIdentifiers, types.AwsSecurityFindingIdentifier{Id: aws.String(id), ProductArn: aws.String(product)})
		}
		out, err := client.BatchUpdateFindings(ctx, in)
		if err != nil {
			return res, fmt.Errorf("resolving findings %d-%d of %d in Security Hub (%s, BatchUpdateFindings): %w", start+1, start+len(part), len(resolve), product, err)
		}
		res.Resolved += len(out.ProcessedFindings)
		for _, e := range out.UnprocessedFindings {
			id := ""
			if e.FindingIdentifier != nil {
				id = aws.ToString(e.FindingIdentifier.Id)
			}
			res.Failed = append(res.Failed, Failure{ID: id, Code: aws.ToString(e.ErrorCode), Message: "resolving: " + aws.ToString(e.ErrorMessage)})
		}
		log.InfoContext(ctx, "security hub resolve", "product", product, "batch_start", start+1, "findings", len(part),
			"resolved", len(out.ProcessedFindings), "failed", len(out.UnprocessedFindings))
	}
	if len(res.Failed) > 0 {
		errs := make([]error, len(res.Failed))
		for i, f := range res.Failed {
			errs[i] = fmt.Errorf("finding %s: %s: %s", f.ID, f.Code, f.Message)
		}
		return res, fmt.Errorf("security hub rejected %d of %d findings (%s): %w", len(res.Failed), len(batch), product, errors.Join(errs...))
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
// required attributes it had and RecordState ARCHIVED (its Workflow is set
// with BatchUpdateFindings, as an import cannot change it).
func archived(p types.AwsSecurityFinding, stamp string) types.AwsSecurityFinding {
	return types.AwsSecurityFinding{
		SchemaVersion: p.SchemaVersion, Id: p.Id, ProductArn: p.ProductArn, GeneratorId: p.GeneratorId,
		AwsAccountId: p.AwsAccountId, Types: p.Types, CreatedAt: p.CreatedAt, UpdatedAt: aws.String(stamp),
		Severity: p.Severity, Title: p.Title, Description: p.Description, Resources: p.Resources,
		Compliance: p.Compliance, Remediation: p.Remediation, ProductFields: p.ProductFields,
		RecordState: types.RecordStateArchived,
	}
}

// PublishRun publishes a run into the Security Hub of each target account,
// each through the client clientFor returns for that account (e.g. one
// built with the account's assumed-role credentials). A target account
// with no findings still has its earlier findings archived: its users are
// gone. It goes on after an account fails and returns every account's
// result (a failed account's holds what was done before the failure) and,
// by account, the errors, each naming its account.
func PublishRun(ctx context.Context, in *reports.Input, targets []Target, now time.Time, clientFor func(ctx context.Context, accountID string) (API, error), log *slog.Logger) (map[string]Result, map[string]error) {
	results, errs := map[string]Result{}, map[string]error{}
	for _, t := range targets {
		fs, err := Findings(in, t, now)
		if err != nil {
			errs[t.AccountID] = fmt.Errorf("publishing account %s to Security Hub: %w", t.AccountID, err)
			continue
		}
		client, err := clientFor(ctx, t.AccountID)
		if err != nil {
			errs[t.AccountID] = fmt.Errorf("publishing account %s to Security Hub: getting a client: %w", t.AccountID, err)
			continue
		}
		res, err := Publish(ctx, client, fs, Options{Target: t, Now: now, Logger: log})
		results[t.AccountID] = res
		if err != nil {
			errs[t.AccountID] = fmt.Errorf("publishing account %s to Security Hub: %w", t.AccountID, err)
		}
	}
	return results, errs
}
