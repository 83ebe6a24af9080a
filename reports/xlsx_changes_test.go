package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// comparedInput is sampleInput compared with two earlier runs.
func comparedInput() *Input {
	in := sampleInput()
	in.Compared = true
	q1, q2 := asOf.AddDate(0, -6, 0), asOf.AddDate(0, -3, 0)
	in.Trend = []tables.TrendPoint{
		{RunID: "run-q1", AsOf: q1, Users: 10, Candidates: 6, Delete: 2, Deactivate: 4, Review: 1, Keep: 3},
		{RunID: "run-q2", AsOf: q2, Users: 11, Candidates: 4, Delete: 1, Deactivate: 3, Review: 2, Keep: 5},
		{RunID: in.RunID, AsOf: asOf, Users: 12, Candidates: 3, Delete: 1, Deactivate: 2, Review: 2, Keep: 7},
	}
	in.Changes = []tables.Change{
		{AccountID: "111111111111", UserName: "fresh", UserID: "AIDAFRESH", Kind: tables.ChangeNew, Status: tables.StatusInactive,
			Decision: tables.DecisionDeactivate, FirstListed: asOf, FirstListedRun: in.RunID, Reason: "newly inactive"},
		{AccountID: "111111111111", UserName: "old", UserID: "AIDAOLD", Kind: tables.ChangeOpen, Status: tables.StatusInactive,
			Decision: tables.DecisionDelete, FirstListed: q1, FirstListedRun: "run-q1", AgeDays: 184, Reason: "still inactive"},
		{AccountID: "111111111111", UserName: "gone", UserID: "AIDAGONE", Kind: tables.ChangeResolved, Resolved: tables.ResolvedDeleted,
			AgeDays: -1, Reason: "unique ID AIDAGONE is gone"},
		{AccountID: "111111111111", UserName: "soon", UserID: "AIDASOON", Kind: tables.ChangeExceptionExpiring, AgeDays: -1,
			Exemption: "allowlist", ExemptionOwner: "ops", ExemptionExpires: asOf.AddDate(0, 0, 30), Reason: "ends"},
	}
	in.Remediation = []tables.RemediationCheck{
		{AccountID: "111111111111", UserName: "gone", UserID: "AIDAGONE", Kind: "user", Planned: "delete", PlanSource: tables.PlanReviewed,
			PlanRunID: "run-q2", Outcome: tables.OutcomeNotCarriedOut, Reasons: []string{"unique ID AIDAGONE is gone, but 1 policies still name it"},
			RecreatedUserID: "AIDAGONE2", Orphans: []string{"111111111111 role trust policy arn:aws:iam::111111111111:role/ci (Principal)"}},
		{AccountID: "111111111111", UserName: "keyed", UserID: "AIDAKEYED", Kind: "access_key", KeySlot: 2, Planned: "deactivate-key",
			PlanSource: tables.PlanReviewed, PlanRunID: "run-q2", Outcome: tables.OutcomeUndone, Reasons: []string{"access key 2 is active again", "restored"}, Journal: "=cmd"},
	}
	return in
}

func TestXLSXChangesSheet(t *testing.T) {
	in := comparedInput()
	data := writeXLSX(t, in)
	f := openXLSX(t, data)
	rows := rawRows(t, f, SheetChanges)
	find := func(title string) int {
		t.Helper()
		for i, r := range rows {
			if len(r) > 0 && r[0] == title {
				return i
			}
		}
		t.Fatalf("Changes has no %q block: %q", title, rows)
		return -1
	}
	if !strings.Contains(strings.Join(rows[1], " "), "New candidates 1; resolved 1 (deleted 1") {
		t.Errorf("Changes summary = %q", rows[1])
	}
	tr := find(ChangesTrendTitle)
	if !slices.Equal(rows[tr+1], trendColumns) {
		t.Errorf("trend header = %q", rows[tr+1])
	}
	for i, p := range in.Trend {
		r := rows[tr+2+i]
		if r[0] != p.RunID || r[3] != strconvI(p.Candidates) || !excelTime(t, r[1]).Equal(p.AsOf) {
			t.Errorf("trend row %d = %q, want %+v", i, r, p)
		}
	}
	ls := find(ChangesListTitle)
	if !slices.Equal(rows[ls+1], changeColumns) {
		t.Errorf("list header = %q", rows[ls+1])
	}
	got := rows[ls+2:]
	if len(got) != len(in.Changes) {
		t.Fatalf("%d change rows, want %d", len(got), len(in.Changes))
	}
	open := got[1]
	if open[0] != tables.ChangeOpen || open[3] != "old" || open[12] != "184" || !excelTime(t, open[10]).Equal(asOf.AddDate(0, -6, 0)) {
		t.Errorf("open row = %q", open)
	}
	if gone := got[2]; gone[1] != tables.ResolvedDeleted || gone[12] != "" {
		t.Errorf("resolved row = %q (its age must be blank)", gone)
	}

	// The chart: a line of candidates per run, over the trend's cells.
	var chart []byte
	for i := 1; i <= 4 && chart == nil; i++ {
		part := readZipPart(t, data, "xl/charts/chart"+strconvI(int64(i))+".xml")
		if bytes.Contains(part, []byte(ChangesTrendTitle)) {
			chart = part
		}
	}
	if chart == nil {
		t.Fatal("no chart titled " + ChangesTrendTitle)
	}
	if !regexp.MustCompile(`<(c:)?lineChart>`).Match(chart) {
		t.Error("the trend chart is not a line chart")
	}
	m := regexp.MustCompile(`<(?:c:)?val>.*?<(?:c:)?f>([^<]+)</(?:c:)?f>`).FindSubmatch(chart)
	if m == nil {
		t.Fatal("the trend chart has no values")
	}
	if vals := rangeValues(t, f, string(m[1])); !slices.Equal(vals, []string{"6", "4", "3"}) {
		t.Errorf("the chart's first series %s = %q, want the candidates per run", m[1], vals)
	}

	// A run compared with nothing says so.
	plain := openXLSX(t, writeXLSX(t, sampleInput()))
	if rows := rawRows(t, plain, SheetChanges); len(rows) < 3 || !strings.Contains(rows[2][0], "No previous run") {
		t.Errorf("Changes without a previous run = %q", rows)
	}
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }

func TestXLSXRemediationSheet(t *testing.T) {
	in := comparedInput()
	f := openXLSX(t, writeXLSX(t, in))
	header, rows := byTitle(t, f, SheetRemediation)
	if header[0] != "Outcome" || len(rows) != 2 {
		t.Fatalf("Remediation = %q, %d rows", header, len(rows))
	}
	gone, keyed := rows[0], rows[1]
	if gone["Outcome"] != tables.OutcomeNotCarriedOut || gone["Re-created as (user ID)"] != "AIDAGONE2" ||
		!strings.Contains(gone["Policies still naming the ID"], "role/ci") || gone[TitleKeySlot] != "" {
		t.Errorf("deletion row = %v", gone)
	}
	if keyed["Outcome"] != tables.OutcomeUndone || keyed[TitleKeySlot] != "2" || keyed["Reasons"] != "access key 2 is active again; restored" || keyed["Journal"] != "=cmd" {
		t.Errorf("key row = %v", keyed)
	}
	if fill, _ := conditionalFill(t, f, SheetRemediation, 1, tables.OutcomeUndone); fill == "" {
		t.Error("an undone entry is not coloured")
	}

	var buf bytes.Buffer
	if err := (remediationCSV{}).Write(context.Background(), &buf, in); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0][0] != "outcome" || recs[2][0] != tables.OutcomeUndone || recs[2][10] != "'=cmd" {
		t.Errorf("remediation.csv = %q", recs)
	}
	buf.Reset()
	if err := (remediationCSV{}).Write(context.Background(), &buf, sampleInput()); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("remediation.csv without a previous run = %q, want the header alone", buf.String())
	}
}
