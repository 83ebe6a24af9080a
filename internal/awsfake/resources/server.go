package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Services, as SigV4 credential scopes name them.
const (
	ServiceS3             = "s3"
	ServiceKMS            = "kms"
	ServiceSNS            = "sns"
	ServiceSQS            = "sqs"
	ServiceSecretsManager = "secretsmanager"
	ServiceECR            = "ecr"
	ServiceLambda         = "lambda"
	ServiceTagging        = "tagging"
)

// Option configures a Server.
type Option func(*settings)

type settings struct {
	latency           time.Duration
	pageSize          int
	throttle          int
	denied            map[denyKey]bool
	legacyListBuckets bool
}

type denyKey struct{ account, service, region string }

// WithLatency delays every call by d before it is answered, outside the
// server's lock, so that slow calls overlap as they do against AWS.
func WithLatency(d time.Duration) Option { return func(s *settings) { s.latency = d } }

// WithPageSize caps every page of every list call at n items, whatever the
// client asks for (default 100).
func WithPageSize(n int) Option { return func(s *settings) { s.pageSize = n } }

// WithThrottling answers the first n calls of each action, per account and
// region, with the service's throttling error (S3 SlowDown, SNS Throttling,
// SQS RequestThrottled, Lambda TooManyRequestsException, the tagging API
// ThrottledException, the others ThrottlingException) before letting them
// through.
func WithThrottling(n int) Option { return func(s *settings) { s.throttle = n } }

// WithDenied makes every call to service in the account answer the
// service's access-denied error, in the given regions or, with none, in all
// of them: as an SCP denying the service would.
func WithDenied(account, service string, regions ...string) Option {
	return func(s *settings) {
		if len(regions) == 0 {
			regions = []string{""}
		}
		for _, r := range regions {
			s.denied[denyKey{account, service, r}] = true
		}
	}
}

// WithLegacyListBuckets makes ListBuckets answer as S3 did before paginated
// listing: every bucket, no continuation token and no BucketRegion, so
// clients must ask GetBucketLocation.
func WithLegacyListBuckets() Option { return func(s *settings) { s.legacyListBuckets = true } }

// Server is a running fake.
type Server struct {
	ts     *httptest.Server
	cfg    settings
	reqSeq atomic.Uint64

	inFlight, maxInFlight atomic.Int64

	mu        sync.Mutex // guards everything below and the state
	state     *State
	calls     []Call
	throttled map[string]int
}

// Call is one request the server answered.
type Call struct {
	Service   string // one of the Service* constants
	Action    string // the API operation, e.g. GetBucketPolicy
	AccountID string // the account the caller acts in; empty if unknown
	Region    string // the credential scope's region
	Resource  string // the bucket, key, topic, ... the call named, if any
	Status    int
	ErrorCode string // empty on success
}

// New starts a server for state after filling its blanks; an inconsistent
// state is an error saying what to fix.
func New(state *State, opts ...Option) (*Server, error) {
	cfg := settings{pageSize: 100, denied: map[denyKey]bool{}}
	for _, opt := range opts {
		opt(&cfg)
	}
	cfg.pageSize = max(cfg.pageSize, 1)
	if err := state.normalize(); err != nil {
		return nil, fmt.Errorf("validating resources.State: %w", err)
	}
	s := &Server{cfg: cfg, state: state, throttled: map[string]int{}}
	s.ts = httptest.NewServer(s)
	return s, nil
}

// URL returns the endpoint to use as BaseEndpoint for every client.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Do runs fn with exclusive access to the served state.
func (s *Server) Do(fn func(*State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.state)
}

// Credentials returns static credentials that act in the account. An
// unknown account gets a key the server rejects.
func (s *Server) Credentials(accountID string) aws.Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	akid := "AKIAUNKNOWN" + accountID
	if a := s.state.Account(accountID); a != nil {
		akid = a.AccessKeyID
	}
	return aws.Credentials{AccessKeyID: akid, SecretAccessKey: "fake-secret-" + accountID, Source: "resources fake"}
}

// CredentialsProvider returns Credentials as a provider.
func (s *Server) CredentialsProvider(accountID string) aws.CredentialsProvider {
	c := s.Credentials(accountID)
	return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")
}

// Config returns a hermetic aws.Config for the server, without credentials:
// region us-east-1, BaseEndpoint the server's URL, its HTTP client, and a
// retryer that retries what the SDK's standard retryer retries (throttling
// included) with millisecond back-off and no client-side retry quota, so
// tests stay fast. Nothing is read from the environment.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		HTTPClient:   s.ts.Client(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 10
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
					return time.Duration(min(attempt, 10)) * time.Millisecond, nil
				})
			})
		},
	}
}

// Calls returns a copy of every call answered, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Count returns how many answered calls match.
func (s *Server) Count(match func(Call) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if match(c) {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls answered so far and the in-flight maximum.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.maxInFlight.Store(0)
}

// MaxInFlight returns the most requests the server was handling at once.
func (s *Server) MaxInFlight() int { return int(s.maxInFlight.Load()) }

// apiError is an error answer; each protocol renders it its own way.
type apiError struct {
	status     int
	code, msg  string
	queryCode  string            // SQS: the x-amzn-query-error code
	s3Extra    map[string]string // S3: more <Error> elements, e.g. BucketName
	lambdaType string            // Lambda: the body's Type (User or Service)
}

// call is one request on its way through the handlers.
type call struct {
	s       *Server
	r       *http.Request
	reqID   string
	akid    string
	proto   protocol
	acct    *Account
	region  string
	service string
	action  string
	// resource is what the call names, for the call log.
	resource string
	body     []byte
	members  map[string]json.RawMessage // JSON protocols
	form     url.Values                 // SNS
	query    url.Values                 // REST protocols
	path     []string                   // REST protocols: unescaped path segments
}

// protocol is how one service reads requests and writes answers.
type protocol interface {
	// parse sets c.action (and whatever the handlers read) without touching state.
	parse(c *call) *apiError
	ops() map[string]func(*call) (any, *apiError)
	writeResult(w http.ResponseWriter, c *call, result any)
	writeError(w http.ResponseWriter, c *call, e *apiError)
	accessDenied(c *call) *apiError
	throttled(c *call) *apiError
	invalidToken() *apiError
}

var protocols = map[string]protocol{
	ServiceS3:             s3Protocol{},
	ServiceKMS:            jsonProtocol{svc: ServiceKMS, target: "TrentService", version: "1.1", handlers: kmsOps},
	ServiceSecretsManager: jsonProtocol{svc: ServiceSecretsManager, target: "secretsmanager", version: "1.1", handlers: secretsOps},
	ServiceECR:            jsonProtocol{svc: ServiceECR, target: "AmazonEC2ContainerRegistry_V20150921", version: "1.1", handlers: ecrOps},
	ServiceTagging:        jsonProtocol{svc: ServiceTagging, target: "ResourceGroupsTaggingAPI_20170126", version: "1.1", handlers: taggingOps},
	ServiceSQS:            jsonProtocol{svc: ServiceSQS, target: "AmazonSQS", version: "1.0", handlers: sqsOps, queryCompatible: true},
	ServiceSNS:            snsProtocol{},
	ServiceLambda:         lambdaProtocol{},
}

const maxBody = 1 << 20

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}

	c := &call{s: s, r: r, reqID: s.requestID()}
	w.Header().Set("X-Amzn-Requestid", c.reqID)
	w.Header().Set("X-Amz-Request-Id", c.reqID)
	akid, region, service, ok := credentialScope(r.Header.Get("Authorization"))
	p, known := protocols[service]
	if !ok || !known {
		// Without a scope the service is unknown, so no protocol applies.
		http.Error(w, "MissingAuthenticationToken: the request needs a SigV4 Authorization header scoped to one of the served services", http.StatusForbidden)
		return
	}
	c.akid, c.region, c.service, c.proto = akid, region, service, p
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		p.writeError(w, c, &apiError{status: 400, code: "SerializationException", msg: "reading the request body: " + err.Error()})
		return
	}
	c.body = body
	if aerr := p.parse(c); aerr != nil {
		p.writeError(w, c, aerr)
		return
	}
	op, ok := p.ops()[c.action]
	if !ok {
		p.writeError(w, c, &apiError{status: 400, code: "UnknownOperationException", msg: fmt.Sprintf("%s %s is not served by the resources fake", service, c.action)})
		return
	}
	if !sleepCtx(r.Context(), s.cfg.latency) {
		return
	}

	s.mu.Lock()
	result, aerr := s.handle(c, p, op)
	entry := Call{Service: service, Action: c.action, Region: region, Resource: c.resource, Status: http.StatusOK}
	if c.acct != nil {
		entry.AccountID = c.acct.ID
	}
	if aerr != nil {
		entry.Status, entry.ErrorCode = aerr.status, aerr.code
	}
	s.calls = append(s.calls, entry)
	s.mu.Unlock()

	if aerr != nil {
		p.writeError(w, c, aerr)
		return
	}
	p.writeResult(w, c, result)
}

// handle authenticates, injects faults and runs op; s.mu is held.
func (s *Server) handle(c *call, p protocol, op func(*call) (any, *apiError)) (any, *apiError) {
	for _, a := range s.state.Accounts {
		if a.AccessKeyID == c.akid {
			c.acct = a
		}
	}
	if c.acct == nil {
		return nil, p.invalidToken()
	}
	if s.cfg.denied[denyKey{c.acct.ID, c.service, ""}] || s.cfg.denied[denyKey{c.acct.ID, c.service, c.region}] {
		return nil, p.accessDenied(c)
	}
	if s.cfg.throttle > 0 {
		key := c.acct.ID + "/" + c.region + "/" + c.service + "/" + c.action
		if s.throttled[key] < s.cfg.throttle {
			s.throttled[key]++
			return nil, p.throttled(c)
		}
	}
	return op(c)
}

func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(n*2654435761), uint16(n>>16), n&0xfff, (n>>12)&0xfff, n)
}

// credentialScope reads "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...".
func credentialScope(auth string) (akid, region, service string, ok bool) {
	if !strings.HasPrefix(auth, "AWS4-") {
		return "", "", "", false
	}
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", "", "", false
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[4] != "aws4_request" {
		return "", "", "", false
	}
	return parts[0], parts[2], parts[3], true
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// page cuts items at an opaque token, returning the page and the next token
// ("" at the end). want is the page size the client asked for (0: none).
func page[T any](s *Server, items []T, token string, want int) ([]T, string, *apiError) {
	start := 0
	if token != "" {
		if _, err := fmt.Sscanf(token, "fake-page-%d", &start); err != nil || start < 0 || start > len(items) {
			return nil, "", &apiError{status: 400, code: "InvalidNextTokenException", msg: "invalid pagination token " + token}
		}
	}
	size := s.cfg.pageSize
	if want > 0 {
		size = min(size, want)
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = fmt.Sprintf("fake-page-%d", end)
	}
	return items[start:end], next, nil
}

// inRegion returns the items of a region, in their order.
func inRegion[T any](items []T, region func(T) string, want string) []T {
	var out []T
	for _, it := range items {
		if region(it) == want {
			out = append(out, it)
		}
	}
	return out
}

func deniedMessage(c *call, action, resource string) string {
	return fmt.Sprintf("User: %s is not authorized to perform: %s:%s on resource: %s because no identity-based policy allows the %s:%s action",
		c.acct.CallerARN, iamPrefix(c.service), action, resource, iamPrefix(c.service), action)
}

func iamPrefix(service string) string {
	if service == ServiceTagging {
		return "tag"
	}
	return service
}
