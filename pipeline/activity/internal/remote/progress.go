package remote

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/internal/progress"
)

// QueryProgress reports a running Athena or Lake query, as its status polls
// tell it: the state, the time since it started and the bytes scanned so
// far. On a terminal it redraws a line; otherwise it logs every 10 seconds;
// a query done within two seconds says nothing.
type QueryProgress struct {
	mu      sync.Mutex
	state   string
	scanned int64
	known   bool // whether the service has said how much it scanned
	rep     *progress.Reporter
}

// StartQueryProgress starts reporting query id of engine ("Athena",
// "CloudTrail Lake") on w, a terminal, or as log lines on log when w is nil.
// every > 0 reports from the start that often (tests).
func StartQueryProgress(w io.Writer, log *slog.Logger, engine, id string, every time.Duration) *QueryProgress {
	p := &QueryProgress{state: "SUBMITTED"}
	p.rep = progress.New(w, log, engine+" query running", func(elapsed time.Duration) (string, []any) {
		p.mu.Lock()
		state, scanned, known := p.state, p.scanned, p.known
		p.mu.Unlock()
		scannedText := "bytes scanned not reported yet"
		if known {
			scannedText = progress.Size(scanned) + " scanned"
		}
		line := fmt.Sprintf("%s query %s: %s, %s, %s", engine, id, state, elapsed.Round(time.Second), scannedText)
		attrs := []any{"query_id", id, "state", state, "elapsed", elapsed.Round(time.Second).String()}
		if known {
			attrs = append(attrs, "bytes_scanned", scanned)
		}
		return line, attrs
	})
	if every > 0 {
		p.rep.Quiet, p.rep.Tick, p.rep.LogEvery = 0, every, every
	}
	p.rep.Start()
	return p
}

// Update records what the last status poll said: the query's state and, if
// known, the bytes it has scanned so far.
func (p *QueryProgress) Update(state string, scanned int64, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = state
	if known {
		p.scanned, p.known = scanned, true
	}
}

// Stop ends the reporting and clears the terminal line.
func (p *QueryProgress) Stop() { p.rep.Stop() }
