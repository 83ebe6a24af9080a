package reports

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dormant-iam/dormant/tables"
)

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
			cellRule{[]string{tables.StatusDeactivated}, st.cfPurple},
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
