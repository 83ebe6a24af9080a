package reports

import (
	"bytes"
	"context"
	"math"
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
		"a_xD800_b", strings.Repeat("_", 5000) + "_xDBFF_",
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

// A table of every kind of value, tricky ones included, is written by
// excelize's StreamWriter and reads back with a row per item.
func TestTableStreamsEveryKind(t *testing.T) {
	tb := trickyTable()
	wb := newTestWorkbook(t, tb.sheet)
	if err := wb.writeTable(context.Background(), tb); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := saveOrdered(wb.f, &buf); err != nil {
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

func TestTableCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tb := trickyTable()
	wb := newTestWorkbook(t, tb.sheet)
	if err := wb.writeTable(ctx, tb); err == nil {
		t.Fatal("a cancelled table wrote its rows")
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
