package tables

import (
	"reflect"
	"strings"
	"testing"
)

func TestSkipReasons(t *testing.T) {
	counts := make([]int64, len(SkipReasonList()))
	counts[1], counts[3], counts[4] = 2, 1, 5
	got := FormatSkipReasons(counts)
	want := SkipNoEventTime + ": 2; " + SkipNoUserIdentity + ": 1; " + SkipInsight + ": 5"
	if got != want {
		t.Errorf("FormatSkipReasons = %q, want %q", got, want)
	}
	files := []LogFile{
		{AccountID: "111111111111", Skipped: 8, SkipReasons: got},
		{AccountID: "111111111111", Skipped: 1, SkipReasons: SkipNullRecord + ": 1"},
		{AccountID: "222222222222", Skipped: 5, SkipReasons: SkipInsight + ": 5"}, // Insights events hide no one
		{AccountID: "333333333333", Kind: LogFileKindDigest},
	}
	if got := SkippedByAccount(files); !reflect.DeepEqual(got, map[string]int64{"111111111111": 4}) {
		t.Errorf("SkippedByAccount = %v", got)
	}
}

// A region's digests prove it only for their own trail's files: a log file
// no digest lists, delivered inside the hours the digests span, unproves
// it; one delivered after the newest digest (a run at "now", whose last
// hour's digest is not written yet) or before the first does not. Log
// files in a region with no digest at all, while the account's digests
// elsewhere span their hours, are a problem naming the region.
func TestDigestProvenByItsOwnFiles(t *testing.T) {
	const a = "111111111111"
	dg := func(region, end string) LogFile {
		return LogFile{AccountID: a, Region: region, Kind: LogFileKindDigest, SHA256: "ab", Verification: VerificationVerified,
			Path: "/r/AWSLogs/" + a + "/CloudTrail-Digest/" + region + "/2026/10/27/" + a + "_CloudTrail-Digest_" + region + "_main_us-east-1_" + end + ".json.gz"}
	}
	lg := func(region, at, v string) LogFile {
		return LogFile{AccountID: a, Region: region, Kind: LogFileKindLog, SHA256: "cd", Verification: v,
			Path: "/r/AWSLogs/" + a + "/CloudTrail/" + region + "/2026/10/27/" + a + "_CloudTrail_" + region + "_" + at + "_Mu0KsOhtH1ar15ZZ.json.gz"}
	}
	chain := []LogFile{dg("us-east-1", "20261027T010031Z"), dg("us-east-1", "20261027T020031Z"), dg("us-east-1", "20261027T030031Z"),
		lg("us-east-1", "20261027T0105Z", VerificationVerified)}
	tests := []struct {
		name   string
		extra  []LogFile
		proven bool
	}{
		{"every file listed", nil, true},
		{"an unlisted file inside the span", []LogFile{lg("us-east-1", "20261027T0140Z", VerificationUnverified)}, false},
		{"an unlisted file in the newest digest's hour", []LogFile{lg("us-east-1", "20261027T0230Z", VerificationUnverified)}, true},
		{"an unlisted file before the first digest", []LogFile{lg("us-east-1", "20261027T0010Z", "")}, true},
		{"an unlisted file whose name has no time", []LogFile{{AccountID: a, Region: "us-east-1", Kind: LogFileKindLog,
			Verification: VerificationUnverified, Path: "/r/AWSLogs/" + a + "/CloudTrail/us-east-1/2026/10/27/renamed.json.gz"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := append(append([]LogFile(nil), chain...), tt.extra...)
			if got := DigestProven(files)[a]["us-east-1"]; got != tt.proven {
				t.Errorf("proven = %v, want %v", got, tt.proven)
			}
			if p := DigestProblems(files); len(p) != 0 {
				t.Errorf("problems %q, want none", p)
			}
		})
	}

	t.Run("a region without digests", func(t *testing.T) {
		files := append(append([]LogFile(nil), chain...), lg("eu-west-1", "20261027T0140Z", ""), lg("eu-west-1", "20261027T0150Z", ""))
		p := DigestProblems(files)[a]
		want := "CloudTrail digests for account 111111111111 in eu-west-1, 2026-10-27T01:40Z..2026-10-27T01:50Z: 2 log files there but no digest file for the region"
		if len(p) != 1 || !strings.HasPrefix(p[0], want) {
			t.Errorf("problems %q, want one starting %q", p, want)
		}
		// Outside the account's digest span (after the newest), nothing is said.
		files = append(append([]LogFile(nil), chain...), lg("eu-west-1", "20261027T0230Z", ""))
		if p := DigestProblems(files); len(p) != 0 {
			t.Errorf("problems %q for a file after the newest digest, want none", p)
		}
		// An account without any digest has no digest problem.
		if p := DigestProblems([]LogFile{lg("eu-west-1", "20261027T0140Z", "")}); len(p) != 0 {
			t.Errorf("problems %q without digests, want none", p)
		}
	})
}
