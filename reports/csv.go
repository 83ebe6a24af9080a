package reports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

type csvWriter struct{}

// NewCSVWriter writes reports/findings.csv: one row per finding (root and
// every status included), columns as FindingColumns, times RFC 3339 in UTC
// (empty when unknown), reasons joined with "; ", booleans true/false
// (empty when their source was not given or does not list the user; the
// root row's password_enabled is the report's not_supported), days_inactive
// empty when unknown; then the control columns (CSVControlColumns). Lines end in LF and there is no byte
// order mark: the file is for machines first.
func init() { Register(NewCSVWriter()) }

func NewCSVWriter() Writer { return csvWriter{} }

func (csvWriter) Name() string { return "csv" }
func (csvWriter) Path() string { return CSVPath }

// ctxCheckEvery bounds how long a writer runs after its context is cancelled.
const ctxCheckEvery = 4096

func (csvWriter) Write(ctx context.Context, w io.Writer, in *Input) error {
	cw := csv.NewWriter(w)
	cols := append(slices.Clone(findingColumns), csvControlColumns(in.AsOf)...)
	record := make([]string, len(cols))
	for i, c := range cols {
		record[i] = c.name
	}
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
		for j, c := range cols {
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

// CSVControlColumns are the columns the CSV adds after the findings table's:
// the days the longest-unused credential has gone unused at as-of, each
// control's result (ControlResult's words), and the citations the user
// fails, passes, those the run could not decide (unknown or not assessed)
// and those whose period the organization sets (never evaluated), each list
// joined with "; " (docs/controls.md).
func CSVControlColumns() []string {
	cols := csvControlColumns(time.Time{})
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// csvControlName is a control's CSV column, e.g. control_iam_22.
func csvControlName(c Control) string {
	return "control_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToLower(c.ID))
}

func csvControlColumns(asOf time.Time) []column {
	cols := []column{{
		name: "credential_unused_days", kind: kInt,
		get: func(f *tables.Finding) cell {
			d, ok := longestUnused(f, asOf)
			return cell{n: d, null: !ok}
		},
	}}
	for _, c := range Controls {
		cols = append(cols, text(csvControlName(c), controlTitle(c), func(f *tables.Finding) string {
			return ControlResult(f, asOf, c.Threshold)
		}))
	}
	return append(cols,
		text("controls_failed", "Controls failed", func(f *tables.Finding) string {
			return CitationsWith(f, asOf, ControlFail)
		}),
		text("controls_passed", "Controls passed", func(f *tables.Finding) string {
			return CitationsWith(f, asOf, ControlPass)
		}),
		text("controls_undetermined", "Controls undetermined", func(f *tables.Finding) string {
			return joinNonEmpty(CitationsWith(f, asOf, ControlUnknown), CitationsWith(f, asOf, ControlNotAssessed))
		}),
		text("controls_organization_defined", "Controls organization-defined", func(f *tables.Finding) string {
			if isRoot(f) {
				return "" // no control applies to the root user
			}
			return CitationsWith(f, asOf, ControlNotEvaluated)
		}),
	)
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ReasonSeparator + b
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
