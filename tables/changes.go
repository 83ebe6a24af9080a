package tables

import "time"

// What changed since the previous quarter's run (issue 17): Change.Kind.
const (
	// ChangeNew is a removal candidate the previous run did not list.
	ChangeNew = "new"
	// ChangeResolved is a previous candidate that no longer needs removing
	// (Change.Resolution says why).
	ChangeResolved = "resolved"
	// ChangeOpen is a previous candidate still there and not resolved.
	ChangeOpen = "open"
	// ChangeNotAssessed is a previous candidate whose account this run did
	// not assess: nothing is known about it today.
	ChangeNotAssessed = "not_assessed"
	// ChangeExceptionExpiring is an exemption that ends before the next
	// quarter's run (as-of plus NextQuarterDays).
	ChangeExceptionExpiring = "exception_expiring"
)

// Resolutions of a ChangeResolved row.
const (
	ResolvedDeleted     = "deleted"      // its unique ID is gone from the inventory
	ResolvedDeactivated = "deactivated"  // tagged dormant:deactivated, no active key, no login profile
	ResolvedActive      = "active_again" // used in this run's window
	ResolvedExempted    = "exempted"     // exempt by tag or allowlist
)

// NextQuarterDays is how far ahead "before the next quarter" looks.
const NextQuarterDays = 90

// Change is one row of the changes table: a user whose standing as a
// removal candidate changed between the previous run and this one, is still
// open, or whose exemption ends before the next quarter.
type Change struct {
	AccountID string `arrow:"account_id"`
	UserName  string `arrow:"user_name"`
	UserID    string `arrow:"user_id"`
	ARN       string `arrow:"arn"`
	Kind      string `arrow:"kind"`       // one of the Change* constants
	Resolved  string `arrow:"resolution"` // one of the Resolved* constants, for ChangeResolved
	// The user's status and decision in the previous run and in this one
	// (empty where the run does not list the user).
	PreviousStatus   string `arrow:"previous_status"`
	PreviousDecision string `arrow:"previous_decision"`
	Status           string `arrow:"status"`
	Decision         string `arrow:"decision"`
	// FirstListed is the as-of of the first run of the unbroken series of
	// runs, ending with this one or the previous, that listed the user as a
	// candidate; FirstListedRun is that run's ID. AgeDays is whole days from
	// FirstListed to this run's as-of; -1 when the row is not a candidate's.
	FirstListed    time.Time `arrow:"first_listed"`
	FirstListedRun string    `arrow:"first_listed_run"`
	AgeDays        int64     `arrow:"age_days"`
	// The exemption of a ChangeExceptionExpiring (or ResolvedExempted) row.
	Exemption        string    `arrow:"exemption"`
	ExemptionOwner   string    `arrow:"exemption_owner"`
	ExemptionExpires time.Time `arrow:"exemption_expires"`
	Reason           string    `arrow:"reason"`
}

// TrendPoint is one run of the history: how many users it classified and
// how many it recommended removing, by decision.
type TrendPoint struct {
	RunID       string    `arrow:"run_id"`
	AsOf        time.Time `arrow:"as_of"`
	Users       int64     `arrow:"users"` // the root rows left out
	Candidates  int64     `arrow:"candidates"`
	Delete      int64     `arrow:"delete"`
	Deactivate  int64     `arrow:"deactivate"`
	RemoveInIaC int64     `arrow:"remove_in_iac"`
	Review      int64     `arrow:"review"`
	Keep        int64     `arrow:"keep"`
}

// Listing says since when a previous candidate has been listed: the first
// run of the unbroken series of history runs, ending with the previous
// run, that listed it. The bundle keeps these (previous/listed.parquet) so
// that verify recomputes the ages without the history.
type Listing struct {
	AccountID string    `arrow:"account_id"`
	UserID    string    `arrow:"user_id"`
	ARN       string    `arrow:"arn"`
	RunID     string    `arrow:"run_id"`
	AsOf      time.Time `arrow:"as_of"`
}

// Outcomes of a RemediationCheck.
const (
	OutcomeCarriedOut    = "carried out"
	OutcomeNotCarriedOut = "not carried out"
	OutcomeUndone        = "undone"
	// OutcomeNotAssessed: this run's inventory cannot tell (the account was
	// not assessed, or an input the check needs was not given).
	OutcomeNotAssessed = "not assessed"
)

// Where a RemediationCheck's entry came from.
const (
	PlanReviewed = "reviewed manifest"
	PlanRun      = "run manifest (not reviewed)"
	PlanJournal  = "journal"
)

// RemediationCheck is one row of the remediation table: one entry of the
// previous run's plan (or one entry of its remediation journal) checked
// against this run's inventory.
type RemediationCheck struct {
	AccountID string `arrow:"account_id"`
	UserName  string `arrow:"user_name"`
	UserID    string `arrow:"user_id"`
	ARN       string `arrow:"arn"`
	Kind      string `arrow:"kind"`     // user or access_key (manifest.Kind*)
	KeySlot   int64  `arrow:"key_slot"` // 1 or 2 for an access_key entry, else 0
	// Planned is the entry's action: deactivate, delete or remove-in-iac (a
	// user), or deactivate-key or delete-key.
	Planned    string `arrow:"planned"`
	PlanSource string `arrow:"plan_source"` // one of the Plan* constants
	PlanRunID  string `arrow:"plan_run_id"`
	// Journal is what the journal records of the entry: its successful and
	// failed calls; empty when the plan is a manifest.
	Journal string   `arrow:"journal"`
	Outcome string   `arrow:"outcome"` // one of the Outcome* constants
	Reasons []string `arrow:"reasons"`
	// RecreatedUserID is the unique ID of a user of the same name that
	// exists today although the entry's user was deleted: a new user, not
	// the old one.
	RecreatedUserID string `arrow:"recreated_user_id"`
	// Orphans are the policies of this run that still name a deleted
	// user's unique ID, as "account kind resource (where)".
	Orphans []string `arrow:"orphans"`
}
