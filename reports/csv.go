package reports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

type csvWriter struct{}

// NewCSVWriter writes reports/findings.csv: one row per finding (root and
// every status included), columns as FindingColumns, times RFC 3339 in UTC
// (empty when unknown), reasons joined with "; ", booleans true/false
// (empty when their source was not given or does not list the user; the
// root row's password_enabled is the report's not_supported), days_inactive
// empty when unknown. Lines end in LF and there is no byte
// order mark: the file is for machines first.
func init() { Register(NewCSVWriter()) }

func NewCSVWriter() Writer { return csvWriter{} }

func (csvWriter) Name() string { return "csv" }
func (csvWriter) Path() string { return CSVPath }

// ctxCheckEvery bounds how long a writer runs after its context is cancelled.
const ctxCheckEvery = 4096

func (csvWriter) Write(ctx context.Context, w io.Writer, in *Input) error {
	cw := csv.NewWriter(w)
	record := FindingColumns()
	if err := cw.Write(record); err != nil {
		return fmt.Errorf("writing CSV header: %w", err)
	}
	for i := range in.Findings {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f := &in.Findings[i]
		for j, c := range findingColumns {
			record[j] = csvValue(c.kind, c.get(f))
		}
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("writing CSV row %d (%s/%s): %w", i+2, f.AccountID, f.UserName, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

func csvValue(k kind, v cell) string {
	switch k {
	case kTime:
		return FormatTime(v.t)
	case kInt:
		if v.null {
			return ""
		}
		return strconv.FormatInt(v.n, 10)
	case kFloat:
		if v.null {
			return ""
		}
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case kBool:
		switch {
		case v.s != "":
			return v.s
		case v.null:
			return ""
		}
		return strconv.FormatBool(v.b)
	default:
		return neutralizeFormula(v.s)
	}
}

// FormatTime is how reports write a time as text: RFC 3339 in UTC, whole
// seconds, and empty for the zero time (unknown or never).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// neutralizeFormula guards against CSV (formula) injection. Auditors open
// this file in Excel, which evaluates a cell starting with =, +, - or @ as a
// formula (and tab or carriage return can smuggle one in), so text coming
// from IAM or an allowlist (IAM user names may contain = + - @) could run
// as a formula on the auditor's machine. Such a cell gets a leading single
// quote, which Excel shows as text, as OWASP recommends. Only text columns
// are touched: dates, numbers and booleans are produced here and never start
// with those characters. A machine reading the file should join on user_id
// (AIDA..., never quoted) or strip a leading ' before one of = + - @ \t \r.
func neutralizeFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
