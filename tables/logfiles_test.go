package tables

import (
	"reflect"
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
