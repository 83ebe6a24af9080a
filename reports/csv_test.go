package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func writeCSV(t testing.TB, in *Input) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := NewCSVWriter().Write(context.Background(), &buf, in); err != nil {
		t.Fatalf("CSV writer: %v", err)
	}
	return buf.Bytes()
}

func TestCSVGolden(t *testing.T) {
	got := writeCSV(t, sampleInput())
	golden := filepath.Join("testdata", "findings.golden.csv")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./reports -run TestCSVGolden -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("findings.csv differs from %s (rerun with -update if the change is intended):\n%s", golden, got)
	}
}

// TestCSVColumnsCoverFindings holds the report to the findings table: every
// column of tables.Finding appears once, under its table name.
func TestCSVColumnsCoverFindings(t *testing.T) {
	var tags []string
	for f := range reflect.TypeFor[tables.Finding]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("arrow"), ",") // the name, without options such as ",added"
		tags = append(tags, name)
	}
	cols := FindingColumns()
	sorted := slices.Clone(cols)
	slices.Sort(sorted)
	slices.Sort(tags)
	if !slices.Equal(sorted, tags) {
		t.Errorf("CSV columns %q\nfindings table columns %q", sorted, tags)
	}
	for i, want := range []string{"account_id", "user_name", "user_id", "arn"} {
		if cols[i] != want {
			t.Errorf("column %d = %s, want %s", i, cols[i], want)
		}
	}
	for _, c := range findingColumns {
		if c.title == "" {
			t.Errorf("column %s has no workbook title", c.name)
		}
	}
}

func TestCSVReadBack(t *testing.T) {
	in := sampleInput()
	records, err := csv.NewReader(bytes.NewReader(writeCSV(t, in))).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV back: %v", err)
	}
	if len(records) != len(in.Findings)+1 {
		t.Fatalf("%d records, want header + %d findings", len(records), len(in.Findings))
	}
	header := records[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("header has no %s column: %q", name, header)
		}
		return i
	}
	for _, name := range []string{"account_id", "user_name", "user_id", "arn", "status", "decision", "last_activity", "last_activity_source", "days_inactive", "reasons"} {
		col(name)
	}
	for i, f := range in.Findings {
		rec := records[i+1]
		if rec[col("account_id")] != f.AccountID || rec[col("user_id")] != f.UserID || rec[col("arn")] != f.ARN ||
			rec[col("status")] != f.Status || rec[col("decision")] != f.Decision {
			t.Errorf("row %d = %q, finding %+v", i+2, rec, f)
		}
		// User names are text from IAM: formulas are neutralized, the rest verbatim.
		name := rec[col("user_name")]
		if strings.ContainsAny(f.UserName[:1], "=+-@") {
			if name != "'"+f.UserName {
				t.Errorf("row %d user_name = %q, want %q quoted against formula injection", i+2, name, f.UserName)
			}
		} else if name != f.UserName {
			t.Errorf("row %d user_name = %q, want %q", i+2, name, f.UserName)
		}
		if got := strings.Split(rec[col("reasons")], ReasonSeparator); !slices.Equal(got, f.Reasons) {
			t.Errorf("row %d reasons = %q, want %q", i+2, got, f.Reasons)
		}
		for _, c := range []struct {
			name string
			want time.Time
		}{
			{"last_activity", f.LastActivity}, {"create_date", f.CreateDate}, {"password_last_used", f.PasswordLastUsed},
			{"cloudtrail_last_event", f.CloudTrailLastEvent}, {"exemption_expires", f.ExemptionExpires},
		} {
			v := rec[col(c.name)]
			if c.want.IsZero() {
				if v != "" {
					t.Errorf("row %d %s = %q, want empty for an unknown time", i+2, c.name, v)
				}
				continue
			}
			got, err := time.Parse(time.RFC3339, v)
			if err != nil || !got.Equal(c.want) || !strings.HasSuffix(v, "Z") {
				t.Errorf("row %d %s = %q, want %s in RFC 3339 UTC", i+2, c.name, v, c.want.Format(time.RFC3339))
			}
		}
		days := rec[col("days_inactive")]
		if f.DaysInactive < 0 {
			if days != "" {
				t.Errorf("row %d days_inactive = %q, want empty when unknown", i+2, days)
			}
		} else if n, err := strconv.ParseInt(days, 10, 64); err != nil || n != f.DaysInactive {
			t.Errorf("row %d days_inactive = %q, want %d", i+2, days, f.DaysInactive)
		}
		// Unknown is not false: blank without a report row; the root row
		// as the report writes it.
		want := strconv.FormatBool(f.PasswordEnabled)
		switch {
		case isRoot(&f):
			want = "not_supported"
		case !f.InCredentialReport:
			want = ""
		}
		if got := rec[col("password_enabled")]; got != want {
			t.Errorf("row %d password_enabled = %q, want %q", i+2, got, want)
		}
	}
	frank := records[slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "frank" })+1]
	if got := frank[col("exemption_reason")]; got != `'=HYPERLINK("http://evil.example","vendor, legacy")` {
		t.Errorf("exemption_reason = %q, want the formula quoted", got)
	}
	dave := records[slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "dave" })+1]
	if got := dave[col("unused_keys")]; got != "2" {
		t.Errorf("dave unused_keys = %q, want 2", got)
	}
}

func TestNeutralizeFormula(t *testing.T) {
	tests := map[string]string{
		"":            "",
		"alice":       "alice",
		"=1+2":        "'=1+2",
		"+1":          "'+1",
		"-1":          "'-1",
		"@SUM(A1)":    "'@SUM(A1)",
		"\t=1":        "'\t=1",
		"\r=1":        "'\r=1",
		"a=b":         "a=b",
		"'quoted":     "'quoted",
		"user@corp":   "user@corp",
		"with, comma": "with, comma",
	}
	for in, want := range tests {
		if got := neutralizeFormula(in); got != want {
			t.Errorf("neutralizeFormula(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := NewCSVWriter().Write(ctx, &buf, sampleInput()); err == nil {
		t.Errorf("CSV writer ignored a cancelled context")
	}
}

// TestCSVControlColumns: the CSV ends with the control columns, each row's
// results as the controls evaluate them at as-of, unknown never "pass".
func TestCSVControlColumns(t *testing.T) {
	in := sampleInput()
	records, err := csv.NewReader(bytes.NewReader(writeCSV(t, in))).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV back: %v", err)
	}
	header := records[0]
	ctl := CSVControlColumns()
	if want := append(FindingColumns(), ctl...); !slices.Equal(header, want) {
		t.Fatalf("header = %q\nwant %q", header, want)
	}
	for _, name := range []string{"credential_unused_days", "control_iam_22", "control_iam_8", "controls_failed", "controls_passed", "controls_undetermined", "controls_organization_defined"} {
		if !slices.Contains(ctl, name) {
			t.Errorf("no %s column in %q", name, ctl)
		}
	}
	col := func(name string) int { return slices.Index(header, name) }
	row := func(user string) []string {
		i := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == user })
		if i < 0 {
			t.Fatalf("no finding %s", user)
		}
		return records[i+1]
	}
	for i := range in.Findings {
		f := &in.Findings[i]
		rec := records[i+1]
		if got, want := rec[col("control_iam_22")], ControlResult(f, in.AsOf, 45); got != want {
			t.Errorf("%s control_iam_22 = %q, want %q", f.UserName, got, want)
		}
		if got, want := rec[col("control_iam_8")], ControlResult(f, in.AsOf, 90); got != want {
			t.Errorf("%s control_iam_8 = %q, want %q", f.UserName, got, want)
		}
		if rec[col("controls_failed")] != "" && rec[col("control_iam_22")] != ControlFail {
			t.Errorf("%s fails %q but not IAM.22", f.UserName, rec[col("controls_failed")])
		}
	}
	// bob's key 1 was last used 2024-03-01: every fixed threshold fails.
	bob := row("bob")
	for _, want := range []string{"CIS AWS Foundations Benchmark v1.2.0 1.3", "CIS AWS Foundations Benchmark v5.0.0 1.11", "PCI DSS v4.0 8.2.6", "AWS Security Hub IAM.22"} {
		if !slices.Contains(strings.Split(bob[col("controls_failed")], ReasonSeparator), want) {
			t.Errorf("bob controls_failed = %q, want %s in it", bob[col("controls_failed")], want)
		}
	}
	if strings.Contains(bob[col("controls_failed")], "NIST") || strings.Contains(bob[col("controls_failed")], "ISO") {
		t.Errorf("bob fails an organization-defined citation: %q", bob[col("controls_failed")])
	}
	if got := bob[col("credential_unused_days")]; got != "975" {
		t.Errorf("bob credential_unused_days = %q, want 975 (2024-03-01 to 2026-11-01)", got)
	}
	if got := bob[col("controls_organization_defined")]; got != "NIST SP 800-53 Rev. 5 AC-2(3)"+ReasonSeparator+"ISO/IEC 27001:2022 A.5.18" {
		t.Errorf("bob controls_organization_defined = %q, want NIST AC-2(3) and ISO A.5.18", got)
	}
	// Every citation is in exactly one of the four lists of a user the
	// credential report lists.
	for i := range in.Findings {
		f := &in.Findings[i]
		if f.UserName == tables.RootUserName {
			continue
		}
		rec := records[i+1]
		var all []string
		for _, c := range []string{"controls_failed", "controls_passed", "controls_undetermined", "controls_organization_defined"} {
			if rec[col(c)] != "" {
				all = append(all, strings.Split(rec[col(c)], ReasonSeparator)...)
			}
		}
		slices.Sort(all)
		var want []string
		for _, c := range Citations {
			want = append(want, c.Name())
		}
		slices.Sort(want)
		if !slices.Equal(all, want) {
			t.Errorf("%s: the four control lists hold %q, want each citation once", f.UserName, all)
		}
	}
	root := row(tables.RootUserName)
	if root[col("control_iam_22")] != ControlNA || root[col("controls_failed")] != "" || root[col("controls_passed")] != "" || root[col("controls_organization_defined")] != "" {
		t.Errorf("root controls = %q / %q / %q, want n/a and no citations", root[col("control_iam_22")], root[col("controls_failed")], root[col("controls_organization_defined")])
	}
}
