package reports

import (
	"bufio"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// HTMLPath is where the HTML report goes in the run directory.
const HTMLPath = "reports/dormant-report.html"

//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlFS embed.FS

// htmlAssets are the parsed template and the inline style and script, with
// the Content-Security-Policy that admits exactly those two and nothing else.
type htmlAssets struct {
	tmpl *template.Template
	css  template.CSS
	js   template.JS
	csp  string
}

var loadHTMLAssets = sync.OnceValues(func() (*htmlAssets, error) {
	css, err := htmlFS.ReadFile("html/report.css")
	if err != nil {
		return nil, fmt.Errorf("reading the embedded html/report.css: %w", err)
	}
	js, err := htmlFS.ReadFile("html/report.js")
	if err != nil {
		return nil, fmt.Errorf("reading the embedded html/report.js: %w", err)
	}
	tmpl, err := template.New("report.html.tmpl").ParseFS(htmlFS, "html/report.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parsing the embedded html/report.html.tmpl: %w", err)
	}
	// The report is opened from disk, often offline, and carries names from
	// AWS: the policy forbids every fetch (default-src 'none') and runs only
	// the style and script below, by hash, so injected markup can neither
	// run nor call out.
	csp := fmt.Sprintf("default-src 'none'; style-src 'sha256-%s'; script-src 'sha256-%s'; img-src data:; base-uri 'none'; form-action 'none'",
		sha256Base64(css), sha256Base64(js))
	return &htmlAssets{tmpl: tmpl, css: template.CSS(css), js: template.JS(js), csp: csp}, nil
})

func sha256Base64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

type htmlWriter struct{}

// NewHTMLWriter writes reports/dormant-report.html: one self-contained page
// (inline style, script and SVG charts; a Content-Security-Policy that
// forbids every network fetch) with the run's summary, charts of the users
// by status and decision per account, the findings table (filtered and
// sorted in the page; the filter can be given in the URL fragment, e.g.
// #status=inactive&q=alice), each user's evidence and references, and the
// trail coverage per account. Every value is escaped by html/template; the
// output depends only on the input, so a regenerated report is identical.
func NewHTMLWriter() Writer { return htmlWriter{} }

func init() { RegisterOptional(NewHTMLWriter()) }

func (htmlWriter) Name() string { return "html" }
func (htmlWriter) Path() string { return HTMLPath }

func (htmlWriter) Write(ctx context.Context, w io.Writer, in *Input) error {
	assets, err := loadHTMLAssets()
	if err != nil {
		return err
	}
	page, err := newHTMLPage(ctx, in, assets)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := assets.tmpl.ExecuteTemplate(bw, "head", page); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	if err := page.writeFindings(bw); err != nil {
		return err
	}
	if err := assets.tmpl.ExecuteTemplate(bw, "tail", page); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

// htmlPage is what the template shows.
type htmlPage struct {
	CSP string
	CSS template.CSS
	JS  template.JS

	RunID string
	Facts []htmlFact
	Users int

	Statuses, Decisions []string
	StatusChart         htmlBarChart
	DecisionChart       htmlBarChart
	AccountChart        htmlStackChart
	Accounts            []htmlAccountCounts
	Total               htmlAccountCounts
	Controls            []htmlControlTally
	Coverage            []htmlCoverageAccount
	FirstDay, LastDay   string // the coverage grid's first and last day
	Columns             []htmlColumn
	Span                int // the findings table's column count

	in      *Input
	ctx     context.Context
	refs    map[[2]string][]tables.Reference
	asOf    time.Time
	details []column
}

type htmlFact struct{ Label, Value string }

// htmlColumn is one column of the findings table; Num sorts it as a number.
type htmlColumn struct {
	Key, Title string
	Num        bool
}

// htmlRowColumns are the findings columns (FindingColumns) the table's row
// shows, so the evidence beneath it need not repeat them.
var htmlRowColumns = []string{"account_id", "user_name", "status", "decision", "last_activity", "last_activity_source", "days_inactive", "references", "reasons"}

var htmlFindingColumns = []htmlColumn{
	{"account", TitleAccountID, false},
	{"user", TitleUserName, false},
	{"status", "Status", false},
	{"decision", "Decision", false},
	{"last", "Last activity (UTC)", false},
	{"source", "Source", false},
	{"days", "Days inactive", true},
	{"refs", "References", true},
	{"reasons", "Reasons", false},
}

type htmlAccountCounts struct {
	AccountID string
	Users     int
	Statuses  []int // by Statuses
	Decisions []int // by Decisions
}

type htmlControlTally struct {
	Control                              Control
	Fail, Pass, Unknown, NotAssessed, NA int
}

func newHTMLPage(ctx context.Context, in *Input, assets *htmlAssets) (*htmlPage, error) {
	stats, err := summarize(in) // xlsx_summary.go: the workbook's own counts
	if err != nil {
		return nil, fmt.Errorf("counting findings for the HTML report: %w", err)
	}
	p := &htmlPage{
		CSP: assets.csp, CSS: assets.css, JS: assets.js,
		RunID: in.RunID, Users: len(in.Findings),
		Statuses: Statuses, Decisions: Decisions,
		Columns: htmlFindingColumns, Span: len(htmlFindingColumns) + 1,
		in: in, ctx: ctx, asOf: in.AsOf.UTC(),
		refs: map[[2]string][]tables.Reference{},
	}
	// The evidence lists every finding column the table's row does not show.
	for _, c := range findingColumns {
		if !slices.Contains(htmlRowColumns, c.name) {
			p.details = append(p.details, c)
		}
	}
	p.Facts = htmlFacts(in, stats)
	for _, a := range stats.accounts {
		p.Accounts = append(p.Accounts, htmlAccountCounts{AccountID: a.scope.AccountID, Users: a.users, Statuses: a.statuses, Decisions: a.decisions})
	}
	p.Total = htmlAccountCounts{AccountID: "Total", Users: stats.total.users, Statuses: stats.total.statuses, Decisions: stats.total.decisions}
	for i, c := range Controls {
		t := stats.controls[i]
		p.Controls = append(p.Controls, htmlControlTally{Control: c, Fail: t.fail, Pass: t.pass, Unknown: t.unknown, NotAssessed: t.notAssessed, NA: t.na})
	}
	p.StatusChart = barChart(Statuses, stats.total.statuses, "s-")
	p.DecisionChart = barChart(Decisions, stats.total.decisions, "d-")
	p.AccountChart = accountChart(p.Accounts)
	for _, r := range in.References {
		k := [2]string{r.AccountID, r.UserName}
		p.refs[k] = append(p.refs[k], r)
	}
	var days []string
	p.Coverage, days = htmlCoverage(in, stats)
	if len(days) > 0 {
		p.FirstDay, p.LastDay = days[0], days[len(days)-1]
	}
	return p, nil
}

func htmlFacts(in *Input, stats *summaryStats) []htmlFact {
	assessed := 0
	for _, a := range in.Accounts {
		if a.Assessed {
			assessed++
		}
	}
	maxAge := "not enforced"
	if in.ReportMaxAge() > 0 {
		maxAge = strconv.FormatFloat(in.ReportMaxAge().Hours()/24, 'f', -1, 64)
	}
	checks := "none"
	if len(in.ReferenceChecks) > 0 {
		checks = strings.Join(in.ReferenceChecks, ", ")
	}
	exempt := ""
	if in.ExemptTag != "" {
		exempt = in.ExemptTag + "=true"
	}
	var scanned int64
	var cost float64
	for _, q := range in.Queries {
		scanned += q.BytesScanned
		cost += q.CostUSD
	}
	return []htmlFact{
		{SummaryRunIDLabel, in.RunID},
		{"Generated (UTC)", FormatTime(in.StartedAt)},
		{"As of (UTC)", FormatTime(in.AsOf)},
		{"Window (days)", strconv.Itoa(in.WindowDays)},
		{"Window start (UTC)", FormatTime(in.WindowStart())},
		{"Delete after (days)", strconv.Itoa(in.DeleteAfterDays)},
		{"Credential report max age (days)", maxAge},
		{"Exempt tag", exempt},
		{"Engine", in.Engine},
		{"Tool version", in.ToolVersion},
		{"Reference checks", checks},
		{"Accounts in scope", strconv.Itoa(len(in.Accounts))},
		{"Accounts assessed", strconv.Itoa(assessed)},
		{"Accounts not assessed", strconv.Itoa(len(in.Accounts) - assessed)},
		{"Users reported", strconv.Itoa(len(in.Findings))},
		{"Unused access keys", strconv.Itoa(stats.unusedKeys)},
		{"Bytes scanned by queries", strconv.FormatInt(scanned, 10)},
		{"Estimated query cost (USD)", strconv.FormatFloat(cost, 'f', 4, 64)},
	}
}

// writeFindings writes the findings table's rows by hand rather than by
// template: html/template's per-value reflection and escaping made them
// most of the report's time and allocations. Every value goes through
// htmlEsc, which escapes exactly as html/template does in these (text and
// quoted plain attribute) contexts, so the markup is what the template made.
func (p *htmlPage) writeFindings(w *bufio.Writer) error {
	var r htmlRowWriter
	r.w = w
	// A control's labels are the same for every user.
	type ctlLabels struct{ user, key1, key2 string }
	labels := make([]ctlLabels, len(Controls))
	for i, c := range Controls {
		labels[i] = ctlLabels{c.ID + " (" + strconv.Itoa(c.Threshold) + " days)", c.ID + " access key 1", c.ID + " access key 2"}
	}
	span := strconv.Itoa(p.Span)
	for i := range p.in.Findings {
		if i%ctxCheckEvery == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		f := &p.in.Findings[i]
		r.raw("\n<tbody class=\"finding\" data-account=\"")
		r.esc(f.AccountID)
		r.raw("\" data-status=\"")
		r.esc(f.Status)
		r.raw("\" data-decision=\"")
		r.esc(f.Decision)
		r.raw("\" data-text=\"")
		r.lower(f.UserID, f.ARN, f.Exemption, f.ExemptionOwner)
		r.raw("\">\n<tr class=\"row\"><td>")
		r.esc(f.AccountID)
		r.raw("</td><td class=\"user\">")
		r.esc(f.UserName)
		r.raw("</td><td><span class=\"pill s-")
		r.esc(f.Status)
		r.raw("\">")
		r.esc(f.Status)
		r.raw("</span></td><td><span class=\"pill d-")
		r.esc(f.Decision)
		r.raw("\">")
		r.esc(f.Decision)
		r.raw("</span></td><td>")
		r.esc(FormatTime(f.LastActivity))
		r.raw("</td><td>")
		r.esc(f.LastActivitySource)
		r.raw("</td><td data-k=\"")
		if f.DaysInactive >= 0 {
			r.int(f.DaysInactive)
			r.raw("\" class=\"num\">")
			r.int(f.DaysInactive)
		} else {
			r.raw("\" class=\"num\">unknown")
		}
		r.raw("</td><td class=\"num\">")
		r.int(f.References)
		r.raw("</td><td class=\"reasons\">")
		for j, reason := range f.Reasons {
			if j > 0 {
				r.esc(ReasonSeparator)
			}
			r.esc(reason)
		}
		r.raw("</td><td><button type=\"button\" class=\"toggle\" aria-expanded=\"true\">Evidence</button></td></tr>\n<tr class=\"evidence\"><td colspan=\"")
		r.raw(span)
		r.raw("\">\n<div class=\"ev\">\n<div><h4>Why</h4><ul>")
		for _, reason := range f.Reasons {
			r.raw("<li>")
			r.esc(reason)
			r.raw("</li>")
		}
		if len(f.Reasons) == 0 {
			r.raw("<li class=\"muted\">no reasons recorded</li>")
		}
		r.raw("</ul>\n<h4>Controls</h4><dl class=\"kv\">")
		for ci, c := range Controls {
			r.control(labels[ci].user, ControlResult(f, p.asOf, c.Threshold))
			// Inactive keys do not fail the controls, and the root user is n/a.
			if f.InCredentialReport && !isRoot(f) {
				if f.Key1Active {
					r.control(labels[ci].key1, KeyControlResult(f, 1, p.asOf, c.Threshold))
				}
				if f.Key2Active {
					r.control(labels[ci].key2, KeyControlResult(f, 2, p.asOf, c.Threshold))
				}
			}
		}
		refs := p.refs[[2]string{f.AccountID, f.UserName}]
		r.raw("</dl>\n<h4>References (")
		r.int(int64(len(refs)))
		r.raw(" listed, ")
		r.int(f.References)
		r.raw(" counted)</h4>")
		if len(refs) > 0 {
			r.raw("\n<table class=\"refs\"><thead><tr><th>Kind</th><th>Resource</th><th>Region</th><th>Location</th><th>Match</th></tr></thead><tbody>")
			for k := range refs {
				ref := &refs[k]
				r.raw("<tr><td>")
				r.esc(ref.Kind)
				r.raw("</td><td>")
				r.esc(ref.ResourceARN)
				r.raw("</td><td>")
				r.esc(ref.Region)
				r.raw("</td><td>")
				r.esc(ref.Location)
				r.raw("</td><td>")
				r.esc(ref.Match)
				r.raw("</td></tr>")
			}
			r.raw("\n</tbody></table>")
		} else {
			r.raw("<p class=\"muted\">No policy or tag names this user.</p>")
		}
		r.raw("</div>\n<div><h4>Evidence</h4><dl class=\"kv\">")
		for _, c := range p.details {
			r.raw("<dt>")
			r.esc(c.title)
			r.raw("</dt><dd>")
			r.esc(htmlValue(c.kind, c.get(f)))
			r.raw("</dd>")
		}
		r.raw("</dl></div>\n</div>\n</td></tr>\n</tbody>")
		if r.err != nil {
			return fmt.Errorf("writing the HTML report's row for user %s in account %s: %w", f.UserName, f.AccountID, r.err)
		}
	}
	return nil
}

// htmlRowWriter writes markup and escaped text to a buffered writer,
// keeping the first error so each call need not be checked.
type htmlRowWriter struct {
	w   *bufio.Writer
	err error
	num []byte
}

func (r *htmlRowWriter) raw(s string) {
	if r.err == nil {
		_, r.err = r.w.WriteString(s)
	}
}

func (r *htmlRowWriter) int(n int64) {
	r.num = strconv.AppendInt(r.num[:0], n, 10)
	if r.err == nil {
		_, r.err = r.w.Write(r.num)
	}
}

func (r *htmlRowWriter) control(label, result string) {
	r.raw("<dt>")
	r.esc(label)
	r.raw("</dt><dd class=\"c-")
	r.esc(result)
	r.raw("\">")
	r.esc(result)
	r.raw("</dd>")
}

// lower writes the words joined by spaces, lower-cased and escaped: the
// text filter's search text beyond what the row shows.
func (r *htmlRowWriter) lower(words ...string) {
	for i, s := range words {
		if i > 0 {
			r.raw(" ")
		}
		r.esc(strings.ToLower(s))
	}
}

// htmlEscapes is html/template's replacement table for text and quoted
// attribute values (its htmlReplacementTable): NUL, the quotes, &, + and
// the angle brackets.
var htmlEscapes = [256]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// esc writes s escaped as html/template escapes it.
func (r *htmlRowWriter) esc(s string) {
	if r.err != nil {
		return
	}
	last := 0
	for i := 0; i < len(s); i++ {
		rep := htmlEscapes[s[i]]
		if rep == "" {
			continue
		}
		if _, r.err = r.w.WriteString(s[last:i]); r.err != nil {
			return
		}
		if _, r.err = r.w.WriteString(rep); r.err != nil {
			return
		}
		last = i + 1
	}
	_, r.err = r.w.WriteString(s[last:])
}

// htmlValue renders a cell as the CSV does, without the spreadsheet formula
// guard (a browser evaluates nothing), and "unknown" where the CSV leaves a
// cell empty because its source was not given: unknown is not false.
func htmlValue(k kind, v cell) string {
	if (k == kInt || k == kBool) && v.null && v.s == "" {
		return "unknown"
	}
	if k == kText {
		return v.s
	}
	return csvValue(k, v)
}
