package awsfake

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestCredentialReportLifecycle drives generate/poll/get with a real SDK
// client: ReportNotPresent, STARTED, INPROGRESS while generating,
// ReportInProgress, COMPLETE, the CSV decoded by the SDK from base64, and
// the 4-hour reuse rule.
func TestCredentialReportLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := newClock(date("2026-06-01T10:00:00Z"))
	org := richOrg()
	// A static caller in the member account: AssumeRole sessions would
	// expire over the hours this test spans.
	caller := org.AddCaller(memberID, "arn:aws:iam::"+memberID+":user/auditor")
	s := start(t, org, WithClock(clock.Now), WithReportDelay(2*time.Minute))
	c := s.IAMClient(caller.Credentials())

	_, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	var notPresent *iamtypes.CredentialReportNotPresentException
	if !errors.As(err, &notPresent) || httpStatus(err) != 410 {
		t.Fatalf("GetCredentialReport before any generation: got %v (HTTP %d), want ReportNotPresent 410", err, httpStatus(err))
	}

	generate := func(want iamtypes.ReportStateType) {
		t.Helper()
		out, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			t.Fatalf("GenerateCredentialReport: %v", err)
		}
		if out.State != want {
			t.Fatalf("GenerateCredentialReport state = %s, want %s", out.State, want)
		}
	}
	generate(iamtypes.ReportStateTypeStarted)
	generatedAt := clock.Now()
	clock.Advance(time.Minute)
	generate(iamtypes.ReportStateTypeInprogress)

	_, err = c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	var notReady *iamtypes.CredentialReportNotReadyException
	if !errors.As(err, &notReady) || httpStatus(err) != 404 {
		t.Fatalf("GetCredentialReport while generating: got %v (HTTP %d), want ReportInProgress 404", err, httpStatus(err))
	}

	clock.Advance(time.Minute)
	generate(iamtypes.ReportStateTypeComplete)
	got, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatalf("GetCredentialReport: %v", err)
	}
	if got.ReportFormat != iamtypes.ReportFormatTypeTextCsv {
		t.Errorf("ReportFormat = %q, want text/csv", got.ReportFormat)
	}
	if !got.GeneratedTime.Equal(generatedAt) {
		t.Errorf("GeneratedTime = %v, want %v", got.GeneratedTime, generatedAt)
	}
	want := org.Account(memberID).CredentialReportCSV()
	if !bytes.Equal(got.Content, want) {
		t.Errorf("report content differs from the state's CSV:\n got %s\nwant %s", got.Content, want)
	}
	recs, err := csv.NewReader(bytes.NewReader(got.Content)).ReadAll()
	if err != nil {
		t.Fatalf("SDK content is not CSV (was it left base64-encoded?): %v", err)
	}
	if h := strings.Join(recs[0], ","); h != strings.Join(CredentialReportHeader, ",") || len(recs[0]) != 22 {
		t.Errorf("header = %s", h)
	}

	// Within four hours the report is reused: a new user does not appear.
	s.Do(func(o *Org) { o.Account(memberID).AddUser("late") })
	clock.Advance(3 * time.Hour)
	generate(iamtypes.ReportStateTypeComplete)
	got, err = c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got.Content), "\nlate,") {
		t.Errorf("a report reused within 4 hours shows a user created after it")
	}

	// After four hours Generate starts a new report that shows the user.
	clock.Advance(time.Hour + time.Second)
	generate(iamtypes.ReportStateTypeStarted)
	clock.Advance(2 * time.Minute)
	got, err = c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got.Content), "\nlate,") {
		t.Errorf("a report generated after the user was created does not show it")
	}
	if n := s.AccountCalls(memberID, "GenerateCredentialReport"); n != 5 {
		t.Errorf("GenerateCredentialReport calls = %d, want 5", n)
	}
}

func TestCredentialReportExpired(t *testing.T) {
	ctx := context.Background()
	clock := newClock(date("2026-06-01T10:00:00Z"))
	org := NewOrg(mgmtID)
	s := start(t, org, WithClock(clock.Now), WithReportExpiry(time.Hour))
	c := s.IAMClient(org.CallerCredentials())
	if _, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); err != nil {
		t.Fatalf("fresh report: %v", err)
	}
	clock.Advance(2 * time.Hour)
	_, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	var expired *iamtypes.CredentialReportExpiredException
	if !errors.As(err, &expired) || httpStatus(err) != 410 {
		t.Fatalf("old report: got %v (HTTP %d), want ReportExpired 410", err, httpStatus(err))
	}
	// An expired report is not reused, even within four hours.
	out, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil || out.State != iamtypes.ReportStateTypeStarted {
		t.Fatalf("Generate after expiry: state %v, err %v; want STARTED", out, err)
	}
	if _, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); err != nil {
		t.Fatalf("regenerated report: %v", err)
	}
}

func TestCredentialReportSeededFreshIsReused(t *testing.T) {
	ctx := context.Background()
	clock := newClock(date("2026-06-01T10:00:00Z"))
	org := NewOrg(mgmtID)
	org.Account(mgmtID).SeedCredentialReport(date("2026-06-01T08:00:00Z"))
	s := start(t, org, WithClock(clock.Now), WithReportDelay(time.Hour))
	c := s.IAMClient(org.CallerCredentials())
	out, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil || out.State != iamtypes.ReportStateTypeComplete {
		t.Fatalf("Generate with a 2-hour-old report: %v, %v; want COMPLETE at once", out, err)
	}
	got, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.GeneratedTime.Equal(date("2026-06-01T08:00:00Z")) {
		t.Errorf("GeneratedTime = %v, want the seeded time", got.GeneratedTime)
	}
}

func TestGenerateCredentialReportLimitExceeded(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	s := start(t, org, WithReportLimitExceeded(2))
	c := s.IAMClient(org.CallerCredentials())
	for i := 0; i < 2; i++ {
		_, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		var le *iamtypes.LimitExceededException
		if !errors.As(err, &le) || httpStatus(err) != 409 {
			t.Fatalf("call %d: got %v (HTTP %d), want LimitExceeded 409", i+1, err, httpStatus(err))
		}
	}
	if _, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
		t.Fatalf("third call: %v", err)
	}
	// The SDK does not retry IAM's LimitExceeded: one attempt per call.
	if n := s.Calls("GenerateCredentialReport"); n != 3 {
		t.Errorf("GenerateCredentialReport attempts = %d, want 3", n)
	}
}
