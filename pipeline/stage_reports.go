package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	awssecurityhub "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/reports/securityhub"
	"github.com/dormant-iam/dormant/tables"
)

// reportInput gathers what the reports show from the run record and the
// stages' outputs; verify calls it on a stored run to regenerate the same
// reports.
func reportInput(dir string, rec *RunRecord, finds []tables.Finding, cov []tables.Coverage, refs []tables.Reference, keys []tables.AccessKey, logFiles []tables.LogFile, logFilesCounted bool) (*reports.Input, error) {
	in := &reports.Input{
		Run:      *rec,
		Findings: finds, Coverage: cov, References: refs, AccessKeys: keys,
		LogFiles: logFiles, LogFilesCounted: logFilesCounted,
		Engines: EngineSummaries(),
	}
	var err error
	if in.Trails, err = readTrailAccounts(dir, rec); err != nil {
		return nil, err
	}
	if err := changesReportInput(dir, in); err != nil {
		return nil, err
	}
	for _, f := range rec.Inputs {
		path := joinRel(dir, f.Path)
		sum, n, err := evidence.HashFile(path)
		if err != nil {
			return nil, err
		}
		in.Inputs = append(in.Inputs, reports.EvidenceFile{Input: f, SHA256: sum, Bytes: n})
		if f.Kind == kindAllowlist {
			if in.Allowlist, err = findings.LoadAllowlist(path); err != nil {
				return nil, err
			}
		}
	}
	for _, q := range rec.Queries {
		sqlText, err := os.ReadFile(joinRel(dir, q.SQLFile))
		if err != nil {
			return nil, fmt.Errorf("reading the stored query %s: %w", q.SQLFile, err)
		}
		in.Queries = append(in.Queries, reports.QueryEvidence{Query: q, SQL: string(sqlText)})
	}
	return in, nil
}

// publishSecurityHub imports the run's findings into each assessed
// account's Security Hub and records the outcome in rec.SecurityHub. An
// account that was not assessed is recorded as not published: the run
// knows nothing of its users to publish or resolve. A failure is returned
// naming the account and what to do; the caller keeps the reports.
func publishSecurityHub(ctx context.Context, cfg Config, sessions sessionFunc, in *reports.Input, rec *RunRecord) error {
	sess, err := sessions(ctx)
	if err != nil {
		return fmt.Errorf("publishing to Security Hub: loading the AWS configuration: %w", err)
	}
	caller, err := sess.sess.Caller(ctx)
	if err != nil {
		return fmt.Errorf("publishing to Security Hub: identifying the caller: %w", err)
	}
	region := sess.cfg.Region
	rec.SecurityHub = &record.SecurityHub{Region: region}
	var targets []securityhub.Target
	for _, a := range rec.Accounts {
		if !a.Assessed {
			rec.SecurityHub.Accounts = append(rec.SecurityHub.Accounts, record.SecurityHubAccount{AccountID: a.AccountID, NotPublished: "account not assessed"})
			cfg.Logger.WarnContext(ctx, "security hub: account not assessed, nothing published or resolved in it", "account", a.AccountID)
			continue
		}
		targets = append(targets, securityhub.Target{Partition: caller.Partition, Region: region, AccountID: a.AccountID})
	}
	creds := sess.credentials(cfg.RoleName, cfg.ExternalID)
	results, errs := securityhub.PublishRun(ctx, in, targets, time.Now(), func(ctx context.Context, account string) (securityhub.API, error) {
		p, err := creds(ctx, account)
		if err != nil {
			return nil, err
		}
		c := sess.cfg.Copy()
		c.Credentials = p
		return awssecurityhub.NewFromConfig(c), nil
	}, cfg.Logger)
	var failed []string
	for _, t := range targets {
		res, ok := results[t.AccountID]
		acct := record.SecurityHubAccount{
			AccountID: t.AccountID, ProductARN: t.ProductARN(),
			Published: res.Imported, Created: res.Created, Updated: res.Updated, Archived: res.Archived, Resolved: res.Resolved,
		}
		for _, f := range res.Failed {
			acct.Failed = append(acct.Failed, record.SecurityHubFailure{ID: f.ID, Code: f.Code, Message: f.Message})
		}
		if err := errs[t.AccountID]; err != nil || !ok {
			acct.Error = fmt.Sprint(err)
			failed = append(failed, t.AccountID)
		}
		rec.SecurityHub.Accounts = append(rec.SecurityHub.Accounts, acct)
		cfg.Logger.InfoContext(ctx, "security hub published", "account", t.AccountID, "product", t.ProductARN(),
			"published", acct.Published, "created", acct.Created, "updated", acct.Updated, "archived", acct.Archived,
			"resolved", acct.Resolved, "failed", len(acct.Failed))
	}
	slices.SortFunc(rec.SecurityHub.Accounts, func(a, b record.SecurityHubAccount) int { return strings.Compare(a.AccountID, b.AccountID) })
	if len(failed) > 0 {
		var all []error
		for _, a := range failed {
			all = append(all, errs[a])
		}
		return fmt.Errorf("publishing to Security Hub in %s failed for account(s) %s (the reports are written; run.json's security_hub lists what was published): "+
			"check that Security Hub is enabled in each of them in %s and that the caller (in its own account) or role %q (elsewhere) may call "+
			"securityhub:GetFindings, securityhub:BatchImportFindings and securityhub:BatchUpdateFindings, then run again with --security-hub: %w",
			region, strings.Join(failed, ", "), region, cfg.RoleName, errors.Join(all...))
	}
	return nil
}
