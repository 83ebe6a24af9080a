package reports

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"html"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/pycheck"
)

// The HTML report is tested in a real browser: Debian's chromium, run
// headless from the command line. --dump-dom prints the DOM after the
// page's script ran (the script records that it finished, and every error
// or blocked fetch, in #report-state and #report-errors), and
// --screenshot keeps a picture of the page as a test artifact. The filter
// is given the way a person links it, in the URL fragment.

// RequireBrowserEnv turns a missing Chromium into a failure (.ci/run sets
// it after installing the chromium package), as DORMANT_REQUIRE_PYTHON_CHECKS
// does for the Python cross-checks.
const RequireBrowserEnv = "DORMANT_REQUIRE_BROWSER"

// headlessChromium is a browser binary and a proxy that records every
// request the browser makes.
type headlessChromium struct {
	path  string
	proxy *recordingProxy
}

func findChromium(t *testing.T) *headlessChromium {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return &headlessChromium{path: p, proxy: newRecordingProxy(t)}
		}
	}
	msg := "no headless Chromium on PATH (Debian: apt-get install chromium)"
	for _, env := range []string{RequireBrowserEnv, pycheck.RequireEnv} {
		if os.Getenv(env) != "" {
			t.Fatalf("%s, and %s is set", msg, env)
		}
	}
	t.Skip(msg)
	return nil
}

// fileURL is the file: URL of path with fragment (e.g. "#status=new").
func fileURL(path, fragment string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String() + fragment
}

// run starts the browser on target with args and returns its standard
// output. A browser that crashes (Chromium now and then dies of a signal in
// a loaded container) is run once more, and the crash logged.
func (c *headlessChromium) run(t *testing.T, target string, args ...string) []byte {
	t.Helper()
	out, err, stderr := c.runOnce(t, target, args)
	var exit *exec.ExitError
	if errors.As(err, &exit) && !exit.Exited() {
		t.Logf("chromium died (%v), running it again:\n%s", err, lastLines(stderr, 5))
		out, err, stderr = c.runOnce(t, target, args)
	}
	if err != nil {
		t.Fatalf("running %s %s %s: %v\n%s", c.path, strings.Join(args, " "), target, err, lastLines(stderr, 20))
	}
	return out
}

func (c *headlessChromium) runOnce(t *testing.T, target string, args []string) ([]byte, error, string) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless",
		// The sandbox needs user namespaces or a setuid helper, which CI's
		// root container lacks; the page is our own file.
		"--no-sandbox",
		"--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-client-side-phishing-detection", "--disable-default-apps", "--disable-domain-reliability",
		"--no-pings", "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter",
		"--user-data-dir=" + t.TempDir(), // a fresh profile: no state between runs
		// Every request goes to the recording proxy, loopback included.
		"--proxy-server=http://" + c.proxy.addr(), "--proxy-bypass-list=<-loopback>",
		// The page's script has run once virtual time passes this budget.
		"--virtual-time-budget=5000",
	}
	cmd := exec.CommandContext(ctx, c.path, slices.Concat(base, args, []string{target})...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return out, err, stderr.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// recordingProxy is an HTTP proxy on loopback that answers nothing and
// records the first line of every request it is sent.
type recordingProxy struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []string
}

func newRecordingProxy(t *testing.T) *recordingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the recording proxy: %v", err)
	}
	p := &recordingProxy{ln: ln}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed by Cleanup
			}
			wg.Go(func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				line, _ := bufio.NewReader(conn).ReadString('\n')
				// Refused at once, so the browser does not wait on it.
				_, _ = conn.Write([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
				line = cmp.Or(strings.TrimSpace(line), "(a connection that sent nothing)")
				if browserOwnRequest(line) {
					return
				}
				p.mu.Lock()
				p.seen = append(p.seen, line)
				p.mu.Unlock()
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return p
}

// browserOwnRequest reports a request Chromium makes for itself, whatever
// page it shows (its clock, account and search services, all on Google's
// hosts): not the page's. A page's fetch of those hosts would still be
// blocked and recorded by its policy (see the page's #report-errors).
func browserOwnRequest(line string) bool {
	f := strings.Fields(line)
	if len(f) < 2 {
		return false
	}
	host := f[1]
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host == "google.com" || strings.HasSuffix(host, ".google.com")
}

func (p *recordingProxy) addr() string { return p.ln.Addr().String() }

func (p *recordingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// renderedPage is what the DOM dump says of the report.
type renderedPage struct {
	dom    []byte
	state  map[string]string // #report-state's data- attributes
	errors []string          // #report-errors' items
	rows   []renderedRow     // the findings table's users, in table order
}

type renderedRow struct {
	account, status, decision, user string
	hidden                          bool
}

var (
	stateRE   = regexp.MustCompile(`<output id="report-state"([^>]*)>`)
	attrRE    = regexp.MustCompile(`\s(data-[a-z]+|hidden)="([^"]*)"`)
	errorsRE  = regexp.MustCompile(`(?s)<ul id="report-errors">(.*?)</ul>`)
	liRE      = regexp.MustCompile(`(?s)<li>(.*?)</li>`)
	findingRE = regexp.MustCompile(`<tbody class="finding"([^>]*)>\s*<tr class="row">(?:<td[^>]*>.*?</td>){1}<td class="user">(.*?)</td>`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		m[a[1]] = html.UnescapeString(a[2])
	}
	return m
}

func parseDOM(t *testing.T, dom []byte) *renderedPage {
	t.Helper()
	p := &renderedPage{dom: dom}
	m := stateRE.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the dumped DOM has no #report-state:\n%.2000s", dom)
	}
	p.state = attrs(string(m[1]))
	if e := errorsRE.FindSubmatch(dom); e != nil {
		for _, li := range liRE.FindAllSubmatch(e[1], -1) {
			p.errors = append(p.errors, html.UnescapeString(string(li[1])))
		}
	}
	for _, f := range findingRE.FindAllSubmatch(dom, -1) {
		a := attrs(string(f[1]))
		_, hidden := a["hidden"]
		p.rows = append(p.rows, renderedRow{
			account: a["data-account"], status: a["data-status"], decision: a["data-decision"],
			user: html.UnescapeString(string(f[2])), hidden: hidden,
		})
	}
	return p
}

// load writes the report for in, opens it with fragment in the browser and
// checks that its script ran without an error or a network request.
func (c *headlessChromium) load(t *testing.T, in *Input, fragment string) *renderedPage {
	t.Helper()
	file := filepath.Join(t.TempDir(), "dormant-report.html")
	if err := os.WriteFile(file, writeHTML(t, in), 0o644); err != nil {
		t.Fatal(err)
	}
	p := parseDOM(t, c.run(t, fileURL(file, fragment), "--dump-dom"))
	if len(p.errors) > 0 {
		t.Errorf("the page recorded errors:\n%s", strings.Join(p.errors, "\n"))
	}
	if p.state["data-ready"] != "1" {
		t.Errorf("the page's script did not finish (report-state %v)", p.state)
	}
	if r := c.proxy.requests(); len(r) > 0 {
		t.Errorf("the browser made network requests: %q", r)
	}
	return p
}

func (p *renderedPage) visible() []renderedRow {
	var out []renderedRow
	for _, r := range p.rows {
		if !r.hidden {
			out = append(out, r)
		}
	}
	return out
}

// csvRow is one CSV record with the columns the browser tests compare.
type csvRow struct {
	account, user, status, decision, days string
}

func csvRows(t *testing.T, records [][]string) []csvRow {
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	var out []csvRow
	for _, r := range records[1:] {
		out = append(out, csvRow{r[col["account_id"]], r[col["user_name"]], r[col["status"]], r[col["decision"]], r[col["days_inactive"]]})
	}
	return out
}

func TestHTMLInChromium(t *testing.T) {
	c := findChromium(t)
	in := sampleInput()
	want, records := csvCounts(t, in)
	rows := csvRows(t, records)

	t.Run("renders with the CSV's counts", func(t *testing.T) {
		p := c.load(t, in, "")
		compareCounts(t, htmlCounts(t, p.dom), want)
		if len(p.rows) != len(rows) || len(p.visible()) != len(rows) {
			t.Errorf("the table has %d users, %d shown; the CSV has %d", len(p.rows), len(p.visible()), len(rows))
		}
		if p.state["data-rows"] != strconv.Itoa(len(rows)) || p.state["data-shown"] != strconv.Itoa(len(rows)) {
			t.Errorf("the page counts %s users, %s shown; the CSV has %d", p.state["data-rows"], p.state["data-shown"], len(rows))
		}
		for i, r := range p.rows {
			if i < len(rows) && (r.user != strings.TrimPrefix(rows[i].user, "'") || r.status != rows[i].status) {
				t.Errorf("row %d is %s (%s), the CSV's is %s (%s)", i+1, r.user, r.status, rows[i].user, rows[i].status)
			}
		}
		// The evidence starts folded; the script folds it.
		if n := bytes.Count(p.dom, []byte(`<tr class="evidence" hidden=""`)); n != len(rows) {
			t.Errorf("%d of %d evidence rows folded", n, len(rows))
		}
	})

	t.Run("filters and sorts from the fragment", func(t *testing.T) {
		for _, tc := range []struct {
			fragment string
			keep     func(r csvRow) bool
			byDays   bool // sorted by days inactive, descending, unknown last
		}{
			{"#status=active&sort=days&dir=desc", func(r csvRow) bool { return r.status == "active" }, true},
			{"#q=GRAC&decision=review", func(r csvRow) bool { return strings.Contains(r.user, "grac") && r.decision == "review" }, false},
			{"#account=222222222222&decision=keep", func(r csvRow) bool { return r.account == "222222222222" && r.decision == "keep" }, false},
		} {
			t.Run(tc.fragment, func(t *testing.T) {
				var wantUsers []string
				var kept []csvRow
				for _, r := range rows {
					if tc.keep(r) {
						kept = append(kept, r)
					}
				}
				if tc.byDays {
					slices.SortStableFunc(kept, func(a, b csvRow) int {
						if a.days == "" || b.days == "" {
							return unknownLast(a.days == "", b.days == "")
						}
						x, _ := strconv.Atoi(a.days)
						y, _ := strconv.Atoi(b.days)
						return cmp.Compare(y, x)
					})
				}
				for _, r := range kept {
					wantUsers = append(wantUsers, strings.TrimPrefix(r.user, "'"))
				}
				if len(wantUsers) == 0 {
					t.Fatalf("the filter %s keeps no CSV row: the test proves nothing", tc.fragment)
				}
				p := c.load(t, in, tc.fragment)
				var got []string
				for _, r := range p.visible() {
					got = append(got, r.user)
				}
				if !slices.Equal(got, wantUsers) {
					t.Errorf("%s shows %q, want %q", tc.fragment, got, wantUsers)
				}
				if p.state["data-shown"] != strconv.Itoa(len(wantUsers)) {
					t.Errorf("%s: the page says %s shown, want %d", tc.fragment, p.state["data-shown"], len(wantUsers))
				}
			})
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "dormant-report.html")
		if err := os.WriteFile(file, writeHTML(t, in), 0o644); err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(t.ArtifactDir(), "dormant-report.png")
		c.run(t, fileURL(file, ""), "--hide-scrollbars", "--window-size=1400,2400", "--screenshot="+shot)
		png, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("reading the screenshot: %v", err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 20_000 {
			t.Errorf("the screenshot %s is not a picture of a page (%d bytes)", shot, len(png))
		}
		t.Logf("screenshot: %s", shot)
		if r := c.proxy.requests(); len(r) > 0 {
			t.Errorf("the browser made network requests: %q", r)
		}
	})
}

// unknownLast orders unknown (empty) days after known ones.
func unknownLast(aUnknown, bUnknown bool) int {
	switch {
	case aUnknown && bUnknown:
		return 0
	case bUnknown:
		return -1
	}
	return 1
}

// TestHTMLHostileTextInChromium: a user named <script> or "><img onerror>
// runs nothing in a browser; it is shown as its text.
func TestHTMLHostileTextInChromium(t *testing.T) {
	c := findChromium(t)
	in := hostileInput()
	p := c.load(t, in, "")
	if regexp.MustCompile(`<html[^>]*data-pwned`).Match(p.dom) {
		t.Errorf("hostile text ran as script: %.300s", p.dom)
	}
	for _, tag := range []string{"<img", "<script>document"} {
		if bytes.Contains(p.dom, []byte(tag)) {
			t.Errorf("the browser built a %s element from hostile text", tag)
		}
	}
	names := map[string]bool{}
	for _, r := range p.rows {
		names[r.user] = true
	}
	for _, f := range in.Findings[1:3] {
		if !names[f.UserName] {
			t.Errorf("user %q is not shown as its own text; the table shows %v", f.UserName, names)
		}
	}
	// A filter on hostile text finds it and only it.
	q := "#q=user/%3Cscript%3E"
	if got := c.load(t, in, q).visible(); len(got) != 1 || got[0].user != in.Findings[1].UserName {
		t.Errorf("%s shows %v, want the one hostile user", q, got)
	}
}

// TestRecordingProxySeesRequests proves the proxy the browser tests rely on
// would see a fetch: a page without the report's policy calls out, and the
// proxy records the request (it never leaves the machine).
func TestRecordingProxySeesRequests(t *testing.T) {
	c := findChromium(t)
	file := filepath.Join(t.TempDir(), "calls-out.html")
	page := `<!DOCTYPE html><html><body><img src="http://dormant-test.invalid/pixel.png"></body></html>`
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run(t, fileURL(file, ""), "--dump-dom")
	r := c.proxy.requests()
	if !slices.ContainsFunc(r, func(s string) bool { return strings.Contains(s, "dormant-test.invalid") }) {
		t.Errorf("the proxy saw %q, want the page's request to dormant-test.invalid", r)
	}
}
