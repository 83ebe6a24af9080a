package reports

import (
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// The grid with digests, read back: a region whose digest chain is unbroken
// has its quiet days verified, not gaps, and the account reads proven; a
// missing log file makes its days gaps and the account incomplete.
func TestXLSXCoverageGridDigests(t *testing.T) {
	for _, tc := range []struct {
		name    string
		missing bool
	}{{"unbroken chain", false}, {"missing log file", true}} {
		t.Run(tc.name, func(t *testing.T) {
			in := sampleInput()
			quiet := "2026-09-05"
			var cells []tables.Coverage
			for _, c := range in.Coverage {
				if c.AccountID == "111111111111" && c.Region == "eu-west-1" && c.Hour.Format(time.DateOnly) == quiet {
					continue
				}
				cells = append(cells, c)
			}
			in.Coverage = cells
			var files []tables.LogFile
			for _, region := range []string{"eu-west-1", "us-east-1"} {
				files = append(files, tables.LogFile{AccountID: "111111111111", Region: region, Kind: tables.LogFileKindDigest,
					Path: "/d/AWSLogs/111111111111/CloudTrail-Digest/" + region + "/x.json.gz", Verification: tables.VerificationVerified})
			}
			if tc.missing {
				at := time.Date(2026, 9, 12, 3, 0, 0, 0, time.UTC)
				files = append(files, tables.LogFile{AccountID: "111111111111", Region: "eu-west-1", Kind: tables.LogFileKindLog,
					Path: "/d/AWSLogs/111111111111/CloudTrail/eu-west-1/2026/09/12/f.json.gz", Verification: tables.VerificationMissing,
					GapStart: at, GapEnd: at.Add(time.Hour)})
			}
			in.LogFiles, in.LogFilesCounted = files, true
			f := openXLSX(t, writeXLSX(t, in))
			_, rows := byTitle(t, f, SheetCoverage)
			eu := rows[0]
			if eu["Region"] != "eu-west-1" {
				t.Fatalf("first row %v", eu)
			}
			switch {
			case !tc.missing:
				if eu[quiet] != DayVerified || eu["2026-09-12"] != DayVerified || eu["Gap days"] != "0" || eu["Account coverage"] != CoverageProven {
					t.Errorf("eu-west-1 = %s %s, gaps %s, %q; want verified days and %q", eu[quiet], eu["2026-09-12"], eu["Gap days"], eu["Account coverage"], CoverageProven)
				}
			default:
				// Not proven: the quiet day, the sample's 2026-10-31 and the missing file's day.
				if eu["2026-09-12"] != DayGap || eu[quiet] != DayGap || eu["Gap days"] != "3" || eu["Account coverage"] != "incomplete: the digests show 1 missing or changed files or chain gaps" {
					t.Errorf("eu-west-1 = %s, gaps %s, %q", eu["2026-09-12"], eu["Gap days"], eu["Account coverage"])
				}
			}
		})
	}
}
