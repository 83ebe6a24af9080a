package review

import (
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/tables"
)

// eachRow streams a sheet's non-blank rows with raw cell values.
// A row past maxRow is an error: the sheet holds far more than the run wrote.
func eachRow(ctx context.Context, f *excelize.File, sheet string, maxRow int, fn func(row int, cells []string) error) (err error) {
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
		if n > maxRow {
			return fmt.Errorf("%w: sheet %s has rows past row %d, far more than the run wrote; use the workbook the run wrote", ErrTooLarge, sheet, maxRow)
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return fmt.Errorf("reading sheet %s row %d: %w", sheet, n, err)
		}
		blank := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		if err := fn(n, cells); err != nil {
			return err
		}
	}
	return rows.Error()
}

type pendingRow struct {
	row    int
	values []string
}

// readSheet matches a sheet's rows to the expected rows by identity (so
// sorting is harmless) and returns each expected row's verdict. Mismatches
// are recorded as refusing problems.
func (r *reader) readSheet(spec sheetSpec) ([]verdict, error) {
	if idx, _ := r.f.GetSheetIndex(spec.sheet); idx < 0 {
		r.refuse(spec.sheet, 0, "the sheet is missing: this is not a dormant workbook, or it was restructured")
		return nil, nil
	}
	key := func(vals []string) string { return strings.Join(vals, "\x00") }
	index := make(map[string]int, spec.expected)
	for i := range spec.expected {
		k := key(spec.value(i))
		if j, dup := index[k]; dup {
			return nil, fmt.Errorf("the run lists %s twice (%s rows %d and %d as written): its findings are not unique", spec.label(i), spec.sheet, j+2, i+2)
		}
		index[k] = i
	}
	verdicts := make([]verdict, spec.expected)
	claimed := make([]int, spec.expected) // the reviewed row that matched, 0 if none
	var pending []pendingRow
	var cols []int // identity field -> column index
	decisionCol, commentCol, reviewerCol, dateCol := -1, -1, -1, -1
	var checkedCols []int // spec.checked -> column index
	headerOK := false
	vals := make([]string, len(spec.fields))
	cellAt := func(cells []string, c int) string {
		if c >= 0 && c < len(cells) {
			return cells[c]
		}
		return ""
	}
	err := eachRow(r.ctx, r.f, spec.sheet, spec.expected+1+rowSlack, func(row int, cells []string) error {
		if cols == nil {
			// The first non-blank row is the header.
			cols = make([]int, len(spec.fields))
			find := func(title string) int {
				for c, h := range cells {
					if strings.TrimSpace(h) == title {
						return c
					}
				}
				r.refuse(spec.sheet, row, fmt.Sprintf("no %q column: the header was edited; use the workbook the run wrote", title))
				return -1
			}
			headerOK = row == 1
			if !headerOK {
				r.refuse(spec.sheet, row, "the header is not on row 1: rows were inserted above it")
			}
			for i, fld := range spec.fields {
				if cols[i] = find(fld.title); cols[i] < 0 {
					headerOK = false
				}
			}
			if decisionCol = find(reports.TitleReviewerDecision); decisionCol < 0 {
				headerOK = false
			}
			if commentCol = find(reports.TitleReviewerComment); commentCol < 0 {
				headerOK = false
			}
			if reviewerCol = find(reports.TitleReviewer); reviewerCol < 0 {
				headerOK = false
			}
			if dateCol = find(reports.TitleReviewDate); dateCol < 0 {
				headerOK = false
			}
			checkedCols = make([]int, len(spec.checked))
			for k, c := range spec.checked {
				if checkedCols[k] = find(c.title); checkedCols[k] < 0 {
					headerOK = false
				}
			}
			return nil
		}
		if !headerOK {
			return nil
		}
		empty := true
		for i, fld := range spec.fields {
			vals[i] = fld.normalize(cellAt(cells, cols[i]))
			empty = empty && vals[i] == ""
		}
		rawDecision := cellAt(cells, decisionCol)
		comment := strings.TrimSpace(cellAt(cells, commentCol))
		if empty {
			if strings.TrimSpace(rawDecision) != "" || comment != "" {
				r.refuse(spec.sheet, row, "a reviewer decision or comment on a row with no user: rows may not be added")
			}
			// Otherwise a note typed below the table: not a row of the run.
			return nil
		}
		d, ok := parseDecision(rawDecision)
		if !ok {
			r.refuse(spec.sheet, row, fmt.Sprintf("reviewer decision %q is not one of %s", rawDecision, strings.Join(reports.ReviewDecisions, ", ")))
		}
		i, found := index[key(vals)]
		switch {
		case !found:
			pending = append(pending, pendingRow{row: row, values: append([]string(nil), vals...)})
		case claimed[i] != 0:
			r.refuse(spec.sheet, row, fmt.Sprintf("duplicates row %d (%s): rows may not be copied", claimed[i], spec.label(i)))
		default:
			claimed[i] = row
			verdicts[i] = verdict{decision: d, comment: comment, row: row}
			verdicts[i].downgrade = r.checkColumns(spec, i, row, cells, checkedCols, cellAt)
			verdicts[i].reviewer = strings.TrimSpace(cellAt(cells, reviewerCol))
			if raw := strings.TrimSpace(cellAt(cells, dateCol)); raw != "" {
				if date, ok := reviewDate(raw); ok {
					verdicts[i].date = date
				} else {
					r.refuse(spec.sheet, row, fmt.Sprintf("%s %q is not a date: write YYYY-MM-DD", reports.TitleReviewDate, raw))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cols == nil {
		r.refuse(spec.sheet, 0, "the sheet is empty: it has lost its header and rows")
		return verdicts, nil
	}
	if !headerOK {
		return verdicts, nil
	}
	explained := r.explainPending(spec, pending, claimed)
	for i := range spec.expected {
		if claimed[i] == 0 && !explained[i] {
			r.refuse(spec.sheet, 0, fmt.Sprintf("the run's %s %s (row %d as written) has no row: rows may not be removed", spec.noun, spec.label(i), i+2))
		}
	}
	return verdicts, nil
}

// explainPending reports each reviewed row that matched nothing: against the
// run's row it most likely was (the one the run wrote at that position, or
// the one with its account and user name, or its account and user ID), or
// as an added row. It returns the expected rows so explained.
func (r *reader) explainPending(spec sheetSpec, pending []pendingRow, claimed []int) map[int]bool {
	explained := map[int]bool{}
	if len(pending) == 0 {
		return explained
	}
	byName := map[string]int{}
	byID := map[string]int{}
	for i := range spec.expected {
		if claimed[i] != 0 {
			continue
		}
		v := spec.value(i)
		byName[v[0]+"\x00"+v[spec.byName]] = i
		if v[spec.byID] != "" {
			byID[v[0]+"\x00"+v[spec.byID]] = i
		}
	}
	free := func(i int) bool { return i >= 0 && i < spec.expected && claimed[i] == 0 && !explained[i] }
	for _, p := range pending {
		cand := -1
		if i, ok := byName[p.values[0]+"\x00"+p.values[spec.byName]]; ok && free(i) {
			cand = i
		} else if i, ok := byID[p.values[0]+"\x00"+p.values[spec.byID]]; ok && free(i) {
			cand = i
		} else if free(p.row - 2) {
			cand = p.row - 2
		}
		if cand < 0 {
			r.refuse(spec.sheet, p.row, fmt.Sprintf("%s/%s (%s %q) is not in the run: rows may not be added or have their identity edited",
				p.values[0], p.values[spec.byName], spec.fields[spec.byID].name, p.values[spec.byID]))
			continue
		}
		explained[cand] = true
		want := spec.value(cand)
		var diffs []string
		for k, fld := range spec.fields {
			if p.values[k] != want[k] {
				diffs = append(diffs, fmt.Sprintf("%s %q", fld.name, p.values[k]))
			}
		}
		var wantVals []string
		for k, fld := range spec.fields {
			if p.values[k] != want[k] {
				wantVals = append(wantVals, fmt.Sprintf("%s %q", fld.name, want[k]))
			}
		}
		r.refuse(spec.sheet, p.row, fmt.Sprintf("%s does not match the run's %s %s (%s): identity cells may not be edited",
			strings.Join(diffs, ", "), spec.noun, spec.label(cand), strings.Join(wantVals, ", ")))
	}
	return explained
}

// checkColumns compares a matched row's non-review columns with what the
// run wrote, refusing any edit but a downgrade of the Decision column from
// delete to deactivate, which it reports.
func (r *reader) checkColumns(spec sheetSpec, i, row int, cells []string, cols []int, cellAt func([]string, int) string) (downgrade bool) {
	for k, c := range spec.checked {
		got, want := strings.TrimSpace(cellAt(cells, cols[k])), c.value(i)
		if c.normalize != nil {
			got = c.normalize(got)
		}
		if got == want {
			continue
		}
		if c.decision && want == tables.DecisionDelete && got == tables.DecisionDeactivate {
			downgrade = true
			continue
		}
		if c.decision {
			r.refuse(spec.sheet, row, fmt.Sprintf("%s of %s is %q, not the run's %q: a reviewer may only change delete to deactivate (or choose %s in %q)",
				c.title, spec.label(i), got, want, reports.ReviewReject, reports.TitleReviewerDecision))
			continue
		}
		r.refuse(spec.sheet, row, fmt.Sprintf("%s of %s is %q, not the run's %q: only the reviewer columns may be edited",
			c.title, spec.label(i), got, want))
	}
	return downgrade
}

// reviewDate normalizes a date cell: typed text YYYY-MM-DD, or the serial
// number Excel stores when it recognises a date.
