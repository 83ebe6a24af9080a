package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/references"
	reflive "github.com/dormant-iam/dormant/pipeline/references/live"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// referencesOutput is what the references stage hands on.
type referencesOutput struct {
	rows      []tables.Reference
	checks    []string
	orphans   []record.Orphan
	unchecked []record.Unchecked
}

func (o referencesOutput) recordTo(rec *RunRecord) {
	rec.ReferenceChecks, rec.Orphans, rec.Unchecked = o.checks, o.orphans, o.unchecked
	rec.Counts.References = len(o.rows)
}

// referenceChecks are the checks this run makes: what the user asked for, or
// every registered check that can run (live AWS access: all; files: those
// that read the authorization details).
func referenceChecks(cfg Config) ([]string, error) {
	if cfg.SkipReferences {
		return nil, nil
	}
	if len(cfg.ReferenceChecks) > 0 {
		for _, n := range cfg.ReferenceChecks {
			if err := checkReferenceCheck(n, cfg.Live()); err != nil {
				return nil, err
			}
		}
		return cfg.ReferenceChecks, nil
	}
	if cfg.Live() {
		return references.KnownChecks(), nil
	}
	return offlineChecks(), nil
}

// offlineChecks are the registered checks that need no AWS access.
func offlineChecks() []string {
	var out []string
	for _, n := range references.KnownChecks() {
		if s, _ := references.LookupCheck(n); !s.Live {
			out = append(out, n)
		}
	}
	return out
}

// isLiveCheck reports whether the named check reads AWS.
func isLiveCheck(n string) bool {
	s, _ := references.LookupCheck(n)
	return s.Live
}

// checkReferenceCheck refuses a name no check registered, and a live check
// in a run on exported files.
func checkReferenceCheck(n string, live bool) error {
	s, ok := references.LookupCheck(n)
	if !ok {
		return fmt.Errorf("--reference-checks %q is not a check; use %s", n, strings.Join(references.KnownChecks(), ","))
	}
	if s.Live && !live {
		return fmt.Errorf("--reference-checks %s reads AWS live; it cannot run on exported files (only %s can)", n, strings.Join(offlineChecks(), ","))
	}
	return nil
}

// runReferences finds who and what still names each user: the policies in
// the authorization details for every user, and, live, resource policies and
// owner tags for the users a first classification would offer for removal.
func runReferences(ctx context.Context, cfg Config, st *staging, sess sessionFunc, checks []string,
	users []tables.User, policies []tables.Policy, act []tables.Activity, cov []tables.Coverage, logFiles []tables.LogFile,
	accessKeys []tables.AccessKey,
) (referencesOutput, error) {
	out := referencesOutput{checks: checks}
	var refs []tables.Reference
	if slices.Contains(checks, references.CheckIAM) {
		var err error
		refs, out.orphans, err = policyReferences(users, policies)
		if err != nil {
			return out, err
		}
	}
	var candidates []tables.User
	candidatesKnown := false
	removal := func() ([]tables.User, error) {
		if candidatesKnown {
			return candidates, nil
		}
		opts, err := classifyOptions(cfg.AsOf, cfg.WindowDays, cfg.DeleteAfterDays, cfg.ExemptTag, cfg.ReportMaxAge, cfg.Allowlist)
		if err != nil {
			return nil, err
		}
		// Users held only for their trails are still checked, for the reviewer.
		opts = withEvidence(opts, logFiles, nil)
		candidates, err = removalCandidates(users, act, cov, opts)
		candidatesKnown = err == nil
		return candidates, err
	}
	if slices.Contains(checks, references.CheckCode) {
		// Only the text search needs the candidates: ownership is matched
		// for every user, without the preliminary classification.
		var cands []tables.User
		if len(cfg.Search) > 0 {
			var err error
			if cands, err = removal(); err != nil {
				return out, err
			}
		}
		res, unchecked, err := codeReferences(ctx, cfg, sess, users, act, accessKeys, cands)
		if err != nil {
			return out, err
		}
		refs = append(refs, res...)
		out.unchecked = append(out.unchecked, unchecked...)
	}
	liveChecks := slices.DeleteFunc(slices.Clone(checks), func(n string) bool { return !isLiveCheck(n) })
	if len(liveChecks) > 0 {
		candidates, err := removal()
		if err != nil {
			return out, err
		}
		res, err := liveReferences(ctx, cfg, sess, users, policies, candidates, liveChecks)
		if err != nil {
			return out, fmt.Errorf("checking references live: %w", err)
		}
		refs = append(refs, res.References...)
		for _, u := range res.Unchecked {
			out.unchecked = append(out.unchecked, record.Unchecked{AccountID: u.AccountID, Kind: u.Kind, ResourceARN: u.ResourceARN, Region: u.Region, Error: u.Error})
		}
		out.orphans = append(out.orphans, res.Orphans...)
	}
	references.SortReferences(refs)
	references.SortOrphans(out.orphans)
	if n := len(out.orphans); n > 0 {
		cfg.Logger.Warn("policies name unique IDs of users that no longer exist (broken references left by earlier deletions); see orphans in run.json", "count", n)
	}
	out.rows = refs
	return out, tables.WriteParquet(st.path(ReferenceTable), refs)
}

// policyReferences are the references in the authorization details' policies
// and the orphaned unique IDs there; verify recomputes them with it too.
func policyReferences(users []tables.User, policies []tables.Policy) ([]tables.Reference, []record.Orphan, error) {
	// Two independent passes over the policies: one per core.
	var orphans []record.Orphan
	var wg sync.WaitGroup
	wg.Go(func() { orphans = references.Orphans(users, policies) })
	refs, err := references.Scan(users, policies)
	wg.Wait()
	return refs, orphans, err
}

// removalCandidates are the users a classification without references would
// offer for removal: the only ones whose accounts the live checks call.
func removalCandidates(users []tables.User, act []tables.Activity, cov []tables.Coverage, opts findings.Options) ([]tables.User, error) {
	prelim, err := findings.Classify(users, act, cov, nil, opts)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range prelim {
		// A deactivated user, due for deletion or not, is searched for too.
		if f.Status == tables.StatusInactive || f.Status == tables.StatusNeverUsed || f.Status == tables.StatusDeactivated || f.Decision == tables.DecisionDelete {
			want[f.AccountID+"/"+f.ARN] = true
		}
	}
	var out []tables.User
	for _, u := range users {
		if want[u.AccountID+"/"+u.ARN] {
			out = append(out, u)
		}
	}
	return out, nil
}

// codeReferences runs the code check: the search over cfg.Search for the
// candidates, and the IaC ownership of every user. S3 paths are read with
// the run's AWS credentials.
func codeReferences(ctx context.Context, cfg Config, sess sessionFunc, users []tables.User, act []tables.Activity,
	keys []tables.AccessKey, candidates []tables.User,
) ([]tables.Reference, []record.Unchecked, error) {
	c := &references.CodeChecker{
		Roots: cfg.Search, History: cfg.SearchHistory, TerraformState: cfg.TerraformState,
		Users: users, Activity: act, AccessKeys: keys, Logger: cfg.Logger,
	}
	if slices.ContainsFunc(append(slices.Clone(cfg.Search), cfg.TerraformState...), func(p string) bool { return strings.HasPrefix(p, "s3://") }) {
		s, err := sess(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("reading s3:// paths of --search or --terraform-state: %w", err)
		}
		c.S3 = s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.UsePathStyle = cfg.EndpointURL != "" })
	}
	refs, unchecked, err := c.Check(ctx, candidates)
	if err != nil {
		return nil, nil, fmt.Errorf("running the %s reference check: %w", references.CheckCode, err)
	}
	return refs, unchecked, nil
}

// liveReferences runs the live reference checks for the candidates: only
// their accounts are called.
func liveReferences(ctx context.Context, cfg Config, sessions sessionFunc, users []tables.User, policies []tables.Policy, candidates []tables.User, names []string) (references.Result, error) {
	sess, err := sessions(ctx)
	if err != nil {
		return references.Result{}, err
	}
	clients := &reflive.Clients{Config: sess.cfg, Credentials: sess.credentials(cfg.RoleName, cfg.ExternalID), S3UsePathStyle: cfg.EndpointURL != ""}
	regions := cfg.Regions
	if len(regions) == 0 {
		regions = DefaultRegions
	}
	avail := append([]references.Checker{references.PolicyChecker{Policies: policies}},
		reflive.Checkers(clients, reflive.Options{
			Regions: reflive.StaticRegions(regions...), Inventory: users,
			OwnerTagKeys: cfg.OwnerTags, Logger: cfg.Logger,
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

// loadReferences reads back a reused references stage.
func loadReferences(ctx context.Context, dir string, prev *RunRecord) (referencesOutput, error) {
	out := referencesOutput{checks: prev.ReferenceChecks, orphans: prev.Orphans, unchecked: prev.Unchecked}
	var err error
	out.rows, err = tables.ReadParquet[tables.Reference](joinRel(dir, ReferenceTable))
	return out, err
}
