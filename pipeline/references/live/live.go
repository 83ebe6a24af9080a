package live

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/smithy-go"

	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/tables"
)

// Reference kinds the live checks write, as Reference.Kind, Unchecked.Kind
// and Orphan.Kind spell them.
const (
	KindS3Policy       = "s3 bucket policy"
	KindS3ACL          = "s3 bucket acl"
	KindKMSPolicy      = "kms key policy"
	KindSNSPolicy      = "sns topic policy"
	KindSQSPolicy      = "sqs queue policy"
	KindSecretPolicy   = "secretsmanager secret policy"
	KindECRPolicy      = "ecr repository policy"
	KindLambdaPolicy   = "lambda function policy"
	KindTaggedResource = "tagged resource"
)

// DefaultOwnerTagKeys are the tag keys that name a resource's owner when
// Options.OwnerTagKeys is empty.
var DefaultOwnerTagKeys = []string{"Owner", "owner", "CreatedBy", "created-by"}

// DefaultConcurrency is how many calls are in flight at once when
// Options.Concurrency is not set.
const DefaultConcurrency = 16

// ClientFunc makes a service's client for one account and region. The
// checks call it once per account and region (and per bucket region for
// S3); Clients' methods are ClientFuncs that cache what they make.
type ClientFunc[C any] func(ctx context.Context, accountID, region string) (C, error)

// RegionsFunc returns the regions to check in an account: those enabled in
// it.
type RegionsFunc func(ctx context.Context, accountID string) ([]string, error)

// StaticRegions checks the same regions in every account.
func StaticRegions(regions ...string) RegionsFunc {
	regions = slices.Clone(regions)
	return func(context.Context, string) ([]string, error) { return regions, nil }
}

// Options are what every live check shares.
type Options struct {
	// Regions gives each account's enabled regions. Required.
	Regions RegionsFunc
	// Inventory is every user the inventory holds, candidates or not: a
	// unique ID in a resource policy that belongs to none of them is an
	// orphan. Nil: orphans are not reported.
	Inventory []tables.User
	// Concurrency bounds the calls a check has in flight at once, across
	// all accounts and regions (default DefaultConcurrency). The checks
	// Checkers returns share one bound, so that running them together with
	// references.Run stays within it.
	Concurrency int
	// OwnerTagKeys are the tag keys the tagging check reads (default
	// DefaultOwnerTagKeys).
	OwnerTagKeys []string
	// Logger receives progress at debug level and a summary at info
	// (default slog.Default()).
	Logger *slog.Logger
}

// Checker is one live check. It is a references.Checker and a
// references.OrphanReporter. Check may be called again; Orphans returns what
// the last Check found.
type Checker struct {
	name  string
	kinds []string // the kinds a failure of a whole account or region leaves unchecked
	// global checks (S3) run once per account, in its first region.
	global bool
	// scope is the ARN pattern naming everything the check reads in an
	// account and region ("*" when the region is unknown).
	scope func(u unit) string
	scan  func(ctx context.Context, r *run, u unit)
	opts  Options
	sem   chan struct{} // one slot per call in flight; may be shared

	mu      sync.Mutex
	orphans []references.Orphan
}

// unit is one account and region to scan.
type unit struct {
	account, region, partition string
}

// Name returns the check's name, one of references.KnownChecks.
func (c *Checker) Name() string { return c.name }

// Orphans returns the orphaned unique IDs the last Check found, sorted by
// references.SortOrphans.
func (c *Checker) Orphans() []references.Orphan {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.orphans)
}

// Check reads the candidates' accounts and returns the references to the
// candidates it found and what it could not read. Only cancellation (or
// candidates or options it cannot work with) is an error.
func (c *Checker) Check(ctx context.Context, candidates []tables.User) ([]tables.Reference, []references.Unchecked, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	c.orphans = nil
	c.mu.Unlock()
	if c.opts.Regions == nil {
		return nil, nil, fmt.Errorf("running the %s reference check: no region source given; set live.Options.Regions", c.name)
	}
	r, err := newRun(c, candidates)
	if err != nil {
		return nil, nil, fmt.Errorf("running the %s reference check: %w", c.name, err)
	}
	var wg sync.WaitGroup
	for _, acct := range slices.Sorted(maps.Keys(r.partitions)) {
		wg.Go(func() { c.account(ctx, r, acct) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("running the %s reference check: %w", c.name, err)
	}

	references.SortReferences(r.refs)
	r.refs = slices.Compact(r.refs)
	sortUnchecked(r.unchecked)
	r.unchecked = slices.Compact(r.unchecked)
	references.SortOrphans(r.orphans)
	r.orphans = slices.Compact(r.orphans)
	c.mu.Lock()
	c.orphans = r.orphans
	c.mu.Unlock()
	r.log.Info("live reference check done", "check", c.name, "accounts", len(r.partitions),
		"references", len(r.refs), "unchecked", len(r.unchecked), "orphans", len(r.orphans))
	return r.refs, r.unchecked, nil
}

// account scans one account: every region, or for a global check the first.
func (c *Checker) account(ctx context.Context, r *run, acct string) {
	u := unit{account: acct, partition: r.partitions[acct]}
	regions, err := c.opts.Regions(ctx, acct)
	if err == nil && len(regions) == 0 {
		err = errors.New("no regions")
	}
	if err != nil {
		if ctx.Err() == nil {
			u.region = "*"
			r.uncheckAll(c, u, "", fmt.Sprintf("listing the enabled regions of account %s: %v", acct, err))
		}
		return
	}
	if c.global {
		regions = regions[:1]
	}
	var wg sync.WaitGroup
	for _, region := range regions {
		u := u
		u.region = region
		wg.Go(func() {
			r.log.Debug("live reference check: scanning", "check", c.name, "account", acct, "region", region)
			c.scan(ctx, r, u)
		})
	}
	wg.Wait()
}

// run is one Check's state: the matcher, the call limit and what was found.
type run struct {
	c       *Checker
	matcher *references.Matcher
	known   map[string]bool // existing users' unique IDs; nil: no orphans
	// byLiteral finds candidates by exact ARN or unique ID; byName by
	// account and lower-cased name (tags, ACL values).
	byLiteral  map[string][]*tables.User
	byName     map[[2]string][]*tables.User
	partitions map[string]string // candidate account -> ARN partition
	sem        chan struct{}
	workers    int
	log        *slog.Logger

	mu        sync.Mutex
	refs      []tables.Reference
	unchecked []references.Unchecked
	orphans   []references.Orphan
}

func newRun(c *Checker, candidates []tables.User) (*run, error) {
	m, err := references.NewMatcher(candidates)
	if err != nil {
		return nil, err
	}
	r := &run{
		c: c, matcher: m,
		byLiteral:  map[string][]*tables.User{},
		byName:     map[[2]string][]*tables.User{},
		partitions: map[string]string{},
		sem:        c.sem,
		workers:    cap(c.sem),
		log:        c.opts.Logger,
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if c.opts.Inventory != nil {
		r.known = references.KnownUserIDs(c.opts.Inventory)
	}
	for i := range candidates {
		u := &candidates[i]
		if u.IsRoot {
			continue
		}
		// NewMatcher has checked the ARN: arn:PARTITION:iam::ACCOUNT:user/...
		f := strings.SplitN(u.ARN, ":", 6)
		r.partitions[f[4]] = f[1]
		r.byLiteral[u.ARN] = append(r.byLiteral[u.ARN], u)
		if u.UserID != "" {
			r.byLiteral[u.UserID] = append(r.byLiteral[u.UserID], u)
		}
		k := [2]string{f[4], strings.ToLower(u.UserName)}
		r.byName[k] = append(r.byName[k], u)
	}
	return r, nil
}

// call runs one API call within the concurrency limit.
func (r *run) call(ctx context.Context, fn func(context.Context) error) error {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.sem }()
	return fn(ctx)
}

// pages calls next while more pages remain, each within the limit.
func (r *run) pages(ctx context.Context, more func() bool, next func(context.Context) error) error {
	for more() {
		if err := r.call(ctx, next); err != nil {
			return err
		}
	}
	return nil
}

// forEach runs fn over items with up to the concurrency limit of workers;
// the calls fn makes still take their turn within the limit.
func forEach[T any](ctx context.Context, r *run, items []T, fn func(context.Context, T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range min(r.workers, len(items)) {
		wg.Go(func() {
			for it := range ch {
				fn(ctx, it)
			}
		})
	}
feed:
	for _, it := range items {
		select {
		case ch <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
}

// policy matches one resource policy and looks for orphans in it. A
// document that cannot be parsed is unchecked, not clean.
func (r *run) policy(p references.ResourcePolicy) {
	refs, err := r.matcher.ScanPolicy(p)
	if err != nil {
		r.uncheck(p.AccountID, p.Kind, p.ResourceARN, p.Region, err.Error())
		return
	}
	var orphans []references.Orphan
	if r.known != nil {
		if orphans, err = references.PolicyOrphans(p, r.known); err != nil {
			r.uncheck(p.AccountID, p.Kind, p.ResourceARN, p.Region, err.Error())
			return
		}
	}
	r.mu.Lock()
	r.refs = append(r.refs, refs...)
	r.orphans = append(r.orphans, orphans...)
	r.mu.Unlock()
}

// reference records that value, found at location in a resource, names u.
func (r *run) reference(u *tables.User, kind, resourceARN, region, location, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs = append(r.refs, tables.Reference{
		AccountID: u.AccountID, UserName: u.UserName, UserID: u.UserID, UserARN: u.ARN,
		Kind: kind, ResourceARN: resourceARN, Region: region, Location: location, Match: value,
	})
}

func (r *run) uncheck(account, kind, resourceARN, region, msg string) {
	r.log.Debug("live reference check: not read", "account", account, "kind", kind, "resource", resourceARN, "region", region, "error", msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unchecked = append(r.unchecked, references.Unchecked{AccountID: account, Kind: kind, ResourceARN: resourceARN, Region: region, Error: msg})
}

// uncheckAll records that nothing of the check's kinds in u could be read.
// region is what the rows say ("" for S3, whose scope is global).
func (r *run) uncheckAll(c *Checker, u unit, region, msg string) {
	if region == "" && !c.global {
		region = u.region
	}
	for _, k := range c.kinds {
		r.uncheck(u.account, k, c.scope(u), region, msg)
	}
}

// failed handles an error from a call: cancellation is left to Check (which
// returns it); anything else is described for an Unchecked row.
func failed(ctx context.Context, err error) (msg string, record bool) {
	if ctx.Err() != nil {
		return "", false
	}
	return describe(err), true
}

// describe renders an SDK error as "Operation: Code: message", without the
// request IDs and URLs that make the SDK's own text long and unstable.
func describe(err error) string {
	var op *smithy.OperationError
	var ae smithy.APIError
	prefix := ""
	if errors.As(err, &op) {
		prefix = op.Operation() + ": "
	}
	if errors.As(err, &ae) {
		return prefix + ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// errorCode returns the API error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func sortUnchecked(u []references.Unchecked) {
	slices.SortFunc(u, func(a, b references.Unchecked) int {
		return cmp.Or(
			strings.Compare(a.AccountID, b.AccountID),
			strings.Compare(a.Kind, b.Kind),
			strings.Compare(a.ResourceARN, b.ResourceARN),
			strings.Compare(a.Region, b.Region),
			strings.Compare(a.Error, b.Error),
		)
	})
}

// newChecker fills what every check has.
func newChecker(c *Checker) *Checker {
	c.sem = make(chan struct{}, concurrency(c.opts))
	return c
}

func concurrency(o Options) int {
	if o.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}

// regional builds a Checker for a regional service: scan gets a client for
// the unit's account and region, or the unit is unchecked.
func regional[C any](name, kind string, clients ClientFunc[C], opts Options, scope func(u unit) string,
	scan func(ctx context.Context, r *run, u unit, client C)) *Checker {
	c := newChecker(&Checker{name: name, kinds: []string{kind}, scope: scope, opts: opts})
	c.scan = func(ctx context.Context, r *run, u unit) {
		client, err := clients(ctx, u.account, u.region)
		if err != nil {
			if msg, ok := failed(ctx, err); ok {
				r.uncheckAll(c, u, "", fmt.Sprintf("creating the %s client for account %s in %s: %s", name, u.account, u.region, msg))
			}
			return
		}
		scan(ctx, r, u, client)
	}
	return c
}

// listFailed records a failed list call: what was listed before it is still
// read, and the rest of the region is unchecked.
func (r *run) listFailed(ctx context.Context, u unit, err error) {
	if msg, ok := failed(ctx, err); ok {
		r.uncheckAll(r.c, u, "", msg)
	}
}

// readPolicies reads each item's policy and matches it. get returns the
// document ("" when the resource has none); absent says an error means no
// policy, or a resource deleted since it was listed.
func readPolicies[T any](ctx context.Context, r *run, u unit, kind string, items []T,
	arn func(T) string, get func(context.Context, T) (string, error), absent func(error) bool) {
	forEach(ctx, r, items, func(ctx context.Context, it T) {
		var doc string
		err := r.call(ctx, func(ctx context.Context) error {
			var err error
			doc, err = get(ctx, it)
			return err
		})
		switch {
		case err != nil && absent(err):
			return
		case err != nil:
			if msg, ok := failed(ctx, err); ok {
				r.uncheck(u.account, kind, arn(it), u.region, msg)
			}
			return
		case doc == "":
			return
		}
		r.policy(references.ResourcePolicy{AccountID: u.account, Kind: kind, ResourceARN: arn(it), Region: u.region, Document: doc})
	})
}

var (
	_ references.Checker        = (*Checker)(nil)
	_ references.OrphanReporter = (*Checker)(nil)
)
