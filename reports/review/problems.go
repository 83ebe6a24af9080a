package review

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports"
)

// Problem is one thing wrong with, or worth knowing about, a reviewed
// workbook.
type Problem struct {
	Sheet string
	// Row is the sheet row (1-based) the problem is about; 0 when it is
	// about no single row of the reviewed workbook.
	Row     int
	Message string
	// Refused problems make the workbook unusable: it no longer matches the
	// run, or a decision is not one of the dropdown's. Others are notes.
	Refused bool
}

func (p Problem) String() string {
	switch {
	case p.Sheet == "":
		return p.Message
	case p.Row > 0:
		return fmt.Sprintf("%s row %d: %s", p.Sheet, p.Row, p.Message)
	}
	return p.Sheet + ": " + p.Message
}

// ErrRefused is what a RefusedError matches with errors.Is.
var ErrRefused = errors.New("reviewed workbook refused")

// RefusedError lists why a reviewed workbook cannot be used.
type RefusedError struct {
	Workbook string
	Problems []Problem // the refusing ones
}

// maxShown bounds the message; Problems keeps them all.
const maxShown = 20

func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %s cannot be used (%d problem(s)); fix the rows named, or start again from the run's own workbook:", ErrRefused, e.Workbook, len(e.Problems))
	for i, p := range e.Problems {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxShown)
			break
		}
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// reader reads the reviewed workbook and collects problems.
type reader struct {
	ctx      context.Context
	f        *excelize.File
	problems []Problem
	// signOff holds the Summary's sign-off values by label, and the row.
	signOff    map[string]string
	signOffRow int
}

func (r *reader) refuse(sheet string, row int, msg string) {
	r.problems = append(r.problems, Problem{Sheet: sheet, Row: row, Message: msg, Refused: true})
}

func (r *reader) note(sheet string, row int, msg string) {
	r.problems = append(r.problems, Problem{Sheet: sheet, Row: row, Message: msg})
}

// sortProblems orders problems as a reader goes through the workbook: by
// sheet, then row, with the sheet-wide ones (missing rows) after the rows.
func (r *reader) sortProblems() {
	rank := func(sheet string) int {
		if i := slices.Index(reports.SheetNames(), sheet); i >= 0 {
			return i
		}
		return len(reports.SheetNames())
	}
	row := func(n int) int {
		if n == 0 {
			return math.MaxInt
		}
		return n
	}
	slices.SortStableFunc(r.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(rank(a.Sheet), rank(b.Sheet)), cmp.Compare(row(a.Row), row(b.Row)))
	})
}

func (r *reader) refused() []Problem {
	var out []Problem
	for _, p := range r.problems {
		if p.Refused {
			out = append(out, p)
		}
	}
	return out
}
