package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/pipeline/inventory/live"
)

// progress is the one place a command hands the pipeline where progress
// goes: a terminal on stderr gets progress lines; anything else (a file, a
// pipe, JSON logs, whose every line must be JSON) gets none, and the
// pipeline's log lines say the same.
func (a *app) progress(cfg *pipeline.Config) {
	if a.jsonLog {
		cfg.Progress, cfg.ScanProgress = nil, nil
		return
	}
	cfg.Progress = accountProgress(a.stderr)
	cfg.ScanProgress = terminal(a.stderr)
}

// accountProgress renders per-account progress on stderr when it is a
// terminal; otherwise the pipeline's structured log lines say the same.
func accountProgress(w io.Writer) func(live.AccountProgress) {
	if !isTerminal(w) {
		return nil
	}
	var mu sync.Mutex
	return func(p live.AccountProgress) {
		mu.Lock()
		defer mu.Unlock()
		detail := p.Detail
		if p.Err != nil {
			detail = p.Err.Error()
		}
		fmt.Fprintf(w, "\r\033[K[%d/%d] %s %s %s", p.Finished, p.Total, p.AccountID, p.State, detail)
		if p.Finished == p.Total {
			fmt.Fprintln(w)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// terminal returns w when it is a terminal, for progress lines; else nil.
func terminal(w io.Writer) io.Writer {
	if isTerminal(w) {
		return w
	}
	return nil
}
