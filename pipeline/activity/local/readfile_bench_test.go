package local

import (
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/ctrecord"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// BenchmarkReadFile is the Go scanner's per-record work on one thread,
// without I/O or gzip: the JSON reader, the skip count and the aggregate,
// e.g. to compare the scanner's CPU cost across changes on a busy machine:
//
//	go test ./pipeline/activity/local -run '^$' -bench ReadFile -count 5
func BenchmarkReadFile(b *testing.B) {
	data := appendBenchFile(nil, benchAccounts[0].id, benchRegions[0], benchDays[0], 1, 20_000)
	f := &LogFile{Path: "/bench/x.json", AccountID: benchAccounts[0].id, Region: benchRegions[0]}
	q := activity.Query{Start: benchDays[0], End: benchDays[0].Add(24*time.Hour - time.Second)}
	var p ctrecord.Reader
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		agg := newAggregator(newWindow(q), false)
		var fc fileCount
		if err := p.ReadFile(data, func(r *ctrecord.Record) {
			if fc.add(r) {
				agg.add(r, f)
			}
		}); err != nil {
			b.Fatal(err)
		}
		agg.files = append(agg.files, fc.row(f, &p, "/"))
	}
}
