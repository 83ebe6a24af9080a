package remote

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestQueryProgressTerminal(t *testing.T) {
	var out syncBuffer
	p := StartQueryProgress(&out, nil, "Athena", "q-1", time.Millisecond)
	waitFor(t, "the submitted state", func() bool { return strings.Contains(out.String(), "Athena query q-1: SUBMITTED, ") })
	if !strings.Contains(out.String(), "bytes scanned not reported yet") {
		t.Errorf("before any statistics the line claims a size: %q", out.String())
	}
	p.Update("RUNNING", 2_500_000, true)
	waitFor(t, "the running state", func() bool { return strings.Contains(out.String(), "RUNNING, ") })
	waitFor(t, "the bytes scanned", func() bool { return strings.Contains(out.String(), "2.5 MB scanned") })
	p.Stop()
	if !strings.HasSuffix(out.String(), "\r\033[K") {
		t.Errorf("the line is not cleared: %q", out.String())
	}
}

func TestQueryProgressLog(t *testing.T) {
	var out syncBuffer
	p := StartQueryProgress(nil, slog.New(slog.NewTextHandler(&out, nil)), "CloudTrail Lake", "q-2", time.Millisecond)
	p.Update("QUEUED", 0, false)
	waitFor(t, "a log line", func() bool { return strings.Contains(out.String(), "state=QUEUED") })
	p.Update("RUNNING", 1234, true)
	waitFor(t, "the bytes scanned", func() bool { return strings.Contains(out.String(), "bytes_scanned=1234") })
	p.Stop()
	for _, want := range []string{`msg="CloudTrail Lake query running"`, "query_id=q-2", "elapsed="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log %q lacks %q", out.String(), want)
		}
	}
}
