package reports

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/pycheck"
)

// TestXLSXReadByOpenpyxl has an independent reader (Python's openpyxl) open
// the workbook: every sheet, the reviewer dropdown, the conditional formats,
// the frozen panes and real dates, so the file is not only excelize-readable.
func TestXLSXReadByOpenpyxl(t *testing.T) {
	py := pycheck.Find(t, "openpyxl", "python3-openpyxl")
	path := filepath.Join(t.TempDir(), "w.xlsx")
	if err := os.WriteFile(path, writeXLSX(t, sampleInput()), 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `
import sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
print("sheets", ",".join(wb.sheetnames))
ws = wb["Findings"]
hdr = [c.value for c in ws[1]]
print("freeze", ws.freeze_panes)
dv = ws.data_validations.dataValidation
print("dropdown", dv[0].type, dv[0].formula1, str(dv[0].sqref))
print("cf", len(ws.conditional_formatting))
print("created", isinstance(ws.cell(3, hdr.index("Created (UTC)") + 1).value, datetime.datetime))
print("user", ws.cell(3, hdr.index("User name") + 1).value)
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl could not read the workbook: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	want := strings.Join([]string{
		"sheets " + strings.Join(SheetNames(), ","),
		"freeze C2",
		`dropdown list "Approve,Reject,Defer" O2:O14`,
		"cf 5",
		"created True",
		"user alice",
	}, "\n")
	if got != want {
		t.Errorf("openpyxl read:\n%s\nwant:\n%s", got, want)
	}
}
