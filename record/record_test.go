package record

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
	"time"
)

// full is a Run with every part run.json can hold filled in.
func full() Run {
	t := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return Run{
		RunID: "20261101T000000Z-abcd", ToolVersion: "v1", StartedAt: t, FinishedAt: t, AsOf: t, WindowDays: 90, WindowStart: t,
		Settings:        Settings{Engine: "local", DeleteAfterDays: 365, ReportMaxAgeHours: 4, ExemptTag: "x", Allowlist: "a", CloudTrail: "c", Reports: []string{"html"}},
		Accounts:        []Account{{AccountID: "111111111111", Assessed: false, Error: "denied", ReportGeneratedAt: t}},
		Inputs:          []Input{{Path: "p", AccountID: "111111111111", Kind: "k", Source: "s", GeneratedAt: t}},
		Stages:          []Stage{{Name: "inventory", StartedAt: t, DurationMS: 1, Fingerprint: "f", Reused: true}},
		Queries:         []Query{{Engine: "local", Name: "activity", QueryID: "q", SQLFile: "queries/a.sql", BytesScanned: 1, EngineTimeMS: 1, Files: 1, CostUSD: 1}},
		ReferenceChecks: []string{"iam"},
		Unchecked:       []Unchecked{{AccountID: "111111111111", Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::b", Region: "us-east-1", Error: "AccessDenied"}},
		Orphans:         []Orphan{{AccountID: "111111111111", Kind: "role_trust", ResourceARN: "arn:aws:iam::111111111111:role/r", Location: "Statement[0]", UniqueID: "AIDAXXXXXXXXXXXXXXXXX"}},
		Coverage:        []CoverageSpan{{AccountID: "111111111111", Region: "us-east-1", Hour: t, FirstEvent: t, LastEvent: t, Events: 7}},
		Trails:          []Trail{{AccountID: "111111111111", Known: true, Trails: []string{"t"}, Gaps: []string{"g"}, Error: "e", Note: "n"}},
		Counts: Counts{Users: 1, Policies: 1, References: 1, ActivityRows: 1, Findings: Summary{
			ByStatus: map[string]int{"never_used": 1}, ByDecision: map[string]int{"delete": 1},
			ByAccount: map[string]map[string]int{"111111111111": {"never_used": 1}}, UnusedKeys: 2, Total: 1,
		}},
		SecurityHub: &SecurityHub{Region: "us-east-1", Accounts: []SecurityHubAccount{{
			AccountID: "111111111111", ProductARN: "arn", Published: 1, Created: 1, Updated: 1, Archived: 1, Resolved: 1,
			Failed: []SecurityHubFailure{{ID: "i", Code: "c", Message: "m"}}, NotPublished: "n", Error: "e",
		}}},
	}
}

// TestRunJSONIsSnakeCase: every key run.json writes is snake_case (the
// keys of the count maps are statuses, decisions and account IDs).
func TestRunJSONIsSnakeCase(t *testing.T) {
	data, err := json.Marshal(full())
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !snake.MatchString(k) {
					t.Errorf("run.json key %s.%s is not snake_case", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("", doc)
	for _, k := range []string{`"account_id"`, `"by_status"`, `"resource_arn"`, `"unique_id"`, `"first_event"`, `"unused_keys"`} {
		if !regexp.MustCompile(regexp.QuoteMeta(k)).Match(data) {
			t.Errorf("run.json lacks %s", k)
		}
	}
	var back Run
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if want := full(); !reflect.DeepEqual(back, want) {
		t.Errorf("run.json does not read back:\n got %+v\nwant %+v", back, want)
	}
}

// TestRunJSONReadsTheOldSpelling: a run.json written before the keys were
// all snake_case (AccountID, ByStatus, ...) still reads, for verify and
// --resume of an older bundle.
func TestRunJSONReadsTheOldSpelling(t *testing.T) {
	old := `{"run_id":"20261101T000000Z-abcd",
	"unchecked":[{"AccountID":"111111111111","Kind":"s3 bucket policy","ResourceARN":"arn:aws:s3:::b","Region":"us-east-1","Error":"AccessDenied"}],
	"orphans":[{"AccountID":"111111111111","Kind":"role_trust","ResourceARN":"arn:aws:iam::111111111111:role/r","Location":"Statement[0]","UniqueID":"AIDAXXXXXXXXXXXXXXXXX"}],
	"coverage":[{"AccountID":"111111111111","Region":"us-east-1","Hour":"2026-11-01T00:00:00Z","FirstEvent":"2026-11-01T00:00:00Z","LastEvent":"2026-11-01T00:00:00Z","Events":7}],
	"counts":{"users":1,"findings":{"ByStatus":{"never_used":1},"ByDecision":{"delete":1},"ByAccount":{"111111111111":{"never_used":1}},"UnusedKeys":2,"Total":1}}}`
	var got Run
	if err := json.Unmarshal([]byte(old), &got); err != nil {
		t.Fatal(err)
	}
	want := full()
	if !reflect.DeepEqual(got.Unchecked, want.Unchecked) || !reflect.DeepEqual(got.Orphans, want.Orphans) ||
		!reflect.DeepEqual(got.Coverage, want.Coverage) || !reflect.DeepEqual(got.Counts.Findings, want.Counts.Findings) {
		t.Errorf("old run.json read as\nunchecked %+v\norphans %+v\ncoverage %+v\nfindings %+v", got.Unchecked, got.Orphans, got.Coverage, got.Counts.Findings)
	}
}
