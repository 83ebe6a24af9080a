package trails_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/pipeline/trails"
	"github.com/dormant-iam/dormant/tables"
)

const member = "222222222222"

var started = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeTrails: the management account's organization trail records only write
// events for every member; the member's own trail excludes KMS.
func fakeTrails() []analytics.Trail {
	return []analytics.Trail{
		{Name: "org", Accounts: []string{analytics.AccountID, member}, MultiRegion: true, Organization: true,
			IsLogging: true, StartLogging: started,
			EventSelectors: []analytics.EventSelector{{ReadWriteType: "WriteOnly"}}},
		{Name: "local", Owner: member, HomeRegion: "eu-west-1", IsLogging: false, StartLogging: started, StopLogging: started.Add(48 * time.Hour),
			AdvancedEventSelectors: []analytics.AdvancedEventSelector{{Name: "mgmt", FieldSelectors: []analytics.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Management"}},
				{Field: "eventSource", NotEquals: []string{"kms.amazonaws.com"}},
			}}}},
	}
}

func normalizeAll(t *testing.T, descs []trails.Description) []tables.Trail {
	t.Helper()
	var out []tables.Trail
	for _, d := range descs {
		row, err := trails.Normalize(d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	return out
}

// TestReadLive reads the trails of two accounts from the fake CloudTrail
// through the real SDK client: the organization trail shows up in the
// member account, with its status and selectors, and the stored form
// (Marshal) reads back as the same rows.
func TestReadLive(t *testing.T) {
	srv, err := analytics.New(context.Background(), analytics.Config{
		Trails: fakeTrails(),
		AccountOf: func(akid string) (string, bool) {
			return map[string]string{"AKIAFAKEANALYTICS001": member}[akid], akid == "AKIAFAKEANALYTICS001"
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	descs, err := trails.Read(context.Background(), cloudtrail.NewFromConfig(srv.AWSConfig()), member)
	if err != nil {
		t.Fatal(err)
	}
	rows := normalizeAll(t, descs)
	if len(rows) != 2 {
		t.Fatalf("%d trails, want the member's own and the organization's: %+v", len(rows), rows)
	}
	org, local := rows[1], rows[0]
	if org.Name != "org" || !org.Organization || !org.MultiRegion || !org.IsLogging || !org.StartLogging.Equal(started) ||
		!org.ManagementEvents || org.ReadOnlyRecorded || !org.WriteOnlyRecorded || org.AccountID != member {
		t.Errorf("organization trail read as %+v", org)
	}
	if local.Name != "local" || local.IsLogging || !local.StopLogging.Equal(started.Add(48*time.Hour)) || local.HomeRegion != "eu-west-1" ||
		!local.ReadOnlyRecorded || !local.WriteOnlyRecorded || !slices.Equal(local.ExcludedSources, []string{"kms.amazonaws.com"}) {
		t.Errorf("member trail read as %+v", local)
	}
	for _, c := range srv.CallsTo("GetTrailStatus") {
		if c.Status != 200 {
			t.Errorf("GetTrailStatus answered %d", c.Status)
		}
	}

	// The stored form reads back as the same rows.
	dir := t.TempDir()
	for i, d := range descs {
		data, err := trails.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, trails.FileName(d))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		back, err := trails.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := normalizeAll(t, back)
		got[0].Source = rows[i].Source
		if len(got) != 1 || !equalTrail(got[0], rows[i]) {
			t.Errorf("stored trail reads back as %+v, want %+v", got, rows[i])
		}
	}
}

func equalTrail(a, b tables.Trail) bool {
	return a.AccountID == b.AccountID && a.Name == b.Name && a.ARN == b.ARN && a.HomeRegion == b.HomeRegion &&
		a.MultiRegion == b.MultiRegion && a.Organization == b.Organization && a.IsLogging == b.IsLogging &&
		a.StartLogging.Equal(b.StartLogging) && a.StopLogging.Equal(b.StopLogging) && a.ManagementEvents == b.ManagementEvents &&
		a.ReadOnlyRecorded == b.ReadOnlyRecorded && a.WriteOnlyRecorded == b.WriteOnlyRecorded &&
		slices.Equal(a.ExcludedSources, b.ExcludedSources) && a.DataEvents == b.DataEvents && slices.Equal(a.Ignored, b.Ignored)
}

// cliFile is a description as a user assembles it from the CLI (v2's ISO
// times; v1's epoch seconds are accepted too).
const cliFile = `{
  "Trail": {"Name": "mgmt", "S3BucketName": "logs", "IncludeGlobalServiceEvents": true, "IsMultiRegionTrail": true,
            "HomeRegion": "us-east-1", "TrailARN": "arn:aws:cloudtrail:us-east-1:111111111111:trail/mgmt",
            "LogFileValidationEnabled": true, "HasCustomEventSelectors": true, "HasInsightSelectors": false, "IsOrganizationTrail": false},
  "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [],
                      "ExcludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}],
  "Status": {"IsLogging": true, "LatestDeliveryTime": "2026-11-01T00:05:00+00:00", "StartLoggingTime": "2024-01-02T03:04:05.123000+00:00",
             "StopLoggingTime": 1700000000.5, "TimeLoggingStarted": "2024-01-02T03:04:05Z"}
}`

func TestParseCLIFile(t *testing.T) {
	descs, err := trails.Parse([]byte(cliFile), "mgmt.json")
	if err != nil {
		t.Fatal(err)
	}
	rows := normalizeAll(t, descs)
	r := rows[0]
	if len(rows) != 1 || r.AccountID != "111111111111" || !r.ReadOnlyRecorded || !r.WriteOnlyRecorded ||
		!slices.Equal(r.ExcludedSources, []string{"kms.amazonaws.com", "rdsdata.amazonaws.com"}) ||
		!r.StartLogging.Equal(time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC)) || !r.StopLogging.Equal(time.Unix(1700000000, 5e8)) ||
		r.Source != "mgmt.json" {
		t.Errorf("read as %+v", rows)
	}
}

// TestParseRefusesMalformed: each broken file is refused, naming the field.
func TestParseRefusesMalformed(t *testing.T) {
	for _, tc := range []struct {
		edit func(string) string
		want string
	}{
		{func(s string) string { return "[]" }, "want a JSON object"},
		{func(s string) string { return strings.Replace(s, `"Status"`, `"Statu"`, 1) }, `unknown field "Statu"`},
		{func(s string) string { return strings.Replace(s, `"EventSelectors"`, `"Other"`, 1) }, `unknown field "Other"`},
		{func(s string) string { return strings.Replace(s, `"IsLogging": true,`, ``, 1) }, "Status.IsLogging is missing"},
		{func(s string) string {
			return strings.Replace(s, `"ReadWriteType": "All"`, `"ReadWriteType": "Reads"`, 1)
		}, `EventSelectors[0].ReadWriteType "Reads"`},
		{func(s string) string {
			return strings.Replace(s, `"IsMultiRegionTrail": true`, `"IsMultiRegionTrail": "yes"`, 1)
		}, "Trail.IsMultiRegionTrail"},
		{func(s string) string {
			return strings.Replace(s, `"StopLoggingTime": 1700000000.5`, `"StopLoggingTime": "yesterday"`, 1)
		}, `"yesterday" is not an ISO 8601 time`},
		{func(s string) string {
			return strings.Replace(s, `arn:aws:cloudtrail:us-east-1:111111111111:trail/mgmt`, `mgmt`, 1)
		}, "Trail.TrailARN \"mgmt\" names no account"},
		{func(s string) string { return strings.Replace(s, `"HomeRegion": "us-east-1",`, ``, 1) }, "Trail.HomeRegion is missing"},
	} {
		_, err := trails.Parse([]byte(tc.edit(cliFile)), "bad.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("got %v, want an error naming bad.json and %q", err, tc.want)
		}
	}
}

// TestAdvancedSelectors: the management selector's readOnly and eventSource
// conditions are read; a restriction not modelled counts as not recording.
func TestAdvancedSelectors(t *testing.T) {
	base := `{"Trail": {"Name": "a", "HomeRegion": "us-east-1", "IsMultiRegionTrail": true, "TrailARN": "arn:aws:cloudtrail:us-east-1:111111111111:trail/a"},
	  "Status": {"IsLogging": true}, "AdvancedEventSelectors": [%s]}`
	for _, tc := range []struct {
		sel               string
		mgmt, read, write bool
		excluded          []string
		ignored           bool
	}{
		{`{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}`, true, true, true, nil, false},
		{`{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]}`, true, false, true, nil, false},
		{`{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "NotEquals": ["false"]}]}`, true, true, false, nil, false},
		{`{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "eventSource", "NotEquals": ["rdsdata.amazonaws.com"]}]}`, true, true, true, []string{"rdsdata.amazonaws.com"}, false},
		{`{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "eventSource", "Equals": ["iam.amazonaws.com"]}]}`, false, false, false, nil, true},
		{`{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}`, false, false, false, nil, false},
	} {
		descs, err := trails.Parse([]byte(strings.Replace(base, "%s", tc.sel, 1)), "adv.json")
		if err != nil {
			t.Fatal(err)
		}
		r := normalizeAll(t, descs)[0]
		if r.ManagementEvents != tc.mgmt || r.ReadOnlyRecorded != tc.read || r.WriteOnlyRecorded != tc.write ||
			!slices.Equal(r.ExcludedSources, tc.excluded) || (len(r.Ignored) > 0) != tc.ignored {
			t.Errorf("%s read as %+v", tc.sel, r)
		}
	}
	if _, err := trails.Parse([]byte(strings.Replace(base, "%s", `{"FieldSelectors": [{"Field": "readOnly", "Equals": ["maybe"]}]}`, 1)), "adv.json"); err == nil ||
		!strings.Contains(err.Error(), "AdvancedEventSelectors[0]: FieldSelectors[0] readOnly") {
		t.Errorf("a readOnly of maybe: %v", err)
	}
}
