package pipeline_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func smallDemo(t *testing.T) demo.Options {
	t.Helper()
	o := demo.DefaultOptions()
	o.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o.Users, o.Events = 120, 40000
	return o
}

// TestDemoEndToEnd is the done-when: demo -> pipeline -> CSV, workbook
// and manifest, each read back and compared to the ground truth exactly.
func TestDemoEndToEnd(t *testing.T) {
	out := t.TempDir()
	res, err := pipeline.Demo(context.Background(), pipeline.DemoConfig{
		Out: out, Options: smallDemo(t), Config: pipeline.Config{Logger: quiet},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Mismatches) > 0 {
		t.Fatalf("findings differ from the ground truth:\n%s", strings.Join(res.Mismatches, "\n"))
	}
	truth := res.Source.Truth
	want := map[string]demo.Expected{}
	cases := map[string]bool{}
	for _, e := range truth {
		want[e.AccountID+"/"+e.UserName] = e
		cases[e.Status] = true
	}
	for _, st := range []string{tables.StatusActive, tables.StatusInactive, tables.StatusNeverUsed, tables.StatusNew, tables.StatusExempt, tables.StatusReview, tables.StatusRoot} {
		if !cases[st] {
			t.Errorf("the demo's ground truth has no %s user: the end-to-end test would not cover it", st)
		}
	}
	runDir := res.Run.Out

	t.Run("csv", func(t *testing.T) {
		f, err := os.Open(filepath.Join(runDir, "reports", "findings.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := columns(t, rows[0], "account_id", "user_name", "user_id", "arn", "status", "decision", "last_activity", "last_activity_source", "days_inactive", "reasons")
		if len(rows)-1 != len(truth) {
			t.Fatalf("csv has %d rows, ground truth %d users", len(rows)-1, len(truth))
		}
		for _, r := range rows[1:] {
			e, ok := want[r[col["account_id"]]+"/"+r[col["user_name"]]]
			if !ok {
				t.Errorf("csv row for %s/%s not in the ground truth", r[col["account_id"]], r[col["user_name"]])
				continue
			}
			if r[col["status"]] != e.Status || r[col["decision"]] != e.Decision {
				t.Errorf("csv %s/%s: %s/%s, want %s/%s", e.AccountID, e.UserName, r[col["status"]], r[col["decision"]], e.Status, e.Decision)
			}
			if r[col["reasons"]] == "" {
				t.Errorf("csv %s/%s has no reasons", e.AccountID, e.UserName)
			}
			if v := r[col["last_activity"]]; v != "" {
				if _, err := time.Parse(time.RFC3339, v); err != nil || !strings.HasSuffix(v, "Z") {
					t.Errorf("last_activity %q is not ISO 8601 UTC", v)
				}
			}
			if _, err := strconv.Atoi(r[col["days_inactive"]]); err != nil {
				t.Errorf("days_inactive %q is not a number", r[col["days_inactive"]])
			}
		}
	})

	t.Run("workbook", func(t *testing.T) {
		x, err := excelize.OpenFile(filepath.Join(runDir, "reports", "dormant-report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		for _, sheet := range []string{"Summary", "Findings"} {
			if idx, _ := x.GetSheetIndex(sheet); idx < 0 {
				t.Fatalf("workbook has no %s sheet (sheets: %v)", sheet, x.GetSheetList())
			}
		}
		rows, err := x.GetRows("Findings")
		if err != nil {
			t.Fatal(err)
		}
		header := rows[0]
		acct, user, status := slices.Index(header, "Account ID"), slices.Index(header, "User name"), slices.Index(header, "Status")
		if acct < 0 || user < 0 || status < 0 {
			t.Fatalf("Findings header lacks Account/User/Status: %v", header)
		}
		if len(rows)-1 != len(truth) {
			t.Fatalf("Findings sheet has %d rows, ground truth %d", len(rows)-1, len(truth))
		}
		for _, r := range rows[1:] {
			e := want[r[acct]+"/"+r[user]]
			if r[status] != e.Status {
				t.Errorf("workbook %s/%s: status %q, want %q", r[acct], r[user], r[status], e.Status)
			}
		}
		orphans, err := x.GetRows("Orphans")
		if err != nil {
			t.Fatal(err)
		}
		if len(orphans) < 2 || !strings.Contains(strings.Join(orphans[1], " "), "AIDA") {
			t.Errorf("the demo's trust policy naming a deleted user's unique ID is not on the Orphans sheet: %v", orphans)
		}
		panes, err := x.GetPanes("Findings")
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("Findings header row is not frozen: %+v %v", panes, err)
		}
	})

	t.Run("manifest", func(t *testing.T) {
		m, err := manifest.Read(filepath.Join(runDir, "reports", "remediation-manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Verify(); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		keys := map[string][]int{}
		for _, e := range m.Entries {
			k := e.AccountID + "/" + e.UserName
			switch e.Kind {
			case "user":
				got[k] = e.Decision
			case "access_key":
				keys[k] = append(keys[k], e.KeySlot)
			}
		}
		for _, e := range truth {
			k := e.AccountID + "/" + e.UserName
			remediated := e.Decision == tables.DecisionDelete || e.Decision == tables.DecisionDeactivate
			if remediated && got[k] != e.Decision {
				t.Errorf("manifest %s: decision %q, want %q", k, got[k], e.Decision)
			}
			if !remediated && got[k] != "" {
				t.Errorf("manifest has a user entry for %s (%s), which must never be remediated", k, e.Status)
			}
			if !slices.Equal(keys[k], e.UnusedKeys) && !(len(keys[k]) == 0 && len(e.UnusedKeys) == 0) {
				t.Errorf("manifest %s: key entries %v, want %v", k, keys[k], e.UnusedKeys)
			}
		}
	})

	t.Run("bundle", func(t *testing.T) {
		bad, err := evidence.VerifySums(context.Background(), runDir)
		if err != nil || len(bad) > 0 {
			t.Fatalf("SHA256SUMS does not verify: %v %v", bad, err)
		}
		var rec pipeline.RunRecord
		data, err := os.ReadFile(filepath.Join(runDir, pipeline.RunFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.WindowDays != 90 || !rec.AsOf.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || len(rec.Stages) != 6 || len(rec.Queries) == 0 {
			t.Errorf("run.json is incomplete: %+v", rec)
		}
		sqlText, err := os.ReadFile(filepath.Join(runDir, rec.Queries[0].SQLFile))
		if err != nil || !strings.Contains(strings.ToLower(string(sqlText)), "select") {
			t.Errorf("the SQL as run is not stored: %v", err)
		}
		entries, _ := os.ReadDir(filepath.Dir(runDir))
		for _, e := range entries {
			if strings.Contains(e.Name(), ".partial-") {
				t.Errorf("staging directory %s left behind", e.Name())
			}
		}
	})
}

func columns(t *testing.T, header []string, names ...string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, n := range names {
		i := slices.Index(header, n)
		if i < 0 {
			t.Fatalf("csv header lacks %q: %v", n, header)
		}
		m[n] = i
	}
	return m
}

// TestBadInputLeavesNothing: a broken input fails the run with an error naming
// the file and line, and no partial run directory appears.
func TestBadInputLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), func() demo.Options {
		o := smallDemo(t)
		o.Users, o.Events = 30, 2000
		return o
	}())
	if err != nil {
		t.Fatal(err)
	}
	var csvReport string
	for _, p := range src.CredentialReports {
		if strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".json") { // the demo writes the CLI's JSON
			csvReport = p
			break
		}
	}
	data, err := os.ReadFile(csvReport)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	// Truncate the third row mid-line, as an interrupted download would.
	broken := strings.Join(lines[:2], "") + lines[2][:len(lines[2])/2]
	if err := os.WriteFile(csvReport, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	_, err = pipeline.Run(context.Background(), pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, AsOf: smallDemo(t).AsOf, Out: out, Logger: quiet,
	})
	if err == nil {
		t.Fatal("a truncated credential report must fail the run")
	}
	if !strings.Contains(err.Error(), filepath.Base(csvReport)) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error should name the file and line: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "src" {
			t.Errorf("a failed run left %s behind", e.Name())
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := pipeline.Config{Engine: "local", WindowDays: 0}.WithDefaults()
	err := cfg.Validate()
	if err == nil {
		t.Fatal("an empty config must not validate")
	}
	for _, want := range []string{"--out", "--cloudtrail"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validation error should mention %s: %v", want, err)
		}
	}
	half := cfg
	half.AuthorizationDetails = []string{"authorization-details.json"}
	if err := half.Validate(); err == nil || !strings.Contains(err.Error(), "--authorization-details without --credential-report") {
		t.Errorf("details without reports should be refused: %v", err)
	}
	mixed := cfg
	mixed.CredentialReports, mixed.Org = []string{"r.csv"}, true
	if err := mixed.Validate(); err == nil || !strings.Contains(err.Error(), "--org") {
		t.Errorf("--org with files should be refused: %v", err)
	}
	cfg.Engine = "bigquery"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "bigquery") {
		t.Errorf("unknown engine should be named: %v", err)
	}
}

// TestRerunReplacesPreviousRun: a second run into the same --out is refused
// unless Replace is set, and then replaces the first run whole; a directory
// dormant did not write is never replaced.
func TestRerunReplacesPreviousRun(t *testing.T) {
	dir := t.TempDir()
	o := smallDemo(t)
	o.Users, o.Events = 30, 2000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, AsOf: o.AsOf, Out: filepath.Join(dir, "out"), Logger: quiet,
	}
	first, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Run(context.Background(), cfg); !errors.Is(err, pipeline.ErrRunExists) || !strings.Contains(err.Error(), cfg.Out) {
		t.Fatalf("a second run without Replace: %v, want ErrRunExists naming %s", err, cfg.Out)
	}
	if data, err := os.ReadFile(filepath.Join(cfg.Out, pipeline.RunFile)); err != nil || !strings.Contains(string(data), first.RunID) {
		t.Fatalf("the refused run touched the first one: %v", err)
	}
	cfg.Replace = true
	second, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(cfg.Out, pipeline.RunFile))
	if err != nil || !strings.Contains(string(data), second.RunID) || strings.Contains(string(data), first.RunID) {
		t.Fatalf("run.json should be the second run's: %v", err)
	}
	foreign := filepath.Join(dir, "foreign")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "thesis.docx"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Out = foreign
	if _, err := pipeline.Run(context.Background(), cfg); err == nil {
		t.Fatal("a non-empty directory dormant did not write must not be replaced")
	}
	if _, err := os.Stat(filepath.Join(foreign, "thesis.docx")); err != nil {
		t.Fatal("the foreign directory was touched")
	}
}
