package reports

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	in := sampleInput()
	if err := WriteAll(context.Background(), dir, in, All()...); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{CSVPath, XLSXPath, ManifestPath, HTMLPath} {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{HTMLPath, XLSXPath, CSVPath, OCSFPath, ManifestPath, ManifestSchemaPath, RemediationCSVPath}) {
		t.Errorf("run directory holds %q, want exactly the six reports and the manifest's schema", got)
	}
	if schema, err := os.ReadFile(filepath.Join(dir, ManifestSchemaPath)); err != nil || !bytes.Equal(schema, manifest.Schema()) {
		t.Errorf("%s is not the manifest's schema (%v)", ManifestSchemaPath, err)
	}
	// Each report reads back with its own reader.
	f, err := excelize.OpenFile(filepath.Join(dir, XLSXPath))
	if err != nil {
		t.Fatalf("opening workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetFindings)
	if err != nil || len(rows) != len(in.Findings)+1 {
		t.Errorf("workbook Findings rows = %d, %v", len(rows), err)
	}
	m, err := manifest.Read(filepath.Join(dir, ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(); err != nil {
		t.Fatalf("manifest written by WriteAll does not verify: %v", err)
	}
	var labels []string
	for _, e := range m.Entries {
		labels = append(labels, e.Kind+" "+e.Label()+" "+e.Decision)
	}
	want := []string{
		"user 111111111111/alice deactivate",
		"user 111111111111/bob delete",
		"access_key 111111111111/dave access key 2 deactivate",
		"user 222222222222/carol deactivate",
		"access_key 222222222222/erin access key 1 deactivate",
	}
	if !slices.Equal(labels, want) {
		t.Errorf("manifest entries = %q\nwant %q", labels, want)
	}
	if m.RunID != in.RunID || !m.AsOf.Equal(in.AsOf) || m.WindowDays != 90 || m.DeleteAfterDays != 365 {
		t.Errorf("manifest header = %+v", m)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// failingWriter writes part of its output, then fails.
type failingWriter struct{ path string }

func (failingWriter) Name() string   { return "failing" }
func (w failingWriter) Path() string { return w.path }
func (failingWriter) Write(_ context.Context, w io.Writer, _ *Input) error {
	if _, err := io.WriteString(w, "half a report"); err != nil {
		return err
	}
	return errors.New("disk on fire")
}

func TestWriteAllFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	err := WriteAll(context.Background(), dir, sampleInput(), NewCSVWriter(), failingWriter{"reports/broken.txt"}, NewManifestWriter())
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "broken.txt") {
		t.Fatalf("WriteAll error = %v, want the writer's error naming the file", err)
	}
	// All or nothing: the CSV and the manifest may have finished, but none
	// of the reports is put in place, and no temporary file remains.
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("after a failed writer the directory holds %q, want nothing", got)
	}
	// Earlier reports stay as they were when a rewrite of the set fails.
	if err := WriteAll(context.Background(), dir, sampleInput(), NewCSVWriter()); err != nil {
		t.Fatal(err)
	}
	csvBefore, _ := os.ReadFile(filepath.Join(dir, CSVPath))
	changed := sampleInput()
	changed.Findings = changed.Findings[:1]
	if err := WriteAll(context.Background(), dir, changed, NewCSVWriter(), failingWriter{"reports/broken.txt"}); err == nil {
		t.Fatal("WriteAll succeeded with a failing writer")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, CSVPath)); !bytes.Equal(got, csvBefore) {
		t.Errorf("a failed set of reports replaced the earlier CSV")
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{CSVPath}) {
		t.Errorf("after a failed rewrite the directory holds %q, want only %s", got, CSVPath)
	}

	// A failing rewrite keeps the previous complete file.
	old := filepath.Join(dir, "reports", "broken.txt")
	if err := os.WriteFile(old, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(context.Background(), dir, sampleInput(), failingWriter{"reports/broken.txt"}); err == nil {
		t.Fatal("WriteAll succeeded with a failing writer")
	}
	if data, _ := os.ReadFile(old); string(data) != "previous" {
		t.Errorf("a failed rewrite changed the existing file to %q", data)
	}
}

func TestWriteAllManifestRefusal(t *testing.T) {
	// A finding that contradicts the safety rules fails the manifest, and no
	// manifest is left for remediation to pick up.
	dir := t.TempDir()
	in := sampleInput()
	i := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "grace" })
	in.Findings[i].Decision = tables.DecisionDelete
	err := WriteAll(context.Background(), dir, in, NewManifestWriter())
	if err == nil || !strings.Contains(err.Error(), "111111111111/grace") {
		t.Fatalf("WriteAll = %v, want an error naming grace", err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("a refused manifest left %q", got)
	}
}

func TestWriteAllRejects(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"", "/etc/passwd", "../outside.csv", "reports/../../x", `reports\x.csv`, "./reports/x.csv"} {
		if err := WriteAll(context.Background(), dir, sampleInput(), failingWriter{p}); err == nil || !strings.Contains(err.Error(), "must be relative") {
			t.Errorf("WriteAll with path %q = %v, want a path error", p, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteAll(ctx, dir, sampleInput(), NewCSVWriter()); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteAll with a cancelled context = %v", err)
	}
	if err := WriteAll(context.Background(), dir, nil, NewCSVWriter()); err == nil {
		t.Errorf("WriteAll with no input succeeded")
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("rejected writes left %q", got)
	}
}

func TestWritersDescribeThemselves(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range All() {
		if w.Name() == "" || seen[w.Path()] || !strings.HasPrefix(w.Path(), "reports/") {
			t.Errorf("writer %q has path %q", w.Name(), w.Path())
		}
		seen[w.Path()] = true
	}
}

// waitingWriter blocks until its context is cancelled.
type waitingWriter struct{}

func (waitingWriter) Name() string { return "waiting" }
func (waitingWriter) Path() string { return "reports/waiting.txt" }
func (waitingWriter) Write(ctx context.Context, _ io.Writer, _ *Input) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestWriteAllFailureCancelsTheOthers(t *testing.T) {
	// The writers run at once: one failing cancels one still running, and
	// the error reported is the failure, not the cancellation it caused.
	dir := t.TempDir()
	err := WriteAll(context.Background(), dir, sampleInput(), waitingWriter{}, failingWriter{"reports/broken.txt"})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("WriteAll = %v, want the failing writer's error", err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("left %q", got)
	}
}

// Every format registers itself from its own file; All lists them by name,
// whichever file's init ran first.
func TestWritersAreRegistered(t *testing.T) {
	var names []string
	for _, w := range All() {
		names = append(names, w.Name())
	}
	if want := []string{"csv", "html", "manifest", "manifest-schema", "ocsf", "remediation-csv", "xlsx"}; !slices.Equal(names, want) {
		t.Errorf("All() names %q, want %q", names, want)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("registering a second writer at an existing path did not panic")
		}
	}()
	Register(waitingWriterAt{"reports/findings.csv"})
}

// waitingWriterAt is a writer at a given path, for registration tests.
type waitingWriterAt struct{ path string }

func (waitingWriterAt) Name() string                                   { return "duplicate" }
func (w waitingWriterAt) Path() string                                 { return w.path }
func (waitingWriterAt) Write(context.Context, io.Writer, *Input) error { return nil }
