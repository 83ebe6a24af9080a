package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/record"
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

// sheetCols is the Findings sheet's layout at the fixture's as-of.
func sheetCols() []column { return findingSheetColumns(asOf) }

func sheetColIndex(t testing.TB, name string) int {
	t.Helper()
	i := slices.IndexFunc(sheetCols(), func(c column) bool { return c.name == name })
	if i < 0 {
		t.Fatalf("no column %s", name)
	}
	return i
}

// rawRows reads a sheet's raw values.
func rawRows(t testing.TB, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("reading %s: %v", sheet, err)
	}
	return rows
}

// byTitle maps each data row of a list sheet to {header title: value}.
func byTitle(t testing.TB, f *excelize.File, sheet string) (header []string, rows []map[string]string) {
	t.Helper()
	all := rawRows(t, f, sheet)
	if len(all) == 0 {
		t.Fatalf("%s is empty", sheet)
	}
	header = all[0]
	for _, r := range all[1:] {
		m := map[string]string{}
		for i, h := range header {
			if i < len(r) {
				m[h] = r[i]
			} else {
				m[h] = ""
			}
		}
		rows = append(rows, m)
	}
	return header, rows
}

// serial is the Excel serial number of t, as the workbook stores it.
func excelTime(t testing.TB, raw string) time.Time {
	t.Helper()
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("%q is not an Excel date: %v", raw, err)
	}
	got, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		t.Fatal(err)
	}
	return got.Round(time.Second)
}

func sameTime(t testing.TB, label, raw string, want time.Time) {
	t.Helper()
	if want.IsZero() {
		if raw != "" {
			t.Errorf("%s = %q, want blank", label, raw)
		}
		return
	}
	if raw == "" {
		t.Errorf("%s is blank, want %v", label, want)
		return
	}
	if got := excelTime(t, raw); !got.Equal(want.UTC()) {
		t.Errorf("%s = %v, want %v", label, got, want.UTC())
	}
}

func TestXLSXStructure(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	want := []string{SheetSummary, SheetFindings, SheetUnusedKeys, SheetExceptions, SheetReferences, SheetUnchecked, SheetOrphans, SheetChanges, SheetRemediation, SheetCoverage, SheetTrails, SheetEvidence, SheetMethod}
	if got := f.GetSheetList(); !slices.Equal(got, want) || !slices.Equal(SheetNames(), want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet = %d, want Summary", f.GetActiveSheetIndex())
	}
	rows := rawRows(t, f, SheetFindings)
	if len(rows) != len(in.Findings)+1 {
		t.Fatalf("Findings has %d rows, want header + %d", len(rows), len(in.Findings))
	}
	if !slices.Equal(rows[0], FindingSheetTitles(asOf)) {
		t.Errorf("header = %q\nwant %q", rows[0], FindingSheetTitles(asOf))
	}
	// The CSV's columns are all there, in the CSV's order.
	var shared []string
	for _, h := range rows[0] {
		if slices.Contains(FindingTitles(), h) {
			shared = append(shared, h)
		}
	}
	if !slices.Equal(shared, FindingTitles()) {
		t.Errorf("Findings carries the CSV's columns as %q, want %q", shared, FindingTitles())
	}
	for _, title := range []string{TitleReviewerDecision, TitleReviewerComment, "IAM.22 (45 days)", "IAM.8 (90 days)"} {
		if !slices.Contains(rows[0], title) {
			t.Errorf("Findings has no %q column", title)
		}
	}
	panes, err := f.GetPanes(SheetFindings)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 2 || panes.TopLeftCell != "C2" {
		t.Errorf("panes = %+v, want the header row and the account and user columns frozen", panes)
	}
	filters := map[string]string{}
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm._FilterDatabase" {
			filters[d.Scope] = d.RefersTo
		}
	}
	lastCol := colName(len(sheetCols()))
	if got, want := filters[SheetFindings], fmt.Sprintf("'Findings'!$A$1:$%s$%d", lastCol, len(in.Findings)+1); got != want {
		t.Errorf("Findings autofilter = %q, want %q over the header and every row", got, want)
	}
	for _, s := range []string{SheetUnusedKeys, SheetExceptions, SheetReferences, SheetUnchecked, SheetCoverage, SheetEvidence} {
		if filters[s] == "" {
			t.Errorf("%s has no autofilter", s)
		}
		p, err := f.GetPanes(s)
		if err != nil || !p.Freeze || p.YSplit != 1 {
			t.Errorf("%s panes = %+v, %v: want the header frozen", s, p, err)
		}
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2026-11-01T03:04:05Z" || !strings.Contains(props.Title, in.RunID) {
		t.Errorf("document properties = %+v", props)
	}
	widths := map[string]float64{}
	for i, c := range sheetCols() {
		w, err := f.GetColWidth(SheetFindings, colName(i+1))
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
	if widths[colReviewerComment] < 30 {
		t.Errorf("reviewer comment column width %v leaves no room to write", widths[colReviewerComment])
	}
}

func TestXLSXCells(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
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
		for j, c := range sheetCols() {
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
				sameTime(t, fmt.Sprintf("%s row %d", c.name, row), raw(col, row), v.t)
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
				if v.s != "" || v.null {
					// A report's own word (not_supported), or blank when unknown.
					if got := raw(col, row); got != v.s {
						t.Errorf("%s row %d = %q, want %q", c.name, row, got, v.s)
					}
					continue
				}
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
		for _, name := range []string{colReviewerDecision, colReviewerComment} {
			if got := raw(sheetColIndex(t, name)+1, row); got != "" {
				t.Errorf("%s row %d = %q, want blank for the reviewer", name, row, got)
			}
		}
	}
	if dates < 30 {
		t.Errorf("only %d date cells checked; the fixture should exercise more", dates)
	}
	bob := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "bob" }) + 2
	if got := raw(sheetColIndex(t, "reasons")+1, bob); got != strings.Join(in.Findings[bob-2].Reasons, "; ") {
		t.Errorf("bob reasons = %q", got)
	}
}

// TestXLSXControls checks the control columns against results worked out
// by hand from the fixture at as-of 2026-11-01.
func TestXLSXControls(t *testing.T) {
	f := openXLSX(t, writeXLSX(t, sampleInput()))
	_, rows := byTitle(t, f, SheetFindings)
	want := map[string][3]string{ // IAM.22, IAM.8, longest-unused days
		tables.RootUserName: {ControlNA, ControlNA, ""},
		"alice":             {ControlFail, ControlFail, "195"},  // key 1 last used 2026-04-20
		"bob":               {ControlFail, ControlFail, "975"},  // key 1 last used 2024-03-01
		"dave":              {ControlFail, ControlFail, "1035"}, // key 2 last used 2024-01-01
		"frank":             {ControlPass, ControlPass, ""},     // no password, no key
		"grace":             {ControlFail, ControlFail, "1020"}, // password never used: from creation 2024-01-15T09:30, 1020.6 days
		"carol":             {ControlPass, ControlPass, ""},
		"erin":              {ControlPass, ControlPass, "31"}, // key never used, created 2026-10-01
		"=1+2":              {ControlPass, ControlPass, "17"},
		"+15550100":         {ControlFail, ControlPass, "60"}, // active by the window, failing IAM.22
		"-2+3":              {ControlPass, ControlPass, "17"},
		"@SUM":              {ControlPass, ControlPass, "17"},
		"ivan":              {ControlPass, ControlPass, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		w, ok := want[r[TitleUserName]]
		if !ok {
			t.Errorf("unexpected user %q", r[TitleUserName])
			continue
		}
		got := [3]string{r["IAM.22 (45 days)"], r["IAM.8 (90 days)"], r["Longest-unused credential (days)"]}
		if got != w {
			t.Errorf("%s: IAM.22, IAM.8, longest unused = %q, want %q", r[TitleUserName], got, w)
		}
	}
}

// summaryTable returns the rows of the Summary table whose header is
// header, up to the first blank row.
func summaryTable(t testing.TB, rows [][]string, header []string) [][]string {
	t.Helper()
	for i, r := range rows {
		if slices.Equal(r, header) {
			var out [][]string
			for _, d := range rows[i+1:] {
				if len(d) == 0 {
					break
				}
				out = append(out, d)
			}
			return out
		}
	}
	t.Fatalf("Summary has no table with header %q", header)
	return nil
}

func TestXLSXSummary(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	rows := rawRows(t, f, SheetSummary)
	facts := map[string]string{}
	for _, r := range rows[:25] {
		if len(r) >= 2 {
			facts[r[0]] = r[1]
		}
	}
	for label, want := range map[string]string{
		"Run ID": in.RunID, "Engine": "local", "Window (days)": "90", "Delete after (days)": "365",
		"Credential report max age (days)": "7", "Exempt tag": "dormant:exempt=true", "Tool version": in.ToolVersion,
		"Reference checks": "iam, s3, kms", "Accounts in scope": "4", "Accounts assessed": "3", "Accounts not assessed": "1",
		"Users reported": strconv.Itoa(len(in.Findings)), "Unused access keys": "2",
		"Bytes scanned by queries": strconv.Itoa(3 << 30), "Estimated query cost (USD)": "0.0146",
	} {
		if facts[label] != want {
			t.Errorf("summary %q = %q, want %q", label, facts[label], want)
		}
	}
	for label, want := range map[string]time.Time{"As of (UTC)": asOf, "Window start (UTC)": asOf.AddDate(0, 0, -90), "Generated (UTC)": generated} {
		sameTime(t, label, facts[label], want)
	}

	// Scope and freshness, per account.
	scope := map[string][]string{}
	for _, r := range summaryTable(t, rows, scopeHeader) {
		scope[r[0]] = append(r, make([]string, len(scopeHeader))...)[:len(scopeHeader)]
	}
	type freshness struct {
		assessed, why, age, fresh string
		first, last               time.Time
		events, covers            string
	}
	wantScope := map[string]freshness{
		"111111111111": {"yes", "", "2", "yes", at("2026-06-15T00:00:00Z"), at("2026-10-31T23:59:00Z"), "5700", "yes"},
		"222222222222": {"yes", "", "240", "no: candidates are review", at("2026-09-01T00:00:00Z"), at("2026-10-31T12:00:00Z"), "42", "no: candidates are review"},
		"333333333333": {"yes", "", "2", "yes", time.Time{}, time.Time{}, "0", "no events seen: candidates are review"},
		"444444444444": {"no", "AssumeRole denied: AccessDenied", "", "", time.Time{}, time.Time{}, "", ""},
	}
	if len(scope) != len(wantScope) {
		t.Errorf("scope table lists %d accounts, want %d", len(scope), len(wantScope))
	}
	for acct, w := range wantScope {
		r := scope[acct]
		if r == nil {
			t.Errorf("scope table has no row for %s", acct)
			continue
		}
		if r[1] != w.assessed || r[2] != w.why || r[4] != w.age || r[5] != w.fresh || r[8] != w.events || r[9] != w.covers {
			t.Errorf("scope row %s = %q, want %+v", acct, r, w)
		}
		sameTime(t, acct+" first event", r[6], w.first)
		sameTime(t, acct+" last event", r[7], w.last)
	}
	if r := scope["222222222222"]; r != nil {
		sameTime(t, "222222222222 report generated", r[3], at("2026-10-22T00:00:00Z"))
	}

	// Counts, tallied here independently of the writer.
	header := countsHeader()
	type tally map[string]int
	byAcct := map[string]tally{"444444444444": {}}
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
	// Control failures, from TestXLSXControls' hand-worked table.
	byAcct["111111111111"]["Failing IAM.22"], byAcct["111111111111"]["Failing IAM.8"] = 4, 4
	byAcct["222222222222"]["Failing IAM.22"] = 1
	total["Failing IAM.22"], total["Failing IAM.8"] = 5, 4
	counts := map[string][]string{}
	for _, r := range summaryTable(t, rows, header) {
		counts[r[0]] = r
	}
	check := func(label string, row []string, want tally) {
		for i, h := range header[1:] {
			key := h
			if i-1 >= len(Statuses) && i-1 < len(Statuses)+len(Decisions) {
				key = h + "#d"
			}
			got := ""
			if 1+i < len(row) {
				got = row[1+i]
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

	// Controls: failing and passing users, root not applicable.
	ctl := summaryTable(t, rows, controlsHeader)
	wantCtl := [][]string{
		{"IAM.22", Controls[0].Standard, Controls[0].Title, "45", "5", "7", "0", "0", "1"},
		{"IAM.8", Controls[1].Standard, Controls[1].Title, "90", "4", "8", "0", "0", "1"},
	}
	if len(ctl) < 2 || !slices.Equal(ctl[0], wantCtl[0]) || !slices.Equal(ctl[1], wantCtl[1]) {
		t.Errorf("controls table = %q\nwant %q", ctl, wantCtl)
	}
	if !strings.Contains(Controls[0].Standard, "CIS") {
		t.Errorf("IAM.22 does not name the CIS control it maps to: %q", Controls[0].Standard)
	}

	// Histogram, bucketed by hand (root left out).
	hist := summaryTable(t, rows, []string{"Days since last activity", "Users"})
	wantHist := [][]string{
		{"0 to 44", "5"}, {"45 to 89", "1"}, {"90 to 179", "0"}, {"180 to 364", "2"},
		{"365 to 729", "0"}, {"730 or more", "1"}, {"unknown", "3"},
	}
	if len(hist) < len(wantHist) {
		t.Fatalf("histogram = %q", hist)
	}
	for i, w := range wantHist {
		if !slices.Equal(hist[i], w) {
			t.Errorf("histogram row %d = %q, want %q", i, hist[i], w)
		}
	}
}

// zipPart reads one part of the workbook's zip.
func readZipPart(t testing.TB, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == name {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			out, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	return nil
}

// rangeValues reads the cells a chart formula such as Summary!$C$5:$I$5 names.
func rangeValues(t testing.TB, f *excelize.File, formula string) []string {
	t.Helper()
	sheet, ref, ok := strings.Cut(strings.ReplaceAll(formula, "$", ""), "!")
	if !ok {
		t.Fatalf("chart formula %q has no sheet", formula)
	}
	from, to, _ := strings.Cut(ref, ":")
	if to == "" {
		to = from
	}
	c1, r1, err := excelize.CellNameToCoordinates(from)
	if err != nil {
		t.Fatal(err)
	}
	c2, r2, err := excelize.CellNameToCoordinates(to)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for r := r1; r <= r2; r++ {
		for c := c1; c <= c2; c++ {
			v, err := f.GetCellValue(strings.Trim(sheet, "'"), cellName(c, r), excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
	}
	return out
}

func TestXLSXCharts(t *testing.T) {
	data := writeXLSX(t, sampleInput())
	f := openXLSX(t, data)
	rels := string(readZipPart(t, data, "xl/worksheets/_rels/sheet1.xml.rels"))
	if !strings.Contains(rels, "drawings/drawing1.xml") {
		t.Fatalf("the Summary sheet has no drawing: %s", rels)
	}
	drawingRels := string(readZipPart(t, data, "xl/drawings/_rels/drawing1.xml.rels"))
	// The chart namespace may be the default one or prefixed c:.
	formulaRE := regexp.MustCompile(`<(?:c:)?(cat|val)>.*?<(?:c:)?f>([^<]+)</(?:c:)?f>`)
	want := []struct {
		part, title string
		cats, vals  []string
	}{
		{"xl/charts/chart1.xml", "Users by status", Statuses, []string{"5", "2", "1", "1", "0", "1", "2", "1"}},
		{"xl/charts/chart2.xml", "Users by days since last activity",
			[]string{"0 to 44", "45 to 89", "90 to 179", "180 to 364", "365 to 729", "730 or more", "unknown"},
			[]string{"5", "1", "0", "2", "0", "1", "3"}},
	}
	for _, w := range want {
		chart := readZipPart(t, data, w.part)
		if chart == nil {
			t.Errorf("workbook has no %s", w.part)
			continue
		}
		if !strings.Contains(drawingRels, strings.TrimPrefix(w.part, "xl/")) {
			t.Errorf("the drawing does not place %s", w.part)
		}
		xml := string(chart)
		if !regexp.MustCompile(`<(c:)?barChart>`).MatchString(xml) || !regexp.MustCompile(`<(c:)?barDir val="col"`).MatchString(xml) || !strings.Contains(xml, w.title) {
			t.Errorf("%s is not a column chart titled %q", w.part, w.title)
		}
		refs := map[string]string{}
		for _, m := range formulaRE.FindAllStringSubmatch(xml, -1) {
			refs[m[1]] = m[2]
		}
		if got := rangeValues(t, f, refs["cat"]); !slices.Equal(got, w.cats) {
			t.Errorf("%s categories %s = %q, want %q", w.part, refs["cat"], got, w.cats)
		}
		if got := rangeValues(t, f, refs["val"]); !slices.Equal(got, w.vals) {
			t.Errorf("%s values %s = %q, want %q", w.part, refs["val"], got, w.vals)
		}
	}
}

// conditionalFill returns the fill colour a sheet's conditional formats
// give a column's cells equal to value, and the range they cover.
func conditionalFill(t testing.TB, f *excelize.File, sheet string, col int, value string) (fill, ref string) {
	t.Helper()
	formats, err := f.GetConditionalFormats(sheet)
	if err != nil {
		t.Fatal(err)
	}
	letter := colName(col)
	for r, opts := range formats {
		if !strings.HasPrefix(r, letter+"2:"+letter) {
			continue
		}
		for _, o := range opts {
			// excelize reads back the operator in words.
			if o.Type == "cell" && (o.Criteria == "==" || o.Criteria == "equal to") && o.Value == strconv.Quote(value) && o.Format != nil {
				st, err := f.GetConditionalStyle(*o.Format)
				if err != nil {
					t.Fatal(err)
				}
				if len(st.Fill.Color) > 0 {
					return st.Fill.Color[0], r
				}
			}
		}
	}
	return "", ""
}

func TestXLSXConditionalFormats(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	last := strconv.Itoa(len(in.Findings) + 1)
	const red, amber, green = "FFC7CE", "FFEB9C", "C6EFCE"
	for _, tc := range []struct {
		sheet, col, value, fill string
	}{
		{SheetFindings, "status", tables.StatusInactive, red},
		{SheetFindings, "status", tables.StatusNeverUsed, red},
		{SheetFindings, "status", tables.StatusReview, amber},
		{SheetFindings, "status", tables.StatusActive, green},
		{SheetFindings, "status", tables.StatusDeactivated, "E4DFEC"},
		{SheetFindings, "decision", tables.DecisionDelete, red},
		{SheetFindings, controlColName(Controls[0]), ControlFail, red},
		{SheetFindings, controlColName(Controls[1]), ControlFail, red},
		{SheetFindings, colReviewerDecision, ReviewApprove, green},
		{SheetFindings, colReviewerDecision, ReviewReject, red},
		{SheetFindings, colReviewerDecision, ReviewDefer, amber},
	} {
		col := sheetColIndex(t, tc.col) + 1
		fill, ref := conditionalFill(t, f, tc.sheet, col, tc.value)
		if fill != tc.fill {
			t.Errorf("%s %s = %q is filled %q, want %s", tc.sheet, tc.col, tc.value, fill, tc.fill)
		}
		if want := colName(col) + "2:" + colName(col) + last; ref != want {
			t.Errorf("%s %s format covers %q, want %s", tc.sheet, tc.col, ref, want)
		}
	}
}

func TestXLSXDropdowns(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	for _, tc := range []struct {
		sheet string
		rows  int
	}{
		{SheetFindings, len(in.Findings)},
		{SheetUnusedKeys, 2},
	} {
		header := rawRows(t, f, tc.sheet)[0]
		col := colName(slices.Index(header, TitleReviewerDecision) + 1)
		dvs, err := f.GetDataValidations(tc.sheet)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s2:%s%d", col, col, tc.rows+1)
		found := false
		for _, dv := range dvs {
			if dv.Sqref != want {
				continue
			}
			found = true
			if dv.Type != "list" || !dv.AllowBlank || !dv.ShowErrorMessage {
				t.Errorf("%s dropdown = %+v, want a list that allows blank and refuses other values", tc.sheet, dv)
			}
			if got := strings.Trim(dv.Formula1, `"`); got != "Approve,Reject,Defer" {
				t.Errorf("%s dropdown offers %q, want Approve,Reject,Defer", tc.sheet, dv.Formula1)
			}
		}
		if !found {
			t.Errorf("%s has no reviewer dropdown over %s (validations %+v)", tc.sheet, want, dvs)
		}
	}
}

// TestXLSXDateFormats checks every date column of every list sheet shows a date.
func TestXLSXDateFormats(t *testing.T) {
	f := openXLSX(t, writeXLSX(t, sampleInput()))
	for sheet, titles := range map[string][]string{
		SheetUnusedKeys: {TitleKeyCreated},
		SheetExceptions: {"Expires (UTC)"},
		SheetCoverage:   {"First event (UTC)", "Last event (UTC)"},
		SheetEvidence:   {"Generated (UTC)"},
		SheetMethod:     nil,
	} {
		if titles == nil {
			continue
		}
		header := rawRows(t, f, sheet)[0]
		for _, title := range titles {
			ref := cellName(slices.Index(header, title)+1, 2)
			style, err := f.GetCellStyle(sheet, ref)
			if err != nil {
				t.Fatal(err)
			}
			if !isDateStyle(t, f, style) {
				t.Errorf("%s %s (%s) is not formatted as a date", sheet, title, ref)
			}
		}
	}
}

func TestXLSXUnusedKeys(t *testing.T) {
	in := sampleInput()
	// An exempt user's unused key is listed but not in the plan.
	fi := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "frank" })
	in.Findings[fi].Key1Active, in.Findings[fi].Key1LastRotated, in.Findings[fi].UnusedKeys = true, at("2025-01-01T00:00:00Z"), []int64{1}
	f := openXLSX(t, writeXLSX(t, in))
	_, rows := byTitle(t, f, SheetUnusedKeys)
	want := []struct {
		user, status, slot string
		created, used      time.Time
		days, c22, c8      string
		plan               string
	}{
		{"dave", "active", "2", at("2023-06-01T00:00:00Z"), at("2024-01-01T00:00:00Z"), "1035", "fail", "fail", "1"},
		{"frank", "exempt", "1", at("2025-01-01T00:00:00Z"), time.Time{}, "669", "fail", "fail", "0"},
		{"erin", "new", "1", at("2026-10-01T00:00:00Z"), time.Time{}, "31", "pass", "pass", "1"},
	}
	if len(rows) != len(want) {
		t.Fatalf("Unused keys has %d rows, want %d: %v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r[TitleUserName] != w.user || r["Status"] != w.status || r[TitleKeySlot] != w.slot || r["Days unused"] != w.days ||
			r["IAM.22 (45 days)"] != w.c22 || r["IAM.8 (90 days)"] != w.c8 || r["In remediation plan"] != w.plan {
			t.Errorf("row %d = %v, want %+v", i+2, r, w)
		}
		sameTime(t, w.user+" key created", r[TitleKeyCreated], w.created)
		sameTime(t, w.user+" key last used", r["Key last used (UTC)"], w.used)
	}
}

func TestXLSXExceptions(t *testing.T) {
	in := sampleInput()
	ti := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "-2+3" })
	in.Findings[ti].Status, in.Findings[ti].Exemption = tables.StatusExempt, "tag:dormant:exempt=true"
	// An entry matches its user whatever the case of the name, as the
	// classifier matches it: not an entry "naming no user".
	for i := range in.Allowlist {
		if in.Allowlist[i].UserName == "frank" {
			in.Allowlist[i].UserName = "FRANK"
		}
	}
	f := openXLSX(t, writeXLSX(t, in))
	_, rows := byTitle(t, f, SheetExceptions)
	want := []struct {
		acct, user, state, exemption, owner, reason string
		expires                                     time.Time
		status                                      string
	}{
		{"111111111111", "frank", exceptionByAllowlist, "allowlist", "platform-team@example.com", `=HYPERLINK("http://evil.example","vendor, legacy")`, at("2027-01-01T00:00:00Z"), "exempt"},
		{"222222222222", "-2+3", exceptionByTag, "tag:dormant:exempt=true", "", "", time.Time{}, "exempt"},
		{"333333333333", "ivan", exceptionExpired, "allowlist", "ops@example.com", "migration", at("2026-06-30T00:00:00Z"), "review"},
		{"222222222222", "ghost", exceptionNoUser, "allowlist", "hr@example.com", "left the company", at("2027-03-01T00:00:00Z"), ""},
		{"444444444444", "ci", exceptionNotAssessed, "allowlist", "ci@example.com", "build system", at("2027-03-01T00:00:00Z"), ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("Exceptions has %d rows, want %d: %v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r[TitleAccountID] != w.acct || r[TitleUserName] != w.user || r["State"] != w.state || r["Exemption"] != w.exemption ||
			r["Owner"] != w.owner || r["Reason"] != w.reason || r["User status"] != w.status {
			t.Errorf("row %d = %v, want %+v", i+2, r, w)
		}
		sameTime(t, w.user+" expires", r["Expires (UTC)"], w.expires)
	}
}

func TestXLSXReferencesAndUnchecked(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	_, refs := byTitle(t, f, SheetReferences)
	if len(refs) != len(in.References) {
		t.Fatalf("References has %d rows, want %d", len(refs), len(in.References))
	}
	for i, want := range in.References {
		r := refs[i]
		got := tables.Reference{AccountID: r[TitleAccountID], UserName: r["Candidate"], UserID: r[TitleUserID], UserARN: r["User ARN"],
			Kind: r["Kind"], ResourceARN: r["Resource ARN"], Region: r["Region"], Location: r[TitleReferenceLocation], Match: r["Match"]}
		if got != want {
			t.Errorf("reference %d = %+v, want %+v", i, got, want)
		}
	}
	_, unchecked := byTitle(t, f, SheetUnchecked)
	if len(unchecked) != 1 {
		t.Fatalf("Unchecked has %d rows, want 1", len(unchecked))
	}
	u := unchecked[0]
	got := record.Unchecked{AccountID: u[TitleAccountID], Kind: u["Kind"], ResourceARN: u["Resource ARN"], Region: u["Region"], Error: u["Error"]}
	if got != in.Unchecked[0] {
		t.Errorf("unchecked = %+v, want %+v", got, in.Unchecked[0])
	}
}

func TestXLSXCoverage(t *testing.T) {
	f := openXLSX(t, writeXLSX(t, sampleInput()))
	_, rows := byTitle(t, f, SheetCoverage)
	rows = coverageTableRows(rows)
	want := []struct {
		acct, region string
		first, last  time.Time
		events       string
		covers       string
		note         string
	}{
		{"111111111111", "eu-west-1", at("2026-06-15T00:00:00Z"), at("2026-10-30T10:00:00Z"), "700", "1", "covers the window start"},
		{"111111111111", "us-east-1", at("2026-07-01T00:00:00Z"), at("2026-10-31T23:59:00Z"), "5000", "1", "covers the window start"},
		{"222222222222", AllRegions, at("2026-09-01T00:00:00Z"), at("2026-10-31T12:00:00Z"), "42", "0", "starts 29 days after the window start: the account's candidates are review"},
		{"333333333333", AllRegions, time.Time{}, time.Time{}, "0", "0", "no CloudTrail events seen: the account's candidates are review"},
	}
	if len(rows) != len(want) {
		t.Fatalf("Coverage has %d rows, want %d: %v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r[TitleAccountID] != w.acct || r["Region"] != w.region || r["Events"] != w.events || r["Covers window start"] != w.covers || r["Note"] != w.note {
			t.Errorf("row %d = %v, want %+v", i+2, r, w)
		}
		sameTime(t, w.acct+" first", r["First event (UTC)"], w.first)
		sameTime(t, w.acct+" last", r["Last event (UTC)"], w.last)
	}
}

func TestXLSXEvidence(t *testing.T) {
	in := sampleInput()
	f := openXLSX(t, writeXLSX(t, in))
	_, rows := byTitle(t, f, SheetEvidence)
	if len(rows) != 3 {
		t.Fatalf("Evidence has %d rows, want 2 inputs and 1 query", len(rows))
	}
	for i, e := range in.Inputs {
		r := rows[i]
		if r["Kind"] != e.Kind || r[TitleAccountID] != e.AccountID || r["File or query"] != e.Path || r["Source"] != e.Source ||
			r["SHA-256"] != e.SHA256 || r["Bytes"] != strconv.FormatInt(e.Bytes, 10) {
			t.Errorf("input row %d = %v, want %+v", i+2, r, e)
		}
		sameTime(t, e.Path+" generated", r["Generated (UTC)"], e.GeneratedAt)
	}
	q := in.Queries[0]
	sum := sha256.Sum256([]byte(q.SQL))
	r := rows[2]
	cost, _ := strconv.ParseFloat(r["Cost (USD)"], 64)
	secs, _ := strconv.ParseFloat(r["Engine time (s)"], 64)
	if r["Kind"] != "query" || r["File or query"] != "activity (queries/activity.sql)" || r["SHA-256"] != hex.EncodeToString(sum[:]) ||
		r["Bytes"] != strconv.Itoa(len(q.SQL)) || r["Engine"] != "athena" || r["Query ID"] != q.QueryID ||
		r["Bytes scanned"] != strconv.Itoa(3<<30) || math.Abs(cost-0.0146) > 1e-9 || math.Abs(secs-12.345) > 1e-9 || r["SQL"] != q.SQL {
		t.Errorf("query row = %v", r)
	}
	style, err := f.GetCellStyle(SheetEvidence, "K4")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.GetStyle(style); st.CustomNumFmt == nil || *st.CustomNumFmt != "0.0000" {
		t.Errorf("cost cell style = %+v, want 0.0000", st)
	}
}

func TestXLSXLongSQL(t *testing.T) {
	in := sampleInput()
	// Multi-byte text straddles the cut.
	in.Queries[0].SQL = "SELECT 1 -- " + strings.Repeat("é€", 20000)
	f := openXLSX(t, writeXLSX(t, in))
	_, rows := byTitle(t, f, SheetEvidence)
	got := rows[2]["SQL"]
	if n := len(utf16.Encode([]rune(got))); n > excelize.TotalCellChars {
		t.Errorf("SQL cell holds %d UTF-16 units, more than a cell takes", n)
	}
	body, note, ok := strings.Cut(got, "\n-- (cut at ")
	if !ok || !strings.HasPrefix(in.Queries[0].SQL, body) || !strings.Contains(note, "queries/activity.sql") {
		t.Errorf("long SQL shown as %q...%q, want a prefix and a note naming the stored file", got[:40], got[len(got)-80:])
	}
}

func TestXLSXMethod(t *testing.T) {
	f := openXLSX(t, writeXLSX(t, sampleInput()))
	rows := rawRows(t, f, SheetMethod)
	values := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			values[r[0]] = r[1]
		}
	}
	for k, want := range map[string]string{
		"Window (days)": "90", "Delete after (days)": "365", "Credential report max age": "7 days",
		"Exempt tag": "dormant:exempt=true", "Reference checks": "iam, s3, kms", "Engine": "local",
		"IAM.22 threshold (days)": "45", "IAM.8 threshold (days)": "90",
	} {
		if values[k] != want {
			t.Errorf("Method %q = %q, want %q", k, values[k], want)
		}
	}
	for k, want := range map[string]string{
		tables.StatusActive: "2026-08-03", tables.StatusReview: "7 days", "Decision": "365 days",
		tables.StatusExempt: "dormant:exempt=true", "Reviewer": "Approve",
		// Issue 13: how report age, missing sources and partial exports are treated.
		"Report age": "--report-generated-at", "Missing sources": "not assessed", "Partial exports": "review reason",
		// Issue 17: the lifecycle of a deactivated user, and what the watch sees.
		tables.StatusDeactivated: "keep until its dormant:delete-after date", "Used after deactivation": "restore it or find the owner",
		"Reactivated": "who re-enabled what", "Dormant tags": "never deleted",
		// Issue 17: what the watch over deactivated users can and cannot see.
		"What the watch can and cannot see": "HIDDEN_DUE_TO_SECURITY_REASONS",
	} {
		if !strings.Contains(values[k], want) {
			t.Errorf("Method rule %q = %q, want it to mention %q", k, values[k], want)
		}
	}
	for _, s := range SheetNames() {
		if values[s] == "" {
			t.Errorf("Method does not say what sheet %s holds", s)
		}
	}
	for _, s := range Statuses {
		if values[s] == "" {
			t.Errorf("Method does not describe the status %s", s)
		}
	}
}

// TestXLSXColumnOrder reads each list sheet's XML: Excel expects the <col>
// elements (widths and styles) in ascending, non-overlapping order.
func TestXLSXColumnOrder(t *testing.T) {
	data := writeXLSX(t, sampleInput())
	colRE := regexp.MustCompile(`<col min="(\d+)" max="(\d+)"`)
	for i, s := range SheetNames() {
		sheetXML := readZipPart(t, data, fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1))
		if sheetXML == nil {
			t.Fatalf("no XML for sheet %s", s)
		}
		cols := colRE.FindAllSubmatch(sheetXML, -1)
		if s == SheetFindings && len(cols) != len(sheetCols()) {
			t.Errorf("Findings has %d <col> elements, want %d", len(cols), len(sheetCols()))
		}
		prev := 0
		for _, c := range cols {
			lo, _ := strconv.Atoi(string(c[1]))
			hi, _ := strconv.Atoi(string(c[2]))
			if lo <= prev || hi < lo {
				t.Errorf("%s: <col min=%d max=%d> after max %d: not ascending", s, lo, hi, prev)
			}
			prev = hi
		}
	}
}

func TestXLSXDeterministic(t *testing.T) {
	a := writeXLSX(t, sampleInput())
	b := writeXLSX(t, sampleInput())
	if !bytes.Equal(a, b) {
		t.Errorf("two workbooks from the same input differ (%d and %d bytes)", len(a), len(b))
	}
	ca, err := ReadWorkbookBytes(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := ReadWorkbookBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := CompareWorkbooks(ca, cb); d != nil {
		t.Errorf("same input, different content: %q", d)
	}
}

func TestXLSXEmpty(t *testing.T) {
	in := sampleInput()
	in.Findings = nil
	f := openXLSX(t, writeXLSX(t, in))
	rows := rawRows(t, f, SheetFindings)
	if len(rows) != 1 || !slices.Equal(rows[0], FindingSheetTitles(asOf)) {
		t.Errorf("an empty run's Findings sheet = %q, want the header alone", rows)
	}
	if dvs, _ := f.GetDataValidations(SheetFindings); len(dvs) != 0 {
		t.Errorf("an empty Findings sheet has validations %+v", dvs)
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

func TestXLSXCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewXLSXWriter().Write(ctx, io.Discard, sampleInput()); err == nil {
		t.Error("the writer ignored a cancelled context")
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
	if got, want := last[sheetColIndex(t, "days_inactive")], fmt.Sprint(want.DaysInactive); got != want {
		t.Errorf("last row days_inactive = %q, want %s", got, want)
	}
	keys := rawRows(t, f, SheetUnusedKeys)
	if len(keys) != countUnusedKeys(in.Findings)+1 {
		t.Errorf("Unused keys has %d rows, want %d", len(keys), countUnusedKeys(in.Findings)+1)
	}
}
