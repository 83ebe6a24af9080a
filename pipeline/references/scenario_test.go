package references

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// scenarioPolicy is tables.Policy with the document as a JSON value, so the
// fixture reads like the authorization details it stands for.
type scenarioPolicy struct {
	tables.Policy
	Document json.RawMessage
}

// TestScenario runs Scan and Orphans over a two-account fixture holding every
// kind of document and compares both results with the golden file.
func TestScenario(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fixture struct {
		Users    []tables.User
		Policies []scenarioPolicy
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatalf("decoding testdata/scenario.json: %v", err)
	}
	policies := make([]tables.Policy, len(fixture.Policies))
	for i, p := range fixture.Policies {
		policies[i] = p.Policy
		policies[i].Document = string(p.Document)
	}

	refs, err := Scan(fixture.Users, policies)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	got, err := json.MarshalIndent(struct {
		References []tables.Reference
		Orphans    []Orphan
	}{refs, Orphans(fixture.Users, policies)}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')

	golden := filepath.Join("testdata", "scenario.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading %s (run go test -run TestScenario -update to create it): %v", golden, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Scan and Orphans differ from %s; if the change is intended, rerun with -update and review the diff.\ngot:\n%s", golden, got)
	}
}
