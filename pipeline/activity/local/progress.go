package local

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	prog "github.com/dormant-iam/dormant/internal/progress"
)

// progress reports how far a scan is: files and bytes read, rate and time
// left, through internal/progress (quiet at first, then a redrawn terminal
// line or periodic log lines).
type progress struct {
	files, bytes           atomic.Int64
	totalFiles, totalBytes atomic.Int64

	w   io.Writer
	log *slog.Logger

	quiet, tick, logEvery time.Duration

	rep  *prog.Reporter
	once sync.Once
}

// Progress timing defaults.
const (
	progressQuiet    = prog.Quiet
	progressTick     = prog.Tick
	progressLogEvery = prog.LogEvery
)

// newProgress returns a reporter for a scan of files totalling bytes; call
// start, add as files are read, and finish. w is a terminal to draw on, or
// nil to log instead.
func newProgress(w io.Writer, log *slog.Logger, files int, bytes int64) *progress {
	p := &progress{w: w, log: log, quiet: progressQuiet, tick: progressTick, logEvery: progressLogEvery}
	p.grow(files, bytes)
	return p
}

// grow adds to the work to do, when it turns out larger than planned.
func (p *progress) grow(files int, bytes int64) {
	p.totalFiles.Add(int64(files))
	p.totalBytes.Add(bytes)
}

func (p *progress) start() {
	p.rep = prog.New(p.w, p.log, "scanning CloudTrail log files", p.render)
	p.rep.Quiet, p.rep.Tick, p.rep.LogEvery = p.quiet, p.tick, p.logEvery
	p.rep.Start()
}

func (p *progress) add(files int, bytes int64) {
	p.files.Add(int64(files))
	p.bytes.Add(bytes)
}

// finish stops the reporter and clears its line.
func (p *progress) finish() {
	p.once.Do(func() {
		if p.rep != nil {
			p.rep.Stop()
		}
	})
}

// render is the terminal line (files, bytes, rate, time left) and the log
// line's attributes.
func (p *progress) render(elapsed time.Duration) (string, []any) {
	files, bytes := p.files.Load(), p.bytes.Load()
	totalFiles, total := p.totalFiles.Load(), p.totalBytes.Load()
	rate, eta := prog.Rate(bytes, total, elapsed)
	line := fmt.Sprintf("scanning CloudTrail: %d/%d files, %s/%s (%.0f%%), %s/s, %s left",
		files, totalFiles, sizeText(bytes), sizeText(total), prog.Percent(bytes, total), sizeText(int64(rate)),
		eta.Round(time.Second))
	return line, []any{"files_done", files, "files", totalFiles, "bytes_done", bytes, "bytes", total,
		"mb_per_s", fmt.Sprintf("%.1f", rate/1e6), "eta", eta.Round(time.Second).String()}
}

// sizeText writes n bytes in decimal units.
func sizeText(n int64) string { return prog.Size(n) }
