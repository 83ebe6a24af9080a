package findings

import (
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// completeTrail records every management event in every region, logging
// since long before the window.
func completeTrail() tables.Trail {
	return tables.Trail{
		AccountID: acct, Name: "main", HomeRegion: "us-east-1", MultiRegion: true,
		IsLogging: true, StartLogging: winS.Add(-400 * 24 * time.Hour),
		ManagementEvents: true, ReadOnlyRecorded: true, WriteOnlyRecorded: true,
	}
}

func classifyWithTrails(t *testing.T, u tables.User, trails map[string][]tables.Trail) tables.Finding {
	t.Helper()
	opts := DefaultOptions(asOf)
	opts.Trails = trails
	got, err := Classify([]tables.User{u}, nil, fullCoverage(), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return got[0]
}

// TestTrailGapsSendCandidatesToReview: a candidate whose account's trails
// miss what the user may have done goes to review, naming the gap; a
// complete trail, or unknown settings, keeps the candidate's decision.
func TestTrailGapsSendCandidatesToReview(t *testing.T) {
	writeOnly := completeTrail()
	writeOnly.ReadOnlyRecorded = false
	noKMS := completeTrail()
	noKMS.ExcludedSources = []string{"kms.amazonaws.com"}
	single := completeTrail()
	single.MultiRegion = false
	stopped := completeTrail()
	stopped.IsLogging, stopped.StopLogging = false, daysBefore(30)
	paused := completeTrail()
	paused.StopLogging, paused.StartLogging = daysBefore(40), daysBefore(35)
	dataOnly := completeTrail()
	dataOnly.ManagementEvents, dataOnly.DataEvents = false, true
	// A second trail recording reads makes up for the write-only one, and
	// one not excluding KMS for the other.
	readOnly := completeTrail()
	readOnly.Name, readOnly.WriteOnlyRecorded = "reads", false

	for _, tc := range []struct {
		name   string
		trails map[string][]tables.Trail
		want   string // "" : no trail reason, decision unchanged
	}{
		{"unknown settings", nil, ""},
		{"other account known", map[string][]tables.Trail{acct2: nil}, ""},
		{"complete trail", map[string][]tables.Trail{acct: {completeTrail()}}, ""},
		{"write only", map[string][]tables.Trail{acct: {writeOnly}}, "trails of 111111111111 record only write management events: a user who only reads (List, Describe, Get) would look unused"},
		{"write only plus a read trail", map[string][]tables.Trail{acct: {writeOnly, readOnly}}, ""},
		{"kms excluded", map[string][]tables.Trail{acct: {noKMS}}, "trails of 111111111111 exclude kms.amazonaws.com events"},
		{"kms excluded by one trail only", map[string][]tables.Trail{acct: {noKMS, completeTrail()}}, ""},
		{"single region", map[string][]tables.Trail{acct: {single}}, "are single-region and record only us-east-1"},
		{"stopped in window", map[string][]tables.Trail{acct: {stopped}}, "no trail of 111111111111 was logging from " + rfc3339(daysBefore(30)) + " to " + rfc3339(asOf)},
		{"paused in window", map[string][]tables.Trail{acct: {paused}}, "was logging from " + rfc3339(daysBefore(40)) + " to " + rfc3339(daysBefore(35))},
		{"stopped, another trail logging", map[string][]tables.Trail{acct: {stopped, completeTrail()}}, ""},
		{"data events only", map[string][]tables.Trail{acct: {dataOnly}}, "record no management events"},
		{"no trails", map[string][]tables.Trail{acct: {}}, "has no CloudTrail trail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := classifyWithTrails(t, baseUser(), tc.trails)
			if tc.want == "" {
				if f.Decision == tables.DecisionReview || hasReason(f, "trail") && !hasReason(f, "trail coverage") {
					t.Errorf("%s/%s %q: the trails record everything, nothing to hold", f.Status, f.Decision, f.Reasons)
				}
				return
			}
			if f.Status != tables.StatusReview || f.Decision != tables.DecisionReview || !hasReason(f, tc.want) {
				t.Errorf("%s/%s %q: want review naming %q", f.Status, f.Decision, f.Reasons, tc.want)
			}
		})
	}
}

// TestTrailGapsYieldToReportedUse: a user whose credential report shows key
// use inside the window is active, whatever the trails miss.
func TestTrailGapsYieldToReportedUse(t *testing.T) {
	writeOnly := completeTrail()
	writeOnly.ReadOnlyRecorded = false
	u := baseUser()
	u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = true, daysBefore(300), daysBefore(3)
	f := classifyWithTrails(t, u, map[string][]tables.Trail{acct: {writeOnly}})
	if f.Status != tables.StatusActive || f.Decision != tables.DecisionKeep || hasReason(f, "record only write") {
		t.Errorf("%s/%s %q: key use in the window keeps the user active", f.Status, f.Decision, f.Reasons)
	}
}

// TestLoggingGapsCombineTrails: one trail's stop is covered by another's
// logging; only the time neither logged is a gap.
func TestLoggingGapsCombineTrails(t *testing.T) {
	a := completeTrail()
	a.IsLogging, a.StopLogging = false, daysBefore(50)
	b := completeTrail()
	b.StartLogging = daysBefore(40) // created inside the window
	gaps := loggingGaps([]*tables.Trail{&a, &b}, winS, asOf)
	if len(gaps) != 1 || !gaps[0][0].Equal(daysBefore(50)) || !gaps[0][1].Equal(daysBefore(40)) {
		t.Errorf("gaps %v, want one from %s to %s", gaps, daysBefore(50), daysBefore(40))
	}
}

// TestTrailGapsPerKindOfEvent: trails are combined per kind of event, not
// property by property. Two trails that each miss a different part of what
// a user may have done (one records reads but excludes KMS, the other
// records KMS but only writes) leave the reads from KMS unrecorded; the
// same holds for a read trail that covers only its home region, or that
// stopped, beside a write trail that covers every region all the time.
func TestTrailGapsPerKindOfEvent(t *testing.T) {
	readsNoKMS := completeTrail()
	readsNoKMS.Name, readsNoKMS.WriteOnlyRecorded, readsNoKMS.ExcludedSources = "reads", false, []string{"kms.amazonaws.com"}
	writes := completeTrail()
	writes.Name, writes.ReadOnlyRecorded = "writes", false
	readsHome := completeTrail()
	readsHome.Name, readsHome.WriteOnlyRecorded, readsHome.MultiRegion = "reads", false, false
	readsStopped := completeTrail()
	readsStopped.Name, readsStopped.WriteOnlyRecorded = "reads", false
	readsStopped.IsLogging, readsStopped.StopLogging = false, daysBefore(30)
	allHome := completeTrail()
	allHome.Name, allHome.MultiRegion = "home", false

	for _, tc := range []struct {
		name   string
		trails []tables.Trail
		want   string
	}{
		{"reads exclude KMS, writes do not", []tables.Trail{readsNoKMS, writes},
			"trails of 111111111111 that record read-only management events exclude kms.amazonaws.com events: a user who only reads from kms.amazonaws.com (e.g. only decrypts) would look unused"},
		{"reads only in the home region", []tables.Trail{readsHome, writes},
			"trails of 111111111111 that record read-only management events are single-region and record only us-east-1: a user who only reads in another region would look unused"},
		{"reads stopped, writes go on", []tables.Trail{readsStopped, writes},
			"no trail of 111111111111 recording read-only management events was logging from " + rfc3339(daysBefore(30)) + " to " + rfc3339(asOf)},
		{"a complete single-region trail beside a write trail", []tables.Trail{allHome, writes},
			"trails of 111111111111 that record read-only management events are single-region and record only us-east-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := classifyWithTrails(t, baseUser(), map[string][]tables.Trail{acct: tc.trails})
			if f.Decision != tables.DecisionReview || !hasReason(f, tc.want) {
				t.Errorf("%s/%s %q: want review naming %q", f.Status, f.Decision, f.Reasons, tc.want)
			}
		})
	}
}
