package analytics

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Config says what the server holds.
type Config struct {
	// LogsDir is the folder holding AWSLogs/... (demo.Output.CloudTrail, or
	// a fixture trail). Empty: no logs, empty tables.
	LogsDir string
	// TrailBucket and TrailPrefix say where the logs are put in the fake S3:
	// s3://<TrailBucket>/<TrailPrefix>AWSLogs/... (default "trail-bucket", "").
	TrailBucket, TrailPrefix string
	// ResultsBucket is created empty, for Athena's results (default
	// "athena-results").
	ResultsBucket string
	// WorkGroupOutput is the workgroup's output location, used when a query
	// names none (e.g. "s3://athena-results/wg/"); empty: such a query is
	// refused, as Athena refuses it.
	WorkGroupOutput string
	// Database is the Athena database (Glue catalog database) holding the
	// tables (default "default").
	Database string
	// Tables are the Athena tables over the logs (default: one table,
	// DefaultTable).
	Tables []Table
	// EventDataStores are the CloudTrail Lake event data store IDs, each a
	// view over every log file (default: one, DefaultEventDataStore).
	EventDataStores []string
	// Trails are what DescribeTrails, GetTrailStatus and GetEventSelectors
	// describe (trails.go); AccountOf names the account of a caller's
	// access key ID (nil: every caller is AccountID's).
	Trails    []Trail
	AccountOf func(accessKeyID string) (account string, ok bool)
}

// Table is an Athena table over the logs, partitioned by Partitions in
// order, each one of "account", "region", "timestamp" (yyyy/MM/dd), "year",
// "month", "day".
type Table struct {
	Name       string
	Partitions []string
	// Projection makes GetTableMetadata report partition projection
	// parameters (the timestamp as a date projection in yyyy/MM/dd, region
	// and account as enums, or account as injected when InjectedAccount).
	Projection      bool
	InjectedAccount bool
	// Account and Region, when set, restrict the table to that account's or
	// region's log files, as the official DDL's LOCATION does.
	Account, Region string
}

// Defaults.
const (
	DefaultTable          = "cloudtrail_logs"
	DefaultEventDataStore = "EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE"
	// Region and AccountID of the fake's own resources (ARNs).
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// Behavior says how the next queries run.
type Behavior struct {
	// Fail, when set, makes a query end FAILED with this reason.
	Fail string
	// Hold keeps a query RUNNING until it is stopped (StopQueryExecution,
	// CancelQuery), which ends it CANCELLED.
	Hold bool
	// Polls is how many status polls answer QUEUED, then RUNNING, before
	// the query's end state shows.
	Polls int
}

// Call is one request the server answered.
type Call struct {
	Service string // "athena", "cloudtrail" or "s3"
	Action  string // e.g. StartQueryExecution, CancelQuery, ListObjectsV2, GetObject
	QueryID string // the query the call named, where it names one
	Params  map[string]string
	Status  int
}

// Server is a running fake.
type Server struct {
	ts      *httptest.Server
	cfg     Config
	s3      gofakes3.Backend
	s3h     http.Handler
	db      *sql.DB
	catalog *catalog

	mu       sync.Mutex
	behavior Behavior
	calls    []Call
	queries  map[string]*execution // by ID, Athena and Lake
	tokens   map[string]tokenUse   // Athena ClientRequestToken -> its query
	seq      int
	closed   bool
	wg       sync.WaitGroup
}

// New loads cfg's logs and starts the server. Close it when done.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.TrailBucket == "" {
		cfg.TrailBucket = "trail-bucket"
	}
	if cfg.ResultsBucket == "" {
		cfg.ResultsBucket = "athena-results"
	}
	if cfg.Database == "" {
		cfg.Database = "default"
	}
	if len(cfg.Tables) == 0 {
		cfg.Tables = []Table{{Name: DefaultTable, Partitions: []string{"account", "region", "timestamp"}, Projection: true}}
	}
	if len(cfg.EventDataStores) == 0 {
		cfg.EventDataStores = []string{DefaultEventDataStore}
	}
	s := &Server{
		cfg:     cfg,
		s3:      s3mem.New(),
		queries: map[string]*execution{},
		tokens:  map[string]tokenUse{},
	}
	s.s3h = gofakes3.New(s.s3).Server()
	for _, b := range []string{cfg.TrailBucket, cfg.ResultsBucket} {
		if err := s.s3.CreateBucket(b); err != nil && !gofakes3.HasErrorCode(err, gofakes3.ErrBucketAlreadyExists) {
			return nil, fmt.Errorf("creating fake S3 bucket %s: %w", b, err)
		}
	}
	var err error
	if s.db, err = openDuckDB(); err != nil {
		return nil, err
	}
	if s.catalog, err = loadCatalog(ctx, s.db, s.s3, cfg); err != nil {
		s.db.Close()
		return nil, err
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s, nil
}

// URL is the endpoint to give the SDK clients as BaseEndpoint.
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server, cancels running queries and closes DuckDB.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for _, q := range s.queries {
		q.cancel()
	}
	s.mu.Unlock()
	s.ts.Close()
	s.wg.Wait()
	s.db.Close()
}

// SetBehavior sets how queries started from now on run.
func (s *Server) SetBehavior(b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behavior = b
}

// Calls returns the requests answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls of one action (e.g. "StopQueryExecution").
func (s *Server) CallsTo(action string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// TrailURI is the S3 URI of the logs' AWSLogs folder.
func (s *Server) TrailURI() string {
	return "s3://" + s.cfg.TrailBucket + "/" + s.cfg.TrailPrefix + "AWSLogs/"
}

// EventDataStoreARN is the ARN of an event data store ID.
func EventDataStoreARN(id string) string {
	return "arn:aws:cloudtrail:" + Region + ":" + AccountID + ":eventdatastore/" + id
}

// TableBytes is the size of the log files a table holds, and of those of
// its folders whose day is in [first, last] (both UTC midnights): what a
// query reading those days' partitions scans.
func (s *Server) TableBytes(table string, first, last time.Time) (all, days int64, err error) {
	return s.catalog.tableBytes(table, first, last)
}

// S3Backend is the fake S3's storage, for tests that change objects behind
// the API's back.
func (s *Server) S3Backend() gofakes3.Backend { return s.s3 }

// AWSConfig returns a hermetic aws.Config for the server: static
// credentials, region us-east-1, BaseEndpoint the server's URL, and a
// retryer with millisecond back-off. Nothing is read from the environment.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFAKEANALYTICS001", "secret", ""),
		BaseEndpoint: aws.String(s.URL()),
		HTTPClient:   s.ts.Client(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 5
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
					return time.Duration(attempt) * time.Millisecond, nil
				})
			})
		},
		// gofakes3 checks Content-MD5 but not the SDK's flexible checksums.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
}

// AthenaClient is a real Athena client pointed at the server.
func (s *Server) AthenaClient() *athena.Client { return athena.NewFromConfig(s.AWSConfig()) }

// CloudTrailClient is a real CloudTrail client pointed at the server.
func (s *Server) CloudTrailClient() *cloudtrail.Client {
	return cloudtrail.NewFromConfig(s.AWSConfig())
}

// S3Client is a real S3 client (path-style addressing) pointed at the server.
func (s *Server) S3Client() *s3.Client {
	return s3.NewFromConfig(s.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
}

// serve dispatches JSON 1.1 calls on X-Amz-Target; anything else is S3.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	service, action, ok := strings.Cut(target, ".")
	if !ok {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		s.s3h.ServeHTTP(rec, r)
		s.record(Call{Service: "s3", Action: s3Action(r), Params: s3Params(r), Status: rec.status})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "reading the request body: "+err.Error())
		return
	}
	var (
		call = Call{Action: action}
		out  any
		aerr *apiError
	)
	switch service {
	case "AmazonAthena":
		call.Service = "athena"
		out, call.QueryID, aerr = s.athena(action, body)
	case "CloudTrail_20131101":
		call.Service = "cloudtrail"
		switch {
		case action == "ListPublicKeys":
			out, aerr = s.listPublicKeys(body)
		case slices.Contains(trailActions, action):
			out, aerr = s.trails(action, body, r)
		default:
			out, call.QueryID, aerr = s.lake(action, body)
		}
	default:
		aerr = &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: "unknown target " + target}
	}
	if aerr != nil {
		call.Status = aerr.status
		s.record(call)
		writeError(w, aerr.status, aerr.code, aerr.msg)
		return
	}
	call.Status = http.StatusOK
	s.record(call)
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(out); err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerException", "encoding the response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(buf.Bytes())
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// apiError is an AWS error answer.
type apiError struct {
	status    int
	code, msg string
}

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

// writeError writes a JSON 1.1 error: {"__type": code, "Message": msg}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "Message": msg})
}

// decode reads a request body into v, refusing malformed JSON.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("SerializationException", "reading the request: %v", err)
	}
	return nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// s3Action names an S3 REST request by the operation it is.
func s3Action(r *http.Request) string {
	q := r.URL.Query()
	path := strings.Trim(r.URL.Path, "/")
	hasKey := strings.Contains(path, "/")
	switch {
	case r.Method == http.MethodGet && !hasKey && q.Get("list-type") == "2":
		return "ListObjectsV2"
	case r.Method == http.MethodGet && !hasKey:
		return "ListObjects"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodPut && hasKey:
		return "PutObject"
	case r.Method == http.MethodPut:
		return "CreateBucket"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method
}

func s3Params(r *http.Request) map[string]string {
	p := map[string]string{}
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	p["bucket"] = bucket
	if key != "" {
		if k, err := url.PathUnescape(key); err == nil {
			key = k
		}
		p["key"] = key
	}
	for _, name := range []string{"prefix", "delimiter", "continuation-token", "start-after"} {
		if v := r.URL.Query().Get(name); v != "" {
			p[name] = v
		}
	}
	return p
}

// errClosed is the reason of queries cut short by Close.
var errClosed = errors.New("the fake server was closed")
