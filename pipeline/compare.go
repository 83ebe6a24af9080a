package pipeline

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dormant-iam/dormant/reports"
)

// compareReport says how a stored report differs from a regenerated one. Text
// reports must match byte for byte; a workbook must match in content (sheet,
// cell and value), since its zip container need not be byte-stable.
func compareReport(name string, stored, regenerated []byte) []string {
	if strings.HasSuffix(name, ".xlsx") {
		a, err := reports.ReadWorkbookBytes(stored)
		if err != nil {
			return []string{fmt.Sprintf("cannot be read as a workbook: %v", err)}
		}
		b, err := reports.ReadWorkbookBytes(regenerated)
		if err != nil {
			return []string{fmt.Sprintf("the regenerated workbook cannot be read: %v", err)}
		}
		return reports.CompareWorkbooks(a, b)
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
