package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// TestCitationsCoverEveryStandard holds the citations to issue 19 item 7:
// every CIS AWS Foundations Benchmark version with its number, PCI DSS v4.0
// 8.2.6, NIST AC-2(3) and ISO/IEC 27001:2022 A.5.18, each with its threshold
// and where it was looked up.
func TestCitationsCoverEveryStandard(t *testing.T) {
	want := map[string]int{
		"AWS Security Hub IAM.8":                    90,
		"AWS Security Hub IAM.22":                   45,
		"CIS AWS Foundations Benchmark v1.2.0 1.3":  90,
		"CIS AWS Foundations Benchmark v1.3.0 1.12": 90,
		"CIS AWS Foundations Benchmark v1.4.0 1.12": 45,
		"CIS AWS Foundations Benchmark v1.5.0 1.12": 45,
		"CIS AWS Foundations Benchmark v2.0.0 1.12": 45,
		"CIS AWS Foundations Benchmark v3.0.0 1.12": 45,
		"CIS AWS Foundations Benchmark v4.0.0 1.12": 45,
		"CIS AWS Foundations Benchmark v5.0.0 1.11": 45,
		"CIS AWS Foundations Benchmark v6.0.0 2.11": 45,
		"CIS AWS Foundations Benchmark v7.0.0 2.11": 45,
		"PCI DSS v4.0 8.2.6":                        90,
		"NIST SP 800-53 Rev. 5 AC-2(3)":             0,
		"ISO/IEC 27001:2022 A.5.18":                 0,
	}
	got := map[string]int{}
	for _, c := range Citations {
		if _, dup := got[c.Name()]; dup {
			t.Errorf("citation %s listed twice", c.Name())
		}
		got[c.Name()] = c.ThresholdDays
		if c.Title == "" || c.Source == "" {
			t.Errorf("citation %s has no title or source: %+v", c.Name(), c)
		}
		if c.ThresholdDays != 0 && c.ThresholdDays != 45 && c.ThresholdDays != 90 {
			t.Errorf("citation %s threshold %d: not one a Control evaluates", c.Name(), c.ThresholdDays)
		}
	}
	for name, days := range want {
		if d, ok := got[name]; !ok {
			t.Errorf("no citation %s", name)
		} else if d != days {
			t.Errorf("citation %s threshold = %d, want %d", name, d, days)
		}
	}
	if !strings.Contains(Controls[0].Standard, "v5.0.0 1.11") || strings.Contains(Controls[0].Standard, "v1.2.0") {
		t.Errorf("IAM.22 standards = %q, want the 45-day citations only", Controls[0].Standard)
	}
	if !strings.Contains(Controls[1].Standard, "PCI DSS v4.0 8.2.6") || strings.Contains(Controls[1].Standard, "v1.4.0") {
		t.Errorf("IAM.8 standards = %q, want the 90-day citations only", Controls[1].Standard)
	}
}

func TestCitationResult(t *testing.T) {
	f := tables.Finding{AccountID: "111111111111", UserName: "u", InCredentialReport: true,
		PasswordEnabled: true, PasswordLastUsed: asOf.AddDate(0, 0, -60)}
	failed := strings.Split(CitationsWith(&f, asOf, ControlFail), ReasonSeparator)
	for _, c := range Citations {
		want := ControlPass
		switch {
		case c.OrganizationDefined():
			want = ControlNotEvaluated
		case c.ThresholdDays <= 60:
			want = ControlFail
		}
		if got := CitationResult(&f, asOf, c); got != want {
			t.Errorf("%s for a password unused 60 days = %s, want %s", c.Name(), got, want)
		}
		if slices.Contains(failed, c.Name()) != (want == ControlFail) {
			t.Errorf("failed list %q and %s disagree", failed, c.Name())
		}
	}
	// Unknown is not pass: no report row leaves every evaluated citation undecided.
	f.InCredentialReport = false
	if got := CitationsWith(&f, asOf, ControlFail); got != "" {
		t.Errorf("not assessed user fails %q", got)
	}
	if got := CitationsWith(&f, asOf, ControlPass); got != "" {
		t.Errorf("not assessed user passes %q", got)
	}
}

// TestCitationsDocumented: docs/controls.md, the citation table auditors
// read, names every citation with its threshold, and no other.
func TestCitationsDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "controls.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	table, _, _ := strings.Cut(string(data), "## In the CSV")
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Standard") {
			rows = append(rows, line)
		}
	}
	for _, c := range Citations {
		threshold := "organization-defined"
		if !c.OrganizationDefined() {
			threshold = fmt.Sprintf("%d days", c.ThresholdDays)
		}
		want := fmt.Sprintf("| %s | %s | %s |", c.Framework+" "+c.Version, c.ID, threshold)
		if c.Version == "" {
			want = fmt.Sprintf("| %s | %s | %s |", c.Framework, c.ID, threshold)
		}
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Errorf("docs/controls.md has no row starting %q", want)
		}
	}
	if len(rows) != len(Citations) {
		t.Errorf("docs/controls.md has %d rows, Citations %d", len(rows), len(Citations))
	}
}
