package athena

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/internal/remote"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/queries"
)

// AthenaAPI is the part of the Athena API the engine calls
// (*athena.Client implements it).
type AthenaAPI interface {
	GetTableMetadata(ctx context.Context, in *athena.GetTableMetadataInput, opts ...func(*athena.Options)) (*athena.GetTableMetadataOutput, error)
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, opts ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, opts ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

// S3API is the S3 call the Athena engine makes to read a result file
// (*s3.Client implements it).
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// AthenaOptions configure the Athena engine.
type AthenaOptions struct {
	// Database and Table name the table over the trail's log files, as
	// AWS's CloudTrail DDL creates it (required).
	Database, Table string
	// Workgroup runs the query; empty means Athena's default (primary).
	Workgroup string
	// OutputLocation is where Athena writes the result (s3://bucket/prefix/);
	// empty means the workgroup's.
	OutputLocation string
	// Catalog holds the database; empty means AwsDataCatalog.
	Catalog string
	// PollInterval is the first wait between status polls (default 500ms);
	// the wait grows by half each poll up to MaxPollInterval (default 5s).
	PollInterval, MaxPollInterval time.Duration
	// PricePerTB is the price of a terabyte scanned, in USD (default 5.0).
	PricePerTB float64
	// ResultsFromAPI pages GetQueryResults instead of reading the result
	// file from S3 (which is faster, and tried first when an S3 client is
	// given; paging is the fallback if the file cannot be read).
	ResultsFromAPI bool
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// PublicKeys, when set, checks the signatures of the trail's digests
	// (athena_digest.go); nil leaves them unchecked, and the note says so.
	PublicKeys local.PublicKeysAPI
	// Progress is a terminal to redraw the query's state, elapsed time and
	// bytes scanned on; nil: a query longer than two seconds logs them every
	// 10 seconds.
	Progress io.Writer

	progressEvery time.Duration // tests: report from the start, this often
}

// Athena is the engine that runs the activity query on Amazon Athena, over
// the table AWS's documentation has you create over the trail's bucket
// (queries/athena/activity.sql.tmpl). It gives the local engine's tables for
// the same files:
//
//   - With a date partition (a projected `timestamp`, or year/month/day),
//     the query reads exactly the partitions of the day folders the local
//     engine reads (TableLayout.Filters), so coverage counts the same
//     records. A table without one is read by event time over those days,
//     and scanned whole.
//   - A record without recipientAccountId or awsRegion takes the account
//     and region of its file's folders, from the hidden "$path" column, as
//     the local engine does; accounts are selected by that folder too.
//   - Event times are kept to the millisecond (CloudTrail writes seconds);
//     the window's bounds are rounded inwards to the millisecond.
//   - A record without an eventID is identified by its fields' text rather
//     than by the hash the local engine uses: counts agree, and only the
//     order of two such records at the same instant may differ.
type Athena struct {
	client AthenaAPI
	s3     S3API
	opts   AthenaOptions
	log    *slog.Logger
}

// NewAthena returns the Athena engine. s3 may be nil: results are then paged
// with GetQueryResults.
func NewAthena(client AthenaAPI, s3 S3API, opts AthenaOptions) (*Athena, error) {
	var errs []error
	if client == nil {
		errs = append(errs, errors.New("the Athena engine needs an Athena client"))
	}
	if opts.Database == "" {
		errs = append(errs, errors.New("the Athena engine needs the database holding the CloudTrail table: pass --athena-database"))
	}
	if opts.Table == "" {
		errs = append(errs, errors.New("the Athena engine needs the CloudTrail table's name: pass --athena-table"))
	}
	if opts.OutputLocation != "" {
		if _, _, err := activity.ParseS3URI(opts.OutputLocation); err != nil {
			errs = append(errs, fmt.Errorf("--athena-output: %w", err))
		}
	}
	if opts.PricePerTB < 0 || math.IsNaN(opts.PricePerTB) {
		errs = append(errs, fmt.Errorf("the price per TB scanned (%v) cannot be negative", opts.PricePerTB))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts.Catalog == "" {
		opts.Catalog = "AwsDataCatalog"
	}
	if opts.PricePerTB == 0 {
		opts.PricePerTB = 5.0
	}
	a := &Athena{client: client, s3: s3, opts: opts, log: opts.Logger}
	if a.log == nil {
		a.log = slog.Default()
	}
	return a, nil
}

// Name is "athena".
func (a *Athena) Name() string { return "athena" }

// Layout reads the table's partition keys (and projection settings) with
// GetTableMetadata.
func (a *Athena) Layout(ctx context.Context) (TableLayout, error) {
	in := &athena.GetTableMetadataInput{
		CatalogName:  aws.String(a.opts.Catalog),
		DatabaseName: aws.String(a.opts.Database),
		TableName:    aws.String(a.opts.Table),
	}
	if a.opts.Workgroup != "" {
		in.WorkGroup = aws.String(a.opts.Workgroup)
	}
	out, err := a.client.GetTableMetadata(ctx, in)
	if err != nil {
		return TableLayout{}, fmt.Errorf("reading the metadata of Athena table %s.%s.%s: %w (check --athena-catalog, --athena-database and --athena-table, and the glue:GetTable permission)",
			a.opts.Catalog, a.opts.Database, a.opts.Table, err)
	}
	if out.TableMetadata == nil {
		return TableLayout{}, fmt.Errorf("reading the metadata of Athena table %s.%s: the answer holds no table", a.opts.Database, a.opts.Table)
	}
	return LayoutFromMetadata(out.TableMetadata), nil
}

// AthenaPlan is what the Athena engine would run for a query.
type AthenaPlan struct {
	Layout  TableLayout
	Filters []string // the partition (and account) predicates
	SQL     string
}

// Plan reads the table's layout and renders the query's SQL without running
// it (`dormant queries print --engine athena`).
func (a *Athena) Plan(ctx context.Context, q activity.Query) (*AthenaPlan, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	layout, err := a.Layout(ctx)
	if err != nil {
		return nil, err
	}
	sql, filters, err := AthenaSQL(a.opts.Database, a.opts.Table, layout, q)
	if err != nil {
		return nil, err
	}
	return &AthenaPlan{Layout: layout, Filters: filters, SQL: sql}, nil
}

// AthenaSQL renders the activity query for the table database.table with the
// given layout, and returns the partition predicates it holds.
func AthenaSQL(database, table string, layout TableLayout, q activity.Query) (sql string, filters []string, err error) {
	if err := q.Validate(); err != nil {
		return "", nil, err
	}
	if filters, err = layout.Filters(q); err != nil {
		return "", nil, fmt.Errorf("pruning Athena table %s.%s: %w", database, table, err)
	}
	sql, err = queries.Render("athena", "activity", queries.Params{
		Start: q.Start, End: q.End, Database: database, Table: table, Filters: filters, Accounts: q.Accounts,
	})
	return sql, filters, err
}

// Run runs the activity query on Athena and reads its results. Cancelling
// ctx (Ctrl-C) stops the query with StopQueryExecution.
func (a *Athena) Run(ctx context.Context, q activity.Query) (*activity.Result, error) {
	plan, err := a.Plan(ctx, q)
	if err != nil {
		return nil, err
	}
	in := &athena.StartQueryExecutionInput{
		QueryString: aws.String(plan.SQL),
		// A token of our own: the SDK's retries of this call, and ours, can
		// never start the scan (and its bill) twice.
		ClientRequestToken:    aws.String(requestToken()),
		QueryExecutionContext: &athenatypes.QueryExecutionContext{Catalog: aws.String(a.opts.Catalog), Database: aws.String(a.opts.Database)},
	}
	if a.opts.Workgroup != "" {
		in.WorkGroup = aws.String(a.opts.Workgroup)
	}
	if a.opts.OutputLocation != "" {
		in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(a.opts.OutputLocation)}
	}
	started := time.Now()
	out, err := a.client.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("starting the Athena query on %s.%s: %w", a.opts.Database, a.opts.Table, err)
	}
	id := aws.ToString(out.QueryExecutionId)
	a.log.Info("started Athena query", "query_id", id, "table", a.opts.Database+"."+a.opts.Table, "partition_filters", len(plan.Filters))
	// The trail's digests are checked from S3 while Athena scans.
	digests := a.startDigests(ctx, q)
	defer digests.stop()

	exec, err := a.wait(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &activity.Result{}
	if err := a.readResults(ctx, exec, res); err != nil {
		return nil, err
	}
	if err := digests.add(res); err != nil {
		return nil, err
	}
	run := activity.QueryRun{Engine: a.Name(), Name: "activity", QueryID: id, SQL: plan.SQL}
	if st := exec.Statistics; st != nil {
		run.BytesScanned = aws.ToInt64(st.DataScannedInBytes)
		run.EngineTime = time.Duration(aws.ToInt64(st.EngineExecutionTimeInMillis)) * time.Millisecond
	}
	run.CostUSD = AthenaCost(run.BytesScanned, a.opts.PricePerTB)
	res.Runs = []activity.QueryRun{run}
	if err := a.watch(ctx, q, plan.Filters, res); err != nil {
		return nil, err
	}
	activity.SortResult(res)
	a.log.Info("Athena query done", "query_id", id, "bytes_scanned", run.BytesScanned, "cost_usd", run.CostUSD,
		"activity_rows", len(res.Activity), "coverage_rows", len(res.Coverage), "seconds", time.Since(started).Seconds())
	return res, nil
}

// watch runs the watch query over the partitions the activity query read,
// when q has targets, and matches its candidates to them.
func (a *Athena) watch(ctx context.Context, q activity.Query, filters []string, res *activity.Result) error {
	filter, ok := activity.NewWatchFilter(q.Watch)
	if !ok {
		return nil
	}
	sql, err := queries.Render("athena", "watch", filter.WatchParams(queries.Params{
		Start: q.Start, End: q.End, Database: a.opts.Database, Table: a.opts.Table, Filters: filters, Accounts: q.Accounts,
	}))
	if err != nil {
		return err
	}
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		ClientRequestToken:    aws.String(requestToken()),
		QueryExecutionContext: &athenatypes.QueryExecutionContext{Catalog: aws.String(a.opts.Catalog), Database: aws.String(a.opts.Database)},
	}
	if a.opts.Workgroup != "" {
		in.WorkGroup = aws.String(a.opts.Workgroup)
	}
	if a.opts.OutputLocation != "" {
		in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(a.opts.OutputLocation)}
	}
	out, err := a.client.StartQueryExecution(ctx, in)
	if err != nil {
		return fmt.Errorf("starting the Athena watch query on %s.%s: %w", a.opts.Database, a.opts.Table, err)
	}
	id := aws.ToString(out.QueryExecutionId)
	a.log.Info("started Athena watch query", "query_id", id, "targets", len(q.Watch))
	exec, err := a.wait(ctx, id)
	if err != nil {
		return err
	}
	// Read into a result of its own: a fallback from the result file to
	// paging starts over without touching the activity rows.
	got := &activity.Result{}
	if err := a.readResults(ctx, exec, got); err != nil {
		return err
	}
	res.WatchCandidates = got.WatchCandidates
	res.MatchWatch(q)
	run := activity.QueryRun{Engine: a.Name(), Name: "watch", QueryID: id, SQL: sql}
	if st := exec.Statistics; st != nil {
		run.BytesScanned = aws.ToInt64(st.DataScannedInBytes)
		run.EngineTime = time.Duration(aws.ToInt64(st.EngineExecutionTimeInMillis)) * time.Millisecond
	}
	run.CostUSD = AthenaCost(run.BytesScanned, a.opts.PricePerTB)
	res.Runs = append(res.Runs, run)
	return nil
}

// wait polls the query until it ends. On SUCCEEDED it returns the
// execution; FAILED and CANCELLED return a QueryError with Athena's reason;
// a cancelled ctx stops the query first.
func (a *Athena) wait(ctx context.Context, id string) (*athenatypes.QueryExecution, error) {
	poll := remote.NewPollBackoff(a.opts.PollInterval, a.opts.MaxPollInterval)
	prog := remote.StartQueryProgress(a.opts.Progress, a.log, "Athena", id, a.opts.progressEvery)
	defer prog.Stop()
	for {
		out, err := a.client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if ctx.Err() != nil {
			return nil, a.stop(ctx, id)
		}
		if err != nil {
			return nil, fmt.Errorf("polling Athena query %s: %w", id, err)
		}
		exec := out.QueryExecution
		if exec == nil || exec.Status == nil {
			return nil, fmt.Errorf("polling Athena query %s: the answer holds no status", id)
		}
		switch exec.Status.State {
		case athenatypes.QueryExecutionStateSucceeded:
			return exec, nil
		case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			return nil, &remote.QueryError{Engine: a.Name(), QueryID: id, State: string(exec.Status.State), Reason: athenaReason(exec.Status)}
		}
		a.log.Debug("Athena query running", "query_id", id, "state", exec.Status.State)
		// Athena's statistics grow while the query runs.
		if st := exec.Statistics; st != nil && st.DataScannedInBytes != nil {
			prog.Update(string(exec.Status.State), *st.DataScannedInBytes, true)
		} else {
			prog.Update(string(exec.Status.State), 0, false)
		}
		if err := poll.Wait(ctx); err != nil {
			return nil, a.stop(ctx, id)
		}
	}
}

// stop stops a query after ctx was cancelled, with a context of its own, and
// returns ctx's cause.
func (a *Athena) stop(ctx context.Context, id string) error {
	cause := context.Cause(ctx)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), remote.StopTimeout)
	defer cancel()
	if _, err := a.client.StopQueryExecution(stopCtx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		a.log.Error("could not stop the Athena query: stop it in the Athena console", "query_id", id, "err", err)
	} else {
		a.log.Warn("stopped the Athena query", "query_id", id, "cause", cause)
	}
	return fmt.Errorf("running Athena query %s: %w", id, cause)
}

// athenaReason is AWS's account of why a query ended: the state change
// reason and, if it says more, the Athena error's message.
func athenaReason(st *athenatypes.QueryExecutionStatus) string {
	reason := aws.ToString(st.StateChangeReason)
	if e := st.AthenaError; e != nil {
		msg := aws.ToString(e.ErrorMessage)
		switch {
		case reason == "":
			reason = msg
		case msg != "" && !strings.Contains(reason, msg):
			reason += " (" + msg + ")"
		}
	}
	return reason
}

// readResults reads the result file from S3, or pages GetQueryResults when
// there is no S3 client, ResultsFromAPI is set or the file cannot be read.
func (a *Athena) readResults(ctx context.Context, exec *athenatypes.QueryExecution, res *activity.Result) error {
	id := aws.ToString(exec.QueryExecutionId)
	if a.s3 != nil && !a.opts.ResultsFromAPI {
		var location string
		if exec.ResultConfiguration != nil {
			location = aws.ToString(exec.ResultConfiguration.OutputLocation)
		}
		n, err := a.readResultFile(ctx, location, res)
		if err == nil {
			a.log.Debug("read the Athena result file", "query_id", id, "location", location, "rows", n)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("reading the results of Athena query %s: %w", id, context.Cause(ctx))
		}
		a.log.Warn("could not read the Athena result file from S3; paging GetQueryResults instead (slower)",
			"query_id", id, "location", location, "err", err)
		res.Activity, res.Coverage, res.WatchCandidates = nil, nil, nil
	}
	return a.pageResults(ctx, id, res)
}

// readResultFile reads <OutputLocation> (s3://bucket/key.csv) into res.
func (a *Athena) readResultFile(ctx context.Context, location string, res *activity.Result) (int, error) {
	bucket, key, err := activity.ParseS3URI(location)
	if err != nil {
		return 0, err
	}
	out, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("downloading %s: %w", location, err)
	}
	defer out.Body.Close()
	return remote.ReadCSVResults(out.Body, "the Athena result file "+location, res)
}

// pageResults pages GetQueryResults into res: the first row of the first
// page is the header.
func (a *Athena) pageResults(ctx context.Context, id string, res *activity.Result) error {
	var (
		rr    *remote.RowReader
		token *string
		row   []remote.Cell
	)
	source := "the results of Athena query " + id
	for page := 1; ; page++ {
		out, err := a.client.GetQueryResults(ctx, &athena.GetQueryResultsInput{
			QueryExecutionId: aws.String(id), MaxResults: aws.Int32(1000), NextToken: token,
		})
		if err != nil {
			return fmt.Errorf("reading %s (page %d): %w", source, page, err)
		}
		if out.ResultSet == nil {
			return fmt.Errorf("reading %s (page %d): the answer holds no result set", source, page)
		}
		rows := out.ResultSet.Rows
		if rr == nil {
			if len(rows) == 0 {
				return fmt.Errorf("reading %s: the first page has no header row", source)
			}
			header := make([]string, len(rows[0].Data))
			for i, d := range rows[0].Data {
				header[i] = aws.ToString(d.VarCharValue)
			}
			if rr, err = remote.NewRowReader(source, header); err != nil {
				return err
			}
			rows = rows[1:]
		}
		for _, r := range rows {
			row = row[:0]
			for _, d := range r.Data {
				row = append(row, remote.Cell{Text: aws.ToString(d.VarCharValue), Null: d.VarCharValue == nil})
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

// AthenaCost estimates what Athena bills for a query that scanned the given
// bytes: rounded up to the megabyte, at least 10 MB, at pricePerTB (MB and
// TB in binary units, 2^20 and 2^40 bytes).
func AthenaCost(bytes int64, pricePerTB float64) float64 {
	const mb = 1 << 20
	mbs := max((bytes+mb-1)/mb, 10)
	return float64(mbs) / (1 << 20) * pricePerTB
}

// requestToken is a fresh ClientRequestToken (32 to 128 characters).
func requestToken() string {
	var b [24]byte
	rand.Read(b[:])
	return "dormant-" + hex.EncodeToString(b[:])
}

// TableLayout is how an Athena table over CloudTrail is partitioned.
type TableLayout struct {
	Keys []PartitionKey // in the table's order
}

// PartitionKey is one partition column of the table.
type PartitionKey struct {
	Name string
	Type string // the Glue type: string, int...
	// Projection is the partition projection type (projection.<name>.type:
	// date, enum, integer, injected), empty when the key is not projected.
	Projection string
	// Format is a date projection's format (projection.<name>.format).
	Format string
	// Digits is an integer projection's zero-padded width
	// (projection.<name>.digits), 0 when not padded.
	Digits int
}

// LayoutFromMetadata reads the layout from GetTableMetadata's answer.
func LayoutFromMetadata(md *athenatypes.TableMetadata) TableLayout {
	var l TableLayout
	params := map[string]string{}
	for k, v := range md.Parameters {
		params[strings.ToLower(k)] = v
	}
	projected := strings.EqualFold(params["projection.enabled"], "true")
	for _, c := range md.PartitionKeys {
		k := PartitionKey{Name: aws.ToString(c.Name), Type: strings.ToLower(aws.ToString(c.Type))}
		if projected {
			prefix := "projection." + strings.ToLower(k.Name) + "."
			k.Projection = strings.ToLower(params[prefix+"type"])
			k.Format = params[prefix+"format"]
			k.Digits, _ = strconv.Atoi(params[prefix+"digits"])
		}
		l.Keys = append(l.Keys, k)
	}
	return l
}

// Filters returns the WHERE conditions that restrict a scan of the table to
// exactly the partitions of q's read days (q.ReadDays, the days the local
// engine reads) and, when the table is partitioned by account, to
// q.Accounts. Recognized keys:
//
//   - a date: a key with a date projection (its format made of yyyy, MM and
//     dd in that order, e.g. yyyy/MM/dd), or a key named timestamp
//     (yyyy/MM/dd, as CloudTrail's folders);
//   - year, month and day, together (strings zero-padded as CloudTrail's
//     folders, or integers);
//   - account (also accountid, account_id), and region, which gets no
//     condition: every region is read.
//
// A table without a date key cannot be pruned: the filter then reads the
// days' events by eventtime, and Athena scans the whole table.
func (l TableLayout) Filters(q activity.Query) ([]string, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	first, last := q.ReadDays()
	var (
		filters                []string
		date, year, month, day *PartitionKey
		account                *PartitionKey
	)
	for i := range l.Keys {
		k := &l.Keys[i]
		switch name := strings.ToLower(k.Name); {
		case k.Projection == "date" || name == "timestamp" && k.Projection == "":
			if date == nil {
				date = k
			}
		case name == "year":
			year = k
		case name == "month":
			month = k
		case name == "day":
			day = k
		case name == "account" || name == "accountid" || name == "account_id":
			account = k
		default: // region (every region is read), or a key dormant does not know
			if k.Projection == "injected" {
				return nil, fmt.Errorf("partition key %s is an injected projection, so Athena needs its value in every query; dormant cannot supply it: "+
					"use a table whose projection enumerates it (enum) or derives it", k.Name)
			}
		}
	}
	switch {
	case date != nil:
		f, err := dateFilter(*date, first, last)
		if err != nil {
			return nil, err
		}
		filters = append(filters, f)
	case year != nil && month != nil && day != nil:
		filters = append(filters, ymdFilter(*year, *month, *day, first, last))
	default:
		filters = append(filters, fmt.Sprintf("from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp(%s) AND from_iso8601_timestamp(eventtime) < from_iso8601_timestamp(%s)",
			sqlString(first.Format("2006-01-02T15:04:05Z")), sqlString(last.AddDate(0, 0, 1).Format("2006-01-02T15:04:05Z"))))
	}
	if account != nil {
		switch {
		case len(q.Accounts) > 0:
			accounts := slices.Compact(slices.Sorted(slices.Values(q.Accounts)))
			lits := make([]string, len(accounts))
			for i, a := range accounts {
				lits[i] = accountLiteral(*account, a)
			}
			filters = append(filters, sqlIdent(account.Name)+" IN ("+strings.Join(lits, ", ")+")")
		case account.Projection == "injected":
			return nil, fmt.Errorf("partition key %s is an injected projection, so Athena needs the accounts named in every query: pass --accounts", account.Name)
		}
	}
	return filters, nil
}

// dateFilter is "key BETWEEN first AND last" in the key's format, which
// must order as its dates do (year, month, day, fixed width).
func dateFilter(k PartitionKey, first, last time.Time) (string, error) {
	format := k.Format
	if format == "" {
		format = "yyyy/MM/dd"
	}
	layout, err := dateLayout(format)
	if err != nil {
		return "", fmt.Errorf("partition key %s: %w", k.Name, err)
	}
	return fmt.Sprintf("%s BETWEEN %s AND %s", sqlIdent(k.Name), sqlString(first.Format(layout)), sqlString(last.Format(layout))), nil
}

// dateLayout turns a projection's Java date format into a Go layout. Only
// day partitions whose text sorts as their dates are accepted: yyyy, MM and
// dd, in that order, between separators.
func dateLayout(format string) (string, error) {
	var b strings.Builder
	order := []string{}
	for rest := format; rest != ""; {
		switch {
		case strings.HasPrefix(rest, "yyyy"):
			b.WriteString("2006")
			order = append(order, "yyyy")
			rest = rest[4:]
		case strings.HasPrefix(rest, "MM"):
			b.WriteString("01")
			order = append(order, "MM")
			rest = rest[2:]
		case strings.HasPrefix(rest, "dd"):
			b.WriteString("02")
			order = append(order, "dd")
			rest = rest[2:]
		case strings.ContainsRune("/-_.", rune(rest[0])):
			b.WriteByte(rest[0])
			rest = rest[1:]
		default:
			return "", fmt.Errorf("date format %q: dormant reads day partitions formatted with yyyy, MM and dd in that order, between / - _ or . (e.g. yyyy/MM/dd, as CloudTrail's folders)", format)
		}
	}
	if !slices.Equal(order, []string{"yyyy", "MM", "dd"}) {
		return "", fmt.Errorf("date format %q: dormant reads day partitions formatted with yyyy, MM and dd, once each and in that order (e.g. yyyy/MM/dd)", format)
	}
	return b.String(), nil
}

// ymdFilter covers the days [first, last] with year, month and day keys:
// whole years, runs of whole months, and the days of partial months.
func ymdFilter(year, month, day PartitionKey, first, last time.Time) string {
	type monthDays struct {
		y, m       int
		d1, d2, of int // the days covered, of the month's days
	}
	var months []monthDays
	for t := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC); !t.After(last); t = t.AddDate(0, 1, 0) {
		md := monthDays{y: t.Year(), m: int(t.Month()), d1: 1, of: activity.DaysIn(t.Year(), int(t.Month()))}
		md.d2 = md.of
		if t.Year() == first.Year() && t.Month() == first.Month() {
			md.d1 = first.Day()
		}
		if t.Year() == last.Year() && t.Month() == last.Month() {
			md.d2 = last.Day()
		}
		months = append(months, md)
	}
	y := func(v int) string { return dateLiteral(year, v, 4) }
	m := func(v int) string { return dateLiteral(month, v, 2) }
	var terms []string
	for i := 0; i < len(months); {
		md := months[i]
		if md.d1 > 1 || md.d2 < md.of {
			days := make([]string, 0, md.d2-md.d1+1)
			for d := md.d1; d <= md.d2; d++ {
				days = append(days, dateLiteral(day, d, 2))
			}
			dayCond := sqlIdent(day.Name) + " = " + days[0]
			if len(days) > 1 {
				dayCond = sqlIdent(day.Name) + " IN (" + strings.Join(days, ", ") + ")"
			}
			terms = append(terms, fmt.Sprintf("(%s = %s AND %s = %s AND %s)", sqlIdent(year.Name), y(md.y), sqlIdent(month.Name), m(md.m), dayCond))
			i++
			continue
		}
		// A run of whole months in one year.
		j := i
		for j+1 < len(months) && months[j+1].y == md.y && months[j+1].d1 == 1 && months[j+1].d2 == months[j+1].of {
			j++
		}
		switch n := j - i + 1; {
		case n == 12:
			terms = append(terms, fmt.Sprintf("%s = %s", sqlIdent(year.Name), y(md.y)))
		case n == 1:
			terms = append(terms, fmt.Sprintf("(%s = %s AND %s = %s)", sqlIdent(year.Name), y(md.y), sqlIdent(month.Name), m(md.m)))
		default:
			ms := make([]string, 0, n)
			for k := i; k <= j; k++ {
				ms = append(ms, m(months[k].m))
			}
			terms = append(terms, fmt.Sprintf("(%s = %s AND %s IN (%s))", sqlIdent(year.Name), y(md.y), sqlIdent(month.Name), strings.Join(ms, ", ")))
		}
		i = j + 1
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return "(" + strings.Join(terms, "\n           OR ") + ")"
}

// isNumeric reports whether a Glue type is an integer type.
func isIntegerType(typ string) bool {
	switch typ {
	case "int", "integer", "bigint", "smallint", "tinyint":
		return true
	}
	return false
}

// literalNum renders a year, month or day value for key k: a number for an
// integer column, else a string zero-padded to the projection's digits (or,
// unprojected, to width, as CloudTrail's folder names are).
func dateLiteral(k PartitionKey, v, width int) string {
	if isIntegerType(k.Type) {
		return strconv.Itoa(v)
	}
	if k.Projection == "integer" {
		width = k.Digits
	}
	return sqlString(fmt.Sprintf("%0*d", width, v))
}

// literal renders an account ID (12 digits, validated) for key k.
func accountLiteral(k PartitionKey, account string) string {
	if isIntegerType(k.Type) {
		n, _ := strconv.ParseInt(account, 10, 64)
		return strconv.FormatInt(n, 10)
	}
	return sqlString(account)
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
