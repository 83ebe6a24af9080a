package remediate

import (
	"errors"
	"fmt"
	"strings"
)

// Outcome is what became of one manifest entry.
type Outcome string

// Outcomes.
const (
	// OutcomePlanned: dry run; the re-check passed and the steps are listed.
	OutcomePlanned Outcome = "planned"
	// OutcomeDone: every step succeeded (or was already done).
	OutcomeDone Outcome = "done"
	// OutcomeAlreadyDone: the journal shows an earlier run finished it.
	OutcomeAlreadyDone Outcome = "already_done"
	// OutcomeSkipped: refused, or the re-check found a reason not to act.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeFailed: a call failed; the entry stopped there.
	OutcomeFailed Outcome = "failed"
	// OutcomeInterrupted: cancelled (Ctrl-C) before or while acting.
	OutcomeInterrupted Outcome = "interrupted"
)

// Step results.
const (
	StepPlanned     = "planned" // dry run
	StepOK          = ResultOK  // the call succeeded
	StepAlreadyDone = ResultAlreadyDone
	StepDoneEarlier = "done_earlier" // the journal shows it succeeded in an earlier run
	StepFailed      = ResultError
	StepNotRun      = "not_run" // an earlier step failed or the run was interrupted
)

// StepResult is one step and what became of it.
type StepResult struct {
	Step   Step
	Result string
	Error  string
}

// EntryResult is one manifest entry's outcome.
type EntryResult struct {
	Entry     string // the entry's label: account/user (plus the key slot)
	AccountID string
	UserName  string
	UserID    string
	Kind      string
	Action    string // ActionDeactivate, ActionDelete, ActionDeactivateKey, ActionDeleteKey
	// Reasons are the manifest's reasons for the entry.
	Reasons []string
	Outcome Outcome
	// Reason says why it was skipped, failed or already done.
	Reason string
	// Notes are what the re-check found and mode decisions, for the record.
	Notes []string
	// Backup is the backup file written (or, in a dry run, to be written).
	Backup string
	Steps  []StepResult
	// Remaining lists what still holds the user after a DeleteConflict.
	Remaining []string
}

// Result is a whole run.
type Result struct {
	Manifest  string
	RunID     string
	Applied   bool
	BackupDir string
	Journal   string
	Warnings  []string
	Entries   []EntryResult
}

// Count returns how many entries ended with o.
func (r *Result) Count(o Outcome) int {
	n := 0
	for i := range r.Entries {
		if r.Entries[i].Outcome == o {
			n++
		}
	}
	return n
}

// ErrIncomplete is wrapped by Result.Err when an entry failed, was skipped
// or was interrupted.
var ErrIncomplete = errors.New("remediation incomplete")

// Err is nil when every entry was done, already done or (dry run) planned;
// otherwise it says how many failed, were skipped or interrupted.
func (r *Result) Err() error {
	failed, skipped, interrupted := r.Count(OutcomeFailed), r.Count(OutcomeSkipped), r.Count(OutcomeInterrupted)
	if failed+skipped+interrupted == 0 {
		return nil
	}
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", skipped))
	}
	if interrupted > 0 {
		parts = append(parts, fmt.Sprintf("%d interrupted", interrupted))
	}
	msg := fmt.Sprintf("%s of %d entries", strings.Join(parts, ", "), len(r.Entries))
	if r.Applied && (failed > 0 || interrupted > 0) && r.Journal != "" {
		msg += fmt.Sprintf("; fix the cause and re-run with the same --journal %s to continue where it stopped", r.Journal)
	}
	return fmt.Errorf("%w: %s", ErrIncomplete, msg)
}
