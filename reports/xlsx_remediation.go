package reports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

// SheetRemediation is the proof that the previous quarter's plan was
// carried out: one row per entry of its plan (or journal).
const SheetRemediation = "Remediation"

// RemediationCSVPath is the remediation table for machines.
const RemediationCSVPath = "reports/remediation.csv"

// remediationColumn is one column of the Remediation sheet and CSV.
type remediationColumn struct {
	name, title string
	kind        kind
	get         func(r *tables.RemediationCheck) cell
}

var remediationColumns = []remediationColumn{
	{"outcome", "Outcome", kText, func(r *tables.RemediationCheck) cell { return cell{s: r.Outcome} }},
	{"account_id", TitleAccountID, kText, func(r *tables.RemediationCheck) cell { return cell{s: r.AccountID} }},
	{"user_name", TitleUserName, kText, func(r *tables.RemediationCheck) cell { return cell{s: r.UserName} }},
	{"user_id", TitleUserID, kText, func(r *tables.RemediationCheck) cell { return cell{s: r.UserID} }},
	{"arn", TitleARN, kText, func(r *tables.RemediationCheck) cell { return cell{s: r.ARN} }},
	{"kind", "Kind", kText, func(r *tables.RemediationCheck) cell { return cell{s: r.Kind} }},
	{"key_slot", TitleKeySlot, kInt, func(r *tables.RemediationCheck) cell { return cell{n: r.KeySlot, null: r.KeySlot == 0} }},
	{"planned", "Planned", kText, func(r *tables.RemediationCheck) cell { return cell{s: r.Planned} }},
	{"plan_source", "Plan", kText, func(r *tables.RemediationCheck) cell { return cell{s: r.PlanSource} }},
	{"plan_run_id", "Plan's run", kText, func(r *tables.RemediationCheck) cell { return cell{s: r.PlanRunID} }},
	{"journal", "Journal", kText, func(r *tables.RemediationCheck) cell { return cell{s: r.Journal} }},
	{"reasons", "Reasons", kText, func(r *tables.RemediationCheck) cell { return cell{s: strings.Join(r.Reasons, ReasonSeparator)} }},
	{"recreated_user_id", "Re-created as (user ID)", kText, func(r *tables.RemediationCheck) cell { return cell{s: r.RecreatedUserID} }},
	{"orphans", "Policies still naming the ID", kText, func(r *tables.RemediationCheck) cell { return cell{s: strings.Join(r.Orphans, ReasonSeparator)} }},
}

// noPreviousNote is what the Changes and Remediation sheets say of a run
// that compared with nothing.
const noPreviousNote = "No previous run was given (dormant run --previous DIR or --history DIR): nothing to compare with."

func writeRemediation(ctx context.Context, wb *workbook, in *Input) error {
	t := &table{
		sheet: SheetRemediation, rows: len(in.Remediation), freezeCols: 3,
		fill: func(i int, out []cell) {
			r := &in.Remediation[i]
			for j, c := range remediationColumns {
				out[j] = c.get(r)
			}
		},
		prepare: func(lastRow int) error {
			st := &wb.styles
			return wb.colourColumn(SheetRemediation, 1, lastRow,
				cellRule{[]string{tables.OutcomeCarriedOut}, st.cfGreen},
				cellRule{[]string{tables.OutcomeNotCarriedOut, tables.OutcomeUndone}, st.cfRed},
				cellRule{[]string{tables.OutcomeNotAssessed}, st.cfAmber})
		},
	}
	for _, c := range remediationColumns {
		tc := tableColumn{title: c.title, kind: c.kind}
		if c.name == "reasons" || c.name == "orphans" {
			tc.width = maxWidth + 20
		}
		t.cols = append(t.cols, tc)
	}
	if !in.Compared {
		t.after = func(sw *excelize.StreamWriter, row int) error {
			return sw.SetRow(cellName(1, row), []any{excelize.Cell{StyleID: wb.styles.note, Value: noPreviousNote}})
		}
	}
	return wb.writeTable(ctx, t)
}

type remediationCSV struct{}

// reports/remediation.csv is the Remediation sheet for machines: one row
// per entry of the previous quarter's plan with its outcome, reasons and
// orphans joined with "; "; a header alone when the run compared with no
// previous run.
func init() { Register(remediationCSV{}) }

func (remediationCSV) Name() string { return "remediation-csv" }
func (remediationCSV) Path() string { return RemediationCSVPath }

func (remediationCSV) Write(ctx context.Context, w io.Writer, in *Input) error {
	cw := csv.NewWriter(w)
	record := make([]string, len(remediationColumns))
	for i, c := range remediationColumns {
		record[i] = c.name
	}
	if err := cw.Write(record); err != nil {
		return fmt.Errorf("writing remediation CSV header: %w", err)
	}
	for i := range in.Remediation {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &in.Remediation[i]
		for j, c := range remediationColumns {
			record[j] = csvValue(c.kind, c.get(r))
		}
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("writing remediation CSV row %d (%s/%s): %w", i+2, r.AccountID, r.UserName, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing remediation CSV: %w", err)
	}
	return nil
}
