package review

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/manifest"
)

// checkRunID ties the workbook to the run through the Summary's run ID.
func (r *reader) checkRunID(runID string) error {
	if idx, _ := r.f.GetSheetIndex(reports.SheetSummary); idx < 0 {
		r.refuse(reports.SheetSummary, 0, "the sheet is missing: this is not a dormant workbook, or it was restructured")
		return nil
	}
	found := false
	r.signOff = map[string]string{}
	err := eachRow(r.ctx, r.f, reports.SheetSummary, rowSlack, func(row int, cells []string) error {
		if len(cells) > 0 && slices.Contains(reports.SignOffLabels, strings.TrimSpace(cells[0])) {
			if len(cells) > 1 {
				r.signOff[strings.TrimSpace(cells[0])] = strings.TrimSpace(cells[1])
			}
			if cells[0] == reports.SignOffDateLabel {
				r.signOffRow = row
			}
			return nil
		}
		if found || len(cells) == 0 || cells[0] != reports.SummaryRunIDLabel {
			return nil
		}
		found = true
		got := ""
		if len(cells) > 1 {
			got = cells[1]
		}
		if got != runID {
			r.refuse(reports.SheetSummary, row, fmt.Sprintf("run ID %q is not the run's %q: the workbook belongs to another run", got, runID))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		r.refuse(reports.SheetSummary, 0, fmt.Sprintf("no %q row: the run the workbook belongs to cannot be told", reports.SummaryRunIDLabel))
	}
	return nil
}

func reviewDate(raw string) (string, bool) {
	if t, err := time.Parse(time.DateOnly, raw); err == nil {
		return t.Format(time.DateOnly), true
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t.UTC().Format(time.DateOnly), true
	}
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil || serial < 1 || serial > 2958465 {
		return "", false
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return "", false
	}
	return t.UTC().Format(time.DateOnly), true
}

// signOffBlock returns the workbook's sign-off, refusing a malformed date;
// nil when the reviewer filled in nothing.
func (r *reader) signOffBlock() *manifest.SignOff {
	so := &manifest.SignOff{
		Reviewer: r.signOff[reports.SignOffReviewerLabel], Role: r.signOff[reports.SignOffRoleLabel],
		Statement: r.signOff[reports.SignOffStatementLabel],
	}
	if raw := r.signOff[reports.SignOffDateLabel]; raw != "" {
		date, ok := reviewDate(raw)
		if !ok {
			r.refuse(reports.SheetSummary, r.signOffRow, fmt.Sprintf("%s %q is not a date: write YYYY-MM-DD", reports.SignOffDateLabel, raw))
		}
		so.Date = date
	}
	if *so == (manifest.SignOff{}) {
		return nil
	}
	if so.Reviewer == "" || so.Date == "" {
		r.refuse(reports.SheetSummary, r.signOffRow, fmt.Sprintf("the sign-off needs at least %q and %q", reports.SignOffReviewerLabel, reports.SignOffDateLabel))
	}
	return so
}
