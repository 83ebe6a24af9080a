package pipeline

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// compareReport says how a stored report differs from a regenerated one. Text
// reports must match byte for byte; a workbook must match in content (sheet,
// cell and value), since its zip container need not be byte-stable.
func compareReport(name string, stored, regenerated []byte) []string {
	if strings.HasSuffix(name, ".xlsx") {
		return compareWorkbooks(stored, regenerated)
	}
	if bytes.Equal(stored, regenerated) {
		return nil
	}
	a, b := strings.Split(string(stored), "\n"), strings.Split(string(regenerated), "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return []string{fmt.Sprintf("line %d differs from the regenerated report:\n  stored      %q\n  regenerated %q", i+1, x, y)}
		}
	}
	return []string{"differs from the regenerated report"}
}

func compareWorkbooks(stored, regenerated []byte) []string {
	a, err := excelize.OpenReader(bytes.NewReader(stored))
	if err != nil {
		return []string{fmt.Sprintf("cannot be opened as a workbook: %v", err)}
	}
	defer a.Close()
	b, err := excelize.OpenReader(bytes.NewReader(regenerated))
	if err != nil {
		return []string{fmt.Sprintf("the regenerated workbook cannot be opened: %v", err)}
	}
	defer b.Close()
	if sa, sb := a.GetSheetList(), b.GetSheetList(); !slices.Equal(sa, sb) {
		return []string{fmt.Sprintf("sheets %v, regenerated %v", sa, sb)}
	}
	for _, sheet := range a.GetSheetList() {
		ra, err1 := a.GetRows(sheet, excelize.Options{RawCellValue: true})
		rb, err2 := b.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err1 != nil || err2 != nil {
			return []string{fmt.Sprintf("sheet %s cannot be read: %v %v", sheet, err1, err2)}
		}
		for i := 0; i < max(len(ra), len(rb)); i++ {
			var x, y []string
			if i < len(ra) {
				x = ra[i]
			}
			if i < len(rb) {
				y = rb[i]
			}
			for j := 0; j < max(len(x), len(y)); j++ {
				var cx, cy string
				if j < len(x) {
					cx = x[j]
				}
				if j < len(y) {
					cy = y[j]
				}
				if cx != cy {
					cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
					return []string{fmt.Sprintf("sheet %s cell %s is %q, regenerated %q", sheet, cell, cx, cy)}
				}
			}
		}
	}
	return nil
}
