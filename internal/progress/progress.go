// Package progress reports long waits the way the local scan does: nothing
// for the first seconds, then a line redrawn on a terminal, or, when output
// is not a terminal, a log line every few seconds. It never writes to
// stdout: the caller passes the terminal (stderr) or nothing.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Timing defaults: a wait shorter than Quiet says nothing (a person notices
// a wait past two seconds); a terminal line is redrawn every Tick; log lines
// come every LogEvery.
const (
	Quiet    = 2 * time.Second
	Tick     = 250 * time.Millisecond
	LogEvery = 10 * time.Second
)

// Render describes the work at elapsed: the terminal line, and the
// attributes of the log line.
type Render func(elapsed time.Duration) (line string, attrs []any)

// Reporter draws or logs a Render until Stop.
type Reporter struct {
	// Quiet, Tick and LogEvery default to the package's constants; tests
	// shorten them before Start.
	Quiet, Tick, LogEvery time.Duration

	w      io.Writer
	log    *slog.Logger
	msg    string
	render Render

	started time.Time
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	drawn   bool
}

// New returns a reporter that draws render's line on w, a terminal, or,
// with w nil, logs msg with render's attributes on log (nil:
// slog.Default()).
func New(w io.Writer, log *slog.Logger, msg string, render Render) *Reporter {
	if log == nil {
		log = slog.Default()
	}
	return &Reporter{Quiet: Quiet, Tick: Tick, LogEvery: LogEvery, w: w, log: log, msg: msg, render: render,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start begins reporting in a goroutine of its own.
func (r *Reporter) Start() *Reporter {
	r.started = time.Now()
	go r.run()
	return r
}

// Stop ends the reporting and clears the terminal line; it may be called
// more than once.
func (r *Reporter) Stop() {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		if r.drawn {
			fmt.Fprint(r.w, "\r\033[K")
		}
	})
}

func (r *Reporter) run() {
	defer close(r.done)
	every := r.Tick
	if r.w == nil {
		every = min(r.Tick, r.LogEvery)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	lastLog := r.started
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			elapsed := now.Sub(r.started)
			if elapsed < r.Quiet {
				continue
			}
			if r.w != nil {
				line, _ := r.render(elapsed)
				fmt.Fprint(r.w, "\r\033[K"+line)
				r.drawn = true
			} else if now.Sub(lastLog) >= r.LogEvery {
				lastLog = now
				_, attrs := r.render(elapsed)
				r.log.Info(r.msg, attrs...)
			}
		}
	}
}

// Rate is done per second over elapsed, and the time left for the rest of
// total at that rate (0 when nothing is done yet).
func Rate(done, total int64, elapsed time.Duration) (perSecond float64, left time.Duration) {
	secs := elapsed.Seconds()
	if secs <= 0 || done <= 0 {
		return 0, 0
	}
	perSecond = float64(done) / secs
	return perSecond, time.Duration(float64(max(0, total-done)) / perSecond * float64(time.Second))
}

// Size writes n bytes in decimal units.
func Size(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// Percent is done as a whole percentage of total (0 when total is 0).
func Percent(done, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * float64(done) / float64(total)
}
