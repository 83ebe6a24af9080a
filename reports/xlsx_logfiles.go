package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

// The Coverage sheet's second section: the log files the local engine read
// and the records it skipped. It sits below the coverage table,
// after a blank row, so the table and its filter stay as they were.

// maxLogFileRows bounds the files listed; the rest are in the bundle's
// tables/logfiles.parquet.
const maxLogFileRows = 10_000

// LogFilesTitle heads the Coverage sheet's log files section.
const LogFilesTitle = "Log files read"

// logFileTotals sums the log files table.
type logFileTotals struct {
	files, logs, digests, insights int
	records, skipped               int64
	reasons                        []int64 // by tables.SkipReasonList
}

func sumLogFiles(files []tables.LogFile) logFileTotals {
	t := logFileTotals{files: len(files), reasons: make([]int64, len(tables.SkipReasonList()))}
	for _, f := range files {
		switch f.Kind {
		case tables.LogFileKindDigest:
			t.digests++
		case tables.LogFileKindInsight:
			t.insights++
		default:
			t.logs++
		}
		t.records += f.Records
		t.skipped += f.Skipped
		for part := range strings.SplitSeq(f.SkipReasons, "; ") {
			name, n, ok := strings.Cut(part, ": ")
			if i := slices.Index(tables.SkipReasonList(), name); ok && i >= 0 {
				var v int64
				if _, err := fmt.Sscan(n, &v); err == nil {
					t.reasons[i] += v
				}
			}
		}
	}
	return t
}

// logFilesSummary is the section's one-line account of the files read.
func logFilesSummary(in *Input) string {
	switch {
	case in.LogFilesCounted:
	case in.Engine == "athena" || in.Engine == "lake":
		return fmt.Sprintf("Not counted by this engine (%s): it cannot count records per log file, so records it could not attribute are not known.", in.Engine)
	default:
		return "Not recorded by this run (it has no log files table), so records it could not attribute are not known."
	}
	t := sumLogFiles(in.LogFiles)
	s := fmt.Sprintf("%d files read: %d log, %d digest, %d Insights; %d records.", t.files, t.logs, t.digests, t.insights, t.records)
	if t.skipped == 0 {
		return s + " No record was skipped."
	}
	return s + fmt.Sprintf(" %d records skipped (%s), never counted as use; files with skipped records are listed below.",
		t.skipped, tables.FormatSkipReasons(t.reasons))
}

// logFilesRule is the Method sheet's statement of the rule.
const logFilesRule = "A file in a trail's CloudTrail folders must hold a Records array: one that does not (not JSON, cut short, " +
	`{"Records":null}, {"foo":[]}) stops the run, naming the file. A CloudTrail-Digest file (digestStartTime, no Records) or an Insights file ` +
	"(records of eventType AwsCloudTrailInsight) found there is recognised, counted on the Coverage sheet and never read as activity. " +
	"A record that cannot be attributed is skipped and counted per file with its reason: a null element, a missing or null eventTime, " +
	"an eventTime that is not a time (one bad record does not stop the run), or no userIdentity. A skipped record is never anyone's use; " +
	"one without userIdentity but with a time still shows the trail was delivering for its account and region. " +
	"Since any skipped record (an Insights event aside) could be a user's call, every candidate of an account whose logs had one goes to review, with the count. " +
	"A log file whose JSON, inflated, is larger than --max-log-file-size (default 1 GiB) stops the run, naming it. " +
	"The Athena and Lake engines cannot count per file: the Coverage sheet says so."

// logFileRows are the files the section lists: every file with skipped
// records, and every digest or Insights file, by account, region and path.
func logFileRows(files []tables.LogFile) []tables.LogFile {
	var rows []tables.LogFile
	for _, f := range files {
		if f.Skipped > 0 || f.Kind != tables.LogFileKindLog {
			rows = append(rows, f)
		}
	}
	slices.SortFunc(rows, func(a, b tables.LogFile) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Path, b.Path))
	})
	return rows
}

// logFilesSection is the Coverage table's after hook.
func (wb *workbook) logFilesSection(in *Input) func(sw *excelize.StreamWriter, row int) error {
	return func(sw *excelize.StreamWriter, row int) error { return wb.writeLogFilesSection(sw, row, in) }
}

// writeLogFilesSection streams the section from row on.
func (wb *workbook) writeLogFilesSection(sw *excelize.StreamWriter, row int, in *Input) error {
	st := &wb.styles
	put := func(vals ...any) error {
		if err := sw.SetRow(cellName(1, row), vals); err != nil {
			return fmt.Errorf("writing the log files section, row %d: %w", row, err)
		}
		row++
		return nil
	}
	if err := put(excelize.Cell{StyleID: st.section, Value: LogFilesTitle}); err != nil {
		return err
	}
	if err := put(excelize.Cell{StyleID: st.note, Value: logFilesSummary(in)}); err != nil {
		return err
	}
	if !in.LogFilesCounted {
		return nil
	}
	byAcct := tables.SkippedByAccount(in.LogFiles)
	for _, acct := range slices.Sorted(func(yield func(string) bool) {
		for a := range byAcct {
			if !yield(a) {
				return
			}
		}
	}) {
		msg := fmt.Sprintf("%d records in this account's logs were skipped and could be any of its users' calls.", byAcct[acct])
		if err := put(excelize.Cell{Value: acct}, excelize.Cell{StyleID: st.note, Value: msg}); err != nil {
			return err
		}
	}
	rows := logFileRows(in.LogFiles)
	if len(rows) == 0 {
		return nil
	}
	header := []string{TitleAccountID, "Region", "File", "Kind", "Records", "Skipped", "Skip reasons"}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	if err := put(cells...); err != nil {
		return err
	}
	for i, f := range rows {
		if i == maxLogFileRows {
			return put(excelize.Cell{StyleID: st.note, Value: fmt.Sprintf("%d more files: every file read is in the run's tables/logfiles.parquet.", len(rows)-i)})
		}
		if err := put(f.AccountID, f.Region, f.Path, f.Kind, excelize.Cell{StyleID: st.integer, Value: f.Records},
			excelize.Cell{StyleID: st.integer, Value: f.Skipped}, f.SkipReasons); err != nil {
			return err
		}
	}
	return nil
}
