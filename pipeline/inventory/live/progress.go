package live

import (
	"time"
)

// AccountState is where an account is in the inventory.
type AccountState string

// Account states, in the order an account goes through them.
const (
	StateQueued       AccountState = "queued"        // in scope, waiting for a free slot
	StateSkipped      AccountState = "skipped"       // not ACTIVE in the Organization (Detail says its state); not read
	StateAssumingRole AccountState = "assuming-role" // calling sts:AssumeRole
	StateReading      AccountState = "reading"       // credential report and authorization details under way
	StateWaiting      AccountState = "waiting"       // FreshReport: waiting for IAM's four-hour limit (Detail says until when)
	StateDone         AccountState = "done"          // assessed
	StateFailed       AccountState = "failed"        // not assessed (Err says why)
)

// AccountProgress is one account's progress, reported on every change.
type AccountProgress struct {
	AccountID string
	State     AccountState
	// ReportState is IAM's last word on the credential report: STARTED,
	// INPROGRESS or COMPLETE (GenerateCredentialReport's State), or READ
	// once fetched.
	ReportState string
	// Pages is how many authorization-details pages have been read.
	Pages int
	// Users is the number of users in the credential report (root not
	// counted), once done.
	Users int
	// Detail is a short human explanation (the Organizations state of a
	// skipped account, the end of a wait).
	Detail  string
	Err     error
	Elapsed time.Duration
	// Finished and Total count the accounts done or failed so far, and all
	// accounts in scope, for an overall progress bar.
	Finished, Total int
}

// tracker reports progress for the accounts of one Collect.
type tracker struct {
	s        *Source
	total    int
	finished int // guarded by s.progressMu
}

// update reports a change; it counts finished accounts.
func (t *tracker) update(p AccountProgress) {
	t.s.progressMu.Lock()
	defer t.s.progressMu.Unlock()
	t.updateLocked(p)
}

// updateLocked is update with the Source's progress lock held, so that
// reports of one account arrive in the order its changes happened.
func (t *tracker) updateLocked(p AccountProgress) {
	if p.State == StateDone || p.State == StateFailed {
		t.finished++
	}
	p.Finished, p.Total = t.finished, t.total
	if fn := t.s.opts.Progress; fn != nil {
		fn(p)
	}
}

// progress reports a change outside any tracker (skipped accounts).
func (s *Source) progress(p AccountProgress) {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	if fn := s.opts.Progress; fn != nil {
		fn(p)
	}
}

// accountProgress is one account's current progress; its setters report
// each change. Report and details run in parallel, so it is shared by two
// goroutines, guarded by the Source's progress lock.
type accountProgress struct {
	t     *tracker
	cur   AccountProgress
	start time.Time
}

func (t *tracker) account(id string) *accountProgress {
	return &accountProgress{t: t, cur: AccountProgress{AccountID: id, State: StateQueued}, start: time.Now()}
}

// set applies fn to the current progress and reports the result if it
// changed.
func (a *accountProgress) set(fn func(p *AccountProgress)) {
	a.t.s.progressMu.Lock()
	defer a.t.s.progressMu.Unlock()
	before := a.cur
	fn(&a.cur)
	if a.cur.State == before.State && a.cur.ReportState == before.ReportState && a.cur.Pages == before.Pages &&
		a.cur.Users == before.Users && a.cur.Detail == before.Detail && a.cur.Err == nil {
		return
	}
	a.cur.Elapsed = time.Since(a.start)
	a.t.updateLocked(a.cur)
}

func (a *accountProgress) state(s AccountState, detail string) {
	a.set(func(p *AccountProgress) { p.State, p.Detail = s, detail })
}

func (a *accountProgress) report(state string) {
	a.set(func(p *AccountProgress) { p.ReportState = state })
}

func (a *accountProgress) pages(n int) {
	a.set(func(p *AccountProgress) { p.Pages = n })
}
