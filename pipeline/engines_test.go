package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
	localengine "github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/tables"
)

// TestEnginesGiveTheSameFindings runs the whole job on the demo organization
// with the activity from Athena, CloudTrail Lake and the local engine fed from
// S3 (the test endpoints run the SQL the engines send in DuckDB, over the same
// logs in the fake S3), configured as a user would, and compares the findings
// with the local engine's on the files.
func TestEnginesGiveTheSameFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo through four engines")
	}
	dir := t.TempDir()
	o := smallDemo(t)
	o.Accounts, o.Users, o.Events = 4, 60, 10000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	base := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, Allowlist: src.Allowlist, AsOf: o.AsOf, Logger: quiet,
		Out: filepath.Join(dir, "local"),
	}
	local, err := pipeline.Run(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	want := readFindings(t, local.Out)

	srv, err := analytics.New(context.Background(), analytics.Config{LogsDir: src.CloudTrail, WorkGroupOutput: "s3://athena-results/wg/"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	creds, err := srv.AWSConfig().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_REGION", analytics.Region)
	// gofakes3 checks Content-MD5, not the SDK's newer flexible checksums.
	t.Setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
	t.Setenv("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))

	for name, mod := range map[string]func(*pipeline.Config){
		"athena": func(c *pipeline.Config) {
			c.Engine, c.AthenaDatabase, c.AthenaTable = "athena", "default", analytics.DefaultTable
		},
		"lake": func(c *pipeline.Config) {
			c.Engine, c.EventDataStore = "lake", analytics.EventDataStoreARN(analytics.DefaultEventDataStore)
		},
		"local-duckdb": func(c *pipeline.Config) {
			c.EndpointURL, c.Scanner = "", "duckdb"
		},
		"local-from-s3": func(c *pipeline.Config) {
			c.CloudTrail, c.Cache = srv.TrailURI(), filepath.Join(dir, "cache")
		},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "local-duckdb" && !localengine.DuckDBBuilt {
				t.Skip("the DuckDB scanner is built only with -tags duckdb (scripts/test passes it)")
			}
			cfg := base
			cfg.Out = filepath.Join(dir, name)
			cfg.EndpointURL = srv.URL()
			mod(&cfg)
			res, err := pipeline.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := readFindings(t, res.Out)
			if len(got) != len(want) {
				t.Fatalf("%d findings, local engine %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.UserName != w.UserName || g.Status != w.Status || g.Decision != w.Decision || !g.LastActivity.Equal(w.LastActivity) || g.CloudTrailEvents != w.CloudTrailEvents {
					t.Errorf("%s/%s: %s/%s last %s events %d; local engine %s/%s last %s events %d",
						w.AccountID, w.UserName, g.Status, g.Decision, g.LastActivity, g.CloudTrailEvents, w.Status, w.Decision, w.LastActivity, w.CloudTrailEvents)
				}
			}
			if name == "athena" {
				// The digest check's rows are kept in the bundle, where the
				// findings and verify read them.
				files, err := tables.ReadParquet[tables.LogFile](filepath.Join(res.Out, pipeline.LogFilesTable))
				if err != nil {
					t.Fatalf("the Athena run's digest evidence is not in the bundle: %v", err)
				}
				n := map[string]int{}
				for _, f := range files {
					n[f.Kind+" "+f.Verification]++
				}
				if n[tables.LogFileKindDigest+" "+tables.VerificationVerified] == 0 || n[tables.LogFileKindLog+" "+tables.VerificationExists] == 0 {
					t.Errorf("the Athena run's log files table holds %v, want verified digests and listed log files", n)
				}
			}
			if len(res.Record.Queries) == 0 || ((name == "athena" || name == "lake") && res.Record.Queries[0].QueryID == "") {
				t.Errorf("the query run is not recorded with its ID: %+v", res.Record.Queries)
			}
		})
	}
}

func readFindings(t *testing.T, out string) []tables.Finding {
	t.Helper()
	f, err := tables.ReadParquet[tables.Finding](filepath.Join(out, pipeline.FindingsTable))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
