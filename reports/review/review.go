package review

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
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

// decision is a reviewer's choice on one row.
type decision int

const (
	undecided decision = iota
	approve
	reject
	deferred
)

func parseDecision(s string) (decision, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return undecided, true
	case strings.ToLower(reports.ReviewApprove):
		return approve, true
	case strings.ToLower(reports.ReviewReject):
		return reject, true
	case strings.ToLower(reports.ReviewDefer):
		return deferred, true
	}
	return undecided, false
}

// verdict is what the reviewer said about one expected row.
type verdict struct {
	decision decision
	comment  string
	row      int // the reviewed workbook's row
	// downgrade is set when the reviewer changed the Decision column from
	// delete to deactivate: the entry is rebuilt as a deactivation.
	downgrade bool
	// reviewer and date are the row's Reviewer and Review date cells; date
	// is normalized to YYYY-MM-DD.
	reviewer, date string
}

// FromWorkbook reads the reviewer's decisions from a reviewed workbook and
// returns the run's manifest cut down to the approved entries, each with
// the reviewer's comment, re-signed, with ReviewedFrom set. findings are the
// run's findings (tables/findings.parquet) in the order the run wrote them.
//
// A workbook that no longer matches the run is refused: the error is a
// *RefusedError (errors.Is ErrRefused) and the problems name each row. When
// the workbook is accepted, problems holds notes (an approved row the run
// plans nothing for, entries left undecided).
func FromWorkbook(ctx context.Context, workbookPath string, runManifest *manifest.Manifest, findings []tables.Finding) (*manifest.Manifest, []Problem, error) {
	if runManifest == nil {
		return nil, nil, errors.New("reading reviewed workbook: no run manifest given")
	}
	if err := runManifest.Verify(); err != nil {
		return nil, nil, fmt.Errorf("checking the run's manifest before applying a review: %w", err)
	}
	sum, err := hashFile(workbookPath)
	if err != nil {
		return nil, nil, err
	}
	keyRows := reports.UnusedKeyRows(findings)
	partLimit, totalLimit := workbookBounds(len(findings) + len(keyRows))
	if err := checkWorkbookSize(workbookPath, partLimit, totalLimit); err != nil {
		return nil, nil, err
	}
	f, err := excelize.OpenFile(workbookPath, excelize.Options{UnzipSizeLimit: totalLimit})
	if err != nil {
		return nil, nil, fmt.Errorf("opening reviewed workbook %s: %w", workbookPath, err)
	}
	defer f.Close()

	r := &reader{ctx: ctx, f: f}
	if err := r.checkRunID(runManifest.RunID); err != nil {
		return nil, nil, fmt.Errorf("reading reviewed workbook %s: %w", workbookPath, err)
	}
	users, err := r.readSheet(findingsSheet(findings))
	if err != nil {
		return nil, nil, fmt.Errorf("reading reviewed workbook %s: %w", workbookPath, err)
	}
	keys, err := r.readSheet(keysSheet(findings, keyRows))
	if err != nil {
		return nil, nil, fmt.Errorf("reading reviewed workbook %s: %w", workbookPath, err)
	}
	r.sortProblems()
	if refused := r.refused(); len(refused) > 0 {
		return nil, r.problems, &RefusedError{Workbook: workbookPath, Problems: refused}
	}

	m, err := apply(r, runManifest, findings, keyRows, users, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("applying review %s: %w", workbookPath, err)
	}
	r.sortProblems()
	if refused := r.refused(); len(refused) > 0 {
		return nil, r.problems, &RefusedError{Workbook: workbookPath, Problems: refused}
	}
	m.ReviewedFrom.Workbook = filepath.Base(workbookPath)
	m.ReviewedFrom.WorkbookSHA256 = sum
	if err := m.Sign(); err != nil {
		return nil, nil, fmt.Errorf("applying review %s: %w", workbookPath, err)
	}
	if err := m.Verify(); err != nil {
		return nil, nil, fmt.Errorf("applying review %s: the reviewed manifest does not verify: %w", workbookPath, err)
	}
	r.sortProblems()
	return m, r.problems, nil
}

func hashFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading reviewed workbook: %w", err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("hashing reviewed workbook %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// apply keeps the approved entries of the run's manifest.
func apply(r *reader, run *manifest.Manifest, findings []tables.Finding, keyRows []reports.KeyRow, users, keys []verdict) (*manifest.Manifest, error) {
	userIdx := make(map[string]int, len(findings))
	for i := range findings {
		if findings[i].UserID != "" {
			userIdx[findings[i].AccountID+"\x00"+findings[i].UserID] = i
		}
	}
	keyIdx := make(map[string]int, len(keyRows))
	for i, k := range keyRows {
		f := &findings[k.Finding]
		keyIdx[f.AccountID+"\x00"+f.UserID+"\x00"+strconv.FormatInt(k.Slot, 10)] = i
	}
	// The entries come from the findings table, not from the run's manifest
	// file: the two must agree, and the reviewer's downgrades are rebuilt
	// as the deactivations Build plans, with their delete-after dates.
	in := manifest.Input{RunID: run.RunID, GeneratedAt: run.GeneratedAt, AsOf: run.AsOf,
		WindowDays: run.WindowDays, DeleteAfterDays: run.DeleteAfterDays, Findings: findings}
	rebuilt, err := manifest.Build(in)
	if err != nil {
		return nil, fmt.Errorf("rebuilding the run's plan from its findings table: %w", err)
	}
	if rebuilt.Digest != run.Digest {
		return nil, fmt.Errorf("the run's manifest (digest %s) is not the plan its findings table gives (digest %s): the run directory was altered after the run; check it with dormant verify and use an unaltered copy",
			run.Digest, rebuilt.Digest)
	}
	var downgraded []tables.Finding
	for i, v := range users {
		if !v.downgrade {
			continue
		}
		if downgraded == nil {
			downgraded = slices.Clone(findings)
		}
		downgraded[i].Decision = tables.DecisionDeactivate
		if v.decision == approve {
			r.note(reports.SheetFindings, v.row, fmt.Sprintf("%s/%s: the reviewer changed delete to deactivate: it is deactivated, not deleted", findings[i].AccountID, findings[i].UserName))
		}
	}
	if downgraded != nil {
		in.Findings = downgraded
		if rebuilt, err = manifest.Build(in); err != nil {
			return nil, fmt.Errorf("rebuilding the plan with the reviewer's downgrades: %w", err)
		}
	}
	out := *run
	out.Entries = []manifest.Entry{}
	review := &manifest.Review{RunDigest: run.Digest, SignOff: r.signOffBlock()}
	out.ReviewedFrom = review
	plannedUser := make([]bool, len(findings))
	plannedKey := make([]bool, len(keyRows))
	for i := range rebuilt.Entries {
		e := rebuilt.Entries[i]
		var v verdict
		switch e.Kind {
		case manifest.KindUser:
			fi, ok := userIdx[e.AccountID+"\x00"+e.UserID]
			if !ok {
				return nil, fmt.Errorf("manifest entry %s (user ID %s) is not among the run's findings: the manifest and the findings are from different runs", e.Label(), e.UserID)
			}
			v, plannedUser[fi] = users[fi], true
		case manifest.KindAccessKey:
			ki, ok := keyIdx[e.AccountID+"\x00"+e.UserID+"\x00"+strconv.Itoa(e.KeySlot)]
			if !ok {
				return nil, fmt.Errorf("manifest entry %s (user ID %s) is not among the run's unused keys: the manifest and the findings are from different runs", e.Label(), e.UserID)
			}
			v, plannedKey[ki] = keys[ki], true
		default:
			return nil, fmt.Errorf("manifest entry %s has unknown kind %q", e.Label(), e.Kind)
		}
		switch v.decision {
		case approve:
			review.Approved++
			e.ReviewerComment = v.comment
			e.Reviewer, e.ReviewDate = v.reviewer, v.date
			if e.Reviewer == "" && review.SignOff != nil {
				e.Reviewer = review.SignOff.Reviewer
			}
			if e.ReviewDate == "" && review.SignOff != nil {
				e.ReviewDate = review.SignOff.Date
			}
			if e.Reviewer == "" || e.ReviewDate == "" {
				sheet := reports.SheetFindings
				if e.Kind == manifest.KindAccessKey {
					sheet = reports.SheetUnusedKeys
				}
				r.refuse(sheet, v.row, fmt.Sprintf("%s is approved, but nothing says who approved it or when: fill in the Summary sheet's sign-off (%s, %s) or the row's %s and %s",
					e.Label(), reports.SignOffReviewerLabel, reports.SignOffDateLabel, reports.TitleReviewer, reports.TitleReviewDate))
			}
			out.Entries = append(out.Entries, e)
		case reject:
			review.Rejected++
		case deferred:
			review.Deferred++
		default:
			review.Undecided++
		}
	}
	for i, v := range users {
		if v.decision == approve && !plannedUser[i] {
			f := &findings[i]
			r.note(reports.SheetFindings, v.row, fmt.Sprintf("%s/%s is approved, but the run plans no change to this user (status %s, decision %s): nothing to do",
				f.AccountID, f.UserName, f.Status, f.Decision))
		}
	}
	for i, v := range keys {
		if v.decision == approve && !plannedKey[i] {
			f := &findings[keyRows[i].Finding]
			r.note(reports.SheetUnusedKeys, v.row, fmt.Sprintf("%s/%s access key %d is approved, but the run does not plan to deactivate it (user status %s): nothing to do",
				f.AccountID, f.UserName, keyRows[i].Slot, f.Status))
		}
	}
	if review.Undecided > 0 {
		r.note("", 0, fmt.Sprintf("%d planned entr%s had no reviewer decision and %s dropped", review.Undecided, plural(review.Undecided, "y", "ies"), plural(review.Undecided, "is", "are")))
	}
	return &out, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

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

// checkRunID ties the workbook to the run through the Summary's run ID.
func (r *reader) checkRunID(runID string) error {
	if idx, _ := r.f.GetSheetIndex(reports.SheetSummary); idx < 0 {
		r.refuse(reports.SheetSummary, 0, "the sheet is missing: this is not a dormant workbook, or it was restructured")
		return nil
	}
	found := false
	r.signOff = map[string]string{}
	err := eachRow(r.ctx, r.f, reports.SheetSummary, rowSlack, func(row int, cells []string) error {
		if len(cells) > 0 && slices.Contains(reports.SignOffLabels, strings.TrimSpace(cells[0])) {
			if len(cells) > 1 {
				r.signOff[strings.TrimSpace(cells[0])] = strings.TrimSpace(cells[1])
			}
			if cells[0] == reports.SignOffDateLabel {
				r.signOffRow = row
			}
			return nil
		}
		if found || len(cells) == 0 || cells[0] != reports.SummaryRunIDLabel {
			return nil
		}
		found = true
		got := ""
		if len(cells) > 1 {
			got = cells[1]
		}
		if got != runID {
			r.refuse(reports.SheetSummary, row, fmt.Sprintf("run ID %q is not the run's %q: the workbook belongs to another run", got, runID))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		r.refuse(reports.SheetSummary, 0, fmt.Sprintf("no %q row: the run the workbook belongs to cannot be told", reports.SummaryRunIDLabel))
	}
	return nil
}

// eachRow streams a sheet's non-blank rows with raw cell values.
// A row past maxRow is an error: the sheet holds far more than the run wrote.
func eachRow(ctx context.Context, f *excelize.File, sheet string, maxRow int, fn func(row int, cells []string) error) (err error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("reading sheet %s: %w", sheet, err)
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("reading sheet %s: %w", sheet, cerr)
		}
	}()
	for n := 1; rows.Next(); n++ {
		if n > maxRow {
			return fmt.Errorf("%w: sheet %s has rows past row %d, far more than the run wrote; use the workbook the run wrote", ErrTooLarge, sheet, maxRow)
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return fmt.Errorf("reading sheet %s row %d: %w", sheet, n, err)
		}
		blank := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		if err := fn(n, cells); err != nil {
			return err
		}
	}
	return rows.Error()
}

// identityField is one column that ties a row to the run.
type identityField struct {
	title string // the column header
	name  string // how messages call it
	// normalize turns a raw cell into the form the expected values take.
	normalize func(raw string) string
}

// sheetSpec says what rows a sheet must hold.
type sheetSpec struct {
	sheet    string
	fields   []identityField
	expected int
	// value returns expected row i's identity values, in fields order.
	value func(i int) []string
	// label names expected row i in messages, e.g. "111111111111/alice".
	label func(i int) string
	// noun is what an expected row is, e.g. "finding for".
	noun string
	// byName is the field index that, with the account, finds the run's row
	// a reviewer's edited row was meant to be (the user name).
	byName, byID int
	// checked are the columns besides the identity that must still show
	// what the run wrote; the Decision column among them may be downgraded.
	checked []checkedField
}

// Titles of the Findings columns compared with the run (reports'
// findingColumns; TestCheckedTitles keeps them in step).
const (
	titleStatus       = "Status"
	titleDecision     = "Decision"
	titleDaysInactive = "Days inactive"
	titleReasons      = "Reasons"

	titlePasswordEnabled = "Password enabled"
	// passwordEnabledNotSupported is the root row's Password enabled cell.
	passwordEnabledNotSupported = "not_supported"
)

// checkedField is a non-review column compared with the run's value.
type checkedField struct {
	title string
	// value is expected row i's value as the raw cell holds it.
	value func(i int) string
	// decision marks the Decision column: delete may become deactivate.
	decision bool
	// normalize turns the raw cell into value's form (nil: trimmed).
	normalize func(raw string) string
}

// Normalized and expected forms of the other column kinds.
func boolCell(raw string) string {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "1", "true":
		return "true"
	case "0", "false":
		return "false"
	}
	return strings.TrimSpace(raw)
}

func intCell(raw string) string {
	raw = strings.TrimSpace(raw)
	if f, err := strconv.ParseFloat(raw, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return raw
}

// moreChecked are the Findings columns besides the verdict that a reviewer
// may not edit either: every signal the decision rests on.
func moreChecked(findings []tables.Finding) []checkedField {
	text := func(title string, get func(f *tables.Finding) string) checkedField {
		return checkedField{title: title, value: func(i int) string { return get(&findings[i]) }}
	}
	date := func(title string, get func(f *tables.Finding) time.Time) checkedField {
		return checkedField{title: title, value: func(i int) string { return timeValue(get(&findings[i])) }, normalize: excelTime}
	}
	integer := func(title string, get func(f *tables.Finding) int64) checkedField {
		return checkedField{title: title, value: func(i int) string { return strconv.FormatInt(get(&findings[i]), 10) }, normalize: intCell}
	}
	// A credential report column is blank without a report row (unknown is
	// not false), as reports writes it; the root row's password_enabled is
	// the report's not_supported.
	reportBool := func(title string, get func(f *tables.Finding) bool) checkedField {
		return checkedField{title: title, value: func(i int) string {
			f := &findings[i]
			switch {
			case !f.InCredentialReport:
				return ""
			case title == titlePasswordEnabled && (f.Status == tables.StatusRoot || f.UserName == tables.RootUserName):
				return passwordEnabledNotSupported
			}
			return strconv.FormatBool(get(f))
		}, normalize: boolCell}
	}
	return []checkedField{
		text("Path", func(f *tables.Finding) string { return f.Path }),
		date("Created (UTC)", func(f *tables.Finding) time.Time { return f.CreateDate }),
		date("Last activity (UTC)", func(f *tables.Finding) time.Time { return f.LastActivity }),
		text("Last activity source", func(f *tables.Finding) string { return f.LastActivitySource }),
		reportBool(titlePasswordEnabled, func(f *tables.Finding) bool { return f.PasswordEnabled }),
		text("Password state", func(f *tables.Finding) string { return f.PasswordState }),
		date("Password last used (UTC)", func(f *tables.Finding) time.Time { return f.PasswordLastUsed }),
		reportBool("MFA active", func(f *tables.Finding) bool { return f.MFAActive }),
		reportBool("Key 1 active", func(f *tables.Finding) bool { return f.Key1Active }),
		date("Key 1 last used (UTC)", func(f *tables.Finding) time.Time { return f.Key1LastUsed }),
		reportBool("Key 2 active", func(f *tables.Finding) bool { return f.Key2Active }),
		date("Key 2 last used (UTC)", func(f *tables.Finding) time.Time { return f.Key2LastUsed }),
		date("CloudTrail last event (UTC)", func(f *tables.Finding) time.Time { return f.CloudTrailLastEvent }),
		integer("CloudTrail events", func(f *tables.Finding) int64 { return f.CloudTrailEvents }),
		integer("References", func(f *tables.Finding) int64 { return f.References }),
		text("Exemption", func(f *tables.Finding) string { return f.Exemption }),
	}
}

func trimmed(raw string) string { return strings.TrimSpace(raw) }

// excelTime normalizes a date cell: Excel stores dates as serial numbers,
// and a workbook re-saved by Excel may carry them with a rounding error far
// below a second.
func excelTime(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return raw
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return raw
	}
	return t.UTC().Round(time.Second).Format(time.RFC3339)
}

func timeValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Round(time.Second).Format(time.RFC3339)
}

var userFields = []identityField{
	{reports.TitleAccountID, "account", trimmed},
	{reports.TitleUserName, "user name", trimmed},
	{reports.TitleUserID, "user ID", trimmed},
	{reports.TitleARN, "ARN", trimmed},
}

func findingsSheet(findings []tables.Finding) sheetSpec {
	return sheetSpec{
		checked: append([]checkedField{
			{title: titleStatus, value: func(i int) string { return findings[i].Status }},
			{title: titleDecision, value: func(i int) string { return findings[i].Decision }, decision: true},
			{title: titleDaysInactive, value: func(i int) string {
				if findings[i].DaysInactive < 0 {
					return ""
				}
				return strconv.FormatInt(findings[i].DaysInactive, 10)
			}},
			{title: titleReasons, value: func(i int) string { return strings.Join(findings[i].Reasons, reports.ReasonSeparator) }},
		}, moreChecked(findings)...),
		sheet: reports.SheetFindings, fields: userFields, expected: len(findings),
		value: func(i int) []string {
			f := &findings[i]
			return []string{f.AccountID, f.UserName, f.UserID, f.ARN}
		},
		label:  func(i int) string { return findings[i].AccountID + "/" + findings[i].UserName },
		noun:   "finding for",
		byName: 1, byID: 2,
	}
}

func keysSheet(findings []tables.Finding, rows []reports.KeyRow) sheetSpec {
	fields := append(append([]identityField(nil), userFields...),
		identityField{reports.TitleKeySlot, "key slot", trimmed},
		identityField{reports.TitleKeyCreated, "key creation time", excelTime},
	)
	lastUsed := func(i int) time.Time {
		f := &findings[rows[i].Finding]
		if rows[i].Slot == 2 {
			return f.Key2LastUsed
		}
		return f.Key1LastUsed
	}
	return sheetSpec{
		checked: []checkedField{
			{title: titleStatus, value: func(i int) string { return findings[rows[i].Finding].Status }},
			{title: "Key last used (UTC)", value: func(i int) string { return timeValue(lastUsed(i)) }, normalize: excelTime},
			{title: "In remediation plan", value: func(i int) string { return strconv.FormatBool(manifest.PlansKeys(&findings[rows[i].Finding])) }, normalize: boolCell},
		},
		sheet: reports.SheetUnusedKeys, fields: fields, expected: len(rows),
		value: func(i int) []string {
			k := rows[i]
			f := &findings[k.Finding]
			created := f.Key1LastRotated
			if k.Slot == 2 {
				created = f.Key2LastRotated
			}
			return []string{f.AccountID, f.UserName, f.UserID, f.ARN, strconv.FormatInt(k.Slot, 10), timeValue(created)}
		},
		label: func(i int) string {
			f := &findings[rows[i].Finding]
			return fmt.Sprintf("%s/%s key %d", f.AccountID, f.UserName, rows[i].Slot)
		},
		noun:   "unused key",
		byName: 1, byID: 2,
	}
}

// pendingRow is a reviewed row that matched no expected row exactly.
type pendingRow struct {
	row    int
	values []string
}

// readSheet matches a sheet's rows to the expected rows by identity (so
// sorting is harmless) and returns each expected row's verdict. Mismatches
// are recorded as refusing problems.
func (r *reader) readSheet(spec sheetSpec) ([]verdict, error) {
	if idx, _ := r.f.GetSheetIndex(spec.sheet); idx < 0 {
		r.refuse(spec.sheet, 0, "the sheet is missing: this is not a dormant workbook, or it was restructured")
		return nil, nil
	}
	key := func(vals []string) string { return strings.Join(vals, "\x00") }
	index := make(map[string]int, spec.expected)
	for i := range spec.expected {
		k := key(spec.value(i))
		if j, dup := index[k]; dup {
			return nil, fmt.Errorf("the run lists %s twice (%s rows %d and %d as written): its findings are not unique", spec.label(i), spec.sheet, j+2, i+2)
		}
		index[k] = i
	}
	verdicts := make([]verdict, spec.expected)
	claimed := make([]int, spec.expected) // the reviewed row that matched, 0 if none
	var pending []pendingRow
	var cols []int // identity field -> column index
	decisionCol, commentCol, reviewerCol, dateCol := -1, -1, -1, -1
	var checkedCols []int // spec.checked -> column index
	headerOK := false
	vals := make([]string, len(spec.fields))
	cellAt := func(cells []string, c int) string {
		if c >= 0 && c < len(cells) {
			return cells[c]
		}
		return ""
	}
	err := eachRow(r.ctx, r.f, spec.sheet, spec.expected+1+rowSlack, func(row int, cells []string) error {
		if cols == nil {
			// The first non-blank row is the header.
			cols = make([]int, len(spec.fields))
			find := func(title string) int {
				for c, h := range cells {
					if strings.TrimSpace(h) == title {
						return c
					}
				}
				r.refuse(spec.sheet, row, fmt.Sprintf("no %q column: the header was edited; use the workbook the run wrote", title))
				return -1
			}
			headerOK = row == 1
			if !headerOK {
				r.refuse(spec.sheet, row, "the header is not on row 1: rows were inserted above it")
			}
			for i, fld := range spec.fields {
				if cols[i] = find(fld.title); cols[i] < 0 {
					headerOK = false
				}
			}
			if decisionCol = find(reports.TitleReviewerDecision); decisionCol < 0 {
				headerOK = false
			}
			if commentCol = find(reports.TitleReviewerComment); commentCol < 0 {
				headerOK = false
			}
			if reviewerCol = find(reports.TitleReviewer); reviewerCol < 0 {
				headerOK = false
			}
			if dateCol = find(reports.TitleReviewDate); dateCol < 0 {
				headerOK = false
			}
			checkedCols = make([]int, len(spec.checked))
			for k, c := range spec.checked {
				if checkedCols[k] = find(c.title); checkedCols[k] < 0 {
					headerOK = false
				}
			}
			return nil
		}
		if !headerOK {
			return nil
		}
		empty := true
		for i, fld := range spec.fields {
			vals[i] = fld.normalize(cellAt(cells, cols[i]))
			empty = empty && vals[i] == ""
		}
		rawDecision := cellAt(cells, decisionCol)
		comment := strings.TrimSpace(cellAt(cells, commentCol))
		if empty {
			if strings.TrimSpace(rawDecision) != "" || comment != "" {
				r.refuse(spec.sheet, row, "a reviewer decision or comment on a row with no user: rows may not be added")
			}
			// Otherwise a note typed below the table: not a row of the run.
			return nil
		}
		d, ok := parseDecision(rawDecision)
		if !ok {
			r.refuse(spec.sheet, row, fmt.Sprintf("reviewer decision %q is not one of %s", rawDecision, strings.Join(reports.ReviewDecisions, ", ")))
		}
		i, found := index[key(vals)]
		switch {
		case !found:
			pending = append(pending, pendingRow{row: row, values: append([]string(nil), vals...)})
		case claimed[i] != 0:
			r.refuse(spec.sheet, row, fmt.Sprintf("duplicates row %d (%s): rows may not be copied", claimed[i], spec.label(i)))
		default:
			claimed[i] = row
			verdicts[i] = verdict{decision: d, comment: comment, row: row}
			verdicts[i].downgrade = r.checkColumns(spec, i, row, cells, checkedCols, cellAt)
			verdicts[i].reviewer = strings.TrimSpace(cellAt(cells, reviewerCol))
			if raw := strings.TrimSpace(cellAt(cells, dateCol)); raw != "" {
				if date, ok := reviewDate(raw); ok {
					verdicts[i].date = date
				} else {
					r.refuse(spec.sheet, row, fmt.Sprintf("%s %q is not a date: write YYYY-MM-DD", reports.TitleReviewDate, raw))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cols == nil {
		r.refuse(spec.sheet, 0, "the sheet is empty: it has lost its header and rows")
		return verdicts, nil
	}
	if !headerOK {
		return verdicts, nil
	}
	explained := r.explainPending(spec, pending, claimed)
	for i := range spec.expected {
		if claimed[i] == 0 && !explained[i] {
			r.refuse(spec.sheet, 0, fmt.Sprintf("the run's %s %s (row %d as written) has no row: rows may not be removed", spec.noun, spec.label(i), i+2))
		}
	}
	return verdicts, nil
}

// explainPending reports each reviewed row that matched nothing: against the
// run's row it most likely was (the one the run wrote at that position, or
// the one with its account and user name, or its account and user ID), or
// as an added row. It returns the expected rows so explained.
func (r *reader) explainPending(spec sheetSpec, pending []pendingRow, claimed []int) map[int]bool {
	explained := map[int]bool{}
	if len(pending) == 0 {
		return explained
	}
	byName := map[string]int{}
	byID := map[string]int{}
	for i := range spec.expected {
		if claimed[i] != 0 {
			continue
		}
		v := spec.value(i)
		byName[v[0]+"\x00"+v[spec.byName]] = i
		if v[spec.byID] != "" {
			byID[v[0]+"\x00"+v[spec.byID]] = i
		}
	}
	free := func(i int) bool { return i >= 0 && i < spec.expected && claimed[i] == 0 && !explained[i] }
	for _, p := range pending {
		cand := -1
		if i, ok := byName[p.values[0]+"\x00"+p.values[spec.byName]]; ok && free(i) {
			cand = i
		} else if i, ok := byID[p.values[0]+"\x00"+p.values[spec.byID]]; ok && free(i) {
			cand = i
		} else if free(p.row - 2) {
			cand = p.row - 2
		}
		if cand < 0 {
			r.refuse(spec.sheet, p.row, fmt.Sprintf("%s/%s (%s %q) is not in the run: rows may not be added or have their identity edited",
				p.values[0], p.values[spec.byName], spec.fields[spec.byID].name, p.values[spec.byID]))
			continue
		}
		explained[cand] = true
		want := spec.value(cand)
		var diffs []string
		for k, fld := range spec.fields {
			if p.values[k] != want[k] {
				diffs = append(diffs, fmt.Sprintf("%s %q", fld.name, p.values[k]))
			}
		}
		var wantVals []string
		for k, fld := range spec.fields {
			if p.values[k] != want[k] {
				wantVals = append(wantVals, fmt.Sprintf("%s %q", fld.name, want[k]))
			}
		}
		r.refuse(spec.sheet, p.row, fmt.Sprintf("%s does not match the run's %s %s (%s): identity cells may not be edited",
			strings.Join(diffs, ", "), spec.noun, spec.label(cand), strings.Join(wantVals, ", ")))
	}
	return explained
}

// checkColumns compares a matched row's non-review columns with what the
// run wrote, refusing any edit but a downgrade of the Decision column from
// delete to deactivate, which it reports.
func (r *reader) checkColumns(spec sheetSpec, i, row int, cells []string, cols []int, cellAt func([]string, int) string) (downgrade bool) {
	for k, c := range spec.checked {
		got, want := strings.TrimSpace(cellAt(cells, cols[k])), c.value(i)
		if c.normalize != nil {
			got = c.normalize(got)
		}
		if got == want {
			continue
		}
		if c.decision && want == tables.DecisionDelete && got == tables.DecisionDeactivate {
			downgrade = true
			continue
		}
		if c.decision {
			r.refuse(spec.sheet, row, fmt.Sprintf("%s of %s is %q, not the run's %q: a reviewer may only change delete to deactivate (or choose %s in %q)",
				c.title, spec.label(i), got, want, reports.ReviewReject, reports.TitleReviewerDecision))
			continue
		}
		r.refuse(spec.sheet, row, fmt.Sprintf("%s of %s is %q, not the run's %q: only the reviewer columns may be edited",
			c.title, spec.label(i), got, want))
	}
	return downgrade
}

// reviewDate normalizes a date cell: typed text YYYY-MM-DD, or the serial
// number Excel stores when it recognises a date.
func reviewDate(raw string) (string, bool) {
	if t, err := time.Parse(time.DateOnly, raw); err == nil {
		return t.Format(time.DateOnly), true
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t.UTC().Format(time.DateOnly), true
	}
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil || serial < 1 || serial > 2958465 {
		return "", false
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return "", false
	}
	return t.UTC().Format(time.DateOnly), true
}

// signOffBlock returns the workbook's sign-off, refusing a malformed date;
// nil when the reviewer filled in nothing.
func (r *reader) signOffBlock() *manifest.SignOff {
	so := &manifest.SignOff{
		Reviewer: r.signOff[reports.SignOffReviewerLabel], Role: r.signOff[reports.SignOffRoleLabel],
		Statement: r.signOff[reports.SignOffStatementLabel],
	}
	if raw := r.signOff[reports.SignOffDateLabel]; raw != "" {
		date, ok := reviewDate(raw)
		if !ok {
			r.refuse(reports.SheetSummary, r.signOffRow, fmt.Sprintf("%s %q is not a date: write YYYY-MM-DD", reports.SignOffDateLabel, raw))
		}
		so.Date = date
	}
	if *so == (manifest.SignOff{}) {
		return nil
	}
	if so.Reviewer == "" || so.Date == "" {
		r.refuse(reports.SheetSummary, r.signOffRow, fmt.Sprintf("the sign-off needs at least %q and %q", reports.SignOffReviewerLabel, reports.SignOffDateLabel))
	}
	return so
}
