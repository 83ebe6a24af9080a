package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/progress/progresstest"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/internal/remote"
)

func TestEventDataStoreID(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE", "EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE", ""},
		{"arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE", "EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE", ""},
		{"arn:aws-us-gov:cloudtrail:us-gov-west-1:123456789012:eventdatastore/abc-123", "abc-123", ""},
		{"arn:aws:cloudtrail:us-east-1:123456789012:trail/management", "", "not an event data store's"},
		{"arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/", "", "not an event data store's"},
		{"", "", "--event-data-store"},
		{"abc; DROP TABLE x", "", "only letters, digits and hyphens"},
	}
	for _, tt := range tests {
		got, err := EventDataStoreID(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("EventDataStoreID(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("EventDataStoreID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// A failed query's message, as Lake gives it, reaches the error.
func TestLakeFailedQuery(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	const reason = "Query exceeded the maximum number of concurrent queries for the account"
	s.SetBehavior(analytics.Behavior{Fail: reason, Polls: 2})
	_, err := newTestLake(t, s, analytics.DefaultEventDataStore).Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	var qe *remote.QueryError
	if !errors.As(err, &qe) || qe.State != "FAILED" || qe.Engine != "lake" || !strings.Contains(err.Error(), reason) {
		t.Fatalf("got %v, want a FAILED QueryError with Lake's message", err)
	}

	// A data store Lake does not know: StartQuery's error.
	s.SetBehavior(analytics.Behavior{})
	_, err = newTestLake(t, s, "EXAMPLE0000-0000-0000-0000-nope").Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if err == nil || !strings.Contains(err.Error(), "EventDataStoreNotFoundException") || !strings.Contains(err.Error(), "EXAMPLE0000-0000-0000-0000-nope") {
		t.Errorf("got %v, want EventDataStoreNotFoundException", err)
	}
}

// Cancelling the context (Ctrl-C) cancels the running query.
func TestLakeCancel(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	s.SetBehavior(analytics.Behavior{Hold: true})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := newTestLake(t, s, analytics.DefaultEventDataStore).Run(ctx, activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
		errc <- err
	}()
	trailtest.WaitFor(t, func() bool { return len(s.CallsTo("DescribeQuery")) >= 2 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	starts, cancels := s.CallsTo("StartQuery"), s.CallsTo("CancelQuery")
	if len(starts) != 1 || len(cancels) != 1 || cancels[0].QueryID != starts[0].QueryID || cancels[0].Status != 200 {
		t.Fatalf("started %+v, cancelled %+v: want the query cancelled", starts, cancels)
	}
	out, err := s.CloudTrailClient().DescribeQuery(context.Background(), &cloudtrail.DescribeQueryInput{QueryId: aws.String(starts[0].QueryID)})
	if err != nil {
		t.Fatal(err)
	}
	if out.QueryStatus != cttypes.QueryStatusCancelled {
		t.Errorf("the query is %s, want CANCELLED", out.QueryStatus)
	}
}

// Lake refuses statements over 10000 characters: the engine says so before
// sending one, and what to do.
func TestLakeStatementLimit(t *testing.T) {
	var accounts []string
	for i := range 600 {
		accounts = append(accounts, fmt.Sprintf("%012d", i+1))
	}
	_, err := LakeSQL("abc", activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Accounts: accounts})
	if err == nil || !strings.Contains(err.Error(), "over Lake's limit of 10000") || !strings.Contains(err.Error(), "--accounts") {
		t.Errorf("got %v, want the statement refused as too long", err)
	}
	if _, err := NewLake(nil, LakeOptions{EventDataStore: "abc"}); err == nil || !strings.Contains(err.Error(), "CloudTrail client") {
		t.Errorf("NewLake without a client: got %v", err)
	}
}

// Issue 14: a Lake run is not silent about digests: it has none (no log
// files, no digest report) and logs that its coverage is assumed.
func TestLakeSaysNoDigests(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	var logged bytes.Buffer
	l, err := NewLake(s.CloudTrailClient(), LakeOptions{EventDataStore: analytics.DefaultEventDataStore,
		PollInterval: trailtest.FastPoll, MaxPollInterval: trailtest.FastPollMax, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digests != nil || res.LogFiles != nil {
		t.Errorf("Lake result has digests %+v and %d log files, want none", res.Digests, len(res.LogFiles))
	}
	if !strings.Contains(logged.String(), "coverage assumed, not proven") || !strings.Contains(logged.String(), "no digest files") {
		t.Errorf("the Lake run does not say it has no digests:\n%s", logged.String())
	}
}

func newTestLake(t testing.TB, s *analytics.Server, store string) *Lake {
	t.Helper()
	l, err := NewLake(s.CloudTrailClient(), LakeOptions{EventDataStore: store, PollInterval: trailtest.FastPoll, MaxPollInterval: trailtest.FastPollMax, Logger: trailtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A Lake query against the fake reports its state, elapsed time and the
// bytes DescribeQuery says it scanned, as log lines off a terminal.
func TestLakeProgress(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	var logs progresstest.Buffer
	l, err := NewLake(s.CloudTrailClient(), LakeOptions{EventDataStore: analytics.DefaultEventDataStore,
		PollInterval: 4 * time.Millisecond, MaxPollInterval: 4 * time.Millisecond, progressEvery: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.SetBehavior(analytics.Behavior{Polls: 30})
	if _, err := l.Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}); err != nil {
		t.Fatal(err)
	}
	id := s.CallsTo("DescribeQuery")[0].QueryID
	for _, want := range []string{`msg="CloudTrail Lake query running"`, "query_id=" + id, "state=QUEUED", "state=RUNNING", "elapsed=", "bytes_scanned=0"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the query's log lacks %q:\n%s", want, logs.String())
		}
	}
}
