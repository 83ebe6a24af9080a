package progress

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/progress/progresstest"
)

func TestTerminalLine(t *testing.T) {
	var out progresstest.Buffer
	r := New(&out, nil, "working", func(time.Duration) (string, []any) { return "step 3/4", nil })
	r.Quiet, r.Tick = 0, time.Millisecond
	r.Start()
	progresstest.WaitFor(t, "a line", func() bool { return strings.Contains(out.String(), "\r\033[Kstep 3/4") })
	r.Stop()
	r.Stop()
	if s := out.String(); !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("the line is not cleared at the end: %q", s)
	}
}

func TestLogLines(t *testing.T) {
	var out progresstest.Buffer
	r := New(nil, slog.New(slog.NewTextHandler(&out, nil)), "working", func(time.Duration) (string, []any) {
		return "unused", []any{"done", 3}
	})
	r.Quiet, r.Tick, r.LogEvery = 0, time.Millisecond, 2*time.Millisecond
	r.Start()
	progresstest.WaitFor(t, "a log line", func() bool { return strings.Contains(out.String(), `msg=working done=3`) })
	r.Stop()
	if strings.Contains(out.String(), "unused") || strings.Contains(out.String(), "\r") {
		t.Errorf("the terminal line went to the log: %q", out.String())
	}
}

// A wait shorter than the quiet period says nothing.
func TestQuiet(t *testing.T) {
	var out progresstest.Buffer
	r := New(&out, nil, "working", func(time.Duration) (string, []any) { return "x", nil })
	r.Tick = time.Millisecond
	r.Start()
	time.Sleep(20 * time.Millisecond)
	r.Stop()
	if out.String() != "" {
		t.Errorf("a short wait wrote %q", out.String())
	}
}

func TestRate(t *testing.T) {
	rate, left := Rate(50, 150, 10*time.Second)
	if rate != 5 || left != 20*time.Second {
		t.Errorf("Rate(50, 150, 10s) = %v, %v; want 5, 20s", rate, left)
	}
	if rate, left := Rate(0, 150, time.Second); rate != 0 || left != 0 {
		t.Errorf("Rate with nothing done = %v, %v; want 0, 0", rate, left)
	}
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1500: "2 kB", 2_500_000: "2.5 MB", 3_210_000_000: "3.21 GB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
