package athena

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/tables"
)

// The Athena engine's digest evidence. Athena reads the log files itself,
// so dormant cannot hash them; what it can check, from the trail bucket the
// table's LOCATION names, is everything else the local engine checks: the
// digests of the same days (listed and read from S3, with their signature
// metadata), their chain and signatures, and that every log file a digest
// lists still exists (by listing the day folders). Those files are
// tables.VerificationExists: listed, present, not hashed.

// trailScopeFromMetadata reads the trail bucket and AWSLogs prefix from
// GetTableMetadata's answer: the "location" parameter (the table's
// LOCATION), or else the text of storage.location.template before its
// first ${...}.
func trailScopeFromMetadata(md *athenatypes.TableMetadata) (local.TrailScope, error) {
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
		return local.TrailScope{}, fmt.Errorf("the table's metadata has neither a location nor a storage.location.template parameter")
	}
	bucket, key, err := activity.ParseS3URI(loc)
	if err != nil {
		return local.TrailScope{}, fmt.Errorf("the table's %s: %w", from, err)
	}
	key = strings.TrimPrefix(key, "/")
	var rest string
	switch i := strings.Index("/"+key+"/", "/AWSLogs/"); {
	case i < 0:
		return local.TrailScope{}, fmt.Errorf("the table's %s %q has no AWSLogs/ folder, so it is not a trail bucket's layout", from, loc)
	default:
		rest = strings.TrimPrefix((key + "/")[i:], "AWSLogs/")
		key = key[:i] + "AWSLogs/"
	}
	s := local.TrailScope{Bucket: bucket, Prefix: key}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		parts = parts[1:] // an organization trail's level
	}
	if len(parts) > 0 && activity.IsAccountID(parts[0]) {
		s.Account = parts[0]
		if len(parts) > 2 && parts[1] == "CloudTrail" && parts[2] != "" {
			s.Region = parts[2]
		}
	}
	return s, nil
}

// athenaDigests is a digest check running beside the Athena query.
type athenaDigests struct {
	cancel context.CancelFunc
	done   chan struct{}
	rows   []tables.LogFile
	rep    *activity.DigestReport
	err    error
}

// startDigests starts the digest check for q; its answer is added to the
// query's result by add, and stop abandons it.
func (a *Athena) startDigests(ctx context.Context, q activity.Query) *athenaDigests {
	ctx, cancel := context.WithCancel(ctx)
	c := &athenaDigests{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.rows, c.rep, c.err = a.checkTrailDigests(ctx, q)
	}()
	return c
}

// add waits for the check and puts its rows and report in res.
func (c *athenaDigests) add(res *activity.Result) error {
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
func (a *Athena) checkTrailDigests(ctx context.Context, q activity.Query) ([]tables.LogFile, *activity.DigestReport, error) {
	client, ok := a.s3.(local.S3SyncAPI)
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
	if scope.Account != "" {
		if len(q.Accounts) > 0 && !slices.Contains(q.Accounts, scope.Account) {
			return nil, nil, nil // the table reads no account in scope
		}
		dq.Accounts = []string{scope.Account}
	}
	return local.CheckS3Digests(ctx, client, scope, dq, a.opts.PublicKeys, a.log)
}
