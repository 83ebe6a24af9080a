package reports

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// rowsPlaceholder is the text of the placeholder cell of a sheet's table.
func rowsPlaceholder(sheet int) string {
	return "dormant-rows-placeholder-" + strconv.Itoa(sheet) + "-7f3c"
}

// splice is a table whose rows go in place of its placeholder row when the
// workbook is saved.
type splice struct {
	token string
	enc   *rowEncoder
}

// rowEncoder writes a table's data rows as worksheet XML, byte for byte
// what StreamWriter.SetRow writes for the same values, because SetRow's
// per-cell work is most of the workbook's time.
type rowEncoder struct {
	t      *table
	styles []int    // each column's style: what SetRow takes from the column
	cols   [][]byte // each column's letters
}

func newRowEncoder(t *table, styles []int) *rowEncoder {
	e := &rowEncoder{t: t, styles: styles, cols: make([][]byte, len(t.cols))}
	for j := range t.cols {
		e.cols[j] = []byte(colName(j + 1))
	}
	return e
}

// flushAt bounds the encoder's buffer between writes.
const flushAt = 256 << 10

// writeRange encodes data rows from..to-1 (sheet rows from+2 onwards) to w.
func (e *rowEncoder) writeRange(ctx context.Context, w io.Writer, from, to int) error {
	cells := make([]cell, len(e.t.cols))
	b := make([]byte, 0, flushAt+4096)
	for i := from; i < to; i++ {
		if (i-from)%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(cells)
		e.t.fill(i, cells)
		b = e.appendRow(b, i+2, cells)
		if len(b) >= flushAt {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := w.Write(b)
	return err
}

func (e *rowEncoder) appendRow(b []byte, row int, cells []cell) []byte {
	var num [20]byte
	rowNum := strconv.AppendInt(num[:0], int64(row), 10) // once, not per cell
	b = append(b, `<row r="`...)
	b = append(b, rowNum...)
	b = append(b, `">`...)
	for j, c := range e.t.cols {
		b = e.appendCell(b, j, rowNum, c.kind, cells[j])
	}
	return append(b, `</row>`...)
}

// appendCell writes one cell as excelize's writeCell does for the value
// xlsxValue gives: nothing for a blank.
func (e *rowEncoder) appendCell(b []byte, j int, rowNum []byte, k kind, v cell) []byte {
	open := func(b []byte, typ string) []byte {
		b = append(b, `<c r="`...)
		b = append(b, e.cols[j]...)
		b = append(b, rowNum...)
		b = append(b, '"')
		if s := e.styles[j]; s != 0 {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(s), 10)
			b = append(b, '"')
		}
		if typ != "" {
			b = append(b, ` t="`...)
			b = append(b, typ...)
			b = append(b, '"')
		}
		return append(b, '>')
	}
	number := func(b []byte, v string) []byte {
		b = open(b, "")
		b = append(b, `<v>`...)
		b = append(b, v...)
		return append(b, `</v></c>`...)
	}
	switch k {
	case kTime:
		if v.t.IsZero() {
			return b
		}
		t := v.t.UTC()
		if x := excelSerial(t); x > 0 {
			return number(b, strconv.FormatFloat(x, 'f', -1, 64))
		}
		return appendInlineStr(open(b, "inlineStr"), t.Format(time.RFC3339Nano), false)
	case kInt:
		if v.null {
			return b
		}
		b = open(b, "")
		b = append(b, `<v>`...)
		b = strconv.AppendInt(b, v.n, 10)
		return append(b, `</v></c>`...)
	case kFloat:
		if v.null {
			return b
		}
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return appendInlineStr(open(b, "inlineStr"), fmt.Sprint(v.f), true)
		}
		return number(b, formatFloat(v.f))
	case kBool:
		switch {
		case v.s != "":
			return appendInlineStr(open(b, "inlineStr"), v.s, true)
		case v.null:
			return b
		}
		b = open(b, "b")
		if v.b {
			return append(b, `<v>1</v></c>`...)
		}
		return append(b, `<v>0</v></c>`...)
	default:
		if v.s == "" {
			return b
		}
		return appendInlineStr(open(b, "inlineStr"), v.s, true)
	}
}

// appendInlineStr writes <is><t>s</t></is></c> as excelize's setInlineStr
// and writeCell do: at most 32,767 UTF-16 units, xml:space="preserve" when
// s starts or ends with white space, XML-escaped (when escape is set, as
// for every value but a time excelize could not convert), with literal
// _xHHHH_ sequences protected from being read as escapes.
func appendInlineStr(b []byte, s string, escape bool) []byte {
	s = truncateUTF16(s, maxCellUnits)
	b = append(b, `<is><t`...)
	if s != "" && (isXMLSpace(s[0]) || isXMLSpace(s[len(s)-1])) {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	if escape && !plainText(s) {
		var sb strings.Builder
		_ = xml.EscapeText(&sb, []byte(s))
		s = strings.ReplaceAll(sb.String(), "&#xA;", "\n")
	}
	if strings.Contains(s, "_x") {
		s = protectEscapes(s)
	}
	b = append(b, s...)
	return append(b, `</t></is></c>`...)
}

// maxCellUnits is Excel's limit on a cell's text (excelize.TotalCellChars).
const maxCellUnits = 32767

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// plainText reports whether xml.EscapeText would leave s unchanged: printable
// ASCII without markup characters, so most values skip the escaper.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= utf8.RuneSelf:
			return false
		case c == '&' || c == '<' || c == '>' || c == '"' || c == '\'':
			return false
		}
	}
	return true
}

func truncateUTF16(s string, units int) string {
	if len(s) <= units {
		return s // a rune never takes more UTF-16 units than UTF-8 bytes
	}
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > units {
			return s[:i]
		}
	}
	return s
}

var (
	bstrRe    = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscRe = regexp.MustCompile(`^x[a-fA-F\d]{4}_`)
)

// protectEscapes is excelize's bstrMarshal: a literal _xHHHH_ in a value
// would be read back as the character U+HHHH, so its underscore is itself
// escaped as _x005F_.
func protectEscapes(s string) string {
	var out bytes.Buffer
	cursor := 0
	for _, m := range bstrRe.FindAllStringIndex(s, -1) {
		out.WriteString(s[cursor:m[0]])
		sub := s[m[0]:m[1]]
		cursor = m[1]
		if sub == "_x005F_" {
			if m[1]+6 <= len(s) && bstrEscRe.MatchString(s[m[1]:m[1]+6]) && validHexRune(s[m[1]+1:m[1]+5]) {
				out.WriteString(sub + "x005F" + sub)
				continue
			}
			out.WriteString(sub + "x005F_")
			continue
		}
		// excelize drops a match naming a surrogate (_xD800_); it is kept,
		// protected like any other, here.
		out.WriteString("_x005F" + sub)
	}
	out.WriteString(s[cursor:])
	return out.String()
}

func validHexRune(h string) bool {
	r, err := strconv.ParseUint(h, 16, 32)
	return err == nil && utf8.ValidRune(rune(r))
}

// Excel's day zero and the day it believes was 29 February 1900.
var (
	excelEpoch     = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	excelLeapStart = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
)

// excelSerial is t as an Excel serial date (1900 system), as excelize computes
// it: 0 before 1900.
func excelSerial(t time.Time) float64 {
	if t.Before(excelEpoch) {
		return 0
	}
	const day = 24 * time.Hour
	const maxDuration = 290 * 364 * day
	tt, diff, result := t, t.Sub(excelEpoch), 0.0
	for diff >= maxDuration {
		result += float64(maxDuration / day)
		tt = tt.Add(-maxDuration)
		diff = tt.Sub(excelEpoch)
	}
	rem := diff % day
	result += float64(diff-rem)/float64(day) + float64(rem)/float64(day)
	if t.After(excelLeapStart) {
		result++
	}
	return result
}

// formatFloat is excelize's formatCellFloat with automatic precision: at
// most 15 significant digits, as Excel keeps.
func formatFloat(value float64) string {
	str := strconv.FormatFloat(value, 'f', -1, 64)
	if math.Abs(value) == math.MaxFloat64 {
		return str
	}
	const maxPrec = 15
	decimal := strings.IndexByte(str, '.')
	significant := 0
	for idx := range str {
		if str[idx] < '0' || str[idx] > '9' || significant == 0 && str[idx] == '0' {
			continue
		}
		significant++
		if significant <= maxPrec {
			continue
		}
		if decimal >= 0 && idx > decimal {
			return strings.TrimSuffix(str[:idx], ".")
		}
		if decimal < 0 {
			decimal = len(str)
		}
		truncated := []byte(str[:decimal])
		for ; idx < len(truncated); idx++ {
			truncated[idx] = '0'
		}
		return string(truncated)
	}
	return str
}
