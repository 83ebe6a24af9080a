package reports

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

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
	widths := t.widths
	if widths == nil {
		widths = t.measure()
	}
	if err := wb.scaleToWidth(t.sheet, widths); err != nil {
		return err
	}
	if wb.streamed == nil {
		wb.streamed = map[string]bool{}
	}
	wb.streamed[t.sheet] = true
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
		// The data rows go in place of this row when the workbook is saved.
		token := rowsPlaceholder(len(wb.splices))
		if err := sw.SetRow("A2", []any{token}); err != nil {
			return fmt.Errorf("writing rows: %w", err)
		}
		wb.splices = append(wb.splices, splice{token: token, enc: newRowEncoder(t, colStyles)})
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
