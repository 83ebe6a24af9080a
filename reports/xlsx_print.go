package reports

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Auditors file the workbook as a PDF: every sheet prints landscape, all its
// columns on one page width (as many pages tall as it needs), its header
// row repeated on every page, and a header and footer naming the run, the
// sheet and the page. The width is fitted with a print scale computed from
// the column widths, not with fit-to-page: LibreOffice (7.4) prints only a
// sheet's first page for "1 page wide, any number tall" (fitToHeight 0),
// and spreads a sheet over several pages wide for any other height.

// Print margins, in inches: narrow, to leave the columns room.
var (
	printSide, printTopBottom, printHeaderFooter = 0.4, 0.6, 0.3
)

// printSetup sets sheet's page setup; it must run before the sheet is
// streamed, as the stream writer copies the page setup when it starts.
func (wb *workbook) printSetup(sheet, runID string) error {
	landscape := "landscape"
	if err := wb.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape}); err != nil {
		return fmt.Errorf("setting page layout of %s: %w", sheet, err)
	}
	if err := wb.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &printSide, Right: &printSide, Top: &printTopBottom, Bottom: &printTopBottom,
		Header: &printHeaderFooter, Footer: &printHeaderFooter,
	}); err != nil {
		return fmt.Errorf("setting page margins of %s: %w", sheet, err)
	}
	if err := wb.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: printHeader(runID),
		OddFooter: "&L" + headerFooterText("Run "+runID) + "&C&A&RPage &P of &N",
	}); err != nil {
		return fmt.Errorf("setting header and footer of %s: %w", sheet, err)
	}
	// The header row on every page: row 1 holds each list sheet's header
	// and the Summary's title.
	if err := wb.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: "'" + strings.ReplaceAll(sheet, "'", "''") + "'!$1:$1", Scope: sheet,
	}); err != nil {
		return fmt.Errorf("repeating the header row of %s: %w", sheet, err)
	}
	return nil
}

// printHeader is the page header: the workbook, the sheet (&A) and the run.
func printHeader(runID string) string {
	return "&L&\"-,Bold\"Dormant IAM users&C&A&R" + headerFooterText("Run "+runID)
}

// headerFooterText escapes & (the header/footer codes' prefix) in text.
func headerFooterText(text string) string { return strings.ReplaceAll(text, "&", "&&") }

// printWidthPt is a landscape page's printable width in points: US Letter
// (11 in) less the side margins, less a little for the renderer's font
// metrics; A4 landscape is wider, so a sheet scaled for Letter fits both.
var printWidthPt = (11-2*printSide)*72 - 12

// minPrintScale is the smallest print scale, in percent: below it text is
// not legible, and LibreOffice (7.4) drops rows from a sheet printed at 10%.
// The Findings sheet (about 50 columns) and the Coverage grid (a column a
// day) are wider than a page at this scale and print more than one page wide.
const minPrintScale = 25

// scaleToWidth sets sheet's print scale so that columns of widths (Excel
// widths, in characters; 0 for the default) fit one page width.
func (wb *workbook) scaleToWidth(sheet string, widths []float64) error {
	total := 0.0
	for _, w := range widths {
		total += colPoints(w)
	}
	scale := uint(100)
	if total > printWidthPt {
		scale = max(uint(printWidthPt/total*100), minPrintScale)
	}
	if err := wb.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{AdjustTo: &scale}); err != nil {
		return fmt.Errorf("setting the print scale of %s: %w", sheet, err)
	}
	return nil
}

// colPoints is a column's printed width in points, from its Excel width w
// (characters of the default font; 0 for the default width, 8.43). Excel
// draws a character 7 px (5.25 pt) wide, but LibreOffice's PDFs need 7.4 pt
// a character (measured: a sheet scaled by 5.25 pt spread over two pages
// wide), so the wider measure is taken and both fit.
func colPoints(w float64) float64 {
	if w <= 0 {
		w = 8.43
	}
	return w*7.4 + 4
}

// scaleSheetToWidth is scaleToWidth for a sheet written cell by cell (not
// streamed), reading its columns' widths back.
func (wb *workbook) scaleSheetToWidth(sheet string) error {
	cols, err := wb.f.GetCols(sheet)
	if err != nil {
		return fmt.Errorf("reading the columns of %s: %w", sheet, err)
	}
	widths := make([]float64, len(cols))
	for i := range cols {
		if widths[i], err = wb.f.GetColWidth(sheet, colName(i+1)); err != nil {
			return fmt.Errorf("reading the width of %s column %d: %w", sheet, i+1, err)
		}
	}
	return wb.scaleToWidth(sheet, widths)
}
