package reports

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

// Sheet names of the workbook.
const (
	SheetSummary  = "Summary"
	SheetFindings = "Findings"
)

// DateTimeFormat is the Excel number format of every date cell: dates are
// real Excel serial numbers (sortable, filterable), shown in UTC.
const DateTimeFormat = "yyyy-mm-dd hh:mm:ss"

// Statuses and Decisions are the report order of the findings' values.
var (
	Statuses  = []string{tables.StatusActive, tables.StatusInactive, tables.StatusNeverUsed, tables.StatusNew, tables.StatusExempt, tables.StatusReview, tables.StatusRoot}
	Decisions = []string{tables.DecisionDelete, tables.DecisionDeactivate, tables.DecisionReview, tables.DecisionKeep}
)

// sheet is one sheet of the workbook. The auditor's workbook grows by
// appending to workbookSheets; each builder gets the shared styles.
type sheet struct {
	name  string
	write func(ctx context.Context, wb *workbook, in *Input) error
}

var workbookSheets = []sheet{
	{SheetSummary, writeSummary},
	{SheetFindings, writeFindings},
}

type xlsxWriter struct{}

// NewXLSXWriter writes reports/dormant-report.xlsx: a Summary sheet (run,
// scope, counts by status and decision per account) and a Findings sheet
// (one row per finding, the CSV's columns with real Excel dates, numbers
// and booleans, frozen header, autofilter). Findings are streamed, so memory
// stays bounded by the input rather than growing with the workbook.
func NewXLSXWriter() Writer { return xlsxWriter{} }

func (xlsxWriter) Name() string { return "xlsx" }
func (xlsxWriter) Path() string { return XLSXPath }

// workbook is the file being built and the styles every sheet shares.
type workbook struct {
	f      *excelize.File
	styles struct {
		title, header, groupHeader, label, date, integer, bold, boldInt, note int
	}
}

func (xlsxWriter) Write(ctx context.Context, w io.Writer, in *Input) (err error) {
	if n := len(in.Findings) + 1; n > excelize.TotalRows {
		return fmt.Errorf("writing workbook: %d findings do not fit one sheet (%d rows at most): use %s", len(in.Findings), excelize.TotalRows-1, CSVPath)
	}
	f := excelize.NewFile()
	defer func() {
		// Close removes the stream's temporary files.
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing workbook: %w", cerr)
		}
	}()
	wb := &workbook{f: f}
	if err := wb.newStyles(); err != nil {
		return fmt.Errorf("writing workbook: %w", err)
	}
	for i, s := range workbookSheets {
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), s.name)
		} else {
			_, err = f.NewSheet(s.name)
		}
		if err != nil {
			return fmt.Errorf("writing workbook: adding sheet %s: %w", s.name, err)
		}
	}
	for _, s := range workbookSheets {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.write(ctx, wb, in); err != nil {
			return fmt.Errorf("writing workbook sheet %s: %w", s.name, err)
		}
	}
	f.SetActiveSheet(0)
	props := &excelize.DocProperties{
		Title:   "Dormant IAM users: " + in.RunID,
		Subject: "IAM users unused since " + in.WindowStart().Format(time.DateOnly),
		Creator: "dormant " + in.ToolVersion,
	}
	if !in.GeneratedAt.IsZero() {
		// The run's own time, not the clock: the same input gives the same workbook.
		props.Created = in.GeneratedAt.UTC().Format(time.RFC3339)
		props.Modified = props.Created
	}
	if err := f.SetDocProps(props); err != nil {
		return fmt.Errorf("writing workbook properties: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("writing workbook: %w", err)
	}
	return nil
}

func (wb *workbook) newStyles() error {
	dateFmt := DateTimeFormat
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	defs := []struct {
		id    *int
		style *excelize.Style
	}{
		{&wb.styles.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&wb.styles.header, &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Border:    border,
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		}},
		{&wb.styles.groupHeader, &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Alignment: &excelize.Alignment{Horizontal: "center"},
			Border:    border,
		}},
		{&wb.styles.label, &excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&wb.styles.date, &excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{&wb.styles.integer, &excelize.Style{NumFmt: 1}}, // 0
		{&wb.styles.bold, &excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&wb.styles.boldInt, &excelize.Style{NumFmt: 1, Font: &excelize.Font{Bold: true}}},
		{&wb.styles.note, &excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}}},
	}
	for _, d := range defs {
		id, err := wb.f.NewStyle(d.style)
		if err != nil {
			return fmt.Errorf("creating style: %w", err)
		}
		*d.id = id
	}
	return nil
}

// cellName is the A1 reference of a cell: column letters in bijective
// base 26 (A..Z, AA...), then the row number. Callers keep within the sheet
// limits (rows are checked against excelize.TotalRows up front).
func cellName(col, row int) string {
	var letters []byte
	for c := col; c > 0; c = (c - 1) / 26 {
		letters = append(letters, byte('A'+(c-1)%26))
	}
	slices.Reverse(letters)
	return string(letters) + strconv.Itoa(row)
}

// xlsxValue is a cell's value as the stream writer takes it: nil for blank.
func xlsxValue(k kind, v cell) any {
	switch k {
	case kTime:
		if v.t.IsZero() {
			return nil
		}
		return v.t.UTC()
	case kInt:
		if v.null {
			return nil
		}
		return v.n
	case kBool:
		return v.b
	default:
		if v.s == "" {
			return nil
		}
		// Workbook cells are typed strings, never parsed as formulas, so no
		// quote is needed here (unlike the CSV).
		return v.s
	}
}

// columnWidths sizes each Findings column to its longest value (within
// bounds), so the sheet opens readable without truncating or sprawling.
func columnWidths(findings []tables.Finding) []float64 {
	const (
		minWidth    = 8
		maxWidth    = 60
		maxTitle    = 18 // longer titles wrap in the header row
		reasonsMax  = 100
		dateWidth   = len("2006-01-02 15:04:05")
		boolWidth   = len("FALSE")
		headerSlack = 2
	)
	widths := make([]float64, len(findingColumns))
	for i, c := range findingColumns {
		data := 0
		switch c.kind {
		case kTime:
			data = dateWidth
		case kBool:
			data = boolWidth
		case kInt:
			data = 1
			for j := range findings {
				if v := c.get(&findings[j]); !v.null {
					data = max(data, len(strconv.FormatInt(v.n, 10)))
				}
			}
		case kText:
			for j := range findings {
				if c.textLen != nil {
					data = max(data, c.textLen(&findings[j]))
				} else {
					data = max(data, utf8.RuneCountInString(c.get(&findings[j]).s))
				}
			}
		}
		limit := maxWidth
		if c.name == "reasons" {
			limit = reasonsMax
		}
		w := max(data, min(utf8.RuneCountInString(c.title), maxTitle)) + headerSlack
		widths[i] = float64(min(max(w, minWidth), limit))
	}
	return widths
}

func writeFindings(ctx context.Context, wb *workbook, in *Input) error {
	f := wb.f
	lastCol := len(findingColumns)
	lastRow := len(in.Findings) + 1
	// The autofilter must be on the worksheet before streaming starts: the
	// stream writer emits the worksheet's settings around the streamed rows.
	if err := f.AutoFilter(SheetFindings, "A1:"+cellName(lastCol, lastRow), nil); err != nil {
		return fmt.Errorf("setting autofilter: %w", err)
	}
	sw, err := f.NewStreamWriter(SheetFindings)
	if err != nil {
		return fmt.Errorf("starting stream: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return fmt.Errorf("freezing header: %w", err)
	}
	for i, w := range columnWidths(in.Findings) {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return fmt.Errorf("setting width of column %d: %w", i+1, err)
		}
	}
	for i, c := range findingColumns {
		style := 0
		switch c.kind {
		case kTime:
			style = wb.styles.date
		case kInt:
			style = wb.styles.integer
		}
		if style != 0 {
			if err := sw.SetColStyle(i+1, i+1, style); err != nil {
				return fmt.Errorf("styling column %d: %w", i+1, err)
			}
		}
	}
	row := make([]any, len(findingColumns))
	for i, c := range findingColumns {
		row[i] = excelize.Cell{StyleID: wb.styles.header, Value: c.title}
	}
	if err := sw.SetRow("A1", row, excelize.RowOpts{Height: 32}); err != nil {
		return fmt.Errorf("writing header: %w", err)
	}
	for i := range in.Findings {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		fd := &in.Findings[i]
		for j, c := range findingColumns {
			row[j] = xlsxValue(c.kind, c.get(fd))
		}
		if err := sw.SetRow(cellName(1, i+2), row); err != nil {
			return fmt.Errorf("writing row %d (%s/%s): %w", i+2, fd.AccountID, fd.UserName, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("finishing stream: %w", err)
	}
	return nil
}

// accountCounts is one line of the Summary's counts table.
type accountCounts struct {
	scope     AccountScope
	inScope   bool // listed in Input.Accounts
	users     int
	statuses  []int // by Statuses
	decisions []int // by Decisions
}

func countByAccount(in *Input) ([]*accountCounts, *accountCounts, error) {
	byID := map[string]*accountCounts{}
	get := func(id string) *accountCounts {
		a, ok := byID[id]
		if !ok {
			a = &accountCounts{scope: AccountScope{AccountID: id}, statuses: make([]int, len(Statuses)), decisions: make([]int, len(Decisions))}
			byID[id] = a
		}
		return a
	}
	for _, s := range in.Accounts {
		a := get(s.AccountID)
		a.scope, a.inScope = s, true
	}
	total := &accountCounts{statuses: make([]int, len(Statuses)), decisions: make([]int, len(Decisions))}
	for i := range in.Findings {
		fd := &in.Findings[i]
		si := slices.Index(Statuses, fd.Status)
		di := slices.Index(Decisions, fd.Decision)
		if si < 0 || di < 0 {
			return nil, nil, fmt.Errorf("finding %d (%s/%s): status %q or decision %q is not one the report knows (statuses %v, decisions %v)",
				i+1, fd.AccountID, fd.UserName, fd.Status, fd.Decision, Statuses, Decisions)
		}
		for _, a := range []*accountCounts{get(fd.AccountID), total} {
			a.users++
			a.statuses[si]++
			a.decisions[di]++
		}
	}
	out := make([]*accountCounts, 0, len(byID))
	for _, a := range byID {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *accountCounts) int {
		switch {
		case a.scope.AccountID < b.scope.AccountID:
			return -1
		case a.scope.AccountID > b.scope.AccountID:
			return 1
		}
		return 0
	})
	return out, total, nil
}

func writeSummary(ctx context.Context, wb *workbook, in *Input) error {
	f, st := wb.f, &wb.styles
	accounts, total, err := countByAccount(in)
	if err != nil {
		return err
	}
	set := func(cell string, v any, style int) error {
		if err := f.SetCellValue(SheetSummary, cell, v); err != nil {
			return fmt.Errorf("setting %s: %w", cell, err)
		}
		if style != 0 {
			if err := f.SetCellStyle(SheetSummary, cell, cell, style); err != nil {
				return fmt.Errorf("styling %s: %w", cell, err)
			}
		}
		return nil
	}
	if err := set("A1", "Dormant IAM users", st.title); err != nil {
		return err
	}
	assessed := 0
	for _, a := range in.Accounts {
		if a.Assessed {
			assessed++
		}
	}
	timeOrBlank := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC()
	}
	facts := []struct {
		label string
		value any
		style int
	}{
		{"Run ID", in.RunID, 0},
		{"Generated (UTC)", timeOrBlank(in.GeneratedAt), st.date},
		{"As of (UTC)", timeOrBlank(in.AsOf), st.date},
		{"Window (days)", in.WindowDays, st.integer},
		{"Window start (UTC)", timeOrBlank(in.WindowStart()), st.date},
		{"Delete after (days)", in.DeleteAfterDays, st.integer},
		{"Engine", in.Engine, 0},
		{"Tool version", in.ToolVersion, 0},
		{"Accounts in scope", len(in.Accounts), st.integer},
		{"Accounts assessed", assessed, st.integer},
		{"Users reported", len(in.Findings), st.integer},
	}
	r := 3
	for _, fact := range facts {
		if err := set(cellName(1, r), fact.label, st.label); err != nil {
			return err
		}
		if fact.value != nil {
			if err := set(cellName(2, r), fact.value, fact.style); err != nil {
				return err
			}
		}
		r++
	}

	// Counts per account: a group header over the status and decision columns.
	r++
	fixed := []string{"Account ID", "Assessed", "Not assessed because", "Credential report generated (UTC)", "Users"}
	statusCol := len(fixed) + 1
	decisionCol := statusCol + len(Statuses)
	lastCol := decisionCol + len(Decisions) - 1
	if err := set(cellName(statusCol, r), "Users by status", st.groupHeader); err != nil {
		return err
	}
	if err := set(cellName(decisionCol, r), "Users by decision", st.groupHeader); err != nil {
		return err
	}
	if err := f.MergeCell(SheetSummary, cellName(statusCol, r), cellName(decisionCol-1, r)); err != nil {
		return fmt.Errorf("merging header: %w", err)
	}
	if err := f.MergeCell(SheetSummary, cellName(decisionCol, r), cellName(lastCol, r)); err != nil {
		return fmt.Errorf("merging header: %w", err)
	}
	r++
	header := append(append(slices.Clone(fixed), Statuses...), Decisions...)
	for i, h := range header {
		if err := set(cellName(i+1, r), h, st.header); err != nil {
			return err
		}
	}
	r++
	writeCounts := func(a *accountCounts, style int) error {
		row := []any{a.users}
		for _, n := range a.statuses {
			row = append(row, n)
		}
		for _, n := range a.decisions {
			row = append(row, n)
		}
		if err := f.SetSheetRow(SheetSummary, cellName(len(fixed), r), &row); err != nil {
			return fmt.Errorf("writing counts row %d: %w", r, err)
		}
		return f.SetCellStyle(SheetSummary, cellName(len(fixed), r), cellName(lastCol, r), style)
	}
	for _, a := range accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		assessedText := "yes"
		switch {
		case !a.inScope:
			assessedText = "not in scope list"
		case !a.scope.Assessed:
			assessedText = "no"
		}
		if err := set(cellName(1, r), a.scope.AccountID, 0); err != nil {
			return err
		}
		if err := set(cellName(2, r), assessedText, 0); err != nil {
			return err
		}
		if a.scope.Error != "" {
			if err := set(cellName(3, r), a.scope.Error, 0); err != nil {
				return err
			}
		}
		if !a.scope.CredentialReportGeneratedAt.IsZero() {
			if err := set(cellName(4, r), a.scope.CredentialReportGeneratedAt.UTC(), st.date); err != nil {
				return err
			}
		}
		if err := writeCounts(a, st.integer); err != nil {
			return err
		}
		r++
	}
	if err := set(cellName(1, r), "Total", st.bold); err != nil {
		return err
	}
	if err := writeCounts(total, st.boldInt); err != nil {
		return err
	}
	r += 2
	if err := set(cellName(1, r), "All times are UTC. Statuses and decisions are explained on each finding's Reasons.", st.note); err != nil {
		return err
	}

	widths := []float64{24, 24, 30, 22, 10}
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(SheetSummary, col, col, w); err != nil {
			return fmt.Errorf("setting column width: %w", err)
		}
	}
	first, _ := excelize.ColumnNumberToName(statusCol)
	last, _ := excelize.ColumnNumberToName(lastCol)
	if err := f.SetColWidth(SheetSummary, first, last, 12); err != nil {
		return fmt.Errorf("setting column width: %w", err)
	}
	return nil
}
