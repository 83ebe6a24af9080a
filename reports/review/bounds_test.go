package review

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports"
)

// Issue 13 item 11: a small xlsx whose parts inflate far beyond what the
// run's workbook needs is refused naming the file and the part, before
// excelize reads it.
func TestWorkbookBombRefused(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t, decide("carol", "", reports.ReviewApprove, ""))
	partLimit, _ := workbookBounds(len(findingsOf(r)) + len(reports.UnusedKeyRows(findingsOf(r))))

	// Copy the workbook and add a part of zeros just over the bound: a few
	// hundred KiB compressed.
	bomb := filepath.Join(t.TempDir(), "bomb.xlsx")
	zr, err := zip.OpenReader(reviewed)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(bomb)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create("xl/worksheets/sheet99.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, zeros{}, partLimit+1); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if fi, _ := os.Stat(bomb); fi.Size() > 2<<20 {
		t.Fatalf("the bomb is %d bytes, not small", fi.Size())
	}
	_, _, err = FromWorkbook(context.Background(), bomb, r.manifest, findingsOf(r))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "xl/worksheets/sheet99.xml") || !strings.Contains(err.Error(), bomb) {
		t.Fatalf("a workbook bomb: %v, want ErrTooLarge naming the file and part", err)
	}
}

// Rows far past the run's are refused rather than iterated.
func TestWorkbookRowsBounded(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t, func(t *testing.T, f *excelize.File) {
		if err := f.SetCellValue(reports.SheetFindings, "A20000", "x"); err != nil {
			t.Fatal(err)
		}
	})
	_, _, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), reports.SheetFindings) {
		t.Fatalf("a Findings sheet with a row 20000: %v, want ErrTooLarge naming the sheet", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
