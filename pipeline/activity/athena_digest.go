package activity

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"golang.org/x/sync/errgroup"

	"github.com/dormant-iam/dormant/tables"
)

// The Athena engine's digest evidence. Athena reads the log files itself,
// so dormant cannot hash them; what it can check, from the trail bucket the
// table's LOCATION names, is everything else the local engine checks: the
// digests of the same days (listed and read from S3, with their signature
// metadata), their chain and signatures, and that every log file a digest
// lists still exists (by listing the day folders). Those files are
// tables.VerificationExists: listed, present, not hashed.

// DigestNoteAthena is the line the reports print for an Athena run whose
// digests' signatures were checked.
const DigestNoteAthena = "Digest file signatures were checked against CloudTrail's public keys (ListPublicKeys) and the digest chain was checked, from the trail bucket the Athena table reads; " +
	"each log file a digest lists was checked to exist in S3; the log files' contents were not hashed (Athena read them, dormant did not), so a log file changed in place would not be detected."

// DigestNoteAthenaUnsigned is the line for an Athena run given no
// CloudTrail client to list the public keys with.
const DigestNoteAthenaUnsigned = "Digest file signatures were not checked (the run had no CloudTrail client for ListPublicKeys); the digest chain was checked, from the trail bucket the Athena table reads; " +
	"each log file a digest lists was checked to exist in S3; the log files' contents were not hashed (Athena read them, dormant did not), so a log file changed in place would not be detected."

// trailScope is the part of a trail bucket an Athena table reads, from its
// LOCATION: s3://<bucket>/<prefix>AWSLogs/[o-id/][account/CloudTrail/[region/]].
type trailScope struct {
	bucket, prefix  string // prefix ends in AWSLogs/
	account, region string // "" when the location does not narrow to one
}

// trailScopeFromMetadata reads the trail bucket and AWSLogs prefix from
// GetTableMetadata's answer: the "location" parameter (the table's
// LOCATION), or else the text of storage.location.template before its
// first ${...}.
func trailScopeFromMetadata(md *athenatypes.TableMetadata) (trailScope, error) {
	params := map[string]string{}
	for k, v := range md.Parameters {
		params[strings.ToLower(k)] = v
	}
	loc, from := params["location"], "location"
	if loc == "" {
		loc, _, _ = strings.Cut(params["storage.location.template"], "${")
		from = "storage.location.template"
	}
	if loc == "" {
		return trailScope{}, fmt.Errorf("the table's metadata has neither a location nor a storage.location.template parameter")
	}
	bucket, key, err := parseS3URI(loc)
	if err != nil {
		return trailScope{}, fmt.Errorf("the table's %s: %w", from, err)
	}
	key = strings.TrimPrefix(key, "/")
	var rest string
	switch i := strings.Index("/"+key+"/", "/AWSLogs/"); {
	case i < 0:
		return trailScope{}, fmt.Errorf("the table's %s %q has no AWSLogs/ folder, so it is not a trail bucket's layout", from, loc)
	default:
		rest = strings.TrimPrefix((key + "/")[i:], "AWSLogs/")
		key = key[:i] + "AWSLogs/"
	}
	s := trailScope{bucket: bucket, prefix: key}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		parts = parts[1:] // an organization trail's level
	}
	if len(parts) > 0 && isAccountID(parts[0]) {
		s.account = parts[0]
		if len(parts) > 2 && parts[1] == "CloudTrail" && parts[2] != "" {
			s.region = parts[2]
		}
	}
	return s, nil
}

// athenaDigests is a digest check running beside the Athena query.
type athenaDigests struct {
	cancel context.CancelFunc
	done   chan struct{}
	rows   []tables.LogFile
	rep    *DigestReport
	err    error
}

// startDigests starts the digest check for q; its answer is added to the
// query's result by add, and stop abandons it.
func (a *Athena) startDigests(ctx context.Context, q Query) *athenaDigests {
	ctx, cancel := context.WithCancel(ctx)
	c := &athenaDigests{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.rows, c.rep, c.err = a.checkTrailDigests(ctx, q)
	}()
	return c
}

// add waits for the check and puts its rows and report in res.
func (c *athenaDigests) add(res *Result) error {
	<-c.done
	if c.err != nil {
		return c.err
	}
	res.LogFiles, res.Digests = c.rows, c.rep
	return nil
}

// stop cancels the check and waits for it (its temporary folder is removed).
func (c *athenaDigests) stop() {
	c.cancel()
	<-c.done
}

// checkTrailDigests checks the digests of the trail bucket the table reads,
// for the days q reads. It returns no rows and no report (coverage is then
// assumed, as for a trail without digests) when the bucket cannot be known
// or listed with the engine's client, saying why in the log; an S3 or
// CloudTrail error while checking is an error.
func (a *Athena) checkTrailDigests(ctx context.Context, q Query) ([]tables.LogFile, *DigestReport, error) {
	client, ok := a.s3.(S3SyncAPI)
	if !ok || a.s3 == nil {
		a.log.Warn("CloudTrail digests not checked: the Athena engine has no S3 client that can list the trail bucket; coverage is assumed, not proven")
		return nil, nil, nil
	}
	in := &athena.GetTableMetadataInput{
		CatalogName: aws.String(a.opts.Catalog), DatabaseName: aws.String(a.opts.Database), TableName: aws.String(a.opts.Table),
	}
	if a.opts.Workgroup != "" {
		in.WorkGroup = aws.String(a.opts.Workgroup)
	}
	md, err := a.client.GetTableMetadata(ctx, in)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the location of Athena table %s.%s.%s to check the trail's digests: %w (check the glue:GetTable permission)",
			a.opts.Catalog, a.opts.Database, a.opts.Table, err)
	}
	if md.TableMetadata == nil {
		return nil, nil, fmt.Errorf("reading the location of Athena table %s.%s: the answer holds no table", a.opts.Database, a.opts.Table)
	}
	scope, err := trailScopeFromMetadata(md.TableMetadata)
	if err != nil {
		a.log.Warn("CloudTrail digests not checked: the trail bucket is not known from the Athena table; coverage is assumed, not proven",
			"table", a.opts.Database+"."+a.opts.Table, "err", err)
		return nil, nil, nil
	}
	dq := q
	if scope.account != "" {
		if len(q.Accounts) > 0 && !slices.Contains(q.Accounts, scope.account) {
			return nil, nil, nil // the table reads no account in scope
		}
		dq.Accounts = []string{scope.account}
	}
	return checkS3Digests(ctx, client, scope, dq, a.opts.PublicKeys, a.log)
}

// checkS3Digests copies the digests of q's days (and the day after) from the
// scope's bucket into a temporary folder, with their signature metadata,
// lists the log files of q's days, and checks them as the local engine does
// (checkDigests) with no hashes: a listed file that exists is
// VerificationExists, one that does not is missing. Paths in the rows and
// issues are S3 URIs. keys nil leaves the signatures unchecked.
func checkS3Digests(ctx context.Context, client S3SyncAPI, scope trailScope, q Query, keys PublicKeysAPI, log *slog.Logger) ([]tables.LogFile, *DigestReport, error) {
	started := time.Now()
	tmp, err := os.MkdirTemp("", "dormant-athena-digests-")
	if err != nil {
		return nil, nil, fmt.Errorf("creating a temporary folder for the trail's digests: %w", err)
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, "s3", scope.bucket)
	s := &syncer{
		client: client, bucket: scope.bucket, prefix: scope.prefix, q: q, conc: 16, log: log, maxSize: DefaultMaxLogFileSize,
		res: &SyncResult{Root: filepath.Join(local, filepath.FromSlash(scope.prefix)), etags: map[string]string{}},
	}
	s.downloads = make(chan struct{}, s.conc)
	regions, digestRegions, err := s.regionPrefixes(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing the trail bucket the Athena table reads for its digests: %w", err)
	}
	if scope.region != "" {
		inRegion := func(p string) bool { return !strings.HasSuffix(p, "/"+scope.region+"/") }
		regions, digestRegions = slices.DeleteFunc(regions, inRegion), slices.DeleteFunc(digestRegions, inRegion)
	}
	uri := "s3://" + scope.bucket + "/"
	if len(digestRegions) == 0 {
		log.Info("no CloudTrail digests in the trail bucket the Athena table reads: coverage assumed, not proven", "source", uri+scope.prefix)
		return nil, nil, nil
	}

	var (
		mu   sync.Mutex
		rows []tables.LogFile
	)
	first, last := q.ReadDays()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.conc)
	for _, r := range digestRegions {
		for d := first; !d.After(last.AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
			dayPrefix := r + d.Format("2006/01/02") + "/"
			g.Go(func() error { return s.syncDay(gctx, dayPrefix, true) })
		}
	}
	for _, r := range regions {
		account, region, ok := regionOf(strings.TrimPrefix(r, scope.prefix))
		if !ok {
			continue
		}
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			dayPrefix := r + d.Format("2006/01/02") + "/"
			g.Go(func() error {
				_, objects, err := s.list(gctx, dayPrefix, false)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				for _, o := range objects {
					if isLogFileName(strings.TrimPrefix(o.key, dayPrefix)) {
						rows = append(rows, tables.LogFile{AccountID: account, Region: region, Path: uri + o.key, Size: o.size, Kind: tables.LogFileKindLog})
					}
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("checking the trail's digests in %s: %w", uri+scope.prefix, context.Cause(ctx))
		}
		return nil, nil, fmt.Errorf("checking the trail's digests in %s: %w", uri+scope.prefix, err)
	}
	var sigs *signatureChecker
	if keys != nil {
		sigs = &signatureChecker{api: keys}
	}
	all, err := loadDigests(ctx, s.res.Root, q, sigs)
	if err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		log.Info("no CloudTrail digests for the window's days in the trail bucket the Athena table reads: coverage assumed, not proven", "source", uri+scope.prefix)
		return nil, nil, nil
	}
	rows, rep := checkDigests(all, q, rows)

	// The digests' copies are temporary: every path the run reports is the
	// object's S3 URI.
	toURI := func(p string) string {
		return strings.ReplaceAll(filepath.ToSlash(p), filepath.ToSlash(local)+"/", uri)
	}
	for i := range rows {
		r := &rows[i]
		r.Path, r.Digest = toURI(r.Path), toURI(r.Digest)
		if r.Verification == tables.VerificationUnhashed {
			r.Verification = tables.VerificationExists
		}
	}
	for i := range rep.Issues {
		rep.Issues[i].Path, rep.Issues[i].Detail = toURI(rep.Issues[i].Path), toURI(rep.Issues[i].Detail)
	}
	rep.note = DigestNoteAthenaUnsigned
	if rep.SignaturesChecked {
		rep.note = DigestNoteAthena
	}
	log.Info("checked the trail's CloudTrail digests for the Athena run", "source", uri+scope.prefix, "digests", len(all),
		"regions", len(rep.Regions), "issues", len(rep.Issues), "seconds", time.Since(started).Seconds(), "note", rep.Note())
	for _, i := range rep.Issues {
		log.Warn("CloudTrail digests show a problem", "account", i.AccountID, "region", i.Region, "trail", i.Trail,
			"problem", i.Kind, "from", i.Start, "to", i.End, "path", i.Path, "detail", i.Detail)
	}
	return rows, rep, nil
}

// regionOf reads the account and region from a CloudTrail/<region>/ prefix
// below AWSLogs/ ([o-id/]<account>/CloudTrail/<region>/).
func regionOf(rel string) (account, region string, ok bool) {
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		parts = parts[1:]
	}
	if len(parts) != 3 || !isAccountID(parts[0]) || parts[1] != "CloudTrail" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}
