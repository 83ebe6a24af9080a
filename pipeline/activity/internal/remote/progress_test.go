package remote

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/progress/progresstest"
)

func TestQueryProgressTerminal(t *testing.T) {
	var out progresstest.Buffer
	p := StartQueryProgress(&out, nil, "Athena", "q-1", time.Millisecond)
	progresstest.WaitFor(t, "the submitted state", func() bool { return strings.Contains(out.String(), "Athena query q-1: SUBMITTED, ") })
	if !strings.Contains(out.String(), "bytes scanned not reported yet") {
		t.Errorf("before any statistics the line claims a size: %q", out.String())
	}
	p.Update("RUNNING", 2_500_000, true)
	progresstest.WaitFor(t, "the running state", func() bool { return strings.Contains(out.String(), "RUNNING, ") })
	progresstest.WaitFor(t, "the bytes scanned", func() bool { return strings.Contains(out.String(), "2.5 MB scanned") })
	p.Stop()
	if !strings.HasSuffix(out.String(), "\r\033[K") {
		t.Errorf("the line is not cleared: %q", out.String())
	}
}

func TestQueryProgressLog(t *testing.T) {
	var out progresstest.Buffer
	p := StartQueryProgress(nil, slog.New(slog.NewTextHandler(&out, nil)), "CloudTrail Lake", "q-2", time.Millisecond)
	p.Update("QUEUED", 0, false)
	progresstest.WaitFor(t, "a log line", func() bool { return strings.Contains(out.String(), "state=QUEUED") })
	p.Update("RUNNING", 1234, true)
	progresstest.WaitFor(t, "the bytes scanned", func() bool { return strings.Contains(out.String(), "bytes_scanned=1234") })
	p.Stop()
	for _, want := range []string{`msg="CloudTrail Lake query running"`, "query_id=q-2", "elapsed="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log %q lacks %q", out.String(), want)
		}
	}
}
