package reports

import (
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// coverageTableRows is the Coverage table's rows: those above the blank
// row that starts the log files section.
func coverageTableRows(rows []map[string]string) []map[string]string {
	if i := slices.IndexFunc(rows, func(r map[string]string) bool {
		for _, v := range r {
			if v != "" {
				return false
			}
		}
		return true
	}); i >= 0 {
		return rows[:i]
	}
	return rows
}

// logFilesSection is the Coverage sheet's rows from the section's title on.
func logFilesSection(t *testing.T, in *Input) [][]string {
	t.Helper()
	all := rawRows(t, openXLSX(t, writeXLSX(t, in)), SheetCoverage)
	i := slices.IndexFunc(all, func(r []string) bool { return len(r) > 0 && r[0] == LogFilesTitle })
	if i < 0 {
		t.Fatalf("the Coverage sheet has no %q section: %v", LogFilesTitle, all)
	}
	if len(all[i-1]) != 0 {
		t.Errorf("the section does not follow a blank row: %v", all[i-1])
	}
	return all[i:]
}

func TestXLSXLogFilesNotCounted(t *testing.T) {
	in := sampleInput()
	in.Engine = "athena"
	sec := logFilesSection(t, in)
	if len(sec) != 2 || !strings.HasPrefix(sec[1][0], "Not counted by this engine (athena)") {
		t.Errorf("section = %q, want the title and that the engine cannot count per file", sec)
	}
	in.Engine = "local" // a run without the table: not known, not "not counted by the engine"
	if sec := logFilesSection(t, in); len(sec) != 2 || !strings.HasPrefix(sec[1][0], "Not recorded by this run") {
		t.Errorf("section = %q, want that the run recorded no log files table", sec)
	}
}

func TestXLSXLogFilesSkipped(t *testing.T) {
	in := sampleInput()
	in.Engine, in.LogFilesCounted = "local", true
	in.LogFiles = []tables.LogFile{
		{AccountID: "111111111111", Region: "us-east-1", Path: "/t/a.json.gz", Kind: tables.LogFileKindLog, Records: 10},
		{AccountID: "111111111111", Region: "us-east-1", Path: "/t/b.json.gz", Kind: tables.LogFileKindLog, Records: 5, Skipped: 3,
			SkipReasons: tables.SkipNoEventTime + ": 1; " + tables.SkipNoUserIdentity + ": 2"},
		{AccountID: "111111111111", Region: "us-east-1", Path: "/t/d.json.gz", Kind: tables.LogFileKindDigest},
		{AccountID: "222222222222", Region: "eu-west-1", Path: "/t/i.json.gz", Kind: tables.LogFileKindInsight, Records: 2},
	}
	sec := logFilesSection(t, in)
	want := [][]string{
		{LogFilesTitle},
		{"4 files read: 2 log, 1 digest, 1 Insights; 17 records. 3 records skipped (no eventTime: 1; no userIdentity: 2), never counted as use; files with skipped records are listed below."},
		{"111111111111", "3 records in this account's logs were skipped and could be any of its users' calls."},
		{TitleAccountID, "Region", "File", "Kind", "Records", "Skipped", "Skip reasons"},
		{"111111111111", "us-east-1", "/t/b.json.gz", "log", "5", "3", "no eventTime: 1; no userIdentity: 2"},
		{"111111111111", "us-east-1", "/t/d.json.gz", "digest", "0", "0"},
		{"222222222222", "eu-west-1", "/t/i.json.gz", "insight", "2", "0"},
	}
	if !slices.EqualFunc(sec, want, slices.Equal) {
		t.Errorf("section:\n got %q\nwant %q", sec, want)
	}
	// The coverage table above it is unchanged.
	_, rows := byTitle(t, openXLSX(t, writeXLSX(t, in)), SheetCoverage)
	// One row per account and region (the hourly cells folded into
	// spans), +1: the account the trail never mentioned.
	if got, want := len(coverageTableRows(rows)), len(tables.CoverageSpans(in.Coverage))+1; got != want {
		t.Errorf("coverage table has %d rows, want %d", got, want)
	}
}
