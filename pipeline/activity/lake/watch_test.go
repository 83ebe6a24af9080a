package lake

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// Lake caps a statement at 10000 characters: many watched users are split
// over several watch queries, each under the cap, every user in exactly one.
func TestWatchSQLSplitsUnderLakesLimit(t *testing.T) {
	since := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	q := activity.Query{Start: since, End: since.AddDate(0, 0, 30)}
	for i := range 300 {
		q.Watch = append(q.Watch, tables.WatchTarget{AccountID: "111111111111", UserName: fmt.Sprintf("user%03d", i),
			UserID: fmt.Sprintf("AIDAWATCHED%010d", i), AccessKeyIDs: []string{fmt.Sprintf("AKIAWATCHED%09d", i)}, Since: since})
	}
	sqls, err := WatchSQL("EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(sqls) < 2 {
		t.Fatalf("%d statements for 300 users, want them split", len(sqls))
	}
	for i, s := range sqls {
		if n := len([]rune(s)); n > maxLakeStatement {
			t.Errorf("statement %d is %d characters, over Lake's limit", i+1, n)
		}
	}
	for _, w := range q.Watch {
		n := 0
		for _, s := range sqls {
			n += strings.Count(s, "'"+w.UserID+"'") / 3 // principal ID, its unique-ID part, the issuer
		}
		if n != 1 {
			t.Errorf("%s is in %d statements, want 1", w.UserName, n)
		}
	}
	if none, err := WatchSQL("EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE", activity.Query{Start: q.Start, End: q.End}); err != nil || none != nil {
		t.Errorf("no targets: got %d statements, %v; want none", len(none), err)
	}
}
