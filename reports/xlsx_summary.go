package reports

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// accountCounts is one line of the Summary's counts table.
type accountCounts struct {
	scope     record.Account
	inScope   bool // listed in Input.Accounts
	users     int
	statuses  []int // by Statuses
	decisions []int // by Decisions
	failing   []int // by Controls
	iac       int   // users infrastructure as code manages (ownership references)
	// What the account's findings say of its credential report: whether
	// one was given, and its proven time and lower bound (the latest seen).
	reportGiven          bool
	reportGen, notBefore time.Time
}

func newCounts() *accountCounts {
	return &accountCounts{statuses: make([]int, len(Statuses)), decisions: make([]int, len(Decisions)), failing: make([]int, len(Controls))}
}

// controlTally counts one control's results over the findings.
type controlTally struct{ fail, pass, unknown, notAssessed, na int }

// dayBucket is one bar of the days-since-last-activity histogram. The
// bounds follow the thresholds an auditor weighs: IAM.22 (45), IAM.8 and
// the default window (90), and the default delete-after (365).
type dayBucket struct {
	label string
	from  int64 // first day of the bucket
}

var dayBuckets = []dayBucket{
	{"0 to 44", 0}, {"45 to 89", 45}, {"90 to 179", 90}, {"180 to 364", 180}, {"365 to 729", 365}, {"730 or more", 730},
}

// unknownBucket labels users whose last activity and creation are both unknown.
const unknownBucket = "unknown"

// summaryStats is everything the Summary counts, in one pass over the findings.
type summaryStats struct {
	accounts   []*accountCounts // by account ID
	total      *accountCounts
	controls   []controlTally // by Controls
	buckets    []int          // by dayBuckets, then unknown
	unusedKeys int
}

func summarize(in *Input) (*summaryStats, error) {
	asOf := in.AsOf.UTC()
	byID := map[string]*accountCounts{}
	get := func(id string) *accountCounts {
		a, ok := byID[id]
		if !ok {
			a = newCounts()
			a.scope.AccountID = id
			byID[id] = a
		}
		return a
	}
	for _, s := range in.Accounts {
		a := get(s.AccountID)
		a.scope, a.inScope = s, true
	}
	st := &summaryStats{total: newCounts(), controls: make([]controlTally, len(Controls)), buckets: make([]int, len(dayBuckets)+1)}
	results := make([]string, len(Controls))
	for i := range in.Findings {
		fd := &in.Findings[i]
		si := slices.Index(Statuses, fd.Status)
		di := slices.Index(Decisions, fd.Decision)
		if si < 0 || di < 0 {
			return nil, fmt.Errorf("finding %d (%s/%s): status %q or decision %q is not one the report knows (statuses %v, decisions %v)",
				i+1, fd.AccountID, fd.UserName, fd.Status, fd.Decision, Statuses, Decisions)
		}
		for j, c := range Controls {
			results[j] = ControlResult(fd, asOf, c.Threshold)
			t := &st.controls[j]
			switch results[j] {
			case ControlFail:
				t.fail++
			case ControlPass:
				t.pass++
			case ControlUnknown:
				t.unknown++
			case ControlNotAssessed:
				t.notAssessed++
			default:
				t.na++
			}
		}
		if a := get(fd.AccountID); fd.CredentialReportGiven || fd.InCredentialReport {
			a.reportGiven = true
			if fd.ReportGeneratedAt.After(a.reportGen) {
				a.reportGen = fd.ReportGeneratedAt
			}
			if fd.ReportNotBefore.After(a.notBefore) {
				a.notBefore = fd.ReportNotBefore
			}
		}
		for _, a := range []*accountCounts{get(fd.AccountID), st.total} {
			a.users++
			a.statuses[si]++
			a.decisions[di]++
			for j := range Controls {
				if results[j] == ControlFail {
					a.failing[j]++
				}
			}
		}
		st.unusedKeys += len(fd.UnusedKeys)
		if !isRoot(fd) {
			b := len(dayBuckets) // unknown
			if fd.DaysInactive >= 0 {
				for k := len(dayBuckets) - 1; k >= 0; k-- {
					if fd.DaysInactive >= dayBuckets[k].from {
						b = k
						break
					}
				}
			}
			st.buckets[b]++
		}
	}
	countIaC(in.References, get, st.total)
	for _, a := range byID {
		st.accounts = append(st.accounts, a)
	}
	slices.SortFunc(st.accounts, func(a, b *accountCounts) int { return cmp.Compare(a.scope.AccountID, b.scope.AccountID) })
	return st, nil
}

// accountCoverage is the trail's span per account: the account-level row
// when the engine wrote one, else the union of its regions.
func accountCoverage(cov []tables.Coverage) map[string]tables.Coverage {
	whole := map[string]tables.Coverage{}
	union := map[string]tables.Coverage{}
	for _, c := range cov {
		if c.Region == "" {
			whole[c.AccountID] = c
			continue
		}
		u, ok := union[c.AccountID]
		if !ok {
			union[c.AccountID] = c
			continue
		}
		if !c.FirstEvent.IsZero() && (u.FirstEvent.IsZero() || c.FirstEvent.Before(u.FirstEvent)) {
			u.FirstEvent = c.FirstEvent
		}
		if c.LastEvent.After(u.LastEvent) {
			u.LastEvent = c.LastEvent
		}
		u.Events += c.Events
		union[c.AccountID] = u
	}
	for id, c := range whole {
		union[id] = c
	}
	return union
}

// summarySheet writes cells of the Summary with the plain (non-streaming)
// API: the sheet is small, and charts need ordinary cells.
type summarySheet struct {
	wb *workbook
	r  int // next row
}

func (s *summarySheet) set(col, row int, v any, style int) error {
	ref := cellName(col, row)
	if v == nil {
		return nil
	}
	if t, ok := v.(time.Time); ok {
		if t.IsZero() {
			return nil
		}
		v = t.UTC()
	}
	if err := s.wb.f.SetCellValue(SheetSummary, ref, v); err != nil {
		return fmt.Errorf("setting %s: %w", ref, err)
	}
	if style != 0 {
		if err := s.wb.f.SetCellStyle(SheetSummary, ref, ref, style); err != nil {
			return fmt.Errorf("styling %s: %w", ref, err)
		}
	}
	return nil
}

// header writes a table header at the current row and moves past it.
func (s *summarySheet) header(titles ...string) error {
	for i, h := range titles {
		if err := s.set(i+1, s.r, h, s.wb.styles.header); err != nil {
			return err
		}
	}
	s.r++
	return nil
}

func (s *summarySheet) section(title string) error {
	s.r++
	if err := s.set(1, s.r, title, s.wb.styles.section); err != nil {
		return err
	}
	s.r++
	return nil
}

func (s *summarySheet) note(text string) error {
	if err := s.set(1, s.r, text, s.wb.styles.note); err != nil {
		return err
	}
	s.r++
	return nil
}

// Summary table headers (tests and readers find the tables by them).
var (
	scopeHeader = []string{TitleAccountID, "Assessed", "Not assessed because", "Credential report generated (UTC)",
		"Report age at as-of (hours)", "Report within max age", "CloudTrail first event (UTC)", "CloudTrail last event (UTC)",
		"CloudTrail events", "Trail covers window start", "Trail coverage"}
	controlsHeader = []string{"Control", "Standard", "Title", "Threshold (days)", "Users failing", "Users passing", "Unknown", "Not assessed", "Not applicable"}
)

// countsHeader is the counts table's header: account, users, statuses,
// decisions, then users failing each control.
func countsHeader() []string {
	h := append([]string{TitleAccountID, "Users"}, Statuses...)
	h = append(h, Decisions...)
	for _, c := range Controls {
		h = append(h, "Failing "+c.ID)
	}
	return append(h, TitleIaCManaged)
}

// TitleIaCManaged heads the Summary's count of users infrastructure as code
// manages (Terraform or CloudFormation), whatever their decision.
const TitleIaCManaged = "IaC-managed users"

// countIaC counts, per account and in total, the users an ownership
// reference (tables.Reference.IaCChange) names, each user once.
func countIaC(refs []tables.Reference, get func(string) *accountCounts, total *accountCounts) {
	seen := map[string]bool{}
	for i := range refs {
		r := &refs[i]
		if _, ok := r.IaCChange(); !ok {
			continue
		}
		k := r.AccountID + "/" + cmp.Or(r.UserID, r.UserARN, r.UserName)
		if seen[k] {
			continue
		}
		seen[k] = true
		get(r.AccountID).iac++
		total.iac++
	}
}

func writeSummary(ctx context.Context, wb *workbook, in *Input) error {
	st := &wb.styles
	stats, err := summarize(in)
	if err != nil {
		return err
	}
	s := &summarySheet{wb: wb, r: 1}
	if err := s.set(1, 1, "Dormant IAM users", st.title); err != nil {
		return err
	}
	if err := s.set(1, 2, "Every IAM user of the accounts assessed, why each is or is not in use, and what remediation will do. "+
		"The Method sheet states the rules; all times are UTC.", st.note); err != nil {
		return err
	}
	if err := writeFacts(s, in, stats); err != nil {
		return err
	}
	if err := writeSignOff(s); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := writeScope(s, in, stats); err != nil {
		return err
	}
	statusHeaderRow, totalRow, err := writeCounts(s, stats)
	if err != nil {
		return err
	}
	if err := writeControls(s, stats); err != nil {
		return err
	}
	histFirst, err := writeHistogram(s, stats)
	if err != nil {
		return err
	}
	for col, w := range []float64{34, 30, 30, 22, 14, 14, 22, 22, 12, 12} {
		name := colName(col + 1)
		if err := wb.f.SetColWidth(SheetSummary, name, name, w); err != nil {
			return fmt.Errorf("setting column width: %w", err)
		}
	}
	last := colName(len(countsHeader()))
	if err := wb.f.SetColWidth(SheetSummary, "K", last, 12); err != nil {
		return fmt.Errorf("setting column width: %w", err)
	}
	// The charts go last, below every table, once the columns have their
	// widths: a chart's anchor is computed from them.
	return addCharts(wb, statusHeaderRow, totalRow, histFirst, s.r+1)
}

// factRows is where the facts start.
const factRows = 4

func writeFacts(s *summarySheet, in *Input, stats *summaryStats) error {
	st := &s.wb.styles
	assessed, notAssessed := 0, 0
	for _, a := range in.Accounts {
		if a.Assessed {
			assessed++
		} else {
			notAssessed++
		}
	}
	var scanned int64
	var cost float64
	for _, q := range in.Queries {
		scanned += q.BytesScanned
		cost += q.CostUSD
	}
	checks := "none"
	if len(in.ReferenceChecks) > 0 {
		checks = strings.Join(in.ReferenceChecks, ", ")
	}
	var maxAge any
	if in.ReportMaxAge() > 0 {
		maxAge = in.ReportMaxAge().Hours() / 24
	}
	dec, err := s.wb.numStyle("0.##")
	if err != nil {
		return err
	}
	usd, err := s.wb.numStyle("0.0000")
	if err != nil {
		return err
	}
	thousands, err := s.wb.numStyle("#,##0")
	if err != nil {
		return err
	}
	exemptTag := in.ExemptTag
	if exemptTag != "" {
		exemptTag += "=true"
	}
	facts := []struct {
		label string
		value any
		style int
	}{
		{SummaryRunIDLabel, in.RunID, 0},
		{"Generated (UTC)", in.StartedAt, st.date},
		{"As of (UTC)", in.AsOf, st.date},
		{"Window (days)", in.WindowDays, st.integer},
		{"Window start (UTC)", in.WindowStart(), st.date},
		{"Delete after (days)", in.DeleteAfterDays, st.integer},
		{"Credential report max age (days)", maxAge, dec},
		{"Exempt tag", exemptTag, 0},
		{"Engine", in.Engine, 0},
		{"Tool version", in.ToolVersion, 0},
		{"Reference checks", checks, 0},
		{"Accounts in scope", len(in.Accounts), st.integer},
		{"Accounts assessed", assessed, st.integer},
		{"Accounts not assessed", notAssessed, st.integer},
		{"Users reported", len(in.Findings), st.integer},
		{"Unused access keys", stats.unusedKeys, st.integer},
		{"Bytes scanned by queries", scanned, thousands},
		{"Estimated query cost (USD)", cost, usd},
	}
	s.r = factRows
	for _, fact := range facts {
		if err := s.set(1, s.r, fact.label, st.label); err != nil {
			return err
		}
		if fact.value != "" {
			if err := s.set(2, s.r, fact.value, fact.style); err != nil {
				return err
			}
		}
		s.r++
	}
	return nil
}

// styled is a value and its cell style.
type styled struct {
	v     any
	style int
}

// writeScope lists every account: assessed or not (and why), and how fresh
// its evidence is.
func writeScope(s *summarySheet, in *Input, stats *summaryStats) error {
	st := &s.wb.styles
	if err := s.section("Scope and data freshness"); err != nil {
		return err
	}
	if err := s.header(scopeHeader...); err != nil {
		return err
	}
	hours, err := s.wb.numStyle("0.0")
	if err != nil {
		return err
	}
	cov := accountCoverage(in.Coverage)
	_, verdicts := coverageGrid(in) // xlsx_coverage.go
	ws := in.WindowStart()
	for _, a := range stats.accounts {
		assessed := "yes"
		switch {
		case !a.inScope:
			assessed = "not in scope list"
		case !a.scope.Assessed:
			assessed = "no"
		}
		gen := a.scope.ReportGeneratedAt
		if gen.IsZero() {
			gen = a.reportGen
		}
		vals := []styled{{a.scope.AccountID, 0}, {assessed, 0}, {a.scope.Error, 0}, {gen, st.date}}
		switch {
		case !gen.IsZero():
			vals = append(vals, styled{max(0, in.AsOf.Sub(gen).Hours()), hours}, styled{reportFreshness(in, gen, a.notBefore), 0})
		case a.scope.Assessed && a.users > 0:
			vals = append(vals, styled{}, styled{reportFreshness(in, gen, a.notBefore), 0})
			if !a.reportGiven {
				vals[len(vals)-1] = styled{"no credential report given: candidates are review", 0}
			}
		default:
			vals = append(vals, styled{}, styled{})
		}
		if c, ok := cov[a.scope.AccountID]; ok {
			covers := "yes"
			if c.FirstEvent.IsZero() || c.FirstEvent.After(ws) {
				covers = "no: candidates are review"
			}
			vals = append(vals, styled{c.FirstEvent, st.date}, styled{c.LastEvent, st.date}, styled{c.Events, st.integer}, styled{covers, 0})
		} else if a.scope.Assessed {
			vals = append(vals, styled{}, styled{}, styled{0, st.integer}, styled{"no events seen: candidates are review", 0})
		}
		for i, v := range vals {
			if v.v == "" {
				continue
			}
			if err := s.set(i+1, s.r, v.v, v.style); err != nil {
				return err
			}
		}
		if v := accountCoverageStatus(verdicts, a.scope.AccountID); v != "" {
			if err := s.set(len(scopeHeader), s.r, v, 0); err != nil {
				return err
			}
		}
		s.r++
	}
	return nil
}

// reportFreshness says whether an account's credential report proves its
// freshness at as-of, as the classifier decides it: its generation time,
// or failing that the latest time inside it, within the maximum age (a
// report generated after as-of is fresh).
func reportFreshness(in *Input, gen, notBefore time.Time) string {
	switch {
	case in.ReportMaxAge() <= 0:
		return "not checked"
	case !gen.IsZero() && !gen.Before(in.AsOf), gen.IsZero() && !notBefore.IsZero() && !notBefore.Before(in.AsOf):
		return "yes: generated after as-of, its last-use dates reach past it"
	case !gen.IsZero() && in.AsOf.Sub(gen) > in.ReportMaxAge():
		return "no: candidates are review"
	case !gen.IsZero():
		return "yes"
	case !notBefore.IsZero() && in.AsOf.Sub(notBefore) <= in.ReportMaxAge():
		return "yes: its latest time is within the maximum age"
	}
	return "age unknown (give --report-generated-at or the CLI's JSON): candidates are review"
}

// writeCounts writes users by status and decision per account, and the
// total; it returns the header row and the total row (the status chart's
// categories and values).
func writeCounts(s *summarySheet, stats *summaryStats) (headerRow, totalRow int, err error) {
	st := &s.wb.styles
	if err := s.section("Users by status and decision"); err != nil {
		return 0, 0, err
	}
	statusCol := 3
	decisionCol := statusCol + len(Statuses)
	controlCol := decisionCol + len(Decisions)
	iacCol := controlCol + len(Controls)
	lastCol := iacCol
	for _, g := range []struct {
		title      string
		from, to   int
		mergeCells bool
	}{
		{"Users by status", statusCol, decisionCol - 1, true},
		{"Users by decision", decisionCol, controlCol - 1, true},
		{"Users failing control", controlCol, iacCol - 1, len(Controls) > 1},
	} {
		if err := s.set(g.from, s.r, g.title, st.groupHeader); err != nil {
			return 0, 0, err
		}
		if g.mergeCells {
			if err := s.wb.f.MergeCell(SheetSummary, cellName(g.from, s.r), cellName(g.to, s.r)); err != nil {
				return 0, 0, fmt.Errorf("merging header: %w", err)
			}
		}
	}
	s.r++
	headerRow = s.r
	if err := s.header(countsHeader()...); err != nil {
		return 0, 0, err
	}
	row := func(label string, a *accountCounts, style, labelStyle int) error {
		if err := s.set(1, s.r, label, labelStyle); err != nil {
			return err
		}
		vals := []any{a.users}
		for _, n := range a.statuses {
			vals = append(vals, n)
		}
		for _, n := range a.decisions {
			vals = append(vals, n)
		}
		for _, n := range a.failing {
			vals = append(vals, n)
		}
		vals = append(vals, a.iac)
		if err := s.wb.f.SetSheetRow(SheetSummary, cellName(2, s.r), &vals); err != nil {
			return fmt.Errorf("writing counts row %d: %w", s.r, err)
		}
		if err := s.wb.f.SetCellStyle(SheetSummary, cellName(2, s.r), cellName(lastCol, s.r), style); err != nil {
			return fmt.Errorf("styling counts row %d: %w", s.r, err)
		}
		s.r++
		return nil
	}
	for _, a := range stats.accounts {
		if err := row(a.scope.AccountID, a, st.integer, 0); err != nil {
			return 0, 0, err
		}
	}
	totalRow = s.r
	if err := row("Total", stats.total, st.boldInt, st.bold); err != nil {
		return 0, 0, err
	}
	return headerRow, totalRow, nil
}

func writeControls(s *summarySheet, stats *summaryStats) error {
	if err := s.section("Controls evidenced"); err != nil {
		return err
	}
	if err := s.header(controlsHeader...); err != nil {
		return err
	}
	for i, c := range Controls {
		t := stats.controls[i]
		vals := []any{c.ID, c.Standard, c.Title, c.Threshold, t.fail, t.pass, t.unknown, t.notAssessed, t.na}
		if err := s.wb.f.SetSheetRow(SheetSummary, cellName(1, s.r), &vals); err != nil {
			return fmt.Errorf("writing control %s: %w", c.ID, err)
		}
		// The standards and the title are long: they wrap in their
		// columns rather than run over the counts beside them.
		if err := s.wb.f.SetCellStyle(SheetSummary, cellName(2, s.r), cellName(3, s.r), s.wb.styles.wrap); err != nil {
			return fmt.Errorf("styling control %s: %w", c.ID, err)
		}
		s.r++
	}
	return s.note("A user fails when its console password or an active access key has gone unused for the threshold or longer; " +
		"a credential never used counts from its creation (AWS Config iam-user-unused-credentials-check). " +
		"Evaluated at as-of, whatever the run's window. The root user is not an IAM user: not applicable. " +
		"A user the credential report does not list (or whose account's report was not given) is not assessed, never passing.")
}

// writeHistogram writes users by days since last activity (the histogram
// chart's data) and returns its first data row.
func writeHistogram(s *summarySheet, stats *summaryStats) (int, error) {
	if err := s.section("Users by days since last activity"); err != nil {
		return 0, err
	}
	if err := s.header("Days since last activity", "Users"); err != nil {
		return 0, err
	}
	first := s.r
	labels := make([]string, 0, len(dayBuckets)+1)
	for _, b := range dayBuckets {
		labels = append(labels, b.label)
	}
	labels = append(labels, unknownBucket)
	for i, l := range labels {
		vals := []any{l, stats.buckets[i]}
		if err := s.wb.f.SetSheetRow(SheetSummary, cellName(1, s.r), &vals); err != nil {
			return 0, fmt.Errorf("writing histogram row: %w", err)
		}
		if err := s.wb.f.SetCellStyle(SheetSummary, cellName(2, s.r), cellName(2, s.r), s.wb.styles.integer); err != nil {
			return 0, fmt.Errorf("styling histogram row: %w", err)
		}
		s.r++
	}
	return first, s.note("Days from last activity (never used: from creation) to as-of; the root user is left out. Unknown: neither is known.")
}

// Chart size, in pixels.
const (
	chartWidth  = 480
	chartHeight = 300
)

// chartRows is how many default-height rows (20 px) a chart and the gap
// below it take.
const chartRows = chartHeight/20 + 2

// addCharts draws the status counts and the histogram one below the other
// from row below, under every table, on a printed page of their own:
// nothing on the sheet lies under them, however many columns or rows the
// tables grow by.
func addCharts(wb *workbook, statusHeaderRow, totalRow, histFirst, below int) error {
	ref := func(col, row int) string { return "Summary!$" + colName(col) + "$" + fmt.Sprint(row) }
	rng := func(c1, r1, c2, r2 int) string {
		return ref(c1, r1) + ":$" + colName(c2) + "$" + fmt.Sprint(r2)
	}
	statusFirst, statusLast := 3, 3+len(Statuses)-1
	histLast := histFirst + len(dayBuckets)
	gap := uint(20)
	charts := []*excelize.Chart{
		{
			Type: excelize.Col,
			Series: []excelize.ChartSeries{{
				Name:       ref(1, totalRow),
				Categories: rng(statusFirst, statusHeaderRow, statusLast, statusHeaderRow),
				Values:     rng(statusFirst, totalRow, statusLast, totalRow),
			}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Users by status"}}},
			Legend:    excelize.ChartLegend{Position: "none"},
			PlotArea:  excelize.ChartPlotArea{ShowVal: true},
			Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
			Format:    excelize.GraphicOptions{AltText: "Users by status, all accounts", OffsetX: 10},
		},
		{
			Type: excelize.Col,
			Series: []excelize.ChartSeries{{
				Name:       ref(2, histFirst-1),
				Categories: rng(1, histFirst, 1, histLast),
				Values:     rng(2, histFirst, 2, histLast),
			}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Users by days since last activity"}}},
			Legend:    excelize.ChartLegend{Position: "none"},
			PlotArea:  excelize.ChartPlotArea{ShowVal: true},
			GapWidth:  &gap,
			Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
			Format:    excelize.GraphicOptions{AltText: "Histogram of users by days since last activity", OffsetX: 10},
		},
	}
	// A page break above the charts keeps them together on a page of
	// their own when printed, rather than cut wherever the tables end.
	if err := wb.f.InsertPageBreak(SheetSummary, cellName(1, below)); err != nil {
		return fmt.Errorf("breaking the page before the charts: %w", err)
	}
	for i, c := range charts {
		if err := wb.f.AddChart(SheetSummary, cellName(1, below+i*chartRows), c); err != nil {
			return fmt.Errorf("adding chart %q: %w", c.Title.Paragraph[0].Text, err)
		}
	}
	return nil
}
