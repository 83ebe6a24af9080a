package live

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/tables"
)

const (
	mgmtID = "111111111111"
	roleOA = "OrganizationAccountAccessRole"
)

// fastRetryer is the SDK's adaptive mode with millisecond back-off, so
// throttling tests exercise the real retry path without the real waits.
func fastRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
				return time.Duration(attempt) * time.Millisecond, nil
			})
		})
	})
}

// fastStandardRetryer retries what the adaptive mode retries (both use the
// standard mode's rules) but without its client-side rate limit, which
// after a throttled first call allows one attempt every two seconds. Tests
// that throttle call after call use it to stay fast; the adaptive mode
// itself is exercised by TestOrganizationEqualsFiles and the benchmark.
func fastStandardRetryer() aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 10
		so.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			return time.Duration(attempt) * time.Millisecond, nil
		})
	})
}

func withStandardRetryer(o *Options) { o.Retryer = fastStandardRetryer }

// startFake serves org and closes the server with the test.
func startFake(tb testing.TB, org *awsfake.Org, opts ...awsfake.Option) *awsfake.Server {
	tb.Helper()
	s := awsfake.New(org, opts...)
	tb.Cleanup(s.Close)
	if err := s.Err(); err != nil {
		tb.Fatalf("invalid test organization: %v", err)
	}
	return s
}

// testOptions are fast polls and retries, and a silent logger.
func testOptions(o *Options) {
	o.Retryer = fastRetryer
	o.PollInterval = 5 * time.Millisecond
	o.MaxPollInterval = 40 * time.Millisecond
	o.Logger = slog.New(slog.DiscardHandler)
}

// fakeSource returns a Source with real SDK clients pointed at srv, signing
// as the org's caller.
func fakeSource(srv *awsfake.Server, org *awsfake.Org, opts ...Option) *Source {
	return New(srv.AWSConfig(org.CallerCredentials()), append([]Option{testOptions}, opts...)...)
}

// memberOrg is an organization of the management account and n members,
// each with the OrganizationAccountAccessRole and a few users.
func memberOrg(n int, roleOpts ...awsfake.RoleOption) (*awsfake.Org, []string) {
	org := awsfake.NewOrg(mgmtID)
	ids := []string{mgmtID}
	org.Account(mgmtID).AddUser("admin").AttachPolicy("arn:aws:iam::aws:policy/AdministratorAccess")
	for i := range n {
		id := fmt.Sprintf("%012d", 200000000000+i)
		a := org.AddAccount(id)
		r := a.AddRole(roleOA, roleOpts...)
		r.AttachedPolicyARNs = append(r.AttachedPolicyARNs, "arn:aws:iam::aws:policy/AdministratorAccess")
		for j := range 3 {
			u := a.AddUser(fmt.Sprintf("user-%d", j))
			u.AddAccessKey()
			u.PutInlinePolicy("inline", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
		}
		pol := a.AddPolicy("custom", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)
		a.AddGroup("devs").AttachPolicy(pol.ARN)
		a.User("user-0").AddToGroup("devs")
		ids = append(ids, id)
	}
	return org, ids
}

// progressLog records Progress calls.
type progressLog struct {
	mu     sync.Mutex
	events []AccountProgress
}

func (p *progressLog) record(e AccountProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, e)
}

// final returns each account's last reported state.
func (p *progressLog) final() map[string]AccountProgress {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]AccountProgress{}
	for _, e := range p.events {
		out[e.AccountID] = e
	}
	return out
}

// peakInFlight is the most accounts being read at once: between their
// first assuming-role or reading and their done or failed.
func (p *progressLog) peakInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	active := map[string]bool{}
	peak := 0
	for _, e := range p.events {
		switch e.State {
		case StateAssumingRole, StateReading, StateWaiting:
			active[e.AccountID] = true
		case StateDone, StateFailed:
			delete(active, e.AccountID)
		}
		peak = max(peak, len(active))
	}
	return peak
}

func (p *progressLog) states(acct string) []AccountState {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []AccountState
	for _, e := range p.events {
		if e.AccountID == acct && (len(out) == 0 || out[len(out)-1] != e.State) {
			out = append(out, e.State)
		}
	}
	return out
}

// hookClient runs before(action) ahead of each request, so a test can change
// the fake's state between two calls exactly as AWS could.
type hookClient struct {
	inner  aws.HTTPClient
	before func(action string)
}

func (h hookClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil {
			h.before(form.Get("Action"))
		}
	}
	return h.inner.Do(req)
}

// callsWithCode counts the fake's answers to action with the error code
// (empty: successes).
func callsWithCode(srv *awsfake.Server, action, code string) int {
	n := 0
	for _, c := range srv.CallLog() {
		if c.Action == action && c.ErrorCode == code {
			n++
		}
	}
	return n
}

// actions lists the fake's calls in one account, as "Action" or
// "Action:Code" for errors.
func actions(srv *awsfake.Server, acct string) []string {
	var out []string
	for _, c := range srv.CallLog() {
		if c.AccountID != acct || c.Service != "iam" {
			continue
		}
		a := c.Action
		if c.ErrorCode != "" {
			a += ":" + c.ErrorCode
		}
		out = append(out, a)
	}
	return out
}

func withoutSource(users []tables.User) []tables.User {
	out := slices.Clone(users)
	for i := range out {
		out[i].Source = ""
	}
	return out
}

// firstDiff describes the first element where two slices differ.
func firstDiff[T any](got, want []T) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("element %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("got %d elements, want %d", len(got), len(want))
}

func mustCollect(t *testing.T, s *Source) []AccountInventory {
	t.Helper()
	res, err := s.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
