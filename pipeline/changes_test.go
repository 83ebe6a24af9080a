package pipeline_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/reports/review"
	"github.com/dormant-iam/dormant/tables"
)

// The quarterly fixture: one account whose users move between two (or
// three) quarters as issue 17 describes, written in AWS's own formats.
const qAccount = "111111111111"

// qUser is one user in one quarter's inventory.
type qUser struct {
	name, id     string
	created      time.Time
	password     bool
	keyActive    bool
	keyRotated   time.Time
	keyLastUsed  time.Time // zero: never
	tags         [][2]string
	trustNamesID string // a role trust policy in this quarter names this unique ID
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func iso(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return t.UTC().Format("2006-01-02T15:04:05+00:00")
}

const aliceID = "AIDAALICE00000000001"

// quarter writes a quarter's inputs under dir and returns the run's config:
// a credential report, authorization details, and CloudTrail logs (alice's
// daily calls) covering every day of the window.
func quarter(t *testing.T, dir string, asOf time.Time, users []qUser, allow string) pipeline.Config {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	all := append([]qUser{{name: "alice", id: aliceID, created: day("2019-01-01"), keyActive: true, keyRotated: day("2019-01-01"), keyLastUsed: asOf.Add(-3 * time.Hour)}}, users...)
	var cr strings.Builder
	cr.WriteString("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n")
	cr.WriteString("<root_account>,arn:aws:iam::" + qAccount + ":root,2015-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
	var details []map[string]any
	var roles []map[string]any
	for _, u := range all {
		region, service := "N/A", "N/A"
		if !u.keyLastUsed.IsZero() {
			region, service = "us-east-1", "s3"
		}
		pw := "false"
		if u.password {
			pw = "true"
		}
		fmt.Fprintf(&cr, "%s,arn:aws:iam::%s:user/%s,%s,%s,N/A,N/A,N/A,false,%t,%s,%s,%s,%s,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
			u.name, qAccount, u.name, iso(u.created), pw, u.keyActive, iso(u.keyRotated), iso(u.keyLastUsed), region, service)
		var tags []map[string]string
		for _, tg := range u.tags {
			tags = append(tags, map[string]string{"Key": tg[0], "Value": tg[1]})
		}
		details = append(details, map[string]any{
			"Path": "/", "UserName": u.name, "UserId": u.id, "Arn": "arn:aws:iam::" + qAccount + ":user/" + u.name,
			"CreateDate": iso(u.created), "GroupList": []string{}, "AttachedManagedPolicies": []any{}, "Tags": tags,
		})
		if u.trustNamesID != "" {
			roles = append(roles, map[string]any{
				"Path": "/", "RoleName": "ci", "RoleId": "AROACI00000000000001", "Arn": "arn:aws:iam::" + qAccount + ":role/ci",
				"CreateDate": "2020-01-01T00:00:00+00:00", "InstanceProfileList": []any{}, "RolePolicyList": []any{}, "AttachedManagedPolicies": []any{},
				"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
					"Effect": "Allow", "Principal": map[string]any{"AWS": u.trustNamesID}, "Action": "sts:AssumeRole"}}},
			})
		}
	}
	// The orphan's user is not in the inventory: its policy goes in on its own.
	crPath := filepath.Join(dir, "credential-report-"+qAccount+".csv")
	if err := os.WriteFile(crPath, []byte(cr.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := json.MarshalIndent(map[string]any{"UserDetailList": details, "GroupDetailList": []any{}, "RoleDetailList": roles, "Policies": []any{}}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	adPath := filepath.Join(dir, "authorization-details-"+qAccount+".json")
	if err := os.WriteFile(adPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	trail := filepath.Join(dir, "cloudtrail")
	start := asOf.AddDate(0, 0, -pipeline.DefaultWindowDays-1)
	for d := start; d.Before(asOf); d = d.AddDate(0, 0, 1) {
		at := d.Add(12 * time.Hour)
		p := filepath.Join(trail, "AWSLogs", qAccount, "CloudTrail", "us-east-1", d.Format("2006"), d.Format("01"), d.Format("02"),
			qAccount+"_CloudTrail_us-east-1_"+at.Format("20060102T1504Z")+"_Quarter0000001.json.gz")
		writeGzip(t, p, `{"Records":[{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"`+aliceID+
			`","arn":"arn:aws:iam::`+qAccount+`:user/alice","accountId":"`+qAccount+`","accessKeyId":"AKIAALICE0000000001","userName":"alice"},"eventTime":"`+
			at.Format("2006-01-02T15:04:05Z")+`","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1",`+
			`"eventID":"00000000-0000-4000-8000-`+at.Format("200601021504")+`","recipientAccountId":"`+qAccount+`"}]}`)
	}
	cfg := pipeline.Config{
		CredentialReports: []string{crPath}, AuthorizationDetails: []string{adPath}, CloudTrail: trail,
		ReportGeneratedAt: map[string]time.Time{qAccount: asOf.Add(-time.Hour)},
		AsOf:              asOf, Out: filepath.Join(dir, "run"), Logger: quiet,
	}
	if allow != "" {
		cfg.Allowlist = filepath.Join(dir, "allowlist.yaml")
		if err := os.WriteFile(cfg.Allowlist, []byte(allow), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

var (
	q0AsOf = day("2026-05-01")
	q1AsOf = day("2026-08-01")
	q2AsOf = day("2026-11-01")
)

// idle is a user last seen by its key on lastUsed.
func idle(name, id, lastUsed string) qUser {
	return qUser{name: name, id: id, created: day("2020-01-01"), keyActive: true, keyRotated: day("2020-01-01"), keyLastUsed: day(lastUsed)}
}

// q1Users are the first quarter's: three to delete, five to deactivate,
// and one still in use.
func q1Users() []qUser {
	return []qUser{
		idle("gone", "AIDAGONE000000000001", "2025-01-10"),
		idle("ghost", "AIDAGHOST00000000001", "2025-01-10"),
		idle("reborn", "AIDAREBORN0000000001", "2025-01-10"),
		idle("parked", "AIDAPARKED0000000001", "2026-01-15"),
		idle("relapsed", "AIDARELAPSED00000001", "2026-01-15"),
		idle("ignored", "AIDAIGNORED000000001", "2026-01-15"),
		idle("woke", "AIDAWOKE000000000001", "2026-01-15"),
		idle("spared", "AIDASPARED0000000001", "2026-01-15"),
		idle("newbie", "AIDANEWBIE0000000001", "2026-07-20"),
	}
}

// q2Users are the second quarter's: what remediation and people did since.
func q2Users() []qUser {
	deactTags := [][2]string{{tables.TagDeactivated, "2026-08-10"}, {tables.TagDeleteAfter, "2027-08-10"}}
	parked := idle("parked", "AIDAPARKED0000000001", "2026-01-15")
	parked.keyActive, parked.tags = false, deactTags
	relapsed := idle("relapsed", "AIDARELAPSED00000001", "2026-01-15")
	relapsed.tags = deactTags // and its key active again
	return []qUser{
		{name: "reborn", id: "AIDAREBORN0000000002", created: day("2026-10-01")},
		parked, relapsed,
		idle("ignored", "AIDAIGNORED000000001", "2026-01-15"),
		idle("woke", "AIDAWOKE000000000001", "2026-10-20"),
		idle("spared", "AIDASPARED0000000001", "2026-01-15"),
		idle("newbie", "AIDANEWBIE0000000001", "2026-07-20"),
		// The ghost's unique ID, left in a role's trust policy by its deletion.
		{name: "trusty", id: "AIDATRUSTY0000000001", created: day("2019-01-01"), keyActive: true, keyRotated: day("2019-01-01"),
			keyLastUsed: q2AsOf.Add(-5 * time.Hour), trustNamesID: "AIDAGHOST00000000001"},
	}
}

const q2Allowlist = `- account_id: "` + qAccount + `"
  user_name: spared
  reason: vendor integration until migration
  owner: platform@example.com
  expires: 2026-12-15
`

func runQuarter(t *testing.T, cfg pipeline.Config) *pipeline.Result {
	t.Helper()
	res, err := pipeline.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestQuarterlyChanges(t *testing.T) {
	dir := t.TempDir()
	q1 := runQuarter(t, quarter(t, filepath.Join(dir, "q1"), q1AsOf, q1Users(), ""))
	finds := readFindings(t, q1.Out)
	for _, f := range finds {
		want := map[string]string{"gone": tables.DecisionDelete, "ghost": tables.DecisionDelete, "reborn": tables.DecisionDelete,
			"parked": tables.DecisionDeactivate, "relapsed": tables.DecisionDeactivate, "ignored": tables.DecisionDeactivate,
			"woke": tables.DecisionDeactivate, "spared": tables.DecisionDeactivate, "newbie": tables.DecisionKeep, "alice": tables.DecisionKeep}[f.UserName]
		if want != "" && f.Decision != want {
			t.Fatalf("the first quarter's fixture is wrong: %s is %s/%s %q, want %s", f.UserName, f.Status, f.Decision, f.Reasons, want)
		}
	}
	if _, err := os.Stat(filepath.Join(q1.Out, pipeline.ChangesTable)); err == nil {
		t.Error("a run without --previous wrote a changes table")
	}

	cfg := quarter(t, filepath.Join(dir, "q2"), q2AsOf, q2Users(), q2Allowlist)
	cfg.Previous = q1.Out
	q2 := runQuarter(t, cfg)

	t.Run("changes", func(t *testing.T) {
		rows, err := tables.ReadParquet[tables.Change](filepath.Join(q2.Out, pipeline.ChangesTable))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]tables.Change{}
		for _, c := range rows {
			got[c.UserName+"/"+c.Kind] = c
		}
		want := map[string]string{
			"gone/resolved": tables.ResolvedDeleted, "ghost/resolved": tables.ResolvedDeleted, "reborn/resolved": tables.ResolvedDeleted,
			"parked/resolved": tables.ResolvedDeactivated, "woke/resolved": tables.ResolvedActive, "spared/resolved": tables.ResolvedExempted,
			"relapsed/open": "", "ignored/open": "", "newbie/new": "", "spared/exception_expiring": "",
		}
		for k, res := range want {
			c, ok := got[k]
			if !ok {
				t.Errorf("no %s row", k)
				continue
			}
			if c.Resolved != res {
				t.Errorf("%s: resolution %q, want %q (%s)", k, c.Resolved, res, c.Reason)
			}
		}
		if len(rows) != len(want) {
			t.Errorf("%d change rows, want %d: %+v", len(rows), len(want), rows)
		}
		if c := got["ignored/open"]; c.AgeDays != 92 || c.FirstListedRun != q1.RunID {
			t.Errorf("ignored: age %d since run %s, want 92 since %s", c.AgeDays, c.FirstListedRun, q1.RunID)
		}
		if c := got["reborn/resolved"]; !strings.Contains(c.Reason, "AIDAREBORN0000000002") {
			t.Errorf("the re-created user is not named: %q", c.Reason)
		}
		trend, err := tables.ReadParquet[tables.TrendPoint](filepath.Join(q2.Out, pipeline.TrendTable))
		if err != nil {
			t.Fatal(err)
		}
		if len(trend) != 2 || trend[0].RunID != q1.RunID || trend[0].Candidates != 8 || trend[1].RunID != q2.RunID {
			t.Errorf("trend = %+v", trend)
		}
	})

	t.Run("remediation", func(t *testing.T) {
		rows, err := tables.ReadParquet[tables.RemediationCheck](filepath.Join(q2.Out, pipeline.RemediationTable))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]tables.RemediationCheck{}
		for _, r := range rows {
			got[r.UserName] = r
		}
		want := map[string]struct{ outcome, reason string }{
			"gone":     {tables.OutcomeCarriedOut, "no policy"},
			"ghost":    {tables.OutcomeNotCarriedOut, "1 policies still name it"},
			"reborn":   {tables.OutcomeCarriedOut, "AIDAREBORN0000000002"},
			"parked":   {tables.OutcomeCarriedOut, "tagged dormant:deactivated=2026-08-10"},
			"relapsed": {tables.OutcomeUndone, "access key 1 is active"},
			"ignored":  {tables.OutcomeNotCarriedOut, "access key 1 is active"},
			"woke":     {tables.OutcomeNotCarriedOut, "not the reviewed one"},
			"spared":   {tables.OutcomeNotCarriedOut, "access key 1 is active"},
		}
		for name, w := range want {
			r := got[name]
			if r.Outcome != w.outcome || !strings.Contains(strings.Join(r.Reasons, "; "), w.reason) {
				t.Errorf("%s: %q %q; want %q with %q", name, r.Outcome, r.Reasons, w.outcome, w.reason)
			}
			if r.PlanSource != tables.PlanRun || r.PlanRunID != q1.RunID {
				t.Errorf("%s: plan %q of run %q", name, r.PlanSource, r.PlanRunID)
			}
		}
		if len(rows) != len(want) {
			t.Errorf("%d remediation rows, want %d", len(rows), len(want))
		}
		if o := got["ghost"].Orphans; len(o) != 1 || !strings.Contains(o[0], "role/ci") {
			t.Errorf("the ghost's orphan is not linked to its deletion: %q", o)
		}
		if got["reborn"].RecreatedUserID != "AIDAREBORN0000000002" {
			t.Errorf("the re-created user is not flagged: %+v", got["reborn"])
		}
	})

	t.Run("reports", func(t *testing.T) {
		x, err := excelize.OpenFile(filepath.Join(q2.Out, filepath.FromSlash(reports.XLSXPath)))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		changes, err := x.GetRows(reports.SheetChanges)
		if err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprint(changes)
		for _, w := range []string{reports.ChangesTrendTitle, q1.RunID, q2.RunID, "ignored", tables.ResolvedActive} {
			if !strings.Contains(text, w) {
				t.Errorf("the Changes sheet lacks %q", w)
			}
		}
		rem, err := x.GetRows(reports.SheetRemediation)
		if err != nil {
			t.Fatal(err)
		}
		if len(rem) != 9 || !slices.Contains(rem[0], "Outcome") {
			t.Errorf("the Remediation sheet has %d rows: %q", len(rem), rem)
		}
		f, err := os.Open(filepath.Join(q2.Out, filepath.FromSlash(reports.RemediationCSVPath)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil || len(recs) != 9 {
			t.Errorf("remediation.csv: %d records, %v", len(recs), err)
		}
	})

	t.Run("verify", func(t *testing.T) {
		v, err := pipeline.Verify(context.Background(), q2.Out)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK() {
			t.Fatalf("the second quarter does not verify:\n%s", strings.Join(v.Problems, "\n"))
		}
		if !slices.ContainsFunc(v.Checked, func(s string) bool { return strings.Contains(s, "changes, trend and remediation recomputed") }) {
			t.Errorf("verify did not recompute the changes: %q", v.Checked)
		}
		for _, rel := range []string{pipeline.PreviousFindings, pipeline.PreviousManifest, pipeline.PreviousRun, pipeline.PreviousListed, pipeline.PreviousTrend} {
			sums, _ := os.ReadFile(filepath.Join(q2.Out, pipeline.SumsFile))
			if !strings.Contains(string(sums), rel) {
				t.Errorf("%s is not sealed by SHA256SUMS", rel)
			}
		}
	})

	t.Run("tampered", func(t *testing.T) {
		for _, rel := range []string{pipeline.ChangesTable, pipeline.PreviousFindings} {
			cp := filepath.Join(t.TempDir(), "run")
			copyDir(t, q2.Out, cp)
			tamper(t, filepath.Join(cp, filepath.FromSlash(rel)))
			v, err := pipeline.Verify(context.Background(), cp)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK() || !strings.Contains(strings.Join(v.Problems, "\n"), rel) {
				t.Errorf("a tampered %s verified, or was not named: %q", rel, v.Problems)
			}
			// Re-sealed, the recomputation alone still finds it.
			if err := evidence.WriteSums(context.Background(), cp); err != nil {
				t.Fatal(err)
			}
			if v, err = pipeline.Verify(context.Background(), cp); err != nil {
				t.Fatal(err)
			}
			if v.OK() || !strings.Contains(strings.Join(v.Problems, "\n"), rel) {
				t.Errorf("a tampered and re-sealed %s verified, or was not named: %q", rel, v.Problems)
			}
		}
	})

	t.Run("refused", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "q1")
		copyDir(t, q1.Out, bad)
		tamper(t, filepath.Join(bad, filepath.FromSlash(pipeline.FindingsTable)))
		cfg := cfg
		cfg.Previous, cfg.Out = bad, filepath.Join(t.TempDir(), "q2")
		_, err := pipeline.Run(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "fails verification") || !strings.Contains(err.Error(), "dormant verify") {
			t.Errorf("a previous run that fails verification = %v, want it refused, named, with what to do", err)
		}
		if _, err := os.Stat(cfg.Out); err == nil {
			t.Error("a refused run left its --out behind")
		}
	})
}

// tamper rewrites a Parquet table's rows with the first row's user renamed,
// so that the file still reads but says something else.
func tamper(t *testing.T, path string) {
	t.Helper()
	switch {
	case strings.HasSuffix(path, "changes.parquet"):
		rows, err := tables.ReadParquet[tables.Change](path)
		if err != nil || len(rows) == 0 {
			t.Fatalf("reading %s: %v", path, err)
		}
		rows[0].Kind = tables.ChangeResolved
		rows[0].Resolved = tables.ResolvedDeleted
		if err := tables.WriteParquet(path, rows); err != nil {
			t.Fatal(err)
		}
	default:
		rows, err := tables.ReadParquet[tables.Finding](path)
		if err != nil || len(rows) == 0 {
			t.Fatalf("reading %s: %v", path, err)
		}
		for i := range rows {
			if rows[i].Decision == tables.DecisionDeactivate {
				rows[i].Decision = tables.DecisionKeep
				break
			}
		}
		if err := tables.WriteParquet(path, rows); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHistoryPicksNewest: with --history, the newest run under it is the
// previous one, and every run of it feeds the trend and the ages.
func TestHistoryPicksNewest(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "runs")
	c0 := quarter(t, filepath.Join(dir, "q0"), q0AsOf, q1Users()[:8], "") // newbie's key is used after this as-of
	c0.Out = filepath.Join(hist, "2026-Q2")
	q0 := runQuarter(t, c0)
	c1 := quarter(t, filepath.Join(dir, "q1"), q1AsOf, q1Users(), "")
	c1.Out = filepath.Join(hist, "2026-Q3")
	q1 := runQuarter(t, c1)

	cfg := quarter(t, filepath.Join(dir, "q2"), q2AsOf, q2Users(), q2Allowlist)
	cfg.History, cfg.Out = hist, filepath.Join(hist, "2026-Q4")
	q2 := runQuarter(t, cfg)
	prev, err := os.ReadFile(filepath.Join(q2.Out, filepath.FromSlash(pipeline.PreviousRun)))
	if err != nil || !strings.Contains(string(prev), q1.RunID) {
		t.Fatalf("the previous run is not the newest under --history (%s): %v", q1.RunID, err)
	}
	trend, err := tables.ReadParquet[tables.TrendPoint](filepath.Join(q2.Out, pipeline.TrendTable))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range trend {
		ids = append(ids, p.RunID)
	}
	if !slices.Equal(ids, []string{q0.RunID, q1.RunID, q2.RunID}) {
		t.Errorf("trend runs = %q, want the history's oldest first, this run last", ids)
	}
	rows, err := tables.ReadParquet[tables.Change](filepath.Join(q2.Out, pipeline.ChangesTable))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rows {
		// ignored was a candidate in every quarter: its age runs from the first.
		if c.UserName == "ignored" && (c.FirstListedRun != q0.RunID || c.AgeDays != int64(q2AsOf.Sub(q0AsOf)/(24*time.Hour))) {
			t.Errorf("ignored listed since %s, %d days; want %s, from %s", c.FirstListedRun, c.AgeDays, q0.RunID, q0AsOf.Format(time.DateOnly))
		}
	}
	v, err := pipeline.Verify(context.Background(), q2.Out)
	if err != nil || !v.OK() {
		t.Fatalf("the run from --history does not verify: %v %q", err, v.Problems)
	}

	// A damaged older run under --history is refused, not skipped.
	tamper(t, filepath.Join(q0.Out, filepath.FromSlash(pipeline.FindingsTable)))
	cfg.Out = filepath.Join(dir, "again")
	if _, err := pipeline.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), q0.Out) {
		t.Errorf("a damaged history run = %v, want it refused by name", err)
	}
}

// TestQuarterlyPlanFromReviewAndJournal: the plan checked is the reviewed
// manifest when given (a rejected entry is not due), or the journal's
// entries with their calls' results.
func TestQuarterlyPlanFromReviewAndJournal(t *testing.T) {
	dir := t.TempDir()
	q1 := runQuarter(t, quarter(t, filepath.Join(dir, "q1"), q1AsOf, q1Users(), ""))
	base := quarter(t, filepath.Join(dir, "q2"), q2AsOf, q2Users(), q2Allowlist)
	base.Previous = q1.Out

	t.Run("reviewed manifest", func(t *testing.T) {
		reviewed := reviewAllBut(t, q1.Out, "woke")
		cfg := base
		cfg.PreviousManifest, cfg.Out = reviewed, filepath.Join(t.TempDir(), "q2")
		res := runQuarter(t, cfg)
		rows, err := tables.ReadParquet[tables.RemediationCheck](filepath.Join(res.Out, pipeline.RemediationTable))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows {
			names = append(names, r.UserName)
			if r.PlanSource != tables.PlanReviewed {
				t.Errorf("%s: plan %q, want the reviewed manifest", r.UserName, r.PlanSource)
			}
			if r.UserName == "ignored" && (r.Outcome != tables.OutcomeNotCarriedOut || strings.Contains(strings.Join(r.Reasons, " "), "not the reviewed one")) {
				t.Errorf("ignored: %q %q", r.Outcome, r.Reasons)
			}
		}
		if slices.Contains(names, "woke") || len(names) != 7 {
			t.Errorf("entries checked = %q; want the seven approved, not the rejected woke", names)
		}
		if v, err := pipeline.Verify(context.Background(), res.Out); err != nil || !v.OK() {
			t.Errorf("does not verify: %v %q", err, v.Problems)
		}
		// A reviewed manifest of another run is refused.
		other := base
		other.Previous, other.PreviousManifest, other.Out = res.Out, reviewed, filepath.Join(t.TempDir(), "q3")
		other.AsOf = q2AsOf.AddDate(0, 0, 1)
		if _, err := pipeline.Run(context.Background(), other); err == nil || !strings.Contains(err.Error(), "not of the previous run") {
			t.Errorf("a reviewed manifest of another run = %v, want it refused", err)
		}
	})

	t.Run("journal", func(t *testing.T) {
		at := q1AsOf.AddDate(0, 0, 9)
		var lines []string
		add := func(user, id, action, call, result, code string) {
			b, err := json.Marshal(map[string]any{"time": at, "run_id": q1.RunID, "account": qAccount, "user": user, "user_id": id,
				"entry": qAccount + "/" + user, "action": action, "call": call, "parameters": map[string]any{"UserName": user},
				"result": result, "error_code": code})
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(b))
		}
		add("parked", "AIDAPARKED0000000001", "deactivate", "iam:UpdateAccessKey", "ok", "")
		add("parked", "AIDAPARKED0000000001", "deactivate", "iam:TagUser", "ok", "")
		add("relapsed", "AIDARELAPSED00000001", "deactivate", "iam:UpdateAccessKey", "ok", "")
		add("relapsed", "AIDARELAPSED00000001", "deactivate", "iam:TagUser", "ok", "")
		add("gone", "AIDAGONE000000000001", "delete", "iam:DeleteUser", "ok", "")
		add("ghost", "AIDAGHOST00000000001", "delete", "iam:DeleteUser", "ok", "")
		add("ignored", "AIDAIGNORED000000001", "deactivate", "iam:UpdateAccessKey", "error", "AccessDenied")
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		if err := os.WriteFile(journal, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := base
		cfg.Journal, cfg.Out = journal, filepath.Join(t.TempDir(), "q2")
		res := runQuarter(t, cfg)
		rows, err := tables.ReadParquet[tables.RemediationCheck](filepath.Join(res.Out, pipeline.RemediationTable))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]struct{ outcome, reason string }{
			"parked":   {tables.OutcomeCarriedOut, "no active access key"},
			"relapsed": {tables.OutcomeUndone, "access key 1 is active"},
			"gone":     {tables.OutcomeCarriedOut, "no policy"},
			"ghost":    {tables.OutcomeNotCarriedOut, "still name it"},
			"ignored":  {tables.OutcomeNotCarriedOut, "AccessDenied"},
		}
		for _, r := range rows {
			w, ok := want[r.UserName]
			if !ok {
				t.Errorf("%s is checked, but the journal has no entry for it", r.UserName)
				continue
			}
			if r.PlanSource != tables.PlanJournal || r.Outcome != w.outcome || !strings.Contains(strings.Join(r.Reasons, "; "), w.reason) {
				t.Errorf("%s: %s %q %q; want %q with %q", r.UserName, r.PlanSource, r.Outcome, r.Reasons, w.outcome, w.reason)
			}
		}
		if len(rows) != len(want) {
			t.Errorf("%d rows, want %d", len(rows), len(want))
		}
		if v, err := pipeline.Verify(context.Background(), res.Out); err != nil || !v.OK() {
			t.Errorf("does not verify: %v %q", err, v.Problems)
		}
		// Another run's journal is refused, naming the run.
		cfg.Previous, cfg.Out, cfg.AsOf = res.Out, filepath.Join(t.TempDir(), "q3"), q2AsOf.AddDate(0, 0, 1)
		if _, err := pipeline.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), res.RunID) {
			t.Errorf("a journal of another run = %v, want it refused naming %s", err, res.RunID)
		}
	})
}

// reviewAllBut approves every user entry of a run's workbook except
// reject's, signs it off and writes the reviewed manifest.
func reviewAllBut(t *testing.T, runDir, reject string) string {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join(runDir, filepath.FromSlash(reports.XLSXPath)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	summary, err := f.GetRows(reports.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	signoff := map[string]string{reports.SignOffReviewerLabel: "Dana Reviewer", reports.SignOffRoleLabel: "IAM owner",
		reports.SignOffDateLabel: "2026-08-03", reports.SignOffStatementLabel: "I reviewed every approved row."}
	for i, row := range summary {
		if len(row) > 0 && signoff[row[0]] != "" {
			if err := f.SetCellValue(reports.SheetSummary, fmt.Sprintf("B%d", i+1), signoff[row[0]]); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := f.GetRows(reports.SheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	user, dec := slices.Index(rows[0], reports.TitleUserName), slices.Index(rows[0], reports.TitleReviewerDecision)
	decision := slices.Index(rows[0], "Decision")
	for i, r := range rows[1:] {
		if decision >= len(r) || (r[decision] != tables.DecisionDelete && r[decision] != tables.DecisionDeactivate) {
			continue
		}
		v := reports.ReviewApprove
		if r[user] == reject {
			v = reports.ReviewReject
		}
		cell, _ := excelize.CoordinatesToCellName(dec+1, i+2)
		if err := f.SetCellValue(reports.SheetFindings, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	wb := filepath.Join(t.TempDir(), "reviewed.xlsx")
	if err := f.SaveAs(wb); err != nil {
		t.Fatal(err)
	}
	res, err := review.Apply(context.Background(), review.Options{Workbook: wb, RunDir: runDir,
		Findings: filepath.Join(runDir, filepath.FromSlash(pipeline.FindingsTable))})
	if err != nil {
		t.Fatal(err)
	}
	return res.Out
}

func TestConfigValidatePrevious(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "journal.jsonl")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{Out: filepath.Join(dir, "out"), CloudTrail: dir, Journal: file, PreviousManifest: file}.WithDefaults()
	err := cfg.Validate()
	for _, want := range []string{"--journal needs --previous or --history", "--previous-manifest needs --previous or --history"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation = %v, want %q", err, want)
		}
	}
	cfg.Previous, cfg.History = file, filepath.Join(dir, "missing")
	err = cfg.Validate()
	for _, want := range []string{"--previous " + file + " is not a directory", "reading --history"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation = %v, want %q", err, want)
		}
	}
}
