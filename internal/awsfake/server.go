package awsfake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Option configures a Server: its clock, page size and injected faults.
type Option func(*settings)

type settings struct {
	clock                 func() time.Time
	latency               time.Duration
	actionLatency         map[string]time.Duration
	throttles             map[string]int // action ("" = every action) -> throttles per account
	reportLimitExceeded   int
	denyAssumeRole        map[string]bool
	denyIAM               map[string]bool
	reportDelay           time.Duration
	reportExpiry          time.Duration
	pageSize              int
	logger                *slog.Logger
	boundaryBlocksDelete  bool
	sessionDuration       time.Duration
	keyUseUpdatesLastUsed bool
}

// WithClock sets the server's clock (default time.Now), used for report
// generation and reuse, session expiry and creation dates.
func WithClock(now func() time.Time) Option { return func(s *settings) { s.clock = now } }

// WithLatency delays every call by d before it is answered.
func WithLatency(d time.Duration) Option { return func(s *settings) { s.latency = d } }

// WithActionLatency delays calls to action by d, overriding WithLatency.
func WithActionLatency(action string, d time.Duration) Option {
	return func(s *settings) { s.actionLatency[action] = d }
}

// WithThrottling answers the first n calls of each account to each of the
// actions (every action when none is named) with a throttling error before
// letting them succeed: Throttling (HTTP 400, "Rate exceeded") for IAM and
// STS, TooManyRequestsException for Organizations. For AssumeRole the
// account is the role's account, so each target account is throttled.
func WithThrottling(n int, actions ...string) Option {
	return func(s *settings) {
		if len(actions) == 0 {
			actions = []string{""}
		}
		for _, a := range actions {
			s.throttles[a] = n
		}
	}
}

// WithReportLimitExceeded answers the first n GenerateCredentialReport calls
// of each account with LimitExceeded (HTTP 409), as IAM did when it blocked
// the API in 2018. The SDK does not retry this code.
func WithReportLimitExceeded(n int) Option { return func(s *settings) { s.reportLimitExceeded = n } }

// WithDeniedAssumeRole makes AssumeRole into any role of the accounts fail
// with AccessDenied (HTTP 403).
func WithDeniedAssumeRole(accounts ...string) Option {
	return func(s *settings) {
		for _, a := range accounts {
			s.denyAssumeRole[a] = true
		}
	}
}

// WithDeniedIAM makes every IAM call in the accounts fail with AccessDenied
// (HTTP 403), as an SCP denying iam:* would.
func WithDeniedIAM(accounts ...string) Option {
	return func(s *settings) {
		for _, a := range accounts {
			s.denyIAM[a] = true
		}
	}
}

// WithReportDelay keeps a credential report INPROGRESS for d after
// generation starts (default 0: ready on the next call).
func WithReportDelay(d time.Duration) Option { return func(s *settings) { s.reportDelay = d } }

// WithReportExpiry makes GetCredentialReport answer ReportExpired for a
// report older than d (default: reports never expire).
func WithReportExpiry(d time.Duration) Option { return func(s *settings) { s.reportExpiry = d } }

// WithPageSize caps every page of every list call at n items, whatever
// MaxItems or MaxResults the client asks for (default 100).
func WithPageSize(n int) Option { return func(s *settings) { s.pageSize = n } }

// WithLogger logs every call at debug level to l.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithBoundaryBlocksDeleteUser makes DeleteUser refuse a user that still has
// a permissions boundary. Whether real IAM does is unconfirmed; by default
// it does not.
func WithBoundaryBlocksDeleteUser() Option {
	return func(s *settings) { s.boundaryBlocksDelete = true }
}

// WithSessionDuration sets the default lifetime of AssumeRole credentials
// when the request has no DurationSeconds (default one hour).
func WithSessionDuration(d time.Duration) Option { return func(s *settings) { s.sessionDuration = d } }

// WithoutKeyUseTracking stops requests signed with a user's own access key
// from updating the key's last-used date, region and service (which IAM
// does, and the fake does by default).
func WithoutKeyUseTracking() Option { return func(s *settings) { s.keyUseUpdatesLastUsed = false } }

// Server is a running fake: one HTTP endpoint answering IAM, STS and
// Organizations, dispatched on X-Amz-Target (JSON 1.1) or Action and Version
// (Query).
type Server struct {
	ts      *httptest.Server
	cfg     settings
	invalid error
	reqSeq  atomic.Uint64

	mu            sync.Mutex // guards everything below, and org
	org           *Org
	sessions      map[string]*session
	calls         []Call
	throttled     map[string]int
	limitExceeded map[string]int
	kms           kmsStore
	securityHub   securityHubStore
}

// Call is one request the server answered.
type Call struct {
	Time      time.Time
	Service   string // iam, sts or organizations
	Action    string
	AccountID string // the account the call acted in; empty if unauthenticated
	Principal string // the caller's ARN
	Params    map[string]string
	Mutating  bool
	Status    int
	ErrorCode string // empty on success
}

type session struct {
	accessKeyID, secret, token string
	accountID                  string
	role                       *Role
	sessionName                string
	expiration                 time.Time
}

// New starts a server for org. It fills org's blanks (IDs, ARNs, dates) and
// validates it; if org is inconsistent, Err says why and every call answers
// ServiceFailure with that message, so the test fails loudly.
func New(org *Org, opts ...Option) *Server {
	cfg := settings{
		clock:                 time.Now,
		actionLatency:         map[string]time.Duration{},
		throttles:             map[string]int{},
		denyAssumeRole:        map[string]bool{},
		denyIAM:               map[string]bool{},
		pageSize:              100,
		logger:                slog.New(slog.DiscardHandler),
		sessionDuration:       time.Hour,
		keyUseUpdatesLastUsed: true,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.pageSize < 1 {
		cfg.pageSize = 1
	}
	s := &Server{
		cfg: cfg, org: org,
		sessions:      map[string]*session{},
		throttled:     map[string]int{},
		limitExceeded: map[string]int{},
	}
	org.normalize()
	if err := org.Validate(); err != nil {
		s.invalid = fmt.Errorf("validating awsfake.Org: %w", err)
		cfg.logger.Error("awsfake: invalid organization; every call will fail", "error", s.invalid)
	}
	s.ts = httptest.NewServer(s)
	return s
}

// URL returns the endpoint to use as BaseEndpoint for every client.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Err returns why the Org given to New is invalid, or nil.
func (s *Server) Err() error { return s.invalid }

// Org returns the served state. Read or change it only inside Do while the
// server may be answering calls.
func (s *Server) Org() *Org { return s.org }

// Do runs fn with exclusive access to the served state (no call is answered
// meanwhile), then fills any blanks fn left, as New does.
func (s *Server) Do(fn func(o *Org)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.org)
	s.org.normalize()
}

// Calls returns how many calls to action were answered (errors included).
func (s *Server) Calls(action string) int {
	return s.count(func(c *Call) bool { return c.Action == action })
}

// AccountCalls returns how many calls to action acted in accountID.
func (s *Server) AccountCalls(accountID, action string) int {
	return s.count(func(c *Call) bool { return c.AccountID == accountID && c.Action == action })
}

// MutatingCalls returns how many calls to actions that change IAM state were
// answered, whether or not they succeeded.
func (s *Server) MutatingCalls() int { return s.count(func(c *Call) bool { return c.Mutating }) }

// AccountMutatingCalls returns MutatingCalls for one account.
func (s *Server) AccountMutatingCalls(accountID string) int {
	return s.count(func(c *Call) bool { return c.Mutating && c.AccountID == accountID })
}

// CallLog returns a copy of every call answered, in order.
func (s *Server) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ResetCalls forgets the calls answered so far (fault counters are kept).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

func (s *Server) count(match func(*Call) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := range s.calls {
		if match(&s.calls[i]) {
			n++
		}
	}
	return n
}

func (s *Server) now() time.Time { return s.cfg.clock().UTC() }

func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(n*2654435761), uint16(n>>16), n&0xfff, (n>>12)&0xfff, n)
}

// Service names, as in SigV4 credential scopes.
const (
	svcIAM  = "iam"
	svcSTS  = "sts"
	svcOrgs = "organizations"
)

const (
	iamVersion      = "2010-05-08"
	stsVersion      = "2011-06-15"
	iamNamespace    = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace    = "https://sts.amazonaws.com/doc/2011-06-15/"
	orgsTargetPrefx = "AWSOrganizationsV20161128."
	maxBody         = 1 << 20
)

// request is one parsed call on its way through the handlers.
type request struct {
	s      *Server
	svc    string
	action string
	hdr    http.Header
	form   url.Values                 // Query protocol parameters
	body   map[string]json.RawMessage // JSON protocol members
	p      *principal
	acct   *Account // the account the caller acts in
	now    time.Time
}

type handler func(*request) (any, *apiError)

type operation struct {
	fn       handler
	mutating bool
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.requestID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if s.serveSecurityHub(w, r, reqID) {
		return
	}
	req, op, aerr := s.parse(r)
	if aerr != nil {
		writeError(w, req.svc, aerr, reqID)
		return
	}
	if s.invalid != nil {
		writeError(w, req.svc, &apiError{status: 500, code: "ServiceFailure", msg: s.invalid.Error()}, reqID)
		return
	}

	// Latency happens outside the lock, so slow calls overlap as they do
	// against AWS.
	d, ok := s.cfg.actionLatency[req.action]
	if !ok {
		d = s.cfg.latency
	}
	if !sleepCtx(r.Context(), d) {
		return
	}

	s.mu.Lock()
	req.now = s.now()
	call := Call{Time: req.now, Service: req.svc, Action: req.action, Params: req.params(), Mutating: op.mutating}
	result, aerr := s.handle(req, op, &call)
	call.Status = http.StatusOK
	if aerr != nil {
		call.Status, call.ErrorCode = aerr.status, aerr.code
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "awsfake call",
		slog.String("service", call.Service), slog.String("action", call.Action),
		slog.String("account", call.AccountID), slog.Int("status", call.Status), slog.String("error", call.ErrorCode))
	if aerr != nil {
		writeError(w, req.svc, aerr, reqID)
		return
	}
	writeResult(w, req.svc, req.action, result, reqID)
}

// handle authenticates, injects faults and runs the operation; s.mu is held.
func (s *Server) handle(req *request, op operation, call *Call) (any, *apiError) {
	p, aerr := s.authenticate(req)
	if aerr != nil {
		return nil, aerr
	}
	req.p = p
	req.acct = s.org.Account(p.accountID)
	call.AccountID, call.Principal = p.accountID, p.arn
	if req.acct == nil {
		return nil, &apiError{status: 403, code: "InvalidClientTokenId", msg: "The security token included in the request is invalid."}
	}
	if aerr := s.injectFaults(req); aerr != nil {
		return nil, aerr
	}
	if req.svc == svcIAM && s.cfg.denyIAM[p.accountID] {
		return nil, errAccessDenied(fmt.Sprintf("User: %s is not authorized to perform: iam:%s on resource: %s with an explicit deny in a service control policy",
			p.arn, req.action, arnPrefix(p.accountID)+"user/*"))
	}
	return op.fn(req)
}

// injectFaults answers throttling and LimitExceeded errors configured with
// options, counting them per account and action.
func (s *Server) injectFaults(req *request) *apiError {
	n, ok := s.cfg.throttles[req.action]
	if !ok {
		n = s.cfg.throttles[""]
	}
	if n > 0 {
		key := throttleAccount(req) + "/" + req.action
		if s.throttled[key] < n {
			s.throttled[key]++
			if req.svc == svcOrgs {
				return &apiError{status: 429, code: "TooManyRequestsException", msg: "Rate exceeded", extra: map[string]string{"Type": "TooManyRequests"}}
			}
			return &apiError{status: 400, code: "Throttling", msg: "Rate exceeded"}
		}
	}
	if req.action == "GenerateCredentialReport" && s.cfg.reportLimitExceeded > 0 {
		if s.limitExceeded[req.acct.ID] < s.cfg.reportLimitExceeded {
			s.limitExceeded[req.acct.ID]++
			return &apiError{status: 409, code: "LimitExceeded", msg: "Credential report generation is throttled for this account. Try again later."}
		}
	}
	return nil
}

// throttleAccount is the account a call is throttled in: the role's account
// for AssumeRole (each target account has its own budget), otherwise the
// caller's.
func throttleAccount(req *request) string {
	if req.action == "AssumeRole" {
		if acct, _, ok := parseRoleARN(req.form.Get("RoleArn")); ok {
			return acct
		}
	}
	return req.p.accountID
}

// parse classifies the request (service, action, parameters) without
// touching state.
func (s *Server) parse(r *http.Request) (*request, operation, *apiError) {
	req := &request{s: s, hdr: r.Header, svc: svcIAM}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		svc, action, ops, ok := jsonTarget(target)
		req.svc = svc
		if !ok {
			return req, operation{}, &apiError{status: 400, code: "UnknownOperationException", msg: "Unknown target " + target}
		}
		req.action = action
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.1") {
			return req, operation{}, &apiError{status: 400, code: "SerializationException", msg: "Content-Type must be application/x-amz-json-1.1, not " + ct}
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return req, operation{}, &apiError{status: 400, code: "SerializationException", msg: "reading request body: " + err.Error()}
		}
		req.body = map[string]json.RawMessage{}
		if len(strings.TrimSpace(string(raw))) > 0 {
			if err := json.Unmarshal(raw, &req.body); err != nil {
				return req, operation{}, &apiError{status: 400, code: "SerializationException", msg: "request body is not a JSON object: " + err.Error()}
			}
		}
		op, ok := ops[req.action]
		if !ok {
			return req, operation{}, &apiError{status: 400, code: "UnknownOperationException", msg: "Operation " + req.action + " is not served by awsfake"}
		}
		return req, op, nil
	}

	if err := r.ParseForm(); err != nil {
		return req, operation{}, &apiError{status: 400, code: "MalformedQueryString", msg: "parsing form body: " + err.Error()}
	}
	req.form = r.Form
	req.action = r.Form.Get("Action")
	version := r.Form.Get("Version")
	var ops map[string]operation
	switch version {
	case iamVersion:
		req.svc, ops = svcIAM, iamOperations
	case stsVersion:
		req.svc, ops = svcSTS, stsOperations
	default:
		return req, operation{}, &apiError{status: 400, code: "InvalidAction", msg: fmt.Sprintf("Could not find operation %s for version %s", req.action, version)}
	}
	if req.action == "" {
		return req, operation{}, &apiError{status: 400, code: "MissingAction", msg: "Missing Action"}
	}
	op, ok := ops[req.action]
	if !ok {
		return req, operation{}, &apiError{status: 400, code: "InvalidAction", msg: fmt.Sprintf("Could not find operation %s for version %s", req.action, version)}
	}
	return req, op, nil
}

// params flattens the request's parameters for the call log; passwords are
// redacted.
func (req *request) params() map[string]string {
	m := map[string]string{}
	for k, v := range req.form {
		switch {
		case k == "Action" || k == "Version" || len(v) == 0:
		case strings.Contains(k, "Password") && k != "PasswordResetRequired":
			m[k] = "REDACTED"
		default:
			m[k] = v[0]
		}
	}
	for k, v := range req.body {
		var str string
		if json.Unmarshal(v, &str) == nil {
			m[k] = str
		} else {
			m[k] = string(v)
		}
	}
	return m
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

// principal is the authenticated caller.
type principal struct {
	accountID string
	arn       string // what GetCallerIdentity returns as Arn
	userID    string // what GetCallerIdentity returns as UserId
	user      *User  // the IAM user, when signed with a user's own key
	sess      *session
	trust     trustCaller
}

// authenticate maps the SigV4 access key ID to a principal. Signatures are
// not verified: the fake only needs to know who is calling, and the SDK's
// signer is not what these tests exercise. An Authorization header is still
// required, as AWS requires one.
func (s *Server) authenticate(req *request) (*principal, *apiError) {
	auth := req.header("Authorization")
	if auth == "" {
		code := "MissingAuthenticationToken"
		if jsonService(req.svc) {
			code = "MissingAuthenticationTokenException"
		}
		return nil, &apiError{status: 403, code: code, msg: "Request is missing Authentication Token"}
	}
	akid, scopeService, ok := parseCredentialScope(auth)
	if !ok {
		return nil, &apiError{status: 400, code: "IncompleteSignature",
			msg: "Authorization header requires 'Credential' parameter of the form AKID/date/region/service/aws4_request"}
	}
	if scopeService != req.svc {
		return nil, &apiError{status: 403, code: "SignatureDoesNotMatch",
			msg: fmt.Sprintf("Credential should be scoped to correct service: '%s'.", req.svc)}
	}
	invalid := &apiError{status: 403, code: "InvalidClientTokenId", msg: "The security token included in the request is invalid."}
	if jsonService(req.svc) {
		invalid.code = "UnrecognizedClientException"
	}

	if sess, ok := s.sessions[akid]; ok {
		if req.header("X-Amz-Security-Token") != sess.token {
			return nil, invalid
		}
		if !req.nowOrClock().Before(sess.expiration) {
			code := "ExpiredToken"
			if jsonService(req.svc) {
				code = "ExpiredTokenException"
			}
			return nil, &apiError{status: 403, code: code, msg: "The security token included in the request is expired"}
		}
		role := sess.role
		return &principal{
			accountID: sess.accountID,
			arn:       fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", sess.accountID, role.Name, sess.sessionName),
			userID:    role.RoleID + ":" + sess.sessionName,
			sess:      sess,
			trust:     trustCaller{accountID: sess.accountID, arn: role.ARN(sess.accountID), uniqueID: role.RoleID},
		}, nil
	}
	for _, c := range s.org.Callers {
		if c.AccessKeyID == akid {
			return &principal{accountID: c.AccountID, arn: c.ARN, userID: c.UserID,
				trust: trustCaller{accountID: c.AccountID, arn: c.ARN, uniqueID: c.UserID}}, nil
		}
	}
	for _, a := range s.org.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if k.ID != akid {
					continue
				}
				if k.Status != StatusActive {
					return nil, invalid
				}
				if s.cfg.keyUseUpdatesLastUsed {
					t := req.nowOrClock()
					k.LastUsedDate, k.LastUsedService = &t, req.svc
					k.LastUsedRegion = scopeRegion(auth)
					if req.svc == svcIAM {
						k.LastUsedRegion = "" // IAM is global
					}
				}
				arn := u.ARN(a.ID)
				return &principal{accountID: a.ID, arn: arn, userID: u.UserID, user: u,
					trust: trustCaller{accountID: a.ID, arn: arn, uniqueID: u.UserID}}, nil
			}
		}
	}
	return nil, invalid
}

func (req *request) nowOrClock() time.Time {
	if req.now.IsZero() {
		return req.s.now()
	}
	return req.now
}

func (req *request) header(name string) string { return req.hdr.Get(name) }

// parseCredentialScope extracts the access key ID and service from a SigV4
// Authorization header: "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...".
func parseCredentialScope(auth string) (akid, service string, ok bool) {
	parts := credentialParts(auth)
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return "", "", false
	}
	return parts[0], parts[3], true
}

func scopeRegion(auth string) string {
	if parts := credentialParts(auth); len(parts) == 5 {
		return parts[2]
	}
	return ""
}

func credentialParts(auth string) []string {
	if !strings.HasPrefix(auth, "AWS4-") {
		return nil
	}
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return nil
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	return strings.Split(cred, "/")
}
