package live

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
)

// TestCredentialReportLifecycle drives the report loop through each of
// IAM's answers, with real SDK clients against the fake, and checks the
// calls made and the outcome.
func TestCredentialReportLifecycle(t *testing.T) {
	type env struct {
		srv *awsfake.Server
		org *awsfake.Org
	}
	var (
		gen      = "GenerateCredentialReport"
		get      = "GetCredentialReport"
		gaad     = "GetAccountAuthorizationDetails"
		seededAt = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	)
	cases := []struct {
		name string
		opts []awsfake.Option
		// setup prepares the org; hook, when set, runs before each request.
		setup func(org *awsfake.Org)
		hook  func(e *env, action string, n int)
		src   []Option
		// want is the account's IAM calls, authorization details left out.
		want    []string
		wantErr string // in the account's Err; empty: success
		code    string // the AccountError's Code
		check   func(t *testing.T, r AccountInventory)
	}{
		{
			name: "generated, in progress, then read",
			opts: []awsfake.Option{awsfake.WithReportDelay(120 * time.Millisecond)},
			check: func(t *testing.T, r AccountInventory) {
				if r.GeneratedAt.Before(seededAt) {
					t.Errorf("GeneratedAt %s: want this run's", r.GeneratedAt)
				}
			},
		},
		{
			name:  "a report under four hours old is reused",
			setup: func(org *awsfake.Org) { org.Account(mgmtID).SeedCredentialReport(seededAt) },
			want:  []string{gen, get},
			check: func(t *testing.T, r AccountInventory) {
				if !r.GeneratedAt.Equal(seededAt) {
					t.Errorf("GeneratedAt %s, want the reused report's %s", r.GeneratedAt, seededAt)
				}
			},
		},
		{
			name: "report not present after generation: generate again",
			hook: func(e *env, action string, n int) {
				if action == get && n == 1 {
					e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).CredentialReport = nil })
				}
			},
			want: []string{gen, get + ":ReportNotPresent", gen, get},
		},
		{
			name: "report expired: generate again",
			hook: func(e *env, action string, n int) {
				if action == get && n == 1 {
					e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).CredentialReport.Expired = true })
				}
			},
			want: []string{gen, get + ":ReportExpired", gen, get},
		},
		{
			name: "LimitExceeded twice, then generated",
			opts: []awsfake.Option{awsfake.WithReportLimitExceeded(2)},
			want: []string{gen + ":LimitExceeded", gen + ":LimitExceeded", gen, get},
		},
		{
			name:    "LimitExceeded for good: bounded, then the account fails",
			opts:    []awsfake.Option{awsfake.WithReportLimitExceeded(1000)},
			want:    slices.Repeat([]string{gen + ":LimitExceeded"}, maxLimitExceeded+1),
			wantErr: "IAM refused 9 times (LimitExceeded); try again later",
			code:    "LimitExceeded",
		},
		{
			name: "throttled: the SDK retries",
			opts: []awsfake.Option{awsfake.WithThrottling(2, gen, get)},
			src:  []Option{withStandardRetryer},
			want: []string{gen + ":Throttling", gen + ":Throttling", gen, get + ":Throttling", get + ":Throttling", get},
		},
		{
			name:    "report never ready: the account is given up",
			opts:    []awsfake.Option{awsfake.WithReportDelay(time.Hour)},
			src:     []Option{func(o *Options) { o.ReportTimeout = 60 * time.Millisecond }},
			wantErr: "still being generated after",
			code:    "ReportInProgress",
		},
		{
			name: "report keeps vanishing: bounded",
			hook: func(e *env, action string, _ int) {
				if action == get {
					e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).CredentialReport = nil })
				}
			},
			want:    slices.Repeat([]string{gen, get + ":ReportNotPresent"}, maxRegenerations+1),
			wantErr: "6 reports went missing or expired right after generation",
			code:    "ReportNotPresent",
		},
		{
			name:    "IAM denied",
			opts:    []awsfake.Option{awsfake.WithDeniedIAM(mgmtID)},
			wantErr: "AccessDenied",
			code:    "AccessDenied",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			org, _ := memberOrg(0)
			if tc.setup != nil {
				tc.setup(org)
			}
			e := &env{org: org}
			e.srv = startFake(t, org, tc.opts...)
			cfg := e.srv.AWSConfig(org.CallerCredentials())
			if tc.hook != nil {
				var mu sync.Mutex
				counts := map[string]int{}
				cfg.HTTPClient = hookClient{inner: cfg.HTTPClient, before: func(action string) {
					mu.Lock()
					defer mu.Unlock()
					counts[action]++
					tc.hook(e, action, counts[action])
				}}
			}
			src := New(cfg, append([]Option{testOptions}, tc.src...)...)
			results, err := src.Collect(context.Background())
			if len(results) != 1 || results[0].AccountID != mgmtID {
				t.Fatalf("results %+v (err %v), want the caller's account alone", results, err)
			}
			r := results[0]
			if tc.wantErr == "" {
				if err != nil || r.Err != nil {
					t.Fatalf("Collect: %v; account: %v", err, r.Err)
				}
				if r.Report == nil || r.Details == nil || r.Report.AccountID != mgmtID || len(r.Report.Users) != 2 {
					t.Fatalf("parsed report %+v", r.Report)
				}
				if !r.Report.GeneratedAt.Equal(r.GeneratedAt) || !r.Report.Users[1].ReportGeneratedAt.Equal(r.GeneratedAt) {
					t.Errorf("the parsed report's generation time is not GetCredentialReport's %s", r.GeneratedAt)
				}
			} else {
				var ae *AccountError
				if err == nil || !errors.As(r.Err, &ae) || !strings.Contains(r.Err.Error(), tc.wantErr) || ae.Code != tc.code {
					t.Fatalf("Collect error %v, account error %v; want both, the latter containing %q with code %s", err, r.Err, tc.wantErr, tc.code)
				}
			}
			if tc.want != nil {
				got := slices.DeleteFunc(actions(e.srv, mgmtID), func(a string) bool { return strings.HasPrefix(a, gaad) })
				if !slices.Equal(got, tc.want) {
					t.Errorf("calls\n %v\nwant\n %v", got, tc.want)
				}
			}
			if tc.name == "generated, in progress, then read" && callsWithCode(e.srv, get, "ReportInProgress") == 0 {
				t.Error("GetCredentialReport never answered ReportInProgress")
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// TestFreshReport checks both answers to a report IAM reuses: accepted as
// is by default, and waited out until IAM generates a new one with
// FreshReport.
func TestFreshReport(t *testing.T) {
	for _, fresh := range []bool{false, true} {
		t.Run(map[bool]string{false: "reused", true: "fresh"}[fresh], func(t *testing.T) {
			org, _ := memberOrg(0)
			// IAM will generate a new report in under a second.
			seeded := time.Now().Add(-4*time.Hour + 700*time.Millisecond)
			org.Account(mgmtID).SeedCredentialReport(seeded)
			srv := startFake(t, org, awsfake.WithReportDelay(50*time.Millisecond))
			var logs bytes.Buffer
			var progress progressLog
			opts := []Option{WithProgress(progress.record), func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) }}
			if fresh {
				opts = append(opts, WithFreshReport())
			}
			r := mustCollect(t, fakeSource(srv, org, opts...))[0]
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			seededSec := seeded.UTC().Truncate(time.Second)
			if !fresh {
				if !r.GeneratedAt.Equal(seededSec) {
					t.Errorf("GeneratedAt %s, want the reused report's %s", r.GeneratedAt, seededSec)
				}
				return
			}
			if !r.GeneratedAt.After(seededSec) {
				t.Errorf("GeneratedAt %s: want a report newer than the reused %s", r.GeneratedAt, seededSec)
			}
			if n := srv.Calls("GenerateCredentialReport"); n < 2 {
				t.Errorf("%d GenerateCredentialReport calls, want a second after the wait", n)
			}
			if !slices.Contains(progress.states(mgmtID), StateWaiting) {
				t.Errorf("progress %v never says waiting", progress.states(mgmtID))
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "fresh-report") {
				t.Errorf("no warning about the wait in the logs:\n%s", logs.String())
			}
		})
	}
}

// TestCancelDuringWaits checks that every wait ends with the context, and
// that Collect then returns the context's cause.
func TestCancelDuringWaits(t *testing.T) {
	cases := []struct {
		name string
		opts []awsfake.Option
		src  []Option
		seed bool // IAM has a report under four hours old
		// waiting says the account has reached the wait to interrupt.
		waiting func(p AccountProgress) bool
	}{
		{
			name:    "polling a report in progress",
			opts:    []awsfake.Option{awsfake.WithReportDelay(time.Hour)},
			src:     []Option{func(o *Options) { o.PollInterval, o.MaxPollInterval = time.Hour, time.Hour }},
			waiting: func(p AccountProgress) bool { return p.ReportState == "STARTED" },
		},
		{
			name:    "backing off after LimitExceeded",
			opts:    []awsfake.Option{awsfake.WithReportLimitExceeded(1000)},
			src:     []Option{func(o *Options) { o.PollInterval, o.MaxPollInterval = time.Hour, time.Hour }},
			waiting: func(p AccountProgress) bool { return p.State == StateReading && p.Pages > 0 },
		},
		{
			name: "waiting for a fresh report",
			src:  []Option{WithFreshReport()},
			seed: true,
			waiting: func(p AccountProgress) bool {
				return p.State == StateWaiting
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			org, _ := memberOrg(0)
			if tc.seed {
				org.Account(mgmtID).SeedCredentialReport(time.Now().Add(-time.Minute))
			}
			srv := startFake(t, org, tc.opts...)
			cause := errors.New("interrupted by the test")
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			var once atomic.Bool
			progress := func(p AccountProgress) {
				if p.AccountID == mgmtID && tc.waiting(p) && once.CompareAndSwap(false, true) {
					// Let the account enter the wait, then interrupt it.
					time.AfterFunc(20*time.Millisecond, func() { cancel(cause) })
				}
			}
			src := fakeSource(srv, org, append(tc.src, WithProgress(progress))...)
			results, err := src.Collect(ctx)
			if !errors.Is(err, cause) {
				t.Fatalf("Collect returned %v, want the context's cause", err)
			}
			var ae *AccountError
			if len(results) != 1 || !errors.As(results[0].Err, &ae) || ae.Stage != StageInterrupted || !errors.Is(ae, cause) {
				t.Fatalf("results %+v: want the account interrupted with the cause", results)
			}
		})
	}
}
