package pipeline

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/progress/progresstest"
)

// The demo's generation is reported from the generator's callback: records
// of the target, files and bytes, on a terminal or as log lines.
func TestDemoProgress(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		var out progresstest.Buffer
		cfg := Config{Logger: slog.New(slog.NewTextHandler(&out, nil))}
		want := []string{"generating the demo: 1500/6000 CloudTrail records (25%), 3 files, 2.0 MB of JSON, ", " left"}
		if terminal {
			cfg.ScanProgress = &out
		} else {
			want = []string{`msg="generating the demo organization"`, "records_done=1500", "records=6000", "files=3", "json_bytes=2000000", "eta="}
		}
		var opts demo.Options
		rep := demoProgress(cfg, &opts)
		rep.Quiet, rep.Tick, rep.LogEvery = 0, time.Millisecond, time.Millisecond
		rep.Start()
		opts.Progress(demo.Progress{Records: 1500, Target: 6000, Files: 3, Bytes: 2_000_000})
		opts.Progress(demo.Progress{Records: 1000, Target: 6000, Files: 2, Bytes: 1_000_000}) // a slower writer's view
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(out.String(), want[0]) && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		rep.Stop()
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("terminal %v: progress %q lacks %q", terminal, out.String(), w)
			}
		}
	}
}
