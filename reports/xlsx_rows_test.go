package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// trickyTable has a column of every kind and, down the rows, the values
// that take excelize's special paths: blanks, white space at either end,
// markup and control characters, invalid UTF-8, literal _xHHHH_ sequences,
// text over Excel's cell limit, dates before Excel's epoch and around its
// 1900 leap-year bug, extreme and non-finite numbers.
func trickyTable() *table {
	texts := []string{
		"plain", "", " leading", "trailing ", "\tTab", "new\nline", "cr\r", "a&b<c>d\"e'f]]>",
		"ünïcödé", "emoji 😀", "\x01control\x1f", "bad utf8 \xff\xfe", "\uFFFD", "\u2028 separator",
		"_x0041_", "_x005F_", "_x005F_x0041_", "tail _x005F_", "x_x00zz_", "_X0041_", "a_x0041_b_x0042_c",
		strings.Repeat("a", 40000), strings.Repeat("😀", 16384) + "b", strings.Repeat("b", 32766) + "😀",
	}
	times := []time.Time{
		{}, time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC), time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 1, 15, 6, 0, 0, 0, time.UTC), time.Date(1900, 2, 28, 23, 59, 59, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 12, 34, 56, 789_000_000, time.UTC),
		time.Date(2026, 11, 1, 12, 34, 56, 0, time.FixedZone("x", 3600)), time.Date(2300, 1, 1, 0, 0, 0, 1, time.UTC),
	}
	ints := []cell{{null: true}, {n: 0}, {n: -5}, {n: math.MaxInt64}, {n: math.MinInt64}, {n: 1234567890123}}
	floats := []cell{{null: true}, {f: 0}, {f: 0.1}, {f: 1.0 / 3}, {f: 1e20}, {f: -2.5e-7}, {f: math.NaN()}, {f: math.Inf(1)},
		{f: math.Inf(-1)}, {f: math.MaxFloat64}, {f: 123456789012345678}}
	n := max(len(texts), len(times), len(ints), len(floats))
	return &table{
		sheet: "T",
		cols: []tableColumn{
			{title: "Text", kind: kText}, {title: "When", kind: kTime}, {title: "Count", kind: kInt},
			{title: "Ratio", kind: kFloat, numFmt: "0.000"}, {title: "Flag", kind: kBool}, {title: "Plain int", kind: kInt},
		},
		rows: n,
		fill: func(i int, out []cell) {
			out[0] = cell{s: texts[i%len(texts)]}
			out[1] = cell{t: times[i%len(times)]}
			out[2] = ints[i%len(ints)]
			out[3] = floats[i%len(floats)]
			out[4] = cell{b: i%2 == 0}
			out[5] = cell{n: int64(i)}
		},
	}
}

var sheetDataRe = regexp.MustCompile(`(?s)<sheetData>.*</sheetData>`)

// rowsBySetRow writes t's data rows through excelize's StreamWriter.SetRow,
// which rowEncoder must match, and returns the sheet's rows XML after the
// header.
func rowsBySetRow(t *testing.T, tb *table, styles []int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i := range 10 { // style IDs for the columns to name
		if _, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Size: float64(10 + i)}}); err != nil {
			t.Fatal(err)
		}
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range styles {
		if s != 0 {
			if err := sw.SetColStyle(i+1, i+1, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := sw.SetRow("A1", []any{"header"}); err != nil {
		t.Fatal(err)
	}
	row := make([]any, len(tb.cols))
	cells := make([]cell, len(tb.cols))
	for i := range tb.rows {
		clear(cells)
		tb.fill(i, cells)
		for j, c := range tb.cols {
			row[j] = xlsxValue(c.kind, cells[j])
		}
		if err := sw.SetRow(cellName(1, i+2), row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	// The stream's XML as written, from the zip part.
	part := readPart(t, buf.Bytes(), "xl/worksheets/sheet1.xml")
	data := sheetDataRe.Find(part)
	i := bytes.Index(data, []byte("</row>"))
	return bytes.TrimSuffix(data[i+len("</row>"):], []byte("</sheetData>"))
}

// readPart is one part of a zip file.
func readPart(t *testing.T, zipData []byte, name string) []byte {
	t.Helper()
	parts := unzipParts(t, zipData)
	p, ok := parts[name]
	if !ok {
		t.Fatalf("no part %s", name)
	}
	return p
}

func TestRowEncoderMatchesSetRow(t *testing.T) {
	tb := trickyTable()
	for name, styles := range map[string][]int{
		// A date column always has the date style (writeTable sets it):
		// excelize would add a style of its own to a date cell without one.
		"dates styled only":  {0, 2, 0, 0, 0, 0},
		"with column styles": {0, 7, 8, 9, 0, 3},
	} {
		t.Run(name, func(t *testing.T) {
			want := rowsBySetRow(t, tb, styles)
			var got bytes.Buffer
			if err := newRowEncoder(tb, styles).writeRange(context.Background(), &got, 0, tb.rows); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				g, w := got.Bytes(), want
				i := 0
				for i < len(g) && i < len(w) && g[i] == w[i] {
					i++
				}
				lo := max(0, i-200)
				t.Fatalf("rows differ at byte %d:\n got ...%q\nwant ...%q", i, g[lo:min(len(g), i+200)], w[lo:min(len(w), i+200)])
			}
		})
	}
}

// A literal _xHHHH_ naming a surrogate is kept (excelize's own encoder
// drops it): the value reads back as written.
func TestRowEncoderKeepsSurrogateEscapes(t *testing.T) {
	tb := &table{sheet: "T", cols: []tableColumn{{title: "Text", kind: kText}}, rows: 1,
		fill: func(i int, out []cell) { out[0] = cell{s: "a_xD800_b"} }}
	var b bytes.Buffer
	if err := newRowEncoder(tb, []int{0}).writeRange(context.Background(), &b, 0, tb.rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "a_x005F_xD800_b") {
		t.Fatalf("got %s", b.String())
	}
}

func TestRowEncoderCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tb := trickyTable()
	if err := newRowEncoder(tb, []int{0, 2, 0, 0, 0, 0}).writeRange(ctx, &bytes.Buffer{}, 0, tb.rows); err == nil {
		t.Fatal("a cancelled encoder wrote its rows")
	}
}

// unzipParts is every part of a zip file by name.
func unzipParts(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("reading %s: %v", f.Name, err)
		}
		parts[f.Name] = b
	}
	return parts
}

// A table of every kind of value, tricky ones included, is written by
// excelize's StreamWriter and reads back with a row per item.
func TestTableStreamsEveryKind(t *testing.T) {
	tb := trickyTable()
	wb := newTestWorkbook(t, tb.sheet)
	if err := wb.writeTable(context.Background(), tb); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := wb.save(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(tb.sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != tb.rows+1 {
		t.Fatalf("%d rows, want %d", len(rows), tb.rows+1)
	}
	if got := rows[1][0]; got != "plain" {
		t.Errorf("first text = %q, want plain", got)
	}
	if got := rows[1+5][0]; got != "new\nline" {
		t.Errorf("text with a newline = %q", got)
	}
}

// A literal _xHHHH_ naming a surrogate is a valid IAM user name; it must
// read back as written.
func TestXLSXKeepsSurrogateEscapes(t *testing.T) {
	in := sampleInput()
	in.Findings[0].UserName = "a_xD800_b"
	f := openXLSX(t, writeXLSX(t, in))
	rows := rawRows(t, f, SheetFindings)
	if got := rows[1][sheetColIndex(t, "user_name")]; got != "a_xD800_b" {
		t.Fatalf("user name reads back as %q, want a_xD800_b", got)
	}
}

// newTestWorkbook is a workbook with the shared styles and one sheet.
func newTestWorkbook(t *testing.T, sheet string) *workbook {
	t.Helper()
	f := excelize.NewFile()
	t.Cleanup(func() { f.Close() })
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		t.Fatal(err)
	}
	wb := &workbook{f: f, numFmts: map[string]int{}}
	if err := wb.newStyles(); err != nil {
		t.Fatal(err)
	}
	return wb
}
