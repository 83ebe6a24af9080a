package reports

import "github.com/dormant-iam/dormant/tables"

// The review's sign-off: who approved, in what role, when, and
// what they attest, on the Summary sheet; and per row who decided and when.
// `dormant manifest --from-workbook` carries both into the reviewed manifest.

// Per-row reviewer columns, beside "Reviewer decision" and "Reviewer comment"
// on the Findings and Unused keys sheets. Blank cells take the sign-off's
// reviewer and date.
const (
	TitleReviewer   = "Reviewer"
	TitleReviewDate = "Review date (UTC)"
)

// Sign-off labels: column A of the Summary sheet's "Sign-off" block, the
// value in column B, filled in by the reviewer.
const (
	SignOffSection        = "Sign-off"
	SignOffReviewerLabel  = "Sign-off reviewer"
	SignOffRoleLabel      = "Sign-off role"
	SignOffDateLabel      = "Sign-off date (UTC)"
	SignOffStatementLabel = "Sign-off statement"
)

// SignOffLabels are the block's labels in sheet order.
var SignOffLabels = []string{SignOffReviewerLabel, SignOffRoleLabel, SignOffDateLabel, SignOffStatementLabel}

const (
	colReviewer   = "reviewer"
	colReviewDate = "review_date"
)

// signOffColumns are the per-row reviewer columns of the Findings sheet.
func signOffColumns() []column {
	blank := func(*tables.Finding) cell { return cell{} }
	return []column{
		{name: colReviewer, title: TitleReviewer, kind: kText, width: 18, get: blank},
		{name: colReviewDate, title: TitleReviewDate, kind: kText, width: 14, get: blank},
	}
}

func isSignOffColumn(name string) bool { return name == colReviewer || name == colReviewDate }

// signOffTableColumns are the same columns for the Unused keys sheet.
func signOffTableColumns() []tableColumn {
	return []tableColumn{
		{title: TitleReviewer, kind: kText, width: 18, review: true},
		{title: TitleReviewDate, kind: kText, width: 14, review: true},
	}
}

// writeSignOff writes the Summary sheet's sign-off block: the labels, and a
// note of what to fill in; the values are the reviewer's.
func writeSignOff(s *summarySheet) error {
	if err := s.section(SignOffSection); err != nil {
		return err
	}
	if err := s.note("Filled in by the reviewer: name, role, date (YYYY-MM-DD) and the statement approved; every approved row carries them into the reviewed manifest."); err != nil {
		return err
	}
	for _, l := range SignOffLabels {
		if err := s.set(1, s.r, l, s.wb.styles.label); err != nil {
			return err
		}
		s.r++
	}
	return nil
}
