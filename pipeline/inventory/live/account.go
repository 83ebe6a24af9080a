package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/dormant-iam/dormant/internal/awssession"
	"github.com/dormant-iam/dormant/pipeline/inventory"
)

// sessionDuration is how long assumed-role credentials last. One hour is
// the most a role allows by default and the most role chaining allows; the
// cache renews them before they expire, as a FreshReport wait outlasts them.
const sessionDuration = time.Hour

// collectAccount reads one account. It never returns an error: a failure
// is the result's Err.
func (s *Source) collectAccount(ctx context.Context, who awssession.Caller, acct string, tr *tracker) AccountInventory {
	pr := tr.account(acct)
	inv := AccountInventory{AccountID: acct}
	fail := func(err *AccountError) AccountInventory {
		inv.Err, inv.Report, inv.Details = err, nil, nil
		inv.Elapsed = time.Since(pr.start)
		s.log.WarnContext(ctx, "account not assessed", "account", acct, "stage", err.Stage, "code", err.Code, "error", err.Err)
		pr.set(func(p *AccountProgress) { p.State, p.Err, p.Detail = StateFailed, err, err.Stage })
		return inv
	}
	if ctx.Err() != nil {
		return fail(accountError(acct, StageInterrupted, context.Cause(ctx)))
	}

	client := s.clients.IAM(nil)
	if acct != who.Account {
		pr.state(StateAssumingRole, "")
		creds, err := s.assumeRole(ctx, acct)
		if err != nil {
			return fail(s.stageError(ctx, acct, StageAssumeRole, err))
		}
		client = s.clients.IAM(creds)
	}

	// The report takes seconds to minutes to generate: read the
	// authorization details meanwhile. The first failure stops the other.
	pr.state(StateReading, "")
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      sync.WaitGroup
		rep     reportResult
		repErr  error
		pages   [][]byte
		pageErr error
	)
	wg.Go(func() {
		rep, repErr = s.credentialReport(actx, acct, client, pr)
		if repErr != nil {
			cancel(s.stageError(actx, acct, StageCredentialReport, repErr))
		}
	})
	pages, pageErr = s.authorizationDetails(actx, acct, client, pr)
	if pageErr != nil {
		cancel(s.stageError(actx, acct, StageAuthorizationDetails, pageErr))
	}
	wg.Wait()
	inv.CredentialReport, inv.GeneratedAt, inv.AuthorizationDetailsPages = rep.csv, rep.generated, pages
	if ctx.Err() != nil {
		return fail(accountError(acct, StageInterrupted, context.Cause(ctx)))
	}
	if err := context.Cause(actx); err != nil {
		var ae *AccountError
		if !errors.As(err, &ae) {
			ae = accountError(acct, StageInterrupted, err)
		}
		return fail(ae)
	}

	if err := s.parse(&inv); err != nil {
		return fail(accountError(acct, StageParse, err))
	}
	keys, err := s.listAccessKeys(ctx, acct, client, inv.Report, inv.Details)
	if err != nil {
		return fail(s.stageError(ctx, acct, StageAccessKeys, err))
	}
	inv.AccessKeys = keys
	inv.Elapsed = time.Since(pr.start)
	users := len(inv.Report.Users) - 1 // the root row
	s.log.InfoContext(ctx, "account read", "account", acct, "users", users, "pages", len(pages),
		"report_generated_at", inv.GeneratedAt, "elapsed", inv.Elapsed.Round(time.Millisecond))
	pr.set(func(p *AccountProgress) { p.State, p.Users, p.ReportState, p.Detail = StateDone, users, "READ", "" })
	return inv
}

// stageError wraps a stage's failure; a failure caused by the account's own
// cancellation (the other stage failed first) keeps that first cause.
func (s *Source) stageError(ctx context.Context, acct, stage string, err error) *AccountError {
	var ae *AccountError
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &ae) {
		return ae
	}
	return accountError(acct, stage, err)
}

// assumeRole returns credentials for the role in acct, checked by fetching
// them once, and renewed by the cache before they expire.
func (s *Source) assumeRole(ctx context.Context, acct string) (aws.CredentialsProvider, error) {
	return s.sess.CheckedCredentials(ctx, acct, awssession.Role{
		Name: s.opts.RoleName, ExternalID: s.opts.ExternalID, SessionName: s.opts.SessionName, Duration: sessionDuration,
	})
}

// detailsPage is one GetAccountAuthorizationDetails page as stored: the
// API's member names, documents as returned.
type detailsPage struct {
	UserDetailList  []types.UserDetail
	GroupDetailList []types.GroupDetail
	RoleDetailList  []types.RoleDetail
	Policies        []types.ManagedPolicyDetail
	IsTruncated     bool
	Marker          *string `json:",omitempty"`
}

// detailsFilter asks for every entity type but AWS managed policies: those
// belong to no account, name none of its users, and with every version of
// every policy in use they are most of the bytes.
var detailsFilter = []types.EntityType{types.EntityTypeUser, types.EntityTypeGroup, types.EntityTypeRole, types.EntityTypeLocalManagedPolicy}

// authorizationDetails reads every page, looping on IsTruncated as the API
// requires (a page may hold fewer than MaxItems even when more follow).
func (s *Source) authorizationDetails(ctx context.Context, acct string, client IAMAPI, pr *accountProgress) ([][]byte, error) {
	in := &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1000), Filter: detailsFilter}
	seen := map[string]bool{}
	var pages [][]byte
	for {
		out, err := client.GetAccountAuthorizationDetails(ctx, in)
		if err != nil {
			return pages, fmt.Errorf("reading authorization details (page %d): %w", len(pages)+1, err)
		}
		raw, err := json.Marshal(detailsPage{
			UserDetailList: out.UserDetailList, GroupDetailList: out.GroupDetailList, RoleDetailList: out.RoleDetailList,
			Policies: out.Policies, IsTruncated: out.IsTruncated, Marker: out.Marker,
		})
		if err != nil {
			return pages, fmt.Errorf("encoding authorization details page %d: %w", len(pages)+1, err)
		}
		pages = append(pages, raw)
		pr.pages(len(pages))
		if !out.IsTruncated {
			return pages, nil
		}
		marker := aws.ToString(out.Marker)
		switch {
		case marker == "":
			return pages, fmt.Errorf("reading authorization details: page %d says more follow (IsTruncated) but has no Marker", len(pages))
		case seen[marker]:
			return pages, fmt.Errorf("reading authorization details: page %d repeats an earlier Marker; stopping rather than looping", len(pages))
		}
		seen[marker] = true
		in.Marker = out.Marker
	}
}

// parse runs the raw answers through the files' parsers.
func (s *Source) parse(inv *AccountInventory) error {
	acct := inv.AccountID
	rep, err := inventory.ParseCredentialReport(ReportFile(acct), inv.CredentialReport)
	if err != nil {
		return err
	}
	if rep.AccountID != acct {
		return fmt.Errorf("the credential report read for account %s is account %s's: the credentials act in another account", acct, rep.AccountID)
	}
	rep.GeneratedAt = inv.GeneratedAt
	for i := range rep.Users {
		rep.Users[i].ReportGeneratedAt = inv.GeneratedAt
	}
	pages := make([]*inventory.AuthorizationDetails, len(inv.AuthorizationDetailsPages))
	for i, raw := range inv.AuthorizationDetailsPages {
		if pages[i], err = inventory.ParseAuthorizationDetails(fmt.Sprintf("%s (page %d)", DetailsFile(acct), i+1), raw); err != nil {
			return err
		}
	}
	det, err := inventory.MergeAuthorizationDetails(pages...)
	if err != nil {
		return err
	}
	switch det.AccountID {
	case acct:
	case "":
		// An account with no user, group, role or policy of its own (a page
		// of nothing names no account); it is still this account's.
		det.AccountID = acct
	default:
		return fmt.Errorf("the authorization details read for account %s are account %s's: the credentials act in another account", acct, det.AccountID)
	}
	if det.IsTruncated {
		return fmt.Errorf("the authorization details of account %s end on a truncated page", acct)
	}
	det.Name = DetailsFile(acct)
	inv.Report, inv.Details = rep, det
	return nil
}
