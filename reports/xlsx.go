package reports

import (
	"context"
	"fmt"
	"io"
	"time"

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
	// TitleReferenceLocation heads the References sheet's location column.
	TitleReferenceLocation = "Where (policy element, file:line, commit, state address or stack)"
	SheetUnchecked         = "Unchecked"
	SheetOrphans           = "Orphans"
	SheetCoverage          = "Coverage"
	SheetEvidence          = "Evidence"
	SheetMethod            = "Method"
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
	Statuses = []string{tables.StatusActive, tables.StatusInactive, tables.StatusNeverUsed, tables.StatusNew, tables.StatusDeactivated,
		tables.StatusExempt, tables.StatusReview, tables.StatusRoot}
	Decisions = []string{tables.DecisionDelete, tables.DecisionDeactivate, tables.DecisionRemoveInIaC, tables.DecisionReview, tables.DecisionKeep}
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
	{SheetChanges, writeChanges},         // xlsx_changes.go
	{SheetRemediation, writeRemediation}, // xlsx_remediation.go
	{SheetCoverage, writeCoverageGrid},   // xlsx_coverage.go
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
//     References, Unchecked, Orphans, Changes and Remediation (with a
//     previous run), Coverage, Trails, Evidence and Method.
//
// Every list sheet is streamed, so memory stays bounded by the input rather
// than growing with the workbook. The same Input gives the same bytes.
func init() { Register(NewXLSXWriter()) }

func NewXLSXWriter() Writer { return xlsxWriter{} }

func (xlsxWriter) Name() string { return "xlsx" }
func (xlsxWriter) Path() string { return XLSXPath }

// workbook is the file being built and the styles every sheet shares.
type workbook struct {
	f       *excelize.File
	splices []splice
	styles  struct {
		title, section, header, reviewHeader, groupHeader, label, date, integer, bold, boldInt, note, wrap int
		// Conditional formats (differential styles).
		cfRed, cfAmber, cfGreen, cfBlue, cfGrey, cfPurple int
	}
	numFmts map[string]int // number format -> cell style
	// streamed are the sheets writeTable streamed (and scaled for print).
	streamed map[string]bool
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
	defer func() {
		// Close removes the streams' temporary files.
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing workbook: %w", cerr)
		}
	}()
	wb := &workbook{f: f, numFmts: map[string]int{}, streamed: map[string]bool{}}
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
		if err := wb.printSetup(s.name, in.RunID); err != nil {
			return fmt.Errorf("writing workbook sheet %s: %w", s.name, err)
		}
		if err := s.write(ctx, wb, in); err != nil {
			return fmt.Errorf("writing workbook sheet %s: %w", s.name, err)
		}
		if !wb.streamed[s.name] {
			if err := wb.scaleSheetToWidth(s.name); err != nil {
				return fmt.Errorf("writing workbook sheet %s: %w", s.name, err)
			}
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
	if err := wb.save(ctx, w); err != nil {
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
		{&wb.styles.cfPurple, "E4DFEC", "5B3F86"}, // deactivated: neither in use nor yet removed
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
