package reports

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// htmlRowTemplate is the findings table's rows as html/template rendered
// them before writeFindings replaced it: the reference the hand-written
// rows must match byte for byte, escaping included.
const htmlRowTemplate = `{{- range $f := .}}
<tbody class="finding" data-account="{{$f.F.AccountID}}" data-status="{{$f.F.Status}}" data-decision="{{$f.F.Decision}}" data-text="{{$f.Text}}">
<tr class="row"><td>{{$f.F.AccountID}}</td><td class="user">{{$f.F.UserName}}</td><td><span class="pill s-{{$f.F.Status}}">{{$f.F.Status}}</span></td><td><span class="pill d-{{$f.F.Decision}}">{{$f.F.Decision}}</span></td><td>{{$f.Last}}</td><td>{{$f.F.LastActivitySource}}</td><td data-k="{{$f.Days}}" class="num">{{if $f.Days}}{{$f.Days}}{{else}}unknown{{end}}</td><td class="num">{{$f.F.References}}</td><td class="reasons">{{$f.Reasons}}</td><td><button type="button" class="toggle" aria-expanded="true">Evidence</button></td></tr>
<tr class="evidence"><td colspan="{{$f.Span}}">
<div class="ev">
<div><h4>Why</h4><ul>{{range $f.F.Reasons}}<li>{{.}}</li>{{else}}<li class="muted">no reasons recorded</li>{{end}}</ul>
<h4>Controls</h4><dl class="kv">{{range $f.Controls}}<dt>{{.Label}}</dt><dd class="c-{{.Value}}">{{.Value}}</dd>{{end}}</dl>
<h4>References ({{len $f.Refs}} listed, {{$f.F.References}} counted)</h4>
{{- if $f.Refs}}
<table class="refs"><thead><tr><th>Kind</th><th>Resource</th><th>Region</th><th>Location</th><th>Match</th></tr></thead><tbody>
{{- range $f.Refs}}<tr><td>{{.Kind}}</td><td>{{.ResourceARN}}</td><td>{{.Region}}</td><td>{{.Location}}</td><td>{{.Match}}</td></tr>{{end}}
</tbody></table>
{{- else}}<p class="muted">No policy or tag names this user.</p>{{end}}</div>
<div><h4>Evidence</h4><dl class="kv">{{range $f.Evidence}}<dt>{{.Label}}</dt><dd>{{.Value}}</dd>{{end}}</dl></div>
</div>
</td></tr>
</tbody>
{{- end}}`

// htmlFinding is one row of the findings table and its evidence, as the
// reference template takes it.
type htmlFinding struct {
	F        *tables.Finding
	Span     int
	Text     string
	Last     string
	Days     string
	Reasons  string
	Evidence []htmlFact
	Controls []htmlFact
	Refs     []tables.Reference
}

func (p *htmlPage) referenceFinding(f *tables.Finding) *htmlFinding {
	h := &htmlFinding{
		F:       f,
		Span:    p.Span,
		Last:    FormatTime(f.LastActivity),
		Reasons: strings.Join(f.Reasons, ReasonSeparator),
		Refs:    p.refs[[2]string{f.AccountID, f.UserName}],
	}
	if f.DaysInactive >= 0 {
		h.Days = strconv.FormatInt(f.DaysInactive, 10)
	}
	h.Text = strings.ToLower(strings.Join([]string{f.UserID, f.ARN, f.Exemption, f.ExemptionOwner}, " "))
	for _, c := range p.details {
		h.Evidence = append(h.Evidence, htmlFact{c.title, htmlValue(c.kind, c.get(f))})
	}
	for _, c := range Controls {
		h.Controls = append(h.Controls, htmlFact{c.ID + " (" + strconv.Itoa(c.Threshold) + " days)", ControlResult(f, p.asOf, c.Threshold)})
		for slot, active := range []bool{f.Key1Active, f.Key2Active} {
			if active && f.InCredentialReport && !isRoot(f) {
				h.Controls = append(h.Controls, htmlFact{fmt.Sprintf("%s access key %d", c.ID, slot+1), KeyControlResult(f, int64(slot+1), p.asOf, c.Threshold)})
			}
		}
	}
	return h
}

// TestHTMLRowsMatchTemplate: the hand-written findings rows are byte for
// byte what html/template made of them, for ordinary, hostile and odd
// (NUL, plus sign, quotes, non-ASCII, invalid UTF-8) text.
func TestHTMLRowsMatchTemplate(t *testing.T) {
	tmpl := template.Must(template.New("rows").Parse(htmlRowTemplate))
	assets, err := loadHTMLAssets()
	if err != nil {
		t.Fatal(err)
	}
	odd := hostileInput()
	o := &odd.Findings[0]
	o.UserName, o.UserID = "a\x00b+c'd\"e&f<g>h ÄÖ \xff\xfe", "AIDA+Ä"
	o.Reasons = append(o.Reasons, "x+y\x00z")
	o.LastActivitySource = "<src>&"
	odd.Findings[1].Reasons = nil
	for name, in := range map[string]*Input{"sample": sampleInput(), "hostile": hostileInput(), "odd": odd, "large": largeInput(3000)} {
		t.Run(name, func(t *testing.T) {
			p, err := newHTMLPage(context.Background(), in, assets)
			if err != nil {
				t.Fatal(err)
			}
			var rows []*htmlFinding
			for i := range in.Findings {
				rows = append(rows, p.referenceFinding(&in.Findings[i]))
			}
			var want, got bytes.Buffer
			if err := tmpl.Execute(&want, rows); err != nil {
				t.Fatal(err)
			}
			bw := bufio.NewWriter(&got)
			if err := p.writeFindings(bw); err != nil {
				t.Fatal(err)
			}
			if err := bw.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				g, w := got.Bytes(), want.Bytes()
				i := 0
				for i < min(len(g), len(w)) && g[i] == w[i] {
					i++
				}
				t.Errorf("rows differ at byte %d:\ngot  %q\nwant %q", i, g[max(0, i-100):min(len(g), i+100)], w[max(0, i-100):min(len(w), i+100)])
			}
		})
	}
}
