package review

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

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
	// Booleans are rendered by the workbook writer's own columns: a blank
	// (not known) or root's not_supported is what the run shows, not false.
	boolean := func(title string) checkedField {
		return checkedField{title: title, value: func(i int) string {
			s, _ := reports.FindingBoolText(title, &findings[i]) // titles are checked by TestBooleanTitlesExist
			return s
		}, normalize: boolCell}
	}
	return []checkedField{
		text("Path", func(f *tables.Finding) string { return f.Path }),
		date("Created (UTC)", func(f *tables.Finding) time.Time { return f.CreateDate }),
		date("Last activity (UTC)", func(f *tables.Finding) time.Time { return f.LastActivity }),
		text("Last activity source", func(f *tables.Finding) string { return f.LastActivitySource }),
		boolean("Password enabled"),
		text("Password state", func(f *tables.Finding) string { return f.PasswordState }),
		date("Password last used (UTC)", func(f *tables.Finding) time.Time { return f.PasswordLastUsed }),
		boolean("MFA active"),
		boolean("Key 1 active"),
		date("Key 1 last used (UTC)", func(f *tables.Finding) time.Time { return f.Key1LastUsed }),
		boolean("Key 2 active"),
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
