package findings

import (
	"errors"
	"fmt"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Defaults for Options (see DefaultOptions).
const (
	DefaultWindowDays      = 90
	DefaultDeleteAfterDays = 365
	DefaultExemptTagKey    = "dormant:exempt"
	DefaultReportMaxAge    = 7 * 24 * time.Hour
)

// As-of bounds: IAM (and so any evidence) began in 2010, and dates derived
// from as-of (the window start, a delete-after tag up to maxDays later) must
// stay within the years 0 to 9999 that RFC 3339 and the manifest can write.
var (
	minAsOf = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAsOf = time.Date(9900, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxDays bounds day counts so that days*24h never overflows a time.Duration
// (about 292 years) and obvious typos (90000 instead of 90) are refused.
const maxDays = 36500

// Options are the classification settings.
type Options struct {
	// AsOf is the end of the activity window and the time "now" means.
	AsOf time.Time
	// WindowDays is the window length; the window is [AsOf-WindowDays, AsOf].
	WindowDays int
	// DeleteAfterDays: inactive (or, never used, existing) longer than this
	// many days turns deactivate into delete.
	DeleteAfterDays int
	// ExemptTagKey: a user tagged with this key and value "true" is exempt.
	ExemptTagKey string
	// Allowlist entries exempt the users they name until they expire.
	Allowlist []AllowEntry
	// ReportMaxAge: a credential report older than this at AsOf is stale,
	// and candidates it describes go to review.
	ReportMaxAge time.Duration
	// SkippedRecords counts, per account, the CloudTrail records the scan
	// could not attribute (tables.SkippedByAccount): any of them may be a
	// candidate's use, so the account's candidates go to review.
	SkippedRecords map[string]int64

	// Trails are, by account ID, the trails whose settings are known for
	// it (an empty list: known to have none); an account not in the map
	// has unknown settings and is not held for them (see TrailGaps).
	Trails map[string][]tables.Trail
	// DigestProblems and DigestProven are what the trail's digest files say
	// (tables.DigestProblems, tables.DigestProven; digest.go).
	DigestProblems map[string][]string
	DigestProven   map[string]map[string]bool

	// Watch is the watch table: events that touched deactivated users
	// after their deactivation (tables.WatchEvent; lifecycle.go).
	Watch []tables.WatchEvent
	// AccessKeys are the access keys listed by ID (ListAccessKeys, or
	// exports of it): one Active there for a deactivated user the credential
	// report shows without one is a disagreement a person must settle.
	AccessKeys []tables.AccessKey
}

// DefaultOptions returns the documented defaults for a run as of asOf.
func DefaultOptions(asOf time.Time) Options {
	return Options{
		AsOf:            asOf,
		WindowDays:      DefaultWindowDays,
		DeleteAfterDays: DefaultDeleteAfterDays,
		ExemptTagKey:    DefaultExemptTagKey,
		ReportMaxAge:    DefaultReportMaxAge,
	}
}

// WindowStart returns S, the start of the activity window.
func (o Options) WindowStart() time.Time {
	return o.AsOf.Add(-time.Duration(o.WindowDays) * day)
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var errs []error
	switch {
	case o.AsOf.IsZero():
		errs = append(errs, errors.New("as-of time is not set: pass --as-of or leave it to default to now"))
	case o.AsOf.Before(minAsOf) || !o.AsOf.Before(maxAsOf):
		errs = append(errs, fmt.Errorf("as-of %s is out of range: use a time from %s (before IAM there is no evidence) to before %s (later dates derived from it could not be written)",
			o.AsOf.UTC().Format(time.RFC3339), minAsOf.Format(time.DateOnly), maxAsOf.Format(time.DateOnly)))
	}
	if o.WindowDays <= 0 || o.WindowDays > maxDays {
		errs = append(errs, fmt.Errorf("window of %d days is out of range: use 1 to %d days (default %d)", o.WindowDays, maxDays, DefaultWindowDays))
	}
	if o.DeleteAfterDays <= 0 || o.DeleteAfterDays > maxDays {
		errs = append(errs, fmt.Errorf("delete-after of %d days is out of range: use 1 to %d days (default %d)", o.DeleteAfterDays, maxDays, DefaultDeleteAfterDays))
	}
	if o.ExemptTagKey == "" || len(o.ExemptTagKey) > 128 {
		errs = append(errs, fmt.Errorf("exempt tag key %q is invalid: IAM tag keys are 1 to 128 characters (default %q)", o.ExemptTagKey, DefaultExemptTagKey))
	}
	if o.ReportMaxAge <= 0 {
		errs = append(errs, fmt.Errorf("credential report maximum age %s must be positive (default %s)", o.ReportMaxAge, DefaultReportMaxAge))
	}
	for i, e := range o.Allowlist {
		for _, err := range validateEntry(e) {
			errs = append(errs, fmt.Errorf("allowlist entry %d (%s/%s): %w", i+1, e.AccountID, e.UserName, err))
		}
	}
	for i, e := range o.Watch {
		switch {
		case e.Kind != tables.WatchUse && e.Kind != tables.WatchSigninFailure && e.Kind != tables.WatchReenable:
			errs = append(errs, fmt.Errorf("watch event %d (%s/%s, %s): kind %q is none of %s, %s, %s: the watch table is damaged; rerun the activity stage",
				i+1, e.AccountID, e.UserName, e.EventID, e.Kind, tables.WatchUse, tables.WatchSigninFailure, tables.WatchReenable))
		case e.EventTime.IsZero():
			errs = append(errs, fmt.Errorf("watch event %d (%s/%s, %s): no event time: the watch table is damaged; rerun the activity stage",
				i+1, e.AccountID, e.UserName, e.EventID))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("validating findings options: %w", errors.Join(errs...))
	}
	return nil
}
