package pycheck

import (
	"os"
	"os/exec"
	"testing"
)

func TestFind(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 at all")
	}
	if py := Find(t, "json", "python3"); py == "" {
		t.Fatal("no path for a python3 that has the standard library's json")
	}
	if os.Getenv(RequireEnv) != "" {
		return // a missing module would fail this test instead of skipping
	}
	var skipped bool
	t.Run("missing module", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Find(t, "no_such_module_for_dormant", "none")
	})
	if !skipped {
		t.Error("a module no python3 has did not skip the test")
	}
}
