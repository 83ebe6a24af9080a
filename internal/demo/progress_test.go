package demo

import (
	"context"
	"sync"
	"testing"
)

// The progress callback sees every log file written: its largest counts
// are the output's.
func TestGenerateProgress(t *testing.T) {
	o := DefaultOptions()
	o.Accounts, o.Users, o.Events = 2, 20, 5000
	var (
		mu    sync.Mutex
		calls int
		last  Progress
	)
	o.Progress = func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if p.Records > last.Records {
			last.Records = p.Records
		}
		last.Files, last.Bytes = max(last.Files, p.Files), max(last.Bytes, p.Bytes)
		last.Target = p.Target
	}
	out, err := Generate(context.Background(), t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	if int64(calls) != out.LogFiles {
		t.Errorf("%d progress calls, want one per log file (%d)", calls, out.LogFiles)
	}
	if last != (Progress{Records: out.Events, Target: 5000, Files: out.LogFiles, Bytes: out.RawBytes}) {
		t.Errorf("last progress %+v, want the output's %d records, %d files, %d bytes of a target of 5000",
			last, out.Events, out.LogFiles, out.RawBytes)
	}
}
