package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/internal/remote"
	"github.com/dormant-iam/dormant/queries"
	"github.com/dormant-iam/dormant/tables"
)

// LakeAPI is the part of the CloudTrail API the Lake engine calls
// (*cloudtrail.Client implements it).
type LakeAPI interface {
	StartQuery(ctx context.Context, in *cloudtrail.StartQueryInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.StartQueryOutput, error)
	DescribeQuery(ctx context.Context, in *cloudtrail.DescribeQueryInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.DescribeQueryOutput, error)
	GetQueryResults(ctx context.Context, in *cloudtrail.GetQueryResultsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetQueryResultsOutput, error)
	CancelQuery(ctx context.Context, in *cloudtrail.CancelQueryInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.CancelQueryOutput, error)
}

// LakeOptions configure the CloudTrail Lake engine.
type LakeOptions struct {
	// EventDataStore is the event data store's ARN or ID (required); the
	// query names it by ID (the part of the ARN after "eventdatastore/").
	EventDataStore string
	// PricePerGB is the price of a gigabyte (2^30 bytes) scanned, in USD.
	// The default, 0.005, is the widely quoted rate, not one confirmed from
	// AWS's price list: the cost is an estimate.
	PricePerGB float64
	// PollInterval is the first wait between status polls (default 500ms);
	// the wait grows by half each poll up to MaxPollInterval (default 5s).
	PollInterval, MaxPollInterval time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Progress is a terminal to redraw the query's state, elapsed time and
	// bytes scanned on; nil: a query longer than two seconds logs them every
	// 10 seconds.
	Progress io.Writer

	progressEvery time.Duration // tests: report from the start, this often
}

// DefaultLakePricePerGB is the estimated price of a GB scanned by a Lake query.
const DefaultLakePricePerGB = 0.005

// maxLakeStatement is Lake's limit on a query statement, in characters.
const maxLakeStatement = 10000

// LakeDigestNote is what a Lake run says about integrity validation: an
// event data store has no digest files, so nothing proves that no event is
// missing.
const LakeDigestNote = "CloudTrail Lake event data stores have no digest files (log file integrity validation covers a trail's log files in S3): " +
	"coverage is assumed from the events' account, region and hour cells, not proven, and no log file is checked"

// Lake is the engine that runs the activity query on a CloudTrail Lake event
// data store (queries/lake/activity.sql.tmpl), with the local engine's
// identity rules. Lake has no files or folders, so:
//
//   - It reads the events whose time falls in the days the local engine
//     reads (q.ReadDays, the lead-in day to the day after the window).
//     Activity is the same; coverage counts those events, where the local
//     engine counts the records of those days' folders, which hold events
//     delivered late from the day before and lack the last day's late
//     deliveries. First and last events agree where the trail starts or
//     ends inside the days read, which is what classification looks at.
//   - Coverage is per recipientAccountId and awsRegion as logged (there is
//     no folder to fall back on), and accounts are selected by
//     recipientAccountId, which is the folder's account in a trail's logs.
//   - Every Lake event has an eventID, so duplicates are told apart by it
//     alone.
//   - Lake caps a statement at 10000 characters: about 150 accounts in --accounts.
//   - An event data store has no digest files: the result has no LogFiles
//     and no Digests, and Run logs LakeDigestNote so the run never implies
//     its coverage is proven.
type Lake struct {
	client LakeAPI
	store  string // the ID
	opts   LakeOptions
	log    *slog.Logger
}

// NewLake returns the CloudTrail Lake engine.
func NewLake(client LakeAPI, opts LakeOptions) (*Lake, error) {
	var errs []error
	if client == nil {
		errs = append(errs, errors.New("the CloudTrail Lake engine needs a CloudTrail client"))
	}
	id, err := EventDataStoreID(opts.EventDataStore)
	if err != nil {
		errs = append(errs, err)
	}
	if opts.PricePerGB < 0 || math.IsNaN(opts.PricePerGB) {
		errs = append(errs, fmt.Errorf("the price per GB scanned (%v) cannot be negative", opts.PricePerGB))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts.PricePerGB == 0 {
		opts.PricePerGB = DefaultLakePricePerGB
	}
	l := &Lake{client: client, store: id, opts: opts, log: opts.Logger}
	if l.log == nil {
		l.log = slog.Default()
	}
	return l, nil
}

// EventDataStoreID returns the ID of an event data store given by ARN
// (arn:aws:cloudtrail:<region>:<account>:eventdatastore/<ID>) or by ID.
func EventDataStoreID(store string) (string, error) {
	id := store
	if strings.HasPrefix(store, "arn:") {
		_, after, ok := strings.Cut(store, ":eventdatastore/")
		if !ok || after == "" {
			return "", fmt.Errorf("--event-data-store %q is an ARN but not an event data store's (arn:aws:cloudtrail:<region>:<account>:eventdatastore/<ID>)", store)
		}
		id = after
	}
	if id == "" {
		return "", errors.New("the CloudTrail Lake engine needs the event data store: pass --event-data-store with its ARN or ID")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return "", fmt.Errorf("--event-data-store %q: an event data store ID holds only letters, digits and hyphens", store)
		}
	}
	return id, nil
}

// Name is "lake".
func (l *Lake) Name() string { return "lake" }

// SQL renders the query's statement without running it (`dormant queries
// print --engine lake`). Lake reads by event time: the events of the days
// whose folders the local engine reads (q.ReadDays).
func (l *Lake) SQL(q activity.Query) (string, error) {
	return LakeSQL(l.store, q)
}

// LakeSQL renders the activity query for the event data store with the
// given ID.
func LakeSQL(store string, q activity.Query) (string, error) {
	if err := q.Validate(); err != nil {
		return "", err
	}
	first, last := q.ReadDays()
	sql, err := queries.Render("lake", "activity", queries.Params{
		Start: q.Start, End: q.End, EventDataStore: store, Accounts: q.Accounts,
		ReadFrom: first, ReadUntil: last.AddDate(0, 0, 1),
	})
	if err != nil {
		return "", err
	}
	if n := len([]rune(sql)); n > maxLakeStatement {
		return "", fmt.Errorf("the CloudTrail Lake query is %d characters, over Lake's limit of %d: name fewer accounts (--accounts), or none to read the whole event data store",
			n, maxLakeStatement)
	}
	return sql, nil
}

// Run runs the activity query on CloudTrail Lake and reads its results.
// Cancelling ctx (Ctrl-C) cancels the query with CancelQuery.
func (l *Lake) Run(ctx context.Context, q activity.Query) (*activity.Result, error) {
	sql, err := l.SQL(q)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	out, err := l.client.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
	if err != nil {
		return nil, fmt.Errorf("starting the CloudTrail Lake query on event data store %s: %w", l.store, err)
	}
	id := aws.ToString(out.QueryId)
	l.log.Info("started CloudTrail Lake query", "query_id", id, "event_data_store", l.store)

	desc, err := l.wait(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &activity.Result{}
	if err := l.pageResults(ctx, id, res); err != nil {
		return nil, err
	}
	run := activity.QueryRun{Engine: l.Name(), Name: "activity", QueryID: id, SQL: sql}
	if st := desc.QueryStatistics; st != nil {
		run.BytesScanned = aws.ToInt64(st.BytesScanned)
		run.EngineTime = time.Duration(aws.ToInt32(st.ExecutionTimeInMillis)) * time.Millisecond
	}
	run.CostUSD = LakeCost(run.BytesScanned, l.opts.PricePerGB)
	res.Runs = []activity.QueryRun{run}
	if err := l.watch(ctx, q, res); err != nil {
		return nil, err
	}
	activity.SortResult(res)
	l.log.Info("CloudTrail Lake query done", "query_id", id, "bytes_scanned", run.BytesScanned, "estimated_cost_usd", run.CostUSD,
		"activity_rows", len(res.Activity), "coverage_rows", len(res.Coverage), "seconds", time.Since(started).Seconds())
	l.log.Info("no CloudTrail digests: coverage assumed, not proven", "event_data_store", l.store, "note", LakeDigestNote)
	return res, nil
}

// WatchSQL renders the watch queries for q's targets: one statement when it
// fits Lake's limit, otherwise the targets split until each part fits.
func WatchSQL(store string, q activity.Query) ([]string, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if len(q.Watch) == 0 {
		return nil, nil
	}
	filter, _ := activity.NewWatchFilter(q.Watch)
	first, last := q.ReadDays()
	sql, err := queries.Render("lake", "watch", filter.WatchParams(queries.Params{
		Start: q.Start, End: q.End, EventDataStore: store, Accounts: q.Accounts,
		ReadFrom: first, ReadUntil: last.AddDate(0, 0, 1),
	}))
	if err != nil {
		return nil, err
	}
	if len([]rune(sql)) <= maxLakeStatement {
		return []string{sql}, nil
	}
	if len(q.Watch) == 1 {
		return nil, fmt.Errorf("the CloudTrail Lake watch query for %s is over Lake's limit of %d characters: name fewer accounts (--accounts)",
			q.Watch[0].UserName, maxLakeStatement)
	}
	half := len(q.Watch) / 2
	var out []string
	for _, part := range [][]tables.WatchTarget{q.Watch[:half], q.Watch[half:]} {
		pq := q
		pq.Watch = part
		sqls, err := WatchSQL(store, pq)
		if err != nil {
			return nil, err
		}
		out = append(out, sqls...)
	}
	return out, nil
}

// watch runs the watch queries, when q has targets, and matches their
// candidates to the targets.
func (l *Lake) watch(ctx context.Context, q activity.Query, res *activity.Result) error {
	sqls, err := WatchSQL(l.store, q)
	if err != nil || len(sqls) == 0 {
		return err
	}
	for _, sql := range sqls {
		out, err := l.client.StartQuery(ctx, &cloudtrail.StartQueryInput{QueryStatement: aws.String(sql)})
		if err != nil {
			return fmt.Errorf("starting the CloudTrail Lake watch query on event data store %s: %w", l.store, err)
		}
		id := aws.ToString(out.QueryId)
		l.log.Info("started CloudTrail Lake watch query", "query_id", id, "targets", len(q.Watch))
		desc, err := l.wait(ctx, id)
		if err != nil {
			return err
		}
		if err := l.pageRows(ctx, id, remote.WatchColumns, res); err != nil {
			return err
		}
		run := activity.QueryRun{Engine: l.Name(), Name: "watch", QueryID: id, SQL: sql}
		if st := desc.QueryStatistics; st != nil {
			run.BytesScanned = aws.ToInt64(st.BytesScanned)
			run.EngineTime = time.Duration(aws.ToInt32(st.ExecutionTimeInMillis)) * time.Millisecond
		}
		run.CostUSD = LakeCost(run.BytesScanned, l.opts.PricePerGB)
		res.Runs = append(res.Runs, run)
	}
	res.MatchWatch(q)
	return nil
}

// wait polls DescribeQuery until the query ends: FINISHED returns its
// description; FAILED, CANCELLED and TIMED_OUT a QueryError with Lake's
// message; a cancelled ctx cancels the query first.
func (l *Lake) wait(ctx context.Context, id string) (*cloudtrail.DescribeQueryOutput, error) {
	poll := remote.NewPollBackoff(l.opts.PollInterval, l.opts.MaxPollInterval)
	prog := remote.StartQueryProgress(l.opts.Progress, l.log, "CloudTrail Lake", id, l.opts.progressEvery)
	defer prog.Stop()
	for {
		out, err := l.client.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: aws.String(id)})
		if ctx.Err() != nil {
			return nil, l.cancel(ctx, id)
		}
		if err != nil {
			return nil, fmt.Errorf("polling CloudTrail Lake query %s: %w", id, err)
		}
		switch out.QueryStatus {
		case cttypes.QueryStatusFinished:
			return out, nil
		case cttypes.QueryStatusFailed, cttypes.QueryStatusCancelled, cttypes.QueryStatusTimedOut:
			return nil, &remote.QueryError{Engine: l.Name(), QueryID: id, State: string(out.QueryStatus), Reason: aws.ToString(out.ErrorMessage)}
		}
		l.log.Debug("CloudTrail Lake query running", "query_id", id, "status", out.QueryStatus)
		// DescribeQuery's statistics grow while the query runs.
		if st := out.QueryStatistics; st != nil && st.BytesScanned != nil {
			prog.Update(string(out.QueryStatus), *st.BytesScanned, true)
		} else {
			prog.Update(string(out.QueryStatus), 0, false)
		}
		if err := poll.Wait(ctx); err != nil {
			return nil, l.cancel(ctx, id)
		}
	}
}

// cancel cancels a query after ctx was cancelled, with a context of its own,
// and returns ctx's cause.
func (l *Lake) cancel(ctx context.Context, id string) error {
	cause := context.Cause(ctx)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), remote.StopTimeout)
	defer cancel()
	if _, err := l.client.CancelQuery(cctx, &cloudtrail.CancelQueryInput{QueryId: aws.String(id)}); err != nil {
		l.log.Error("could not cancel the CloudTrail Lake query: cancel it in the CloudTrail console", "query_id", id, "err", err)
	} else {
		l.log.Warn("cancelled the CloudTrail Lake query", "query_id", id, "cause", cause)
	}
	return fmt.Errorf("running CloudTrail Lake query %s: %w", id, cause)
}

// pageResults pages GetQueryResults into res. A row is a list of one-key
// maps, column name to value; a column missing from a row is NULL.
func (l *Lake) pageResults(ctx context.Context, id string, res *activity.Result) error {
	return l.pageRows(ctx, id, remote.ResultColumns, res)
}

// pageRows pages the results of a query whose columns are cols into res.
func (l *Lake) pageRows(ctx context.Context, id string, cols []string, res *activity.Result) error {
	source := "the results of CloudTrail Lake query " + id
	rr, err := remote.NewRowReader(source, cols)
	if err != nil {
		return err
	}
	pos := make(map[string]int, len(cols))
	for i, c := range cols {
		pos[c] = i
	}
	row := make([]remote.Cell, len(cols))
	var token *string
	for page := 1; ; page++ {
		out, err := l.client.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{
			QueryId: aws.String(id), MaxQueryResults: aws.Int32(1000), NextToken: token,
		})
		if err != nil {
			return fmt.Errorf("reading %s (page %d): %w", source, page, err)
		}
		if out.QueryStatus != "" && out.QueryStatus != cttypes.QueryStatusFinished {
			return &remote.QueryError{Engine: l.Name(), QueryID: id, State: string(out.QueryStatus), Reason: aws.ToString(out.ErrorMessage)}
		}
		for _, r := range out.QueryResultRows {
			for i := range row {
				row[i] = remote.Cell{Null: true}
			}
			for _, col := range r {
				for k, v := range col {
					if i, ok := pos[strings.ToLower(k)]; ok {
						row[i] = remote.Cell{Text: v}
					}
				}
			}
			if err := rr.Add(res, row); err != nil {
				return err
			}
		}
		if token = out.NextToken; token == nil {
			return nil
		}
	}
}

// LakeCost estimates what a Lake query that scanned the given bytes costs
// at pricePerGB (GB = 2^30 bytes).
func LakeCost(bytes int64, pricePerGB float64) float64 {
	return float64(bytes) / (1 << 30) * pricePerGB
}
