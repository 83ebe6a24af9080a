package pipeline_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/pipeline"
)

// The registry is what help texts, validation and the Method sheet list:
// every engine this build has, the default first, and the sheet's note as
// it read before the registry (so bundles written then still verify).
func TestEngineRegistryListsEveryEngine(t *testing.T) {
	if got, want := pipeline.EngineNames(), []string{"local", "athena", "lake"}; !slices.Equal(got, want) {
		t.Errorf("EngineNames() = %q, want %q", got, want)
	}
	want := []string{"local (DuckDB over log files)", "athena", "lake (CloudTrail Lake)"}
	if got := pipeline.EngineSummaries(); !slices.Equal(got, want) {
		t.Errorf("EngineSummaries() = %q, want %q", got, want)
	}
}

func TestUnknownEngineListsTheRegisteredOnes(t *testing.T) {
	cfg := pipeline.Config{Engine: "spark", Out: t.TempDir()}.WithDefaults()
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), `--engine "spark" is not known; use local, athena or lake`) {
		t.Errorf("Validate() = %v, want the registered engines named", err)
	}
	if _, err := pipeline.QuerySQL(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "use local, athena or lake") {
		t.Errorf("QuerySQL() = %v, want the registered engines named", err)
	}
}
