package reports

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// WorkbookContent is what a workbook says, without how it is packaged: each
// sheet's cell values as stored (dates as Excel serial numbers, booleans as
// 1 and 0), row by row. Trailing blank cells and rows are dropped, so two
// workbooks with the same values compare equal whatever their zip layout,
// styles or shared-string tables. `dormant verify` compares a regenerated
// workbook with the stored one this way.
type WorkbookContent struct {
	Sheets []SheetContent
}

// SheetContent is one sheet's values; Rows[0] is the sheet's row 1.
type SheetContent struct {
	Name string
	Rows [][]string
}

// ReadWorkbook reads a workbook's content. It holds every cell in memory:
// for large workbooks compare files with CompareWorkbookFiles instead.
func ReadWorkbook(path string) (*WorkbookContent, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("opening workbook %s: %w", path, err)
	}
	defer f.Close()
	c, err := readContent(context.Background(), f)
	if err != nil {
		return nil, fmt.Errorf("reading workbook %s: %w", path, err)
	}
	return c, nil
}

// ReadWorkbookBytes is ReadWorkbook for a workbook in memory.
func ReadWorkbookBytes(data []byte) (*WorkbookContent, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	defer f.Close()
	c, err := readContent(context.Background(), f)
	if err != nil {
		return nil, fmt.Errorf("reading workbook: %w", err)
	}
	return c, nil
}

func readContent(ctx context.Context, f *excelize.File) (*WorkbookContent, error) {
	out := &WorkbookContent{}
	for _, name := range f.GetSheetList() {
		s := SheetContent{Name: name}
		err := eachRow(ctx, f, name, func(row int, cells []string) error {
			for len(s.Rows) < row-1 {
				s.Rows = append(s.Rows, nil)
			}
			s.Rows = append(s.Rows, slices.Clone(cells))
			return nil
		})
		if err != nil {
			return nil, err
		}
		out.Sheets = append(out.Sheets, s)
	}
	return out, nil
}

// trimRow drops trailing blank cells.
func trimRow(cells []string) []string {
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	return cells[:n]
}

// eachRow calls fn for every non-blank row of a sheet, in order, with its
// 1-based row number and raw cell values (trailing blanks dropped). The
// sheet is streamed, never held whole.
func eachRow(ctx context.Context, f *excelize.File, sheet string, fn func(row int, cells []string) error) (err error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("reading sheet %s: %w", sheet, err)
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("reading sheet %s: %w", sheet, cerr)
		}
	}()
	for n := 1; rows.Next(); n++ {
		if n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return fmt.Errorf("reading sheet %s row %d: %w", sheet, n, err)
		}
		if cells = trimRow(cells); len(cells) == 0 {
			continue
		}
		if err := fn(n, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("reading sheet %s: %w", sheet, err)
	}
	return nil
}

// maxDifferences bounds a comparison's report; one changed value can shift
// a whole sheet, and the first few differences say where to look.
const maxDifferences = 50

// differences collects what differs, up to maxDifferences.
type differences struct {
	list    []string
	dropped int
}

func (d *differences) add(format string, args ...any) {
	if len(d.list) == maxDifferences {
		d.dropped++
		return
	}
	d.list = append(d.list, fmt.Sprintf(format, args...))
}

func (d *differences) result() []string {
	if d.dropped > 0 {
		return append(d.list, fmt.Sprintf("... and %d more differences", d.dropped))
	}
	return d.list
}

// sheetListDiff names sheets present in one workbook only, or out of order.
func sheetListDiff(d *differences, a, b []string) {
	for _, n := range a {
		if !slices.Contains(b, n) {
			d.add("sheet %q: only in the first workbook", n)
		}
	}
	for _, n := range b {
		if !slices.Contains(a, n) {
			d.add("sheet %q: only in the second workbook", n)
		}
	}
	if len(d.list) == 0 && !slices.Equal(a, b) {
		d.add("sheets are in a different order: %q, then %q", a, b)
	}
}

// rowDiff names the cells that differ between two versions of one row.
func rowDiff(d *differences, sheet string, row int, a, b []string) {
	for c := range max(len(a), len(b)) {
		var va, vb string
		if c < len(a) {
			va = a[c]
		}
		if c < len(b) {
			vb = b[c]
		}
		if va != vb {
			d.add("%s!%s: %s, then %s", sheet, cellName(c+1, row), quoteCell(va), quoteCell(vb))
		}
	}
}

func quoteCell(v string) string {
	if v == "" {
		return "blank"
	}
	if len(v) > 80 {
		v = v[:77] + "..."
	}
	return strconv.Quote(v)
}

// CompareWorkbooks names every sheet and cell whose value differs between
// two workbooks' content (at most 50, then a count); nil when they hold the
// same values.
func CompareWorkbooks(a, b *WorkbookContent) []string {
	d := &differences{}
	names := func(w *WorkbookContent) []string {
		var out []string
		for _, s := range w.Sheets {
			out = append(out, s.Name)
		}
		return out
	}
	sheetListDiff(d, names(a), names(b))
	for _, sa := range a.Sheets {
		i := slices.IndexFunc(b.Sheets, func(s SheetContent) bool { return s.Name == sa.Name })
		if i < 0 {
			continue
		}
		sb := b.Sheets[i]
		for r := range max(len(sa.Rows), len(sb.Rows)) {
			var ra, rb []string
			if r < len(sa.Rows) {
				ra = sa.Rows[r]
			}
			if r < len(sb.Rows) {
				rb = sb.Rows[r]
			}
			rowDiff(d, sa.Name, r+1, ra, rb)
		}
	}
	return d.result()
}

// CompareWorkbookFiles is CompareWorkbooks for two workbook files, reading
// both sheet by sheet, row by row, so memory stays bounded however many
// users they list.
func CompareWorkbookFiles(ctx context.Context, pathA, pathB string) ([]string, error) {
	fa, err := excelize.OpenFile(pathA)
	if err != nil {
		return nil, fmt.Errorf("opening workbook %s: %w", pathA, err)
	}
	defer fa.Close()
	fb, err := excelize.OpenFile(pathB)
	if err != nil {
		return nil, fmt.Errorf("opening workbook %s: %w", pathB, err)
	}
	defer fb.Close()
	d := &differences{}
	la, lb := fa.GetSheetList(), fb.GetSheetList()
	sheetListDiff(d, la, lb)
	for _, name := range la {
		if !slices.Contains(lb, name) {
			continue
		}
		if err := compareSheet(ctx, d, fa, fb, name); err != nil {
			return nil, err
		}
	}
	return d.result(), nil
}

// compareSheet walks one sheet of both files in step.
func compareSheet(ctx context.Context, d *differences, fa, fb *excelize.File, sheet string) (err error) {
	ra, err := fa.Rows(sheet)
	if err != nil {
		return fmt.Errorf("reading sheet %s: %w", sheet, err)
	}
	defer ra.Close()
	rb, err := fb.Rows(sheet)
	if err != nil {
		return fmt.Errorf("reading sheet %s: %w", sheet, err)
	}
	defer rb.Close()
	next := func(rows *excelize.Rows) ([]string, bool, error) {
		if !rows.Next() {
			return nil, false, rows.Error()
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		return trimRow(cells), true, err
	}
	for n := 1; ; n++ {
		if n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ca, okA, err := next(ra)
		if err != nil {
			return fmt.Errorf("reading sheet %s row %d: %w", sheet, n, err)
		}
		cb, okB, err := next(rb)
		if err != nil {
			return fmt.Errorf("reading sheet %s row %d: %w", sheet, n, err)
		}
		if !okA && !okB {
			return nil
		}
		rowDiff(d, sheet, n, ca, cb)
	}
}
