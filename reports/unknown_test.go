package reports

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

// unknownInput holds users whose facts come from a source that was not
// given, or does not list them (issue 13, item 7), and the root row.
func unknownInput() *Input {
	in := sampleInput()
	root := finding("111111111111", tables.RootUserName, "")
	root.ARN, root.Path = "arn:aws:iam::111111111111:root", ""
	root.PasswordState = tables.PasswordNotSupported
	root.Status, root.Decision, root.Reasons = tables.StatusRoot, tables.DecisionKeep, []string{"root user"}

	// In the authorization details, but the report has no row for her: an
	// enabled password the report would have shown is unknown.
	judy := finding("111111111111", "judy", "AIDAJUDY000000000009")
	judy.InCredentialReport, judy.PasswordState = false, ""
	judy.Status, judy.Decision, judy.Reasons = tables.StatusReview, tables.DecisionReview, []string{"not in the credential report"}

	// An account given with a credential report only.
	kim := finding("444444444444", "kim", "")
	kim.InAuthorizationDetails, kim.AuthorizationDetailsGiven = false, false
	kim.PasswordEnabled, kim.PasswordState, kim.PasswordLastUsed = true, tables.PasswordUsed, at("2026-01-01T00:00:00Z")
	kim.Status, kim.Decision, kim.Reasons = tables.StatusReview, tables.DecisionReview, []string{"no authorization details given"}

	// An account given with authorization details only.
	lee := finding("555555555555", "lee", "AIDALEE0000000000010")
	lee.InCredentialReport, lee.CredentialReportGiven, lee.PasswordState = false, false, ""
	lee.Status, lee.Decision, lee.Reasons = tables.StatusReview, tables.DecisionReview, []string{"no credential report given"}

	in.Findings = []tables.Finding{root, judy, kim, lee}
	return in
}

func TestUnknownIsNotFalse(t *testing.T) {
	in := unknownInput()
	records, err := csv.NewReader(bytes.NewReader(writeCSV(t, in))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := records[0]
	get := func(row int, name string) string { return records[row][slices.Index(header, name)] }
	reportCols := []string{"password_enabled", "mfa_active", "key1_active", "key2_active"}

	// CSV: root's password_enabled as the report writes it.
	if got := get(1, "password_enabled"); got != "not_supported" {
		t.Errorf("root password_enabled = %q, want not_supported", got)
	}
	for _, c := range reportCols {
		for _, row := range []int{2, 4} { // judy (no row), lee (no report)
			if got := get(row, c); got != "" {
				t.Errorf("row %d (%s) %s = %q, want empty: no credential report row", row, records[row][1], c, got)
			}
		}
		if got := get(3, c); got != "true" && got != "false" {
			t.Errorf("kim %s = %q, want the report's value", c, got)
		}
	}
	wantIn := map[string][3]string{ // judy, kim, lee
		"in_credential_report":        {"false", "true", ""},
		"in_authorization_details":    {"true", "", "true"},
		"credential_report_given":     {"true", "true", "false"},
		"authorization_details_given": {"true", "false", "true"},
	}
	for c, want := range wantIn {
		for i, row := range []int{2, 3, 4} {
			if got := get(row, c); got != want[i] {
				t.Errorf("row %d (%s) %s = %q, want %q", row, records[row][1], c, got, want[i])
			}
		}
	}

	// Controls: never "pass" without a report row.
	for i, want := range []string{ControlNA, ControlNotAssessed, ControlFail, ControlNotAssessed} {
		if got := ControlResult(&in.Findings[i], asOf, 45); got != want {
			t.Errorf("%s IAM.22 = %s, want %s", in.Findings[i].UserName, got, want)
		}
	}

	// The workbook: the same cells blank, root's as text, controls not assessed.
	wb := openXLSX(t, writeXLSX(t, in))
	rows, err := wb.GetRows(SheetFindings, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	cols := sheetCols()
	cellOf := func(row int, name string) string {
		i := slices.IndexFunc(cols, func(c column) bool { return c.name == name })
		if i >= len(rows[row]) {
			return ""
		}
		return rows[row][i]
	}
	if got := cellOf(1, "password_enabled"); got != "not_supported" {
		t.Errorf("workbook root password_enabled = %q, want not_supported", got)
	}
	for _, c := range reportCols {
		for _, row := range []int{2, 4} {
			if got := cellOf(row, c); got != "" {
				t.Errorf("workbook row %d %s = %q, want blank", row+1, c, got)
			}
		}
	}
	for _, row := range []int{2, 4} {
		for _, c := range Controls {
			if got := cellOf(row, controlColName(c)); got != ControlNotAssessed {
				t.Errorf("workbook row %d %s = %q, want %q", row+1, c.ID, got, ControlNotAssessed)
			}
		}
	}
	summary, err := wb.GetRows(SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	ctl := summaryTable(t, summary, controlsHeader)
	notAssessed := slices.Index(controlsHeader, "Not assessed")
	if len(ctl) < 1 || notAssessed < 0 || ctl[0][notAssessed] != "2" {
		t.Errorf("Summary controls = %q, want 2 users not assessed", ctl)
	}
}

// The Summary's freshness column says what the classifier decides: a
// report of unknown age, or taken after as-of, proves nothing.
func TestReportFreshness(t *testing.T) {
	in := sampleInput() // max age 7 days
	h := func(n int) time.Time { return asOf.Add(time.Duration(n) * time.Hour) }
	for _, tc := range []struct {
		name           string
		gen, notBefore time.Time
		want           string
	}{
		{"fresh", h(-2), time.Time{}, "yes"},
		{"stale", h(-7*24 - 1), time.Time{}, "no: candidates are review"},
		{"after as-of", h(3), time.Time{}, "yes: generated after as-of, its last-use dates reach past it"},
		{"time inside after as-of", time.Time{}, h(1), "yes: generated after as-of, its last-use dates reach past it"},
		{"lower bound within max age", time.Time{}, h(-7 * 24), "yes: its latest time is within the maximum age"},
		{"lower bound too old", time.Time{}, h(-7*24 - 1), "age unknown (give --report-generated-at or the CLI's JSON): candidates are review"},
		{"nothing known", time.Time{}, time.Time{}, "age unknown (give --report-generated-at or the CLI's JSON): candidates are review"},
	} {
		if got := reportFreshness(in, tc.gen, tc.notBefore); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
