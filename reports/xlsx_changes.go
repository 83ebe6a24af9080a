package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

// SheetChanges is what changed since the previous quarter's run, with the
// candidates per run across the history and their chart.
const SheetChanges = "Changes"

// Titles of the Changes sheet the tests read back.
const (
	ChangesTrendTitle = "Candidates per run"
	ChangesListTitle  = "Users whose standing changed"
)

// trendColumns are the trend block's headers, in order.
var trendColumns = []string{"Run ID", "As-of (UTC)", "Users", "Candidates", "Delete", "Deactivate", "Remove in IaC", "Review", "Keep"}

// changeColumns are the list's headers, in order.
var changeColumns = []string{"Change", "Resolution", TitleAccountID, TitleUserName, TitleUserID, TitleARN,
	"Previous status", "Previous decision", "Status", "Decision", "First listed (UTC)", "First listed in run", "Age (days)",
	"Exemption", "Exemption owner", "Exemption expires (UTC)", "Reason"}

func writeChanges(ctx context.Context, wb *workbook, in *Input) error {
	f, st := wb.f, &wb.styles
	set := func(ref string, v any, style int) error {
		if err := f.SetCellValue(SheetChanges, ref, v); err != nil {
			return fmt.Errorf("setting %s: %w", ref, err)
		}
		if style != 0 {
			if err := f.SetCellStyle(SheetChanges, ref, ref, style); err != nil {
				return fmt.Errorf("styling %s: %w", ref, err)
			}
		}
		return nil
	}
	if err := set("A1", "Changes since the previous run", st.title); err != nil {
		return err
	}
	if !in.Compared {
		return set("A3", noPreviousNote, st.note)
	}
	counts := map[string]int{}
	for _, c := range in.Changes {
		counts[c.Kind+"/"+c.Resolved]++
	}
	summary := fmt.Sprintf("New candidates %d; resolved %d (deleted %d, deactivated %d, active again %d, exempted %d); still open %d; not assessed %d; exceptions ending before the next quarter %d.",
		counts[tables.ChangeNew+"/"], counts[tables.ChangeResolved+"/"+tables.ResolvedDeleted]+counts[tables.ChangeResolved+"/"+tables.ResolvedDeactivated]+
			counts[tables.ChangeResolved+"/"+tables.ResolvedActive]+counts[tables.ChangeResolved+"/"+tables.ResolvedExempted],
		counts[tables.ChangeResolved+"/"+tables.ResolvedDeleted], counts[tables.ChangeResolved+"/"+tables.ResolvedDeactivated],
		counts[tables.ChangeResolved+"/"+tables.ResolvedActive], counts[tables.ChangeResolved+"/"+tables.ResolvedExempted],
		counts[tables.ChangeOpen+"/"], counts[tables.ChangeNotAssessed+"/"], counts[tables.ChangeExceptionExpiring+"/"])
	if err := set("A2", summary, 0); err != nil {
		return err
	}

	// The trend: one row per run, oldest first, this run last.
	r := 4
	if err := set(cellName(1, r), ChangesTrendTitle, st.section); err != nil {
		return err
	}
	r++
	header := r
	for i, t := range trendColumns {
		if err := set(cellName(i+1, r), t, st.header); err != nil {
			return err
		}
	}
	for _, p := range in.Trend {
		r++
		vals := []any{p.RunID, p.AsOf.UTC(), p.Users, p.Candidates, p.Delete, p.Deactivate, p.RemoveInIaC, p.Review, p.Keep}
		if err := f.SetSheetRow(SheetChanges, cellName(1, r), &vals); err != nil {
			return fmt.Errorf("writing trend row: %w", err)
		}
		if err := f.SetCellStyle(SheetChanges, cellName(2, r), cellName(2, r), st.date); err != nil {
			return fmt.Errorf("styling trend row: %w", err)
		}
		if err := f.SetCellStyle(SheetChanges, cellName(3, r), cellName(len(trendColumns), r), st.integer); err != nil {
			return fmt.Errorf("styling trend row: %w", err)
		}
	}
	if len(in.Trend) > 0 {
		if err := addTrendChart(wb, header, r); err != nil {
			return err
		}
	}
	// The chart stands beside the trend; the list starts below both.
	r = max(r+2, header+chartHeight/20+2)
	if err := set(cellName(1, r), ChangesListTitle, st.section); err != nil {
		return err
	}
	r++
	first := r
	for i, t := range changeColumns {
		if err := set(cellName(i+1, r), t, st.header); err != nil {
			return err
		}
	}
	for i := range in.Changes {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c := &in.Changes[i]
		r++
		vals := []any{c.Kind, c.Resolved, c.AccountID, c.UserName, c.UserID, c.ARN, c.PreviousStatus, c.PreviousDecision,
			c.Status, c.Decision, optTime(c.FirstListed), c.FirstListedRun, optAge(c.AgeDays), c.Exemption, c.ExemptionOwner,
			optTime(c.ExemptionExpires), c.Reason}
		if err := f.SetSheetRow(SheetChanges, cellName(1, r), &vals); err != nil {
			return fmt.Errorf("writing change row %d: %w", i+1, err)
		}
		for _, col := range []int{11, 16} {
			if err := f.SetCellStyle(SheetChanges, cellName(col, r), cellName(col, r), st.date); err != nil {
				return fmt.Errorf("styling change row %d: %w", i+1, err)
			}
		}
	}
	if err := f.AutoFilter(SheetChanges, cellName(1, first)+":"+cellName(len(changeColumns), r), nil); err != nil {
		return fmt.Errorf("setting autofilter: %w", err)
	}
	for i, w := range []float64{20, 18, 14, 22, 24, 40, 14, 14, 14, 14, 20, 26, 10, 18, 16, 20, 80} {
		if err := f.SetColWidth(SheetChanges, colName(i+1), colName(i+1), w); err != nil {
			return fmt.Errorf("setting width: %w", err)
		}
	}
	return nil
}

// optTime is a time cell's value: blank when unknown.
func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// optAge is the age cell: blank for a row that is not a candidate's.
func optAge(days int64) any {
	if days < 0 {
		return nil
	}
	return days
}

// addTrendChart draws the candidates per run beside the trend block.
func addTrendChart(wb *workbook, header, last int) error {
	ref := func(col, row int) string { return fmt.Sprintf("%s!$%s$%d", SheetChanges, colName(col), row) }
	rng := func(col int) string { return ref(col, header+1) + ":$" + colName(col) + fmt.Sprintf("$%d", last) }
	var series []excelize.ChartSeries
	for _, col := range []int{4, 5, 6, 8} { // candidates, delete, deactivate, review
		series = append(series, excelize.ChartSeries{Name: ref(col, header), Categories: rng(2), Values: rng(col)})
	}
	c := &excelize.Chart{
		Type:      excelize.Line,
		Series:    series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: ChangesTrendTitle}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
		Format:    excelize.GraphicOptions{AltText: "Removal candidates per run across the history", OffsetX: 10},
	}
	if err := wb.f.AddChart(SheetChanges, cellName(len(trendColumns)+2, header-1), c); err != nil {
		return fmt.Errorf("adding chart %q: %w", ChangesTrendTitle, err)
	}
	return nil
}
