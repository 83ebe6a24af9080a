package local

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/progress/progresstest"
	"github.com/dormant-iam/dormant/internal/trailtest"
)

func TestProgressTerminal(t *testing.T) {
	var out progresstest.Buffer
	p := newProgress(&out, trailtest.Quiet(), 10, 4_000_000)
	p.quiet, p.tick = 0, time.Millisecond
	p.start()
	p.add(5, 1_000_000)
	progresstest.WaitFor(t, "a progress line", func() bool { return strings.Contains(out.String(), "5/10 files") })
	p.grow(2, 1_000_000)
	progresstest.WaitFor(t, "the grown total", func() bool { return strings.Contains(out.String(), "5/12 files") })
	p.finish()
	p.finish() // idempotent
	s := out.String()
	for _, want := range []string{"scanning CloudTrail: 5/12 files", "1.0 MB/5.0 MB (20%)", "/s", "left"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress output %q lacks %q", s, want)
		}
	}
	if !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("the line is not cleared at the end: %q", s)
	}
}

func TestProgressLog(t *testing.T) {
	var out progresstest.Buffer
	p := newProgress(nil, slog.New(slog.NewTextHandler(&out, nil)), 4, 2000)
	p.quiet, p.tick, p.logEvery = 0, time.Millisecond, 2*time.Millisecond
	p.start()
	p.add(1, 500)
	progresstest.WaitFor(t, "a log line", func() bool { return strings.Contains(out.String(), "files_done=1") })
	p.finish()
	s := out.String()
	for _, want := range []string{"msg=\"scanning CloudTrail log files\"", "files=4", "bytes_done=500", "bytes=2000", "mb_per_s=", "eta="} {
		if !strings.Contains(s, want) {
			t.Errorf("log %q lacks %q", s, want)
		}
	}
}

// A scan shorter than the quiet period says nothing.
func TestProgressQuiet(t *testing.T) {
	var out progresstest.Buffer
	p := newProgress(&out, trailtest.Quiet(), 1, 10)
	p.tick = time.Millisecond
	p.start()
	p.add(1, 10)
	time.Sleep(20 * time.Millisecond)
	p.finish()
	if out.String() != "" {
		t.Errorf("a short scan wrote %q", out.String())
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1500: "2 kB", 2_500_000: "2.5 MB", 3_210_000_000: "3.21 GB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}
