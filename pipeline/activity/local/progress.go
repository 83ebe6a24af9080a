package local

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports how far a scan is: files and bytes read, rate and time
// left. Short scans say nothing: the first report comes after quiet. On a
// terminal (w set) one line is redrawn every tick; otherwise a log line is
// written every logEvery.
type progress struct {
	files, bytes           atomic.Int64
	totalFiles, totalBytes atomic.Int64

	started time.Time

	w   io.Writer
	log *slog.Logger

	quiet, tick, logEvery time.Duration

	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
	drawn    bool
	lastLogs time.Time
}

// Progress timing defaults.
const (
	progressQuiet    = 2 * time.Second
	progressTick     = 250 * time.Millisecond
	progressLogEvery = 10 * time.Second
)

// newProgress returns a reporter for a scan of files totalling bytes; call
// start, add as files are read, and finish. w is a terminal to draw on, or
// nil to log instead.
func newProgress(w io.Writer, log *slog.Logger, files int, bytes int64) *progress {
	p := &progress{
		w: w, log: log,
		quiet: progressQuiet, tick: progressTick, logEvery: progressLogEvery,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	p.grow(files, bytes)
	return p
}

// grow adds to the work to do, when it turns out larger than planned.
func (p *progress) grow(files int, bytes int64) {
	p.totalFiles.Add(int64(files))
	p.totalBytes.Add(bytes)
}

func (p *progress) start() {
	p.started = time.Now()
	p.lastLogs = p.started
	go p.run()
}

func (p *progress) add(files int, bytes int64) {
	p.files.Add(int64(files))
	p.bytes.Add(bytes)
}

// finish stops the reporter and clears its line.
func (p *progress) finish() {
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		if p.drawn {
			fmt.Fprint(p.w, "\r\033[K")
		}
	})
}

func (p *progress) run() {
	defer close(p.done)
	every := p.tick
	if p.w == nil {
		every = min(p.tick, p.logEvery)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			if now.Sub(p.started) < p.quiet {
				continue
			}
			if p.w != nil {
				fmt.Fprint(p.w, "\r\033[K"+p.line(now))
				p.drawn = true
			} else if now.Sub(p.lastLogs) >= p.logEvery {
				p.lastLogs = now
				files, bytes := p.files.Load(), p.bytes.Load()
				rate, eta := p.rate(now, bytes)
				p.log.Info("scanning CloudTrail log files", "files_done", files, "files", p.totalFiles.Load(),
					"bytes_done", bytes, "bytes", p.totalBytes.Load(), "mb_per_s", fmt.Sprintf("%.1f", rate/1e6),
					"eta", eta.Round(time.Second).String())
			}
		}
	}
}

// rate is the bytes per second so far, and the time left at that rate.
func (p *progress) rate(now time.Time, bytes int64) (float64, time.Duration) {
	secs := now.Sub(p.started).Seconds()
	if secs <= 0 || bytes <= 0 {
		return 0, 0
	}
	rate := float64(bytes) / secs
	left := float64(max(0, p.totalBytes.Load()-bytes)) / rate
	return rate, time.Duration(left * float64(time.Second))
}

// line is the terminal line: files, bytes, rate and time left.
func (p *progress) line(now time.Time) string {
	files, bytes := p.files.Load(), p.bytes.Load()
	rate, eta := p.rate(now, bytes)
	total := p.totalBytes.Load()
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(bytes) / float64(total)
	}
	return fmt.Sprintf("scanning CloudTrail: %d/%d files, %s/%s (%.0f%%), %s/s, %s left",
		files, p.totalFiles.Load(), sizeText(bytes), sizeText(total), pct, sizeText(int64(rate)),
		eta.Round(time.Second))
}

// sizeText writes n bytes in decimal units.
func sizeText(n int64) string {
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
