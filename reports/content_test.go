package reports

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// editedCopy opens a workbook, applies edit and returns the saved bytes.
func editedCopy(t *testing.T, data []byte, edit func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	edit(f)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCompareWorkbooks(t *testing.T) {
	orig := writeXLSX(t, sampleInput())
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	origPath := write("orig.xlsx", orig)
	// Re-saved by another writer: different bytes (shared strings instead
	// of inline ones, another zip layout), same content.
	resaved := editedCopy(t, orig, func(*excelize.File) {})
	if bytes.Equal(resaved, orig) {
		t.Fatal("re-saving did not change the bytes; the test proves nothing")
	}
	userCol := colName(sheetColIndex(t, "user_name") + 1)
	for _, tc := range []struct {
		name string
		edit func(f *excelize.File)
		want []string
	}{
		{"re-saved", func(*excelize.File) {}, nil},
		{"cell edited", func(f *excelize.File) {
			f.SetCellValue(SheetFindings, userCol+"3", "mallory")
		}, []string{`Findings!` + userCol + `3: "alice", then "mallory"`}},
		{"run ID and a number edited", func(f *excelize.File) {
			f.SetCellValue(SheetSummary, "B4", "another-run")
			f.SetCellValue(SheetSummary, "B7", 30)
		}, []string{`Summary!B4: "run-20261101T030405Z", then "another-run"`, `Summary!B7: "90", then "30"`}},
		{"row added", func(f *excelize.File) {
			f.SetCellValue(SheetUnusedKeys, "A4", "999999999999")
		}, []string{`Unused keys!A4: blank, then "999999999999"`}},
		{"sheet removed", func(f *excelize.File) {
			f.DeleteSheet(SheetMethod)
		}, []string{`sheet "Method": only in the first workbook`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := editedCopy(t, orig, tc.edit)
			a, err := ReadWorkbookBytes(orig)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ReadWorkbookBytes(edited)
			if err != nil {
				t.Fatal(err)
			}
			if got := CompareWorkbooks(a, b); !slices.Equal(got, tc.want) {
				t.Errorf("CompareWorkbooks = %q\nwant %q", got, tc.want)
			}
			got, err := CompareWorkbookFiles(context.Background(), origPath, write(strings.ReplaceAll(tc.name, " ", "-")+".xlsx", edited))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("CompareWorkbookFiles = %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestCompareWorkbooksBounded(t *testing.T) {
	a := &WorkbookContent{Sheets: []SheetContent{{Name: "S"}}}
	b := &WorkbookContent{Sheets: []SheetContent{{Name: "S"}}}
	for i := range 200 {
		a.Sheets[0].Rows = append(a.Sheets[0].Rows, []string{"x"})
		b.Sheets[0].Rows = append(b.Sheets[0].Rows, []string{"y" + strings.Repeat("z", i%3)})
	}
	got := CompareWorkbooks(a, b)
	if len(got) != maxDifferences+1 || got[maxDifferences] != "... and 150 more differences" {
		t.Errorf("%d differences reported, last %q", len(got), got[len(got)-1])
	}
}

func TestReadWorkbook(t *testing.T) {
	in := sampleInput()
	path := filepath.Join(t.TempDir(), "w.xlsx")
	if err := os.WriteFile(path, writeXLSX(t, in), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := ReadWorkbook(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range c.Sheets {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, SheetNames()) {
		t.Errorf("sheets = %q", names)
	}
	findings := c.Sheets[1].Rows
	if len(findings) != len(in.Findings)+1 || findings[2][1] != "alice" {
		t.Errorf("Findings content = %d rows, row 3 %q", len(findings), findings[2])
	}
	if _, err := ReadWorkbook(filepath.Join(t.TempDir(), "missing.xlsx")); err == nil || !strings.Contains(err.Error(), "missing.xlsx") {
		t.Errorf("reading a missing workbook = %v, want an error naming it", err)
	}
}
