package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/internal/pycheck"
)

// RequireOfficeEnv turns a missing LibreOffice (or poppler-utils) into a
// failure; .ci/run sets it after installing libreoffice-calc-nogui.
const RequireOfficeEnv = "DORMANT_REQUIRE_OFFICE"

// officeTools finds headless LibreOffice and poppler's PDF tools, or skips.
func officeTools(t *testing.T) (soffice string) {
	t.Helper()
	var missing []string
	for _, name := range []string{"soffice", "pdfinfo", "pdftotext", "pdftoppm"} {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		if name == "soffice" {
			soffice = p
		}
	}
	if len(missing) == 0 {
		return soffice
	}
	msg := "no " + strings.Join(missing, ", ") + " on PATH (Debian: apt-get install libreoffice-calc-nogui poppler-utils)"
	for _, env := range []string{RequireOfficeEnv, pycheck.RequireEnv} {
		if os.Getenv(env) != "" {
			t.Fatalf("%s, and %s is set", msg, env)
		}
	}
	t.Skip(msg)
	return ""
}

// TestXLSXPrintsInLibreOffice converts the workbook to PDF with headless
// LibreOffice, as an auditor filing it would: every page is landscape and
// carries the header and footer (the sheet, the run, page N of M); every
// page of a list sheet holds its first column's header, so the sheet is one
// page wide with its header row repeated (but for Findings and Coverage,
// wider than a page at a legible scale); every user is printed; the Summary
// prints its tables and both charts. Page 1 is kept as a PNG test artifact.
func TestXLSXPrintsInLibreOffice(t *testing.T) {
	soffice := officeTools(t)
	in := largeInput(400) // Findings runs to several pages tall
	dir := t.TempDir()
	book := filepath.Join(dir, "dormant-report.xlsx")
	data := writeXLSX(t, in)
	if err := os.WriteFile(book, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore",
		"-env:UserInstallation=file://"+filepath.ToSlash(filepath.Join(dir, "profile")),
		"--convert-to", "pdf", "--outdir", dir, book)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice --convert-to pdf: %v\n%s", err, out)
	}
	pdf := filepath.Join(dir, "dormant-report.pdf")
	info := run(t, "pdfinfo", pdf)
	pages, err := strconv.Atoi(field(info, "Pages"))
	if err != nil || pages == 0 {
		t.Fatalf("pdfinfo: no page count in\n%s", info)
	}
	if size := field(info, "Page size"); !landscape(size) {
		t.Errorf("page size %q is not landscape", size)
	}

	// Each sheet's header row as the workbook holds it.
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	headers := map[string][]string{}
	for _, name := range SheetNames() {
		rows, err := f.GetRows(name)
		if err != nil || len(rows) == 0 {
			t.Fatalf("sheet %s: %v", name, err)
		}
		headers[name] = rows[0]
	}

	// Findings and the Coverage grid are wider than a page at the smallest
	// legible scale (minPrintScale); every other sheet prints one page wide.
	wider := map[string]bool{SheetFindings: true, SheetCoverage: true}
	userName := regexp.MustCompile(`user-\d{7}`)
	printed := map[string]bool{}
	perSheet := map[string]int{}
	var order []string
	footer := regexp.MustCompile(`Page (\d+) of (\d+)`)
	for p := 1; p <= pages; p++ {
		text := run(t, "pdftotext", "-layout", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), pdf, "-")
		sheet := pageSheet(text, headers)
		if sheet == "" {
			t.Errorf("page %d: the page header names no sheet:\n%.400s", p, text)
			continue
		}
		if perSheet[sheet] == 0 {
			order = append(order, sheet)
		}
		perSheet[sheet]++
		if !strings.Contains(text, "Run "+in.RunID) || !strings.Contains(text, "Dormant IAM users") {
			t.Errorf("page %d (%s): no run ID or title in the header/footer", p, sheet)
		}
		// LibreOffice numbers the pages through the whole document.
		if m := footer.FindStringSubmatch(text); m == nil || m[1] != strconv.Itoa(p) || m[2] != strconv.Itoa(pages) {
			t.Errorf("page %d (%s): footer %q, want page %d of %d", p, sheet, m, p, pages)
		}
		if sheet == SheetFindings {
			for _, u := range userName.FindAllString(text, -1) {
				printed[u] = true
			}
		}
		if sheet == SheetSummary || sheet == SheetMethod || wider[sheet] {
			continue // row 1 is a title, not a table's header; or wider than a page
		}
		// A page continuing a sheet to the right lacks its first column;
		// every page has it, and the header row, so the sheet is one page
		// wide and its header repeats.
		flat := strings.Join(strings.Fields(text), " ")
		if first := headers[sheet][0]; !strings.Contains(flat, first) {
			t.Errorf("page %d (%s, its page %d): no %q: the sheet is more than one page wide or its header does not repeat", p, sheet, perSheet[sheet], first)
		}
	}
	if len(printed) != len(in.Findings) {
		t.Errorf("the printed Findings name %d users, want all %d", len(printed), len(in.Findings))
	}
	if strings.Join(order, ",") != strings.Join(SheetNames(), ",") {
		t.Errorf("sheets printed in order %q, want %q", order, SheetNames())
	}
	// The Summary holds both charts' titles (they are drawn, not cells).
	summary := run(t, "pdftotext", "-layout", "-f", "1", "-l", strconv.Itoa(perSheet[SheetSummary]), pdf, "-")
	for _, want := range []string{"Users by status", "Users by days since last activity", "Controls evidenced"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the printed Summary lacks %q", want)
		}
	}
	t.Logf("%d pages: %v", pages, perSheet)

	prefix := filepath.Join(t.ArtifactDir(), "dormant-report-page")
	run(t, "pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, prefix)
	png, err := os.ReadFile(prefix + ".png")
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("page 1 as PNG: %v", err)
	}
	t.Logf("page 1: %s.png", prefix)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return string(out)
}

// field is a "Name: value" line's value in pdfinfo's output.
func field(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// landscape reads pdfinfo's "842 x 595 pts (A4)".
func landscape(size string) bool {
	var w, h float64
	fs := strings.Fields(size)
	if len(fs) < 3 {
		return false
	}
	w, _ = strconv.ParseFloat(fs[0], 64)
	h, _ = strconv.ParseFloat(fs[2], 64)
	return w > h
}

// pageSheet is the sheet a page's header names (&A, in the header's
// middle): the first line holding a sheet's name between the title and the
// run ID.
func pageSheet(text string, sheets map[string][]string) string {
	for _, line := range strings.Split(text, "\n") {
		if !strings.Contains(line, "Dormant IAM users") {
			continue
		}
		parts := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		for _, p := range parts {
			if _, ok := sheets[p]; ok {
				return p
			}
		}
	}
	return ""
}
