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

// Sheet names of the workbook, in workbook order.
const (
	SheetSummary    = "Summary"
	SheetFindings   = "Findings"
	SheetUnusedKeys = "Unused keys"
	SheetExceptions = "Exceptions"
	SheetReferences = "References"
	SheetUnchecked  = "Unchecked"
	SheetOrphans    = "Orphans"
	SheetCoverage   = "Coverage"
	SheetEvidence   = "Evidence"
	SheetMethod     = "Method"
)

// Column titles the reviewer round trip reads back (see package review).
const (
	TitleAccountID        = "Account ID"
	TitleUserName         = "User name"
	TitleUserID           = "User ID"
	TitleARN              = "ARN"
	TitleKeySlot          = "Key slot"
	TitleKeyCreated       = "Key created (UTC)"
	TitleReviewerDecision = "Reviewer decision"
	TitleReviewerComment  = "Reviewer comment"
	// SummaryRunIDLabel labels the run ID on the Summary sheet (column A,
	// the value in column B), so a reviewed workbook is tied to its run.
	SummaryRunIDLabel = "Run ID"
)

// The reviewer's choices in the Reviewer decision dropdowns.
const (
	ReviewApprove = "Approve"
	ReviewReject  = "Reject"
	ReviewDefer   = "Defer"
)

// ReviewDecisions are the dropdown's values, in dropdown order.
var ReviewDecisions = []string{ReviewApprove, ReviewReject, ReviewDefer}

// DateTimeFormat is the Excel number format of every date cell: dates are
// real Excel serial numbers (sortable, filterable), shown in UTC.
const DateTimeFormat = "yyyy-mm-dd hh:mm:ss"

// Statuses and Decisions are the report order of the findings' values.
var (
	Statuses  = []string{tables.StatusActive, tables.StatusInactive, tables.StatusNeverUsed, tables.StatusNew, tables.StatusExempt, tables.StatusReview, tables.StatusRoot}
	Decisions = []string{tables.DecisionDelete, tables.DecisionDeactivate, tables.DecisionReview, tables.DecisionKeep}
)

// sheet is one sheet of the workbook; each builder gets the shared styles.
type sheet struct {
	name  string
	write func(ctx context.Context, wb *workbook, in *Input) error
}

var workbookSheets = []sheet{
	{SheetSummary, writeSummary},
	{SheetFindings, writeFindings},
	{SheetUnusedKeys, writeUnusedKeys},
	{SheetExceptions, writeExceptions},
	{SheetReferences, writeReferences},
	{SheetUnchecked, writeUnchecked},
	{SheetOrphans, writeOrphans},
	{SheetCoverage, writeCoverageGrid}, // xlsx_coverage.go
	{SheetTrails, writeTrails},
	{SheetEvidence, writeEvidence},
	{SheetMethod, writeMethod},
}

// SheetNames lists the workbook's sheets in order.
func SheetNames() []string {
	out := make([]string, len(workbookSheets))
	for i, s := range workbookSheets {
		out[i] = s.name
	}
	return out
}

type xlsxWriter struct{}

// NewXLSXWriter writes reports/dormant-report.xlsx, the auditor's workbook:
//
//   - Summary: the run, its scope (accounts assessed and not, with why),
//     data freshness, counts by status and decision per account, the
//     controls it evidences, and two charts (users by status; users by days
//     since last activity).
//   - Findings: one row per finding, the CSV's columns as real Excel dates,
//     numbers and booleans, plus the IAM.22 and IAM.8 control results and
//     the reviewer's columns (a dropdown and a comment).
//   - Unused keys (each with its own reviewer columns), Exceptions,
//     References, Unchecked, Coverage, Evidence and Method.
//
// Every list sheet is streamed, so memory stays bounded by the input rather
// than growing with the workbook. The same Input gives the same bytes.
func init() { Register(NewXLSXWriter()) }

func NewXLSXWriter() Writer { return xlsxWriter{} }

func (xlsxWriter) Name() string { return "xlsx" }
func (xlsxWriter) Path() string { return XLSXPath }

// workbook is the file being built and the styles every sheet shares.
type workbook struct {
	f      *excelize.File
	zip    *orderedZip
	styles struct {
		title, section, header, reviewHeader, groupHeader, label, date, integer, bold, boldInt, note, wrap int
		// Conditional formats (differential styles).
		cfRed, cfAmber, cfGreen, cfBlue, cfGrey int
	}
	numFmts map[string]int // number format -> cell style
}

func (xlsxWriter) Write(ctx context.Context, w io.Writer, in *Input) (err error) {
	if n := len(in.Findings) + 1; n > excelize.TotalRows {
		return fmt.Errorf("writing workbook: %d findings do not fit one sheet (%d rows at most): use %s", len(in.Findings), excelize.TotalRows-1, CSVPath)
	}
	if n := countUnusedKeys(in.Findings) + 1; n > excelize.TotalRows {
		return fmt.Errorf("writing workbook: %d unused keys do not fit one sheet (%d rows at most): use %s", n-1, excelize.TotalRows-1, CSVPath)
	}
	if n := len(in.References) + 1; n > excelize.TotalRows {
		return fmt.Errorf("writing workbook: %d references do not fit one sheet (%d rows at most)", n-1, excelize.TotalRows-1)
	}
	f := excelize.NewFile()
	zw := &orderedZip{}
	f.SetZipWriter(func(w io.Writer) excelize.ZipWriter {
		zw.w = w
		return zw
	})
	defer func() {
		// Close removes the streams' temporary files.
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing workbook: %w", cerr)
		}
	}()
	wb := &workbook{f: f, zip: zw, numFmts: map[string]int{}}
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
	// Before streaming: SetActiveSheet reads every sheet back, and a
	// streamed sheet read back is parsed whole into memory.
	f.SetActiveSheet(0)
	for _, s := range workbookSheets {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.write(ctx, wb, in); err != nil {
			return fmt.Errorf("writing workbook sheet %s: %w", s.name, err)
		}
	}
	props := &excelize.DocProperties{
		Title:   "Dormant IAM users: " + in.RunID,
		Subject: "IAM users unused since " + in.WindowStart().Format(time.DateOnly),
		Creator: "dormant " + in.ToolVersion,
	}
	if !in.StartedAt.IsZero() {
		// The run's own time, not the clock: the same input gives the same workbook.
		props.Created = in.StartedAt.UTC().Format(time.RFC3339)
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
	header := func(fill string) *excelize.Style {
		return &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
			Border:    border,
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		}
	}
	defs := []struct {
		id    *int
		style *excelize.Style
	}{
		{&wb.styles.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&wb.styles.section, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}}},
		{&wb.styles.header, header("DDEBF7")},
		// The reviewer's columns stand out: they are the ones to fill in.
		{&wb.styles.reviewHeader, header("FFE699")},
		{&wb.styles.groupHeader, &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Alignment: &excelize.Alignment{Horizontal: "center"},
			Border:    border,
		}},
		{&wb.styles.label, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&wb.styles.date, &excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{&wb.styles.integer, &excelize.Style{NumFmt: 1}}, // 0
		{&wb.styles.bold, &excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&wb.styles.boldInt, &excelize.Style{NumFmt: 1, Font: &excelize.Font{Bold: true}}},
		{&wb.styles.note, &excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}}},
		{&wb.styles.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
	}
	for _, d := range defs {
		id, err := wb.f.NewStyle(d.style)
		if err != nil {
			return fmt.Errorf("creating style: %w", err)
		}
		*d.id = id
	}
	// Excel's own "Good", "Neutral" and "Bad" colours.
	conds := []struct {
		id         *int
		fill, font string
	}{
		{&wb.styles.cfRed, "FFC7CE", "9C0006"},
		{&wb.styles.cfAmber, "FFEB9C", "9C5700"},
		{&wb.styles.cfGreen, "C6EFCE", "006100"},
		{&wb.styles.cfBlue, "DDEBF7", "1F4E78"},
		{&wb.styles.cfGrey, "EDEDED", "404040"},
	}
	for _, c := range conds {
		id, err := wb.f.NewConditionalStyle(&excelize.Style{
			Font: &excelize.Font{Color: c.font},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.fill}},
		})
		if err != nil {
			return fmt.Errorf("creating conditional style: %w", err)
		}
		*c.id = id
	}
	return nil
}

// numStyle returns the cell style for a number format, created once.
func (wb *workbook) numStyle(format string) (int, error) {
	if id, ok := wb.numFmts[format]; ok {
		return id, nil
	}
	id, err := wb.f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, fmt.Errorf("creating number format %q: %w", format, err)
	}
	wb.numFmts[format] = id
	return id, nil
}

// cellName is the A1 reference of a cell: column letters in bijective
// base 26 (A..Z, AA...), then the row number. Callers keep within the sheet
// limits (rows are checked against excelize.TotalRows up front).
func cellName(col, row int) string {
	return colName(col) + strconv.Itoa(row)
}

func colName(col int) string {
	var letters []byte
	for c := col; c > 0; c = (c - 1) / 26 {
		letters = append(letters, byte('A'+(c-1)%26))
	}
	slices.Reverse(letters)
	return string(letters)
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
	case kFloat:
		if v.null {
			return nil
		}
		return v.f
	case kBool:
		switch {
		case v.s != "":
			return v.s
		case v.null:
			return nil
		}
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

// Width bounds of streamed table columns, in characters.
const (
	minWidth    = 8
	maxWidth    = 60
	maxTitle    = 18 // longer titles wrap in the header row
	headerSlack = 2
)

var dateWidth = len("2006-01-02 15:04:05")

// fitWidth is a column's width for its longest value and its title.
func fitWidth(title string, data, limit int) float64 {
	w := max(data, min(utf8.RuneCountInString(title), maxTitle)) + headerSlack
	return float64(min(max(w, minWidth), limit))
}

// columnWidths sizes each Findings column to its longest value (within
// bounds), so the sheet opens readable without truncating or sprawling.
func columnWidths(cols []column, findings []tables.Finding) []float64 {
	const reasonsMax = 100
	widths := make([]float64, len(cols))
	for i, c := range cols {
		if c.width > 0 {
			widths[i] = c.width
			continue
		}
		data := 0
		switch c.kind {
		case kTime:
			data = dateWidth
		case kBool:
			data = len("FALSE")
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
		widths[i] = fitWidth(c.title, data, limit)
	}
	return widths
}

// tableColumn is one column of a streamed list sheet.
type tableColumn struct {
	title  string
	kind   kind
	numFmt string  // number format of a kInt or kFloat column; "" for the default
	width  float64 // fixed width; 0 fits the data
	review bool    // a reviewer's column: highlighted header
}

// table is a list sheet: a header row and one row per item, streamed.
type table struct {
	sheet string
	cols  []tableColumn
	rows  int
	// fill sets out (one cell per column) for row i (0-based, data rows only).
	fill func(i int, out []cell)
	// widths, when set, are used instead of measuring the data.
	widths []float64
	// freezeCols keeps that many identity columns in view when scrolling right.
	freezeCols int
	// prepare runs before streaming starts (the stream writer emits the
	// worksheet's settings around the rows): data validations and
	// conditional formats over the data rows 2..lastRow.
	prepare func(lastRow int) error
	// after streams more rows below the table, from row on (a blank row
	// after the table's last).
	after func(sw *excelize.StreamWriter, row int) error
}

func (wb *workbook) colIndex(t *table, title string) int {
	return slices.IndexFunc(t.cols, func(c tableColumn) bool { return c.title == title }) + 1
}

// measure fits each unsized column to its data.
func (t *table) measure() []float64 {
	widths := make([]float64, len(t.cols))
	data := make([]int, len(t.cols))
	for j, c := range t.cols {
		switch c.kind {
		case kTime:
			data[j] = dateWidth
		case kBool:
			data[j] = len("FALSE")
		case kInt, kFloat:
			data[j] = max(1, len(c.numFmt))
		}
	}
	row := make([]cell, len(t.cols))
	for i := range t.rows {
		clear(row)
		t.fill(i, row)
		for j, c := range t.cols {
			switch c.kind {
			case kText:
				data[j] = max(data[j], utf8.RuneCountInString(row[j].s))
			case kInt:
				if !row[j].null {
					data[j] = max(data[j], len(strconv.FormatInt(row[j].n, 10)))
				}
			case kFloat:
				if !row[j].null {
					data[j] = max(data[j], len(strconv.FormatFloat(row[j].f, 'f', 2, 64)))
				}
			}
		}
	}
	for j, c := range t.cols {
		if c.width > 0 {
			widths[j] = c.width
			continue
		}
		widths[j] = fitWidth(c.title, data[j], maxWidth)
	}
	return widths
}

// writeTable streams a list sheet: header with autofilter, frozen header
// (and identity columns), typed cells, fitted widths.
func (wb *workbook) writeTable(ctx context.Context, t *table) error {
	f := wb.f
	lastCol := len(t.cols)
	lastRow := t.rows + 1
	// The autofilter, validations and conditional formats must be on the
	// worksheet before streaming starts.
	if err := f.AutoFilter(t.sheet, "A1:"+cellName(lastCol, lastRow), nil); err != nil {
		return fmt.Errorf("setting autofilter: %w", err)
	}
	if t.prepare != nil && t.rows > 0 {
		if err := t.prepare(lastRow); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(t.sheet)
	if err != nil {
		return fmt.Errorf("starting stream: %w", err)
	}
	panes := &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}
	if t.freezeCols > 0 {
		top := cellName(t.freezeCols+1, 2)
		panes.XSplit, panes.TopLeftCell, panes.ActivePane = t.freezeCols, top, "bottomRight"
		panes.Selection = []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomRight"}}
	}
	if err := sw.SetPanes(panes); err != nil {
		return fmt.Errorf("freezing header: %w", err)
	}
	colStyles := make([]int, len(t.cols))
	for i, c := range t.cols {
		style := 0
		switch {
		case c.kind == kTime:
			style = wb.styles.date
		case (c.kind == kInt || c.kind == kFloat) && c.numFmt != "":
			if style, err = wb.numStyle(c.numFmt); err != nil {
				return err
			}
		case c.kind == kInt:
			style = wb.styles.integer
		case c.kind == kText && c.width > maxWidth:
			style = wb.styles.wrap
		}
		colStyles[i] = style
		if style != 0 {
			if err := sw.SetColStyle(i+1, i+1, style); err != nil {
				return fmt.Errorf("styling column %d: %w", i+1, err)
			}
		}
	}
	// Widths last and from the right: excelize puts each newly set column
	// first and the stream writer does not sort them, while Excel expects
	// <col> elements in ascending order.
	widths := t.widths
	if widths == nil {
		widths = t.measure()
	}
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return fmt.Errorf("setting width of column %d: %w", i+1, err)
		}
	}
	row := make([]any, len(t.cols))
	for i, c := range t.cols {
		style := wb.styles.header
		if c.review {
			style = wb.styles.reviewHeader
		}
		row[i] = excelize.Cell{StyleID: style, Value: c.title}
	}
	if err := sw.SetRow("A1", row, excelize.RowOpts{Height: 32}); err != nil {
		return fmt.Errorf("writing header: %w", err)
	}
	if t.rows > 0 {
		// The data rows are encoded when the zip writer reaches this
		// sheet (xlsx_rows.go): here, one placeholder row marks the spot.
		token := rowsPlaceholder(len(wb.zip.splices))
		if err := sw.SetRow("A2", []any{token}); err != nil {
			return fmt.Errorf("writing rows: %w", err)
		}
		enc := newRowEncoder(t, colStyles)
		wb.zip.splices = append(wb.zip.splices, spliceRows{token: token, chunks: chunks(t.rows), write: func(w io.Writer, i int) error {
			if err := enc.writeChunk(ctx, w, i); err != nil {
				return fmt.Errorf("writing rows of sheet %s: %w", t.sheet, err)
			}
			return nil
		}})
	}
	if t.after != nil {
		if err := t.after(sw, lastRow+2); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("finishing stream: %w", err)
	}
	return nil
}

// cellRule colours cells of a column whose value equals one of values.
type cellRule struct {
	values []string
	style  int
}

// colourColumn adds conditional formats to a column's data rows.
func (wb *workbook) colourColumn(sheet string, col, lastRow int, rules ...cellRule) error {
	ref := cellName(col, 2) + ":" + cellName(col, lastRow)
	var opts []excelize.ConditionalFormatOptions
	for _, r := range rules {
		for _, v := range r.values {
			opts = append(opts, excelize.ConditionalFormatOptions{
				Type: "cell", Criteria: "==", Value: strconv.Quote(v), Format: &r.style,
			})
		}
	}
	if err := wb.f.SetConditionalFormat(sheet, ref, opts); err != nil {
		return fmt.Errorf("setting conditional format on %s: %w", ref, err)
	}
	return nil
}

// reviewDropdown puts the Approve / Reject / Defer list on a column's data rows.
func (wb *workbook) reviewDropdown(sheet string, col, lastRow int, what string) error {
	dv := excelize.NewDataValidation(true)
	dv.Sqref = cellName(col, 2) + ":" + cellName(col, lastRow)
	if err := dv.SetDropList(ReviewDecisions); err != nil {
		return fmt.Errorf("setting reviewer dropdown: %w", err)
	}
	dv.SetInput("Reviewer decision", "Approve to let remediation act on this "+what+"; Reject or Defer (or leave blank) to leave it alone.")
	dv.SetError(excelize.DataValidationErrorStyleStop, "Reviewer decision", "Choose Approve, Reject or Defer.")
	if err := wb.f.AddDataValidation(sheet, dv); err != nil {
		return fmt.Errorf("adding reviewer dropdown: %w", err)
	}
	return nil
}

// reviewColours marks the reviewer's choices.
func (wb *workbook) reviewColours(sheet string, col, lastRow int) error {
	st := &wb.styles
	return wb.colourColumn(sheet, col, lastRow,
		cellRule{[]string{ReviewApprove}, st.cfGreen},
		cellRule{[]string{ReviewReject}, st.cfRed},
		cellRule{[]string{ReviewDefer}, st.cfAmber})
}

// controlColours marks failed controls.
func (wb *workbook) controlColours(sheet string, col, lastRow int) error {
	return wb.colourColumn(sheet, col, lastRow, cellRule{[]string{ControlFail}, wb.styles.cfRed})
}

// Findings sheet column names that are the workbook's own (not in the CSV).
const (
	colLongestUnused    = "longest_unused_days"
	colReviewerDecision = "reviewer_decision"
	colReviewerComment  = "reviewer_comment"
)

func controlColName(c Control) string { return "control_" + c.ID }
func controlTitle(c Control) string   { return fmt.Sprintf("%s (%d days)", c.ID, c.Threshold) }

// findingSheetColumns is the Findings sheet's layout: the findings table's
// identity and verdict columns, then the reviewer's two columns (next to
// the reasons they weigh), the control results, and the remaining signals.
func findingSheetColumns(asOf time.Time) []column {
	split := slices.IndexFunc(findingColumns, func(c column) bool { return c.name == "reasons" }) + 1
	cols := slices.Clone(findingColumns[:split])
	cols = append(cols,
		column{name: colReviewerDecision, title: TitleReviewerDecision, kind: kText, width: 14, get: func(*tables.Finding) cell { return cell{} }},
		column{name: colReviewerComment, title: TitleReviewerComment, kind: kText, width: 40, get: func(*tables.Finding) cell { return cell{} }},
	)
	cols = append(cols, signOffColumns()...)
	cols = append(cols,
		column{
			name: colLongestUnused, title: "Longest-unused credential (days)", kind: kInt, width: 14,
			get: func(f *tables.Finding) cell {
				d, ok := longestUnused(f, asOf)
				return cell{n: d, null: !ok}
			},
		},
	)
	for _, c := range Controls {
		cols = append(cols, column{
			name: controlColName(c), title: controlTitle(c), kind: kText, width: 11,
			get: func(f *tables.Finding) cell { return cell{s: ControlResult(f, asOf, c.Threshold)} },
		})
	}
	return append(cols, findingColumns[split:]...)
}

// FindingSheetTitles returns the Findings sheet's header, in order.
func FindingSheetTitles(asOf time.Time) []string {
	cols := findingSheetColumns(asOf)
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.title
	}
	return out
}

func writeFindings(ctx context.Context, wb *workbook, in *Input) error {
	asOf := in.AsOf.UTC()
	cols := findingSheetColumns(asOf)
	t := &table{
		sheet:      SheetFindings,
		rows:       len(in.Findings),
		widths:     columnWidths(cols, in.Findings),
		freezeCols: 2, // account and user stay in view
		fill: func(i int, out []cell) {
			f := &in.Findings[i]
			for j, c := range cols {
				out[j] = c.get(f)
			}
		},
	}
	for _, c := range cols {
		t.cols = append(t.cols, tableColumn{
			title: c.title, kind: c.kind,
			review: c.name == colReviewerDecision || c.name == colReviewerComment || isSignOffColumn(c.name),
		})
	}
	t.prepare = func(lastRow int) error {
		st := &wb.styles
		col := func(name string) int {
			return slices.IndexFunc(cols, func(c column) bool { return c.name == name }) + 1
		}
		if err := wb.colourColumn(SheetFindings, col("status"), lastRow,
			cellRule{[]string{tables.StatusInactive, tables.StatusNeverUsed}, st.cfRed},
			cellRule{[]string{tables.StatusReview}, st.cfAmber},
			cellRule{[]string{tables.StatusActive}, st.cfGreen},
			cellRule{[]string{tables.StatusNew}, st.cfBlue},
			cellRule{[]string{tables.StatusExempt, tables.StatusRoot}, st.cfGrey},
		); err != nil {
			return err
		}
		if err := wb.colourColumn(SheetFindings, col("decision"), lastRow,
			cellRule{[]string{tables.DecisionDelete, tables.DecisionDeactivate}, st.cfRed},
			cellRule{[]string{tables.DecisionReview}, st.cfAmber},
		); err != nil {
			return err
		}
		for _, c := range Controls {
			if err := wb.controlColours(SheetFindings, col(controlColName(c)), lastRow); err != nil {
				return err
			}
		}
		if err := wb.reviewDropdown(SheetFindings, col(colReviewerDecision), lastRow, "user"); err != nil {
			return err
		}
		return wb.reviewColours(SheetFindings, col(colReviewerDecision), lastRow)
	}
	return wb.writeTable(ctx, t)
}
