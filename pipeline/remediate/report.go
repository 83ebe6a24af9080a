package remediate

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/reports/manifest"
)

// emitter writes entries' reports in manifest order as they complete, so
// concurrent workers never interleave and the output is stable.
type emitter struct {
	mu      sync.Mutex
	w       io.Writer
	next    int
	pending map[int]string
}

func (e *emitter) put(i int, text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending[i] = text
	for {
		t, ok := e.pending[e.next]
		if !ok {
			return
		}
		io.WriteString(e.w, t)
		delete(e.pending, e.next)
		e.next++
	}
}

func (r *Remediator) printHeader(res *Result, m *manifest.Manifest, selected int) {
	w := r.out
	if res.Applied {
		fmt.Fprintln(w, "dormant remediate: APPLYING changes")
	} else {
		fmt.Fprintln(w, "dormant remediate: dry run, nothing will change (pass --apply to act)")
	}
	fmt.Fprintf(w, "manifest:   %s (run %s, evidence as of %s, %d entries, %d selected)\n",
		res.Manifest, m.RunID, m.AsOf.UTC().Format(time.RFC3339), len(m.Entries), selected)
	mode := "each entry's decision"
	switch r.cfg.mode {
	case ModeDeactivate:
		mode = "deactivate only"
	case ModeDelete:
		mode = "each user entry's decision; unused keys deleted"
	}
	fmt.Fprintf(w, "mode:       %s\n", mode)
	fmt.Fprintf(w, "backups:    %s\n", res.BackupDir)
	fmt.Fprintf(w, "journal:    %s\n", res.Journal)
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "WARNING:    %s\n", warn)
	}
}

func (r *Remediator) printSummary(res *Result) {
	var parts []string
	for _, o := range []Outcome{OutcomePlanned, OutcomeDone, OutcomeAlreadyDone, OutcomeSkipped, OutcomeFailed, OutcomeInterrupted} {
		if n := res.Count(o); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(o), "_", " ")))
		}
	}
	if len(parts) == 0 {
		parts = []string{"nothing to do"}
	}
	fmt.Fprintf(r.out, "\nsummary: %s\n", strings.Join(parts, ", "))
}

func stepLabel(result string, dry bool) string {
	switch result {
	case StepPlanned:
		return "would call"
	case StepOK:
		return "ok"
	case StepAlreadyDone:
		return "already done (NoSuchEntity)"
	case StepDoneEarlier:
		return "done earlier (journal)"
	case StepFailed:
		return "FAILED"
	case StepNotRun:
		if dry {
			return "would call"
		}
		return "not run"
	}
	return result
}

// formatEntry renders one entry: what, why, the re-check, the backup and
// every call in order with its reason and result.
func formatEntry(er *EntryResult, i, n int, apply bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n[%d/%d] %s: %s (unique ID %s)\n", i+1, n, er.Entry, er.Action, er.UserID)
	for _, reason := range er.Reasons {
		fmt.Fprintf(&b, "  reason: %s\n", reason)
	}
	for _, note := range er.Notes {
		fmt.Fprintf(&b, "  note:   %s\n", note)
	}
	for j, s := range er.Steps {
		fmt.Fprintf(&b, "  %2d. %s\n      why: %s\n      -> %s", j+1, s.Step.String(), s.Step.Why, stepLabel(s.Result, !apply))
		if s.Error != "" {
			fmt.Fprintf(&b, ": %s", s.Error)
		}
		b.WriteByte('\n')
	}
	for _, rem := range er.Remaining {
		fmt.Fprintf(&b, "  remains: %s\n", rem)
	}
	fmt.Fprintf(&b, "  result: %s", strings.ReplaceAll(string(er.Outcome), "_", " "))
	if er.Reason != "" {
		fmt.Fprintf(&b, ": %s", er.Reason)
	}
	b.WriteByte('\n')
	return b.String()
}
