package review

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
)

// Bounds on a reviewed workbook, so a small zip that inflates enormously is
// refused before it is parsed. The run wrote the workbook, so its size
// follows from the run's rows; a reviewer's spreadsheet program may
// re-encode it, but not grow it by orders of magnitude.
const (
	// boundBase is what any workbook may hold besides its rows: styles,
	// the Summary and Controls sheets, shared strings of a re-save.
	boundBase = 64 << 20
	// boundPerRow is generous for one Findings or Unused keys row, about
	// 40 cells, as inline or shared strings.
	boundPerRow = 16 << 10
	// rowSlack is how many rows a sheet may hold beyond the run's (notes
	// typed below the table, blank formatted rows).
	rowSlack = 10000
)

// ErrTooLarge is what a workbook over the bounds matches with errors.Is.
var ErrTooLarge = errors.New("reviewed workbook is too large")

// workbookBounds are the largest inflated part and whole workbook accepted
// for a run of rows Findings and Unused keys rows.
func workbookBounds(rows int) (part, total int64) {
	part = boundBase + int64(rows)*boundPerRow
	return part, 2 * part
}

// checkWorkbookSize inflates every part (zip entry) of the workbook, without
// keeping it, and refuses the file once a part or the whole goes over the
// bounds: the sizes a zip declares can lie, the bytes cannot.
func checkWorkbookSize(path string, partLimit, totalLimit int64) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("opening reviewed workbook %s: it is not an xlsx (zip) file: %w", path, err)
	}
	defer zr.Close()
	var total int64
	for _, f := range zr.File {
		if f.UncompressedSize64 > uint64(partLimit) {
			return fmt.Errorf("%w: %s: part %s declares %d bytes inflated, over the %d this run's workbook can need; use the workbook the run wrote",
				ErrTooLarge, path, f.Name, f.UncompressedSize64, partLimit)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("reading reviewed workbook %s part %s: %w", path, f.Name, err)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, partLimit+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("reading reviewed workbook %s part %s: %w", path, f.Name, err)
		}
		if n > partLimit {
			return fmt.Errorf("%w: %s: part %s inflates past %d bytes (it declares %d), over what this run's workbook can need; use the workbook the run wrote",
				ErrTooLarge, path, f.Name, partLimit, f.UncompressedSize64)
		}
		if total += n; total > totalLimit {
			return fmt.Errorf("%w: %s inflates past %d bytes in all (at part %s), over what this run's workbook can need; use the workbook the run wrote",
				ErrTooLarge, path, totalLimit, f.Name)
		}
	}
	return nil
}
