package live

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAM generates at most one credential report per account every four hours
// and hands back the last one until then.
const reportReuseWindow = 4 * time.Hour

// Bounds on answers that send the loop back: LimitExceeded on generation
// (IAM refusing to generate, as in 2018), and ReportNotPresent or
// ReportExpired after generation (the report vanished between calls).
const (
	maxLimitExceeded = 8
	maxRegenerations = 5
)

type reportResult struct {
	csv       []byte
	generated time.Time
}

// poller spaces out polls: each wait a quarter longer than the last, up to
// a ceiling. Reports usually take seconds, so polls start often.
type poller struct {
	next, max time.Duration
}

func (s *Source) newPoller() *poller {
	return &poller{next: s.opts.PollInterval, max: s.opts.MaxPollInterval}
}

func (p *poller) delay() time.Duration {
	d := p.next
	p.next = min(p.next+p.next/4, p.max)
	return d
}

// sleep waits d, or returns the cause of ctx's end.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// credentialReport runs IAM's documented loop: generate until a report
// exists or is being made, then get it; ReportInProgress means wait and get
// again, ReportNotPresent and ReportExpired mean generate again.
func (s *Source) credentialReport(ctx context.Context, acct string, client IAMAPI, pr *accountProgress) (reportResult, error) {
	var (
		poll          = s.newPoller()
		limitHits     int
		regenerations int
		generate      = true
		first         = true
		// reused: the run's first GenerateCredentialReport answered
		// COMPLETE, so IAM kept a report made before this run (up to four
		// hours old).
		reused bool
		// With FreshReport, reports generated at or before stale are refused.
		stale   time.Time
		started time.Time // when the current generation was asked for
	)
	for {
		if generate {
			state, err := s.generate(ctx, acct, client, &limitHits)
			if err != nil {
				return reportResult{}, err
			}
			pr.report(string(state))
			if first {
				reused, first = state == types.ReportStateTypeComplete, false
			}
			generate, started = false, time.Now()
			if state != types.ReportStateTypeComplete {
				if err := sleep(ctx, poll.delay()); err != nil {
					return reportResult{}, err
				}
			}
		}

		out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		var (
			notReady   *types.CredentialReportNotReadyException
			notPresent *types.CredentialReportNotPresentException
			expired    *types.CredentialReportExpiredException
		)
		switch {
		case err == nil:
			generated := aws.ToTime(out.GeneratedTime).UTC()
			if s.opts.FreshReport && reused && (stale.IsZero() || !generated.After(stale)) {
				stale = generated
				if err := s.waitForFreshReport(ctx, acct, generated, poll, pr); err != nil {
					return reportResult{}, err
				}
				generate = true
				continue
			}
			if f := out.ReportFormat; f != "" && f != types.ReportFormatTypeTextCsv {
				return reportResult{}, fmt.Errorf("getting credential report: format %q, want text/csv", f)
			}
			if len(out.Content) == 0 {
				return reportResult{}, errors.New("getting credential report: IAM returned an empty report")
			}
			if out.GeneratedTime == nil {
				return reportResult{}, errors.New("getting credential report: IAM returned no GeneratedTime")
			}
			return reportResult{csv: out.Content, generated: generated}, nil

		case errors.As(err, &notReady):
			pr.report(string(types.ReportStateTypeInprogress))
			if waited := time.Since(started); waited > s.opts.ReportTimeout {
				return reportResult{}, fmt.Errorf("getting credential report: still being generated after %s; try again later: %w", waited.Round(time.Second), err)
			}
			s.log.DebugContext(ctx, "credential report in progress", "account", acct)
			if err := sleep(ctx, poll.delay()); err != nil {
				return reportResult{}, err
			}

		case errors.As(err, &notPresent), errors.As(err, &expired):
			regenerations++
			if regenerations > maxRegenerations {
				return reportResult{}, fmt.Errorf("getting credential report: %d reports went missing or expired right after generation; try again later: %w", regenerations, err)
			}
			s.log.DebugContext(ctx, "credential report gone; generating again", "account", acct, "code", ErrorCode(err))
			generate = true

		default:
			return reportResult{}, fmt.Errorf("getting credential report: %w", err)
		}
	}
}

// generate calls GenerateCredentialReport, backing off on LimitExceeded
// (which the SDK does not retry) a bounded number of times per account.
func (s *Source) generate(ctx context.Context, acct string, client IAMAPI, limitHits *int) (types.ReportStateType, error) {
	backoff := max(s.opts.PollInterval, time.Millisecond)
	for {
		out, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err == nil {
			return out.State, nil
		}
		var limit *types.LimitExceededException
		if !errors.As(err, &limit) {
			return "", fmt.Errorf("generating credential report: %w", err)
		}
		*limitHits++
		if *limitHits > maxLimitExceeded {
			return "", fmt.Errorf("generating credential report: IAM refused %d times (LimitExceeded); try again later: %w", *limitHits, err)
		}
		d := min(backoff<<(*limitHits-1), s.opts.MaxPollInterval)
		s.log.DebugContext(ctx, "credential report generation refused; backing off", "account", acct, "code", "LimitExceeded", "wait", d)
		if err := sleep(ctx, d); err != nil {
			return "", err
		}
	}
}

// waitForFreshReport waits, for FreshReport, until IAM will generate a new
// report: four hours after the one it reused.
func (s *Source) waitForFreshReport(ctx context.Context, acct string, generated time.Time, poll *poller, pr *accountProgress) error {
	until := generated.Add(reportReuseWindow)
	// After the four hours (or if the clocks disagree), poll as usual.
	wait := max(time.Until(until), poll.delay())
	detail := "until " + time.Now().Add(wait).UTC().Format(time.RFC3339) + " for IAM to allow a new credential report"
	s.log.WarnContext(ctx, "credential report is older than this run and IAM makes one every four hours at most; waiting as --fresh-report asks",
		"account", acct, "report_generated_at", generated, "wait", wait.Round(time.Second), "until", until)
	pr.state(StateWaiting, detail)
	if err := sleep(ctx, wait); err != nil {
		return err
	}
	pr.state(StateReading, "")
	return nil
}
