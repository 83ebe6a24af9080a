package reports

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

func writeXLSX(t testing.TB, in *Input) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := NewXLSXWriter().Write(context.Background(), &buf, in); err != nil {
		t.Fatalf("XLSX writer: %v", err)
	}
	return buf.Bytes()
}

func openXLSX(t testing.TB, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("opening the workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// isDateStyle reports whether a style shows numbers as dates.
func isDateStyle(t testing.TB, f *excelize.File, styleID int) bool {
	t.Helper()
	st, err := f.GetStyle(styleID)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return strings.Contains(*st.CustomNumFmt, "yy") && strings.Contains(*st.CustomNumFmt, "dd")
	}
	return st.NumFmt >= 14 && st.NumFmt <= 22 // Excel's built-in date formats
}

func colIndex(t testing.TB, name string) int {
	t.Helper()
	i := slices.IndexFunc(findingColumns, func(c column) bool { return c.name == name })
	if i < 0 {
		t.Fatalf("no column %s", name)
	}
	return i
}

func TestXLSXStructure(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetSummary, SheetFindings}) {
		t.Fatalf("sheets = %q, want Summary, Findings", got)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet = %d, want Summary", f.GetActiveSheetIndex())
	}
	rows, err := f.GetRows(SheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(in.Findings)+1 {
		t.Fatalf("Findings has %d rows, want header + %d", len(rows), len(in.Findings))
	}
	if !slices.Equal(rows[0], FindingTitles()) {
		t.Errorf("header = %q\nwant %q", rows[0], FindingTitles())
	}
	panes, err := f.GetPanes(SheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the header row frozen", panes)
	}
	lastCell := cellName(len(findingColumns), len(in.Findings)+1)
	var filter string
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm._FilterDatabase" && d.Scope == SheetFindings {
			filter = d.RefersTo
		}
	}
	wantFilter := "'Findings'!$A$1:$" + strings.TrimRight(lastCell, "0123456789") + "$" + strconv.Itoa(len(in.Findings)+1)
	if filter != wantFilter {
		t.Errorf("autofilter = %q, want %q over the header and every row", filter, wantFilter)
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2026-11-01T03:04:05Z" || !strings.Contains(props.Title, in.RunID) {
		t.Errorf("document properties = %+v", props)
	}
	widths := map[string]float64{}
	for i, c := range findingColumns {
		col := strings.TrimRight(cellName(i+1, 1), "0123456789")
		w, err := f.GetColWidth(SheetFindings, col)
		if err != nil {
			t.Fatal(err)
		}
		widths[c.name] = w
	}
	if widths["arn"] < float64(len("arn:aws:iam::111111111111:user/division/ops/bob")) || widths["arn"] > 60 {
		t.Errorf("ARN column width %v does not fit the longest ARN", widths["arn"])
	}
	if widths["last_activity"] < float64(len("2006-01-02 15:04:05")) {
		t.Errorf("date column width %v is narrower than a date", widths["last_activity"])
	}
	if widths["account_id"] < 12 || widths["account_id"] > 20 {
		t.Errorf("account ID column width %v", widths["account_id"])
	}
}

func TestXLSXCells(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	colOf := func(name string) int { return colIndex(t, name) + 1 }
	raw := func(col, row int) string {
		v, err := f.GetCellValue(SheetFindings, cellName(col, row), excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	typ := func(col, row int) excelize.CellType {
		ct, err := f.GetCellType(SheetFindings, cellName(col, row))
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	dates := 0
	for i := range in.Findings {
		fd := &in.Findings[i]
		row := i + 2
		for j, c := range findingColumns {
			col := j + 1
			v := c.get(fd)
			switch c.kind {
			case kTime:
				if v.t.IsZero() {
					if got := raw(col, row); got != "" {
						t.Errorf("%s row %d = %q, want blank for an unknown time", c.name, row, got)
					}
					continue
				}
				dates++
				if ct := typ(col, row); ct != excelize.CellTypeUnset && ct != excelize.CellTypeNumber {
					t.Errorf("%s row %d has cell type %v, want a number", c.name, row, ct)
				}
				serial, err := strconv.ParseFloat(raw(col, row), 64)
				if err != nil {
					t.Fatalf("%s row %d = %q, not an Excel serial date: %v", c.name, row, raw(col, row), err)
				}
				got, err := excelize.ExcelDateToTime(serial, false)
				if err != nil || got.Sub(v.t).Abs() > time.Second {
					t.Errorf("%s row %d = %v, want %v", c.name, row, got, v.t)
				}
				style, err := f.GetCellStyle(SheetFindings, cellName(col, row))
				if err != nil {
					t.Fatal(err)
				}
				if !isDateStyle(t, f, style) {
					t.Errorf("%s row %d has style %d, not a date format", c.name, row, style)
				}
				if shown, _ := f.GetCellValue(SheetFindings, cellName(col, row)); shown != v.t.UTC().Format(time.DateTime) {
					t.Errorf("%s row %d shows %q, want %q", c.name, row, shown, v.t.UTC().Format(time.DateTime))
				}
			case kInt:
				got := raw(col, row)
				if v.null {
					if got != "" {
						t.Errorf("%s row %d = %q, want blank", c.name, row, got)
					}
					continue
				}
				if ct := typ(col, row); ct != excelize.CellTypeUnset && ct != excelize.CellTypeNumber {
					t.Errorf("%s row %d has cell type %v, want a number", c.name, row, ct)
				}
				if got != strconv.FormatInt(v.n, 10) {
					t.Errorf("%s row %d = %q, want %d", c.name, row, got, v.n)
				}
			case kBool:
				if ct := typ(col, row); ct != excelize.CellTypeBool {
					t.Errorf("%s row %d has cell type %v, want boolean", c.name, row, ct)
				}
				if got, want := raw(col, row), map[bool]string{true: "1", false: "0"}[v.b]; got != want {
					t.Errorf("%s row %d = %q, want %s", c.name, row, got, want)
				}
			case kText:
				// Verbatim: workbook strings are never evaluated, so no quoting.
				if got := raw(col, row); got != v.s {
					t.Errorf("%s row %d = %q, want %q", c.name, row, got, v.s)
				}
				if v.s != "" {
					if formula, _ := f.GetCellFormula(SheetFindings, cellName(col, row)); formula != "" {
						t.Errorf("%s row %d became a formula %q", c.name, row, formula)
					}
				}
			}
		}
	}
	if dates < 30 {
		t.Errorf("only %d date cells checked; the fixture should exercise more", dates)
	}
	// Reasons are one cell.
	bob := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "bob" }) + 2
	if got := raw(colOf("reasons"), bob); got != strings.Join(in.Findings[bob-2].Reasons, "; ") {
		t.Errorf("bob reasons = %q", got)
	}
}

func TestXLSXSummary(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	rows, err := f.GetRows(SheetSummary, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	facts := map[string]string{}
	var header []string
	counts := map[string][]string{}
	for _, r := range rows {
		if len(r) >= 2 && header == nil {
			facts[r[0]] = r[1]
		}
		if len(r) > 0 && r[0] == "Account ID" {
			header = r
			continue
		}
		if header != nil && len(r) > 0 && r[0] != "" {
			counts[r[0]] = r
		}
	}
	if facts["Run ID"] != in.RunID || facts["Engine"] != "local" || facts["Window (days)"] != "90" ||
		facts["Delete after (days)"] != "365" || facts["Accounts in scope"] != "4" || facts["Accounts assessed"] != "3" ||
		facts["Users reported"] != strconv.Itoa(len(in.Findings)) || facts["Tool version"] != in.ToolVersion {
		t.Errorf("summary facts = %v", facts)
	}
	for label, want := range map[string]time.Time{"As of (UTC)": asOf, "Window start (UTC)": asOf.AddDate(0, 0, -90), "Generated (UTC)": generated} {
		serial, err := strconv.ParseFloat(facts[label], 64)
		if err != nil {
			t.Errorf("%s = %q, want an Excel date", label, facts[label])
			continue
		}
		got, _ := excelize.ExcelDateToTime(serial, false)
		if got.Sub(want).Abs() > time.Second {
			t.Errorf("%s = %v, want %v", label, got, want)
		}
	}
	wantHeader := append(append([]string{"Account ID", "Assessed", "Not assessed because", "Credential report generated (UTC)", "Users"}, Statuses...), Decisions...)
	if !slices.Equal(header, wantHeader) {
		t.Fatalf("counts header = %q\nwant %q", header, wantHeader)
	}
	// Expected counts, computed independently of the writer.
	type tally map[string]int
	byAcct := map[string]tally{}
	total := tally{}
	for _, fd := range in.Findings {
		if byAcct[fd.AccountID] == nil {
			byAcct[fd.AccountID] = tally{}
		}
		for _, tl := range []tally{byAcct[fd.AccountID], total} {
			tl["Users"]++
			tl[fd.Status]++
			tl[fd.Decision+"#d"]++
		}
	}
	check := func(label string, row []string, want tally) {
		for i, h := range header[4:] {
			key := h
			if i-1 >= len(Statuses) {
				key = h + "#d"
			}
			got := ""
			if 4+i < len(row) {
				got = row[4+i]
			}
			if got != strconv.Itoa(want[key]) {
				t.Errorf("%s %s = %q, want %d", label, h, got, want[key])
			}
		}
	}
	for acct, want := range byAcct {
		row, ok := counts[acct]
		if !ok {
			t.Errorf("no counts row for account %s", acct)
			continue
		}
		check(acct, row, want)
	}
	check("Total", counts["Total"], total)
	if total["Users"] != len(in.Findings) || total[tables.StatusRoot] != 1 {
		t.Fatalf("fixture tally is off: %v", total)
	}
	// The account that could not be assessed is listed, with why.
	if r := counts["444444444444"]; len(r) < 3 || r[1] != "no" || r[2] != "AssumeRole denied: AccessDenied" || r[4] != "0" {
		t.Errorf("unassessed account row = %q", r)
	}
	if r := counts["222222222222"]; len(r) < 4 {
		t.Errorf("account row = %q", r)
	} else if serial, err := strconv.ParseFloat(r[3], 64); err != nil || math.Abs(serial-46326.979) > 0.01 {
		t.Errorf("credential report generated = %q, want the Excel date of 2026-10-31 23:30", r[3])
	}
}

func TestXLSXDeterministic(t *testing.T) {
	a := writeXLSX(t, sampleInput())
	b := writeXLSX(t, sampleInput())
	if !bytes.Equal(a, b) {
		t.Errorf("two workbooks from the same input differ (%d and %d bytes)", len(a), len(b))
	}
}

func TestXLSXEmpty(t *testing.T) {
	in := sampleInput()
	in.Findings = nil
	f := openXLSX(t, writeXLSX(t, in))
	rows, err := f.GetRows(SheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !slices.Equal(rows[0], FindingTitles()) {
		t.Errorf("an empty run's Findings sheet = %q, want the header alone", rows)
	}
}

func TestXLSXRejectsUnknownStatus(t *testing.T) {
	in := sampleInput()
	in.Findings[3].Status = "dormant"
	var buf bytes.Buffer
	err := NewXLSXWriter().Write(context.Background(), &buf, in)
	if err == nil || !strings.Contains(err.Error(), `finding 4 (111111111111/dave): status "dormant"`) {
		t.Errorf("XLSX writer error = %v, want one naming the finding and its status", err)
	}
}

// TestXLSXLarge streams enough rows for excelize to spill to a temporary
// file, and reads the far end back.
func TestXLSXLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 20,000-row workbook")
	}
	const n = 20000
	in := largeInput(n)
	f := openXLSX(t, writeXLSX(t, in))
	rows, err := f.Rows(SheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	var last []string
	for rows.Next() {
		count++
		// Raw values: formatting 20,000 dates is excelize's slow path, not ours.
		if last, err = rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if count != n+1 {
		t.Fatalf("%d rows, want %d", count, n+1)
	}
	want := in.Findings[n-1]
	if last[0] != want.AccountID || last[1] != want.UserName || last[2] != want.UserID {
		t.Errorf("last row = %q, want %s/%s", last[:3], want.AccountID, want.UserName)
	}
	if got, want := last[colIndex(t, "days_inactive")], fmt.Sprint(want.DaysInactive); got != want {
		t.Errorf("last row days_inactive = %q, want %s", got, want)
	}
}
