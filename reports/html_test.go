package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

func writeHTML(t testing.TB, in *Input) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := NewHTMLWriter().Write(context.Background(), &buf, in); err != nil {
		t.Fatalf("HTML writer: %v", err)
	}
	return buf.Bytes()
}

// csvCounts counts the CSV's rows by account, status and decision, keyed as
// the HTML report's data-count attributes are ("<account>|status|<s>",
// "total|decision|<d>", "<account>|users").
func csvCounts(t testing.TB, in *Input) (map[string]int, [][]string) {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(writeCSV(t, in))).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	counts := map[string]int{}
	for _, r := range records[1:] {
		for _, acct := range []string{r[col["account_id"]], "total"} {
			counts[acct+"|users"]++
			counts[acct+"|status|"+r[col["status"]]]++
			counts[acct+"|decision|"+r[col["decision"]]]++
		}
	}
	return counts, records
}

var dataCountRE = regexp.MustCompile(`data-count="([^"]+)">(\d+)<`)

// htmlCounts reads the counts table of a page (as written or as a browser
// dumped it): every non-zero cell, keyed by its data-count.
func htmlCounts(t testing.TB, page []byte) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, m := range dataCountRE.FindAllSubmatch(page, -1) {
		n, err := strconv.Atoi(string(m[2]))
		if err != nil {
			t.Fatalf("count %q: %v", m[0], err)
		}
		if _, dup := got[string(m[1])]; dup {
			t.Fatalf("count %q appears twice", m[1])
		}
		if n != 0 {
			got[string(m[1])] = n
		}
	}
	if len(got) == 0 {
		t.Fatalf("the page has no counts (data-count cells)")
	}
	return got
}

func compareCounts(t testing.TB, got, want map[string]int) {
	t.Helper()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("count %s: the page shows %d, the CSV has %d", k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("count %s: the page shows %d, the CSV has none", k, n)
		}
	}
}

func TestHTMLCountsMatchCSV(t *testing.T) {
	in := sampleInput()
	page := writeHTML(t, in)
	want, records := csvCounts(t, in)
	compareCounts(t, htmlCounts(t, page), want)
	if n := bytes.Count(page, []byte(`<tbody class="finding"`)); n != len(records)-1 {
		t.Errorf("the findings table has %d users, the CSV %d", n, len(records)-1)
	}
}

var (
	styleRE  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	cspRE    = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`)
)

// TestHTMLSelfContained: the only style and script are inline and admitted
// by their hashes, the policy forbids every fetch, and nothing in the page
// points outside it.
func TestHTMLSelfContained(t *testing.T) {
	page := writeHTML(t, sampleInput())
	m := cspRE.FindSubmatch(page)
	if m == nil {
		t.Fatal("no Content-Security-Policy meta element")
	}
	csp := html.UnescapeString(string(m[1]))
	if !strings.HasPrefix(csp, "default-src 'none';") {
		t.Errorf("policy %q does not start with default-src 'none'", csp)
	}
	for _, d := range []string{"connect-src", "http:", "https:", "*", "'unsafe-inline'", "'unsafe-eval'"} {
		if strings.Contains(csp, d) {
			t.Errorf("policy %q allows %s", csp, d)
		}
	}
	for _, c := range []struct {
		re        *regexp.Regexp
		directive string
	}{{styleRE, "style-src"}, {scriptRE, "script-src"}} {
		all := c.re.FindAllSubmatch(page, -1)
		if len(all) != 1 {
			t.Fatalf("%d inline %s elements, want 1", len(all), c.directive)
		}
		sum := sha256.Sum256(all[0][1])
		want := c.directive + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %s: the browser would block the page's own %s", csp, want, c.directive)
		}
	}
	if n := bytes.Count(page, []byte("<script")); n != 1 {
		t.Errorf("%d script elements, want the one inline script", n)
	}
	if loc := regexp.MustCompile(`(?i)\s(src|href|action|srcset|xlink:href)=`).FindIndex(page); loc != nil {
		t.Errorf("the page links out: %q", page[loc[0]:min(len(page), loc[1]+60)])
	}
}

func TestHTMLDeterministic(t *testing.T) {
	// verify regenerates every report and compares it byte for byte.
	in := sampleInput()
	if a, b := writeHTML(t, in), writeHTML(t, in); !bytes.Equal(a, b) {
		t.Error("two writes of the same input differ")
	}
}

func TestHTMLEvidenceAndCoverage(t *testing.T) {
	page := string(writeHTML(t, sampleInput()))
	for _, want := range []string{
		// grace's references, in her evidence
		"<td>s3 bucket policy</td><td>arn:aws:s3:::payroll</td><td>us-east-1</td><td>Principal</td>",
		"References (2 listed, 2 counted)",
		// every finding column the row does not show, titled as in the workbook
		"<dt>User ID</dt><dd>AIDAGRACE00000000007</dd>", "<dt>Key 2 last used (UTC)</dt>", "<dt>Exemption reason</dt><dd></dd>",
		// unknown is not false: ivan is not in authorization details
		"<dt>In credential report</dt><dd>true</dd>",
		// per-account coverage verdicts
		`<article class="account incomplete" data-account="222222222222">`,
		CoverageIncomplete + ": the trail starts after the window start",
		CoverageIncomplete + ": no CloudTrail events",
		"AssumeRole denied: AccessDenied",
		`<rect class="day-covered"`,
		// controls per user and key
		"<dt>IAM.22 access key 2</dt><dd class=\"c-fail\">fail</dd>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// hostileInput has HTML, script and attribute breakouts everywhere text
// comes from AWS or the allowlist.
func hostileInput() *Input {
	in := sampleInput()
	const (
		script = `<script>document.documentElement.setAttribute("data-pwned","script")</script>`
		img    = `"><img src=x onerror="document.documentElement.setAttribute('data-pwned','img')">`
		style  = `</style><script>document.documentElement.setAttribute("data-pwned","style")</script>`
	)
	f := &in.Findings[1]
	f.UserName, f.ARN = script, "arn:aws:iam::111111111111:user/"+script
	g := &in.Findings[2]
	g.UserName, g.Path = img, "/"+img+"/"
	g.Reasons = append(g.Reasons, style, `'-alert(1)-'`)
	h := &in.Findings[4] // frank, allowlisted
	h.Exemption, h.ExemptionReason, h.ExemptionOwner = "tag:"+img+"=true", style, img
	in.References = append(in.References, tables.Reference{
		AccountID: f.AccountID, UserName: f.UserName, UserID: f.UserID, Kind: img, ResourceARN: script, Location: "Tag:" + style, Match: img,
	})
	in.Accounts[3].Error = img + script
	in.RunID = "run-" + img
	in.ExemptTag = img
	return in
}

// TestHTMLEscapesHostileText: names, reasons, tags and errors holding HTML
// come out as text; the only script element is the report's own.
func TestHTMLEscapesHostileText(t *testing.T) {
	page := writeHTML(t, hostileInput())
	for _, bad := range []string{"<img", "<script>document", "</style><script", `onerror="document`} {
		if bytes.Contains(page, []byte(bad)) {
			i := bytes.Index(page, []byte(bad))
			t.Errorf("the page holds %q unescaped: %q", bad, page[max(0, i-80):min(len(page), i+80)])
		}
	}
	if n := bytes.Count(page, []byte("<script")); n != 1 {
		t.Errorf("%d script elements, want the report's own one", n)
	}
	if !bytes.Contains(page, []byte(`&lt;script&gt;document.documentElement.setAttribute(&#34;data-pwned&#34;,&#34;script&#34;)&lt;/script&gt;`)) {
		t.Error("the hostile user name is not shown as escaped text")
	}
}

func TestHTMLCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := NewHTMLWriter().Write(ctx, &countingWriter{}, largeInput(10_000))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled write returned %v, want context.Canceled", err)
	}
}

func TestHTMLEmptyRun(t *testing.T) {
	// No findings, no coverage, no accounts: a page all the same.
	page := writeHTML(t, &Input{Run: record.Run{RunID: "empty", AsOf: asOf, StartedAt: generated, WindowDays: 90}})
	if !bytes.Contains(page, []byte(`data-count="total|users">0<`)) {
		t.Error("an empty run's page does not count 0 users")
	}
}

func TestHTMLRejectsUnknownStatus(t *testing.T) {
	in := sampleInput()
	in.Findings[0].Status = "sleeping"
	if err := NewHTMLWriter().Write(context.Background(), &countingWriter{}, in); err == nil || !strings.Contains(err.Error(), "sleeping") {
		t.Errorf("an unknown status gave %v, want an error naming it", err)
	}
}

// TestHTMLShowsEveryFindingColumn: each column of the CSV is in the table's
// row or in every user's evidence, so the page omits nothing the CSV has.
func TestHTMLShowsEveryFindingColumn(t *testing.T) {
	in := sampleInput()
	page := string(writeHTML(t, in))
	page = page[strings.Index(page, `<section id="findings">`):strings.Index(page, `<section id="coverage">`)]
	users := len(in.Findings)
	for i, name := range FindingColumns() {
		title := FindingTitles()[i]
		inRow := slices.Contains(htmlRowColumns, name)
		evidence := strings.Count(page, "<dt>"+html.EscapeString(title)+"</dt>")
		switch {
		case inRow && evidence != 0:
			t.Errorf("column %s is in the row and %d times in the evidence", name, evidence)
		case !inRow && evidence != users:
			t.Errorf("column %s is in %d users' evidence, want all %d", name, evidence, users)
		}
	}
	for _, name := range htmlRowColumns {
		if !slices.Contains(FindingColumns(), name) {
			t.Errorf("the row shows %q, which is no findings column", name)
		}
	}
}

// TestHTMLCoverageMatchesWorkbook: the page's coverage grid and verdicts are
// the workbook's Coverage sheet, day by day (coverageDayState restates
// writeCoverageGrid's rule, so this catches the two drifting apart).
func TestHTMLCoverageMatchesWorkbook(t *testing.T) {
	gappy := sampleInput()
	var cells []tables.Coverage
	for _, c := range gappy.Coverage {
		// 111's eu-west-1 loses 2026-09-03..09.
		if d := c.Hour.Format("2006-01-02"); c.Region == "eu-west-1" && d >= "2026-09-03" && d <= "2026-09-09" {
			continue
		}
		cells = append(cells, c)
	}
	gappy.Coverage = cells
	for name, in := range map[string]*Input{"sample": sampleInput(), "gaps": gappy} {
		t.Run(name, func(t *testing.T) {
			stats, err := summarize(in)
			if err != nil {
				t.Fatal(err)
			}
			accounts, days := htmlCoverage(in, stats)
			regions := map[[2]string]htmlCoverageRegion{}
			verdicts := map[string]string{}
			for _, a := range accounts {
				verdicts[a.AccountID] = a.Status
				for _, r := range a.Regions {
					regions[[2]string{a.AccountID, r.Region}] = r
				}
			}
			f := openXLSX(t, writeXLSX(t, in))
			_, rows := byTitle(t, f, SheetCoverage)
			rows = coverageTableRows(rows)
			if len(rows) != len(regions) {
				t.Errorf("the workbook has %d coverage rows, the page %d", len(rows), len(regions))
			}
			gaps := 0
			for _, row := range rows {
				acct := row[TitleAccountID]
				r, ok := regions[[2]string{acct, row["Region"]}]
				if !ok {
					t.Errorf("the page has no coverage row for %s %s", acct, row["Region"])
					continue
				}
				if row["Account coverage"] != verdicts[acct] {
					t.Errorf("%s: the page says %q, the workbook %q", acct, verdicts[acct], row["Account coverage"])
				}
				if row["Gap days"] != strconv.Itoa(r.Gaps) || row["Note"] != r.Note {
					t.Errorf("%s %s: the page has %d gap days (%q), the workbook %s (%q)", acct, row["Region"], r.Gaps, r.Note, row["Gap days"], row["Note"])
				}
				for i, d := range days {
					if row[d] != r.Days[i].State {
						t.Errorf("%s %s on %s: the page says %q, the workbook %q", acct, row["Region"], d, r.Days[i].State, row[d])
					}
					if r.Days[i].State == DayGap {
						gaps++
					}
				}
			}
			if name == "gaps" && gaps == 0 {
				t.Error("the gappy input shows no gap day: the test proves nothing")
			}
		})
	}
}
