package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// KeyRow is one row of the Unused keys sheet: an unused access key slot of
// a finding (an index into the findings).
type KeyRow struct {
	Finding int
	Slot    int64
}

// UnusedKeyRows lists the Unused keys sheet's rows in order: every unused
// key of every finding, in findings order, then slot order as the finding
// lists them.
func UnusedKeyRows(findings []tables.Finding) []KeyRow {
	out := make([]KeyRow, 0, countUnusedKeys(findings))
	for i := range findings {
		for _, slot := range findings[i].UnusedKeys {
			out = append(out, KeyRow{Finding: i, Slot: slot})
		}
	}
	return out
}

func countUnusedKeys(findings []tables.Finding) int {
	n := 0
	for i := range findings {
		n += len(findings[i].UnusedKeys)
	}
	return n
}

// keySlot returns a key slot's creation and last use.
func keySlot(f *tables.Finding, slot int64) (created, lastUsed time.Time) {
	if slot == 2 {
		return f.Key2LastRotated, f.Key2LastUsed
	}
	return f.Key1LastRotated, f.Key1LastUsed
}

// Unused keys sheet: active (or new) users' active keys unused since the
// window start, each with its own reviewer columns so a key can be approved
// for deactivation on its own.
func writeUnusedKeys(ctx context.Context, wb *workbook, in *Input) error {
	asOf := in.AsOf.UTC()
	rows := UnusedKeyRows(in.Findings)
	cols := []tableColumn{
		{title: TitleAccountID, kind: kText},
		{title: TitleUserName, kind: kText},
		{title: TitleUserID, kind: kText},
		{title: TitleARN, kind: kText},
		{title: "Status", kind: kText},
		{title: TitleKeySlot, kind: kInt, width: 8},
		{title: TitleKeyCreated, kind: kTime},
		{title: "Key last used (UTC)", kind: kTime},
		{title: "Days unused", kind: kInt, width: 10},
	}
	for _, c := range Controls {
		cols = append(cols, tableColumn{title: controlTitle(c), kind: kText, width: 11})
	}
	cols = append(cols,
		tableColumn{title: "In remediation plan", kind: kBool, width: 12},
		tableColumn{title: TitleReviewerDecision, kind: kText, width: 14, review: true},
		tableColumn{title: TitleReviewerComment, kind: kText, width: 40, review: true},
	)
	cols = append(cols, signOffTableColumns()...)
	t := &table{
		sheet: SheetUnusedKeys, cols: cols, rows: len(rows), freezeCols: 2,
		fill: func(i int, out []cell) {
			r := rows[i]
			f := &in.Findings[r.Finding]
			created, lastUsed := keySlot(f, r.Slot)
			age := keyAge(f, r.Slot, asOf)
			out[0], out[1], out[2], out[3] = cell{s: f.AccountID}, cell{s: f.UserName}, cell{s: f.UserID}, cell{s: f.ARN}
			out[4], out[5], out[6], out[7] = cell{s: f.Status}, cell{n: r.Slot}, cell{t: created}, cell{t: lastUsed}
			out[8] = cell{n: age.days, null: !age.known}
			j := 9
			for _, c := range Controls {
				out[j] = cell{s: KeyControlResult(f, r.Slot, asOf, c.Threshold)}
				j++
			}
			out[j] = cell{b: manifest.PlansKeys(f)}
		},
	}
	t.prepare = func(lastRow int) error {
		for _, c := range Controls {
			if err := wb.controlColours(SheetUnusedKeys, wb.colIndex(t, controlTitle(c)), lastRow); err != nil {
				return err
			}
		}
		col := wb.colIndex(t, TitleReviewerDecision)
		if err := wb.reviewDropdown(SheetUnusedKeys, col, lastRow, "access key"); err != nil {
			return err
		}
		return wb.reviewColours(SheetUnusedKeys, col, lastRow)
	}
	return wb.writeTable(ctx, t)
}

// States of an Exceptions row.
const (
	exceptionByTag       = "exempt by tag"
	exceptionByAllowlist = "exempt by allowlist"
	exceptionExpired     = "allowlist entry expired: not exempt"
	exceptionNoUser      = "allowlist entry names no user in the run"
	exceptionNoUserExp   = "allowlist entry expired and names no user in the run"
	exceptionNotAssessed = "allowlist entry for an account not assessed"
)

// exceptionRow is one Exceptions row: a finding, an allowlist entry, or both.
type exceptionRow struct {
	finding, entry int // -1 when absent
	state          string
}

// acctUser keys an allowlist entry and a user alike: the account exactly,
// the name without case, as the classifier matches them (IAM user names
// are unique case-insensitively).
func acctUser(acct, user string) string { return acct + "/" + strings.ToLower(user) }

// exceptionRows lists exempt users, users whose allowlist entry expired, and
// allowlist entries that exempted nobody, in findings then file order.
func exceptionRows(in *Input) []exceptionRow {
	asOf := in.AsOf.UTC()
	// The latest expired entry per user explains an expiry; the file may
	// hold several entries for one user.
	expired := map[string]int{}
	entries := map[string]bool{}
	for i, e := range in.Allowlist {
		k := acctUser(e.AccountID, e.UserName)
		entries[k] = true
		if e.Expires.Before(asOf) {
			if j, ok := expired[k]; !ok || in.Allowlist[j].Expires.Before(e.Expires) {
				expired[k] = i
			}
		}
	}
	matched := map[string]bool{}
	var out []exceptionRow
	for i := range in.Findings {
		f := &in.Findings[i]
		if f.Exemption == "" && !f.AllowlistExpired {
			if len(entries) > 0 && entries[acctUser(f.AccountID, f.UserName)] {
				matched[acctUser(f.AccountID, f.UserName)] = true
			}
			continue
		}
		k := acctUser(f.AccountID, f.UserName)
		matched[k] = true
		switch {
		case strings.HasPrefix(f.Exemption, "tag:"):
			out = append(out, exceptionRow{finding: i, entry: -1, state: exceptionByTag})
		case f.Exemption != "":
			out = append(out, exceptionRow{finding: i, entry: -1, state: exceptionByAllowlist})
		}
		if f.AllowlistExpired {
			j, ok := expired[k]
			if !ok {
				j = -1
			}
			out = append(out, exceptionRow{finding: i, entry: j, state: exceptionExpired})
		}
	}
	notAssessed := map[string]bool{}
	for _, a := range in.Accounts {
		if !a.Assessed {
			notAssessed[a.AccountID] = true
		}
	}
	for i, e := range in.Allowlist {
		if matched[acctUser(e.AccountID, e.UserName)] {
			continue
		}
		state := exceptionNoUser
		switch {
		case notAssessed[e.AccountID]:
			state = exceptionNotAssessed
		case e.Expires.Before(asOf):
			state = exceptionNoUserExp
		}
		out = append(out, exceptionRow{finding: -1, entry: i, state: state})
	}
	return out
}

func writeExceptions(ctx context.Context, wb *workbook, in *Input) error {
	rows := exceptionRows(in)
	t := &table{
		sheet: SheetExceptions, rows: len(rows), freezeCols: 2,
		cols: []tableColumn{
			{title: TitleAccountID, kind: kText},
			{title: TitleUserName, kind: kText},
			{title: TitleUserID, kind: kText},
			{title: "State", kind: kText},
			{title: "Exemption", kind: kText},
			{title: "Owner", kind: kText},
			{title: "Reason", kind: kText},
			{title: "Expires (UTC)", kind: kTime},
			{title: "User status", kind: kText},
			{title: "User decision", kind: kText},
		},
		fill: func(i int, out []cell) {
			r := rows[i]
			out[3] = cell{s: r.state}
			if r.finding >= 0 {
				f := &in.Findings[r.finding]
				out[0], out[1], out[2] = cell{s: f.AccountID}, cell{s: f.UserName}, cell{s: f.UserID}
				out[8], out[9] = cell{s: f.Status}, cell{s: f.Decision}
				if r.state != exceptionExpired {
					out[4], out[5], out[6], out[7] = cell{s: f.Exemption}, cell{s: f.ExemptionOwner}, cell{s: f.ExemptionReason}, cell{t: f.ExemptionExpires}
				}
			}
			if r.entry >= 0 {
				e := &in.Allowlist[r.entry]
				out[0], out[1] = cell{s: e.AccountID}, cell{s: e.UserName}
				out[4], out[5], out[6], out[7] = cell{s: "allowlist"}, cell{s: e.Owner}, cell{s: e.Reason}, cell{t: e.Expires}
			}
		},
	}
	t.prepare = func(lastRow int) error {
		st := &wb.styles
		return wb.colourColumn(SheetExceptions, 4, lastRow,
			cellRule{[]string{exceptionExpired, exceptionNoUserExp}, st.cfRed},
			cellRule{[]string{exceptionNoUser, exceptionNotAssessed}, st.cfAmber})
	}
	return wb.writeTable(ctx, t)
}

func writeReferences(ctx context.Context, wb *workbook, in *Input) error {
	t := &table{
		sheet: SheetReferences, rows: len(in.References), freezeCols: 2,
		cols: []tableColumn{
			{title: TitleAccountID, kind: kText},
			{title: "Candidate", kind: kText},
			{title: TitleUserID, kind: kText},
			{title: "User ARN", kind: kText},
			{title: "Kind", kind: kText},
			{title: "Resource ARN", kind: kText},
			{title: "Region", kind: kText},
			// A policy element, or for the code check a file:line (commit for
			// history), a Terraform state address or a CloudFormation stack.
			{title: TitleReferenceLocation, kind: kText},
			{title: "Match", kind: kText},
		},
		fill: func(i int, out []cell) {
			r := &in.References[i]
			out[0], out[1], out[2], out[3] = cell{s: r.AccountID}, cell{s: r.UserName}, cell{s: r.UserID}, cell{s: r.UserARN}
			out[4], out[5], out[6], out[7], out[8] = cell{s: r.Kind}, cell{s: r.ResourceARN}, cell{s: r.Region}, cell{s: r.Location}, cell{s: r.Match}
		},
	}
	return wb.writeTable(ctx, t)
}

func writeUnchecked(ctx context.Context, wb *workbook, in *Input) error {
	t := &table{
		sheet: SheetUnchecked, rows: len(in.Unchecked),
		cols: []tableColumn{
			{title: TitleAccountID, kind: kText},
			{title: "Kind", kind: kText},
			{title: "Resource ARN", kind: kText},
			{title: "Region", kind: kText},
			{title: "Error", kind: kText},
		},
		fill: func(i int, out []cell) {
			u := &in.Unchecked[i]
			out[0], out[1], out[2], out[3], out[4] = cell{s: u.AccountID}, cell{s: u.Kind}, cell{s: u.ResourceARN}, cell{s: u.Region}, cell{s: u.Error}
		},
	}
	return wb.writeTable(ctx, t)
}

func writeOrphans(ctx context.Context, wb *workbook, in *Input) error {
	t := &table{
		sheet: SheetOrphans, rows: len(in.Orphans),
		cols: []tableColumn{
			{title: TitleAccountID, kind: kText},
			{title: "Kind", kind: kText},
			{title: "Resource ARN", kind: kText},
			// A policy element, or for the code check a file:line (commit for
			// history), a Terraform state address or a CloudFormation stack.
			{title: TitleReferenceLocation, kind: kText},
			{title: "Unique ID", kind: kText},
		},
		fill: func(i int, out []cell) {
			o := &in.Orphans[i]
			out[0], out[1], out[2], out[3], out[4] = cell{s: o.AccountID}, cell{s: o.Kind}, cell{s: o.ResourceARN}, cell{s: o.Location}, cell{s: o.UniqueID}
		},
	}
	return wb.writeTable(ctx, t)
}

// AllRegions is how the workbook shows a coverage row for an account as a
// whole (the engine did not tell regions apart).
const AllRegions = "(all regions)"

// coverageNote says what a coverage row means for the findings.
func coverageNote(c tables.Coverage, windowStart time.Time) string {
	switch {
	case c.FirstEvent.IsZero():
		return "no CloudTrail events seen: the account's candidates are review"
	case c.FirstEvent.After(windowStart):
		days := int(c.FirstEvent.Sub(windowStart) / (24 * time.Hour))
		return fmt.Sprintf("starts %d days after the window start: the account's candidates are review", days)
	}
	return "covers the window start"
}

// maxSQLChars keeps a query's text within an Excel cell (32,767 characters).
const maxSQLChars = 32000

// sqlCell is the SQL as shown: whole, or cut with a pointer to the stored
// file. UTF-8 bytes never undercount Excel's UTF-16 limit.
func sqlCell(q *QueryEvidence) string {
	if len(q.SQL) <= maxSQLChars {
		return q.SQL
	}
	n := maxSQLChars
	for n > 0 && !utf8.RuneStart(q.SQL[n]) {
		n--
	}
	where := q.SQLFile
	if where == "" {
		where = "in the run's queries folder"
	}
	return q.SQL[:n] + fmt.Sprintf("\n-- (cut at %d bytes to fit a cell; the whole text is %s)", n, where)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func writeEvidence(ctx context.Context, wb *workbook, in *Input) error {
	nIn := len(in.Inputs)
	t := &table{
		sheet: SheetEvidence, rows: nIn + len(in.Queries),
		cols: []tableColumn{
			{title: "Kind", kind: kText},
			{title: TitleAccountID, kind: kText},
			{title: "File or query", kind: kText},
			{title: "Source", kind: kText},
			{title: "Generated (UTC)", kind: kTime},
			{title: "SHA-256", kind: kText, width: 66},
			{title: "Bytes", kind: kInt, numFmt: "#,##0"},
			{title: "Engine", kind: kText},
			{title: "Query ID", kind: kText},
			{title: "Bytes scanned", kind: kInt, numFmt: "#,##0"},
			{title: "Cost (USD)", kind: kFloat, numFmt: "0.0000", width: 11},
			{title: "Engine time (s)", kind: kFloat, numFmt: "0.000", width: 11},
			{title: "SQL", kind: kText, width: 80},
		},
		fill: func(i int, out []cell) {
			if i < nIn {
				e := &in.Inputs[i]
				kind := e.Kind
				if kind == "" {
					kind = "input file"
				}
				out[0], out[1], out[2], out[3], out[4] = cell{s: kind}, cell{s: e.AccountID}, cell{s: e.Path}, cell{s: e.Source}, cell{t: e.GeneratedAt}
				out[5], out[6] = cell{s: e.SHA256}, cell{n: e.Bytes}
				out[9], out[10], out[11] = cell{null: true}, cell{null: true}, cell{null: true}
				return
			}
			q := &in.Queries[i-nIn]
			name := q.Name
			if q.SQLFile != "" {
				name += " (" + q.SQLFile + ")"
			}
			out[0], out[2] = cell{s: "query"}, cell{s: name}
			out[5], out[6], out[7], out[8] = cell{s: sha256Hex(q.SQL)}, cell{n: int64(len(q.SQL))}, cell{s: q.Engine}, cell{s: q.QueryID}
			out[9], out[10], out[11] = cell{n: q.BytesScanned}, cell{f: q.CostUSD}, cell{f: q.EngineTime().Seconds()}
			out[12] = cell{s: sqlCell(q)}
		},
	}
	return wb.writeTable(ctx, t)
}
