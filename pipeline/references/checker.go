package references

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// Checker is one source of references: the authorization details
// (PolicyChecker), or a live service (S3 bucket policies and ACLs, KMS key
// policies, SNS, SQS, Secrets Manager, ECR, Lambda, tagged ownership).
//
// Check returns the references it found to any of the candidates, and what it
// could not read (a bucket whose policy is denied, a region that failed) as
// unchecked, never as silently clean. An error means the check as a whole
// could not run; Run then fails, because a candidate whose references are
// unknown must not be offered for removal.
type Checker interface {
	// Name is the check's name as --reference-checks spells it: one of KnownChecks.
	Name() string
	Check(ctx context.Context, candidates []tables.User) (refs []tables.Reference, unchecked []Unchecked, err error)
}

// OrphanReporter is a Checker that also finds orphaned unique IDs in the
// documents it reads (the live resource-policy checks). Orphans returns those
// found by the checker's last Check; Run collects them into Result.Orphans.
type OrphanReporter interface {
	Orphans() []Orphan
}

// Unchecked is a resource a checker could not read (package record holds
// the run's vocabulary).
type Unchecked = record.Unchecked

// Names of the reference checks, in the order reports list them.
const (
	CheckIAM            = "iam"
	CheckS3             = "s3"
	CheckKMS            = "kms"
	CheckSNS            = "sns"
	CheckSQS            = "sqs"
	CheckSecretsManager = "secretsmanager"
	CheckECR            = "ecr"
	CheckLambda         = "lambda"
	CheckTagging        = "tagging"
)

// Select picks the checkers named in names (all available ones when names is
// empty), in KnownChecks order. A name that is no known check is an error; a
// known check with no available checker (a live check in an offline run) is
// returned in missing, so that reports can say it did not run.
func Select(available []Checker, names []string) (selected []Checker, missing []string, err error) {
	byName := map[string]Checker{}
	for _, c := range available {
		byName[c.Name()] = c
	}
	want := map[string]bool{}
	if len(names) == 0 {
		for _, c := range available {
			want[c.Name()] = true
		}
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if _, ok := LookupCheck(n); !ok {
			return nil, nil, fmt.Errorf("selecting reference checks: unknown check %q; choose from %s", n, strings.Join(KnownChecks(), ", "))
		}
		want[n] = true
	}
	for _, n := range KnownChecks() {
		if !want[n] {
			continue
		}
		if c, ok := byName[n]; ok {
			selected = append(selected, c)
		} else {
			missing = append(missing, n)
		}
	}
	return selected, missing, nil
}

// Result is what a set of checks found.
type Result struct {
	References []tables.Reference // sorted as SortReferences does
	Unchecked  []Unchecked        // sorted by account, kind, resource, region
	Checks     []string           // the checks that ran, in the order given
	// Orphans are the orphaned unique IDs the checks that are OrphanReporters
	// found, sorted as SortOrphans does. Orphans over the authorization
	// details are not among them: PolicyChecker does not report them.
	Orphans []Orphan
}

// Run runs the checkers concurrently over the candidates and merges what they
// find. The first checker to fail cancels the others, and Run returns every
// failure, each naming its check.
func Run(ctx context.Context, candidates []tables.User, checkers ...Checker) (Result, error) {
	seen := map[string]bool{}
	for _, c := range checkers {
		if seen[c.Name()] {
			return Result{}, fmt.Errorf("running reference checks: check %q given twice", c.Name())
		}
		seen[c.Name()] = true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type outcome struct {
		refs      []tables.Reference
		unchecked []Unchecked
		err       error
	}
	outcomes := make([]outcome, len(checkers))
	var wg sync.WaitGroup
	for i, c := range checkers {
		wg.Go(func() {
			refs, unchecked, err := c.Check(ctx, candidates)
			if err != nil {
				err = fmt.Errorf("running the %s reference check: %w", c.Name(), err)
				cancel()
			}
			outcomes[i] = outcome{refs, unchecked, err}
		})
	}
	wg.Wait()

	var res Result
	var errs, cancelled []error
	for i, o := range outcomes {
		switch {
		case o.err == nil:
			res.References = append(res.References, o.refs...)
			res.Unchecked = append(res.Unchecked, o.unchecked...)
			res.Checks = append(res.Checks, checkers[i].Name())
			if r, ok := checkers[i].(OrphanReporter); ok {
				res.Orphans = append(res.Orphans, r.Orphans()...)
			}
		case errors.Is(o.err, context.Canceled):
			cancelled = append(cancelled, o.err)
		default:
			errs = append(errs, o.err)
		}
	}
	// Checks cancelled because another failed add nothing worth reading; when
	// the caller cancelled, those are all there is.
	if len(errs) == 0 {
		errs = cancelled
	}
	if len(errs) > 0 {
		return Result{}, errors.Join(errs...)
	}
	SortReferences(res.References)
	res.References = slices.Compact(res.References)
	SortOrphans(res.Orphans)
	res.Orphans = slices.Compact(res.Orphans)
	slices.SortFunc(res.Unchecked, func(a, b Unchecked) int {
		return cmp.Or(
			strings.Compare(a.AccountID, b.AccountID),
			strings.Compare(a.Kind, b.Kind),
			strings.Compare(a.ResourceARN, b.ResourceARN),
			strings.Compare(a.Region, b.Region),
			strings.Compare(a.Error, b.Error),
		)
	})
	return res, nil
}

// PolicyChecker is the iam check: the policy documents of the authorization
// details, offline or as the live inventory fetched them.
type PolicyChecker struct {
	Policies []tables.Policy
}

// Name returns CheckIAM.
func (PolicyChecker) Name() string { return CheckIAM }

// Check runs Scan over the candidates. It reads nothing remote, so it has
// nothing unchecked.
func (c PolicyChecker) Check(ctx context.Context, candidates []tables.User) ([]tables.Reference, []Unchecked, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	refs, err := Scan(candidates, c.Policies)
	return refs, nil, err
}
