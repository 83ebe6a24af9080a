package queries

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// The rendered watch queries, compared with testdata/<engine>-watch.sql
// (rewrite them with -update after changing a template).
func TestRenderWatchGolden(t *testing.T) {
	watch := func(p Params) Params {
		p.WatchFrom = start.AddDate(0, 0, 30)
		p.WatchUserIDs = []string{"AIDAIVANEXAMPLE000009"}
		p.WatchKeyIDs = []string{"AKIAIVANKEY000000001", "AKIAIVANKEY000000002"}
		p.WatchNames = []string{"ivan", "o'brien"}
		return p
	}
	tests := []struct {
		engine string
		p      Params
	}{
		{"local", watch(Params{Start: start, End: end, Files: []string{
			"/logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/08/02/111111111111_CloudTrail_us-east-1_20260802T0005Z_Mu0KsOhtH1ar15ZZ.json.gz",
		}})},
		{"athena", watch(Params{Start: start, End: end, Database: "default", Table: "cloudtrail_logs",
			Filters: []string{`"timestamp" BETWEEN '2026/08/02' AND '2026/11/02'`}, Accounts: []string{"111111111111"}})},
		{"lake", watch(Params{Start: start, End: end, EventDataStore: "EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE",
			ReadFrom: start.AddDate(0, 0, -1), ReadUntil: end.AddDate(0, 0, 2), Accounts: []string{"111111111111"}})},
	}
	for _, tt := range tests {
		t.Run(tt.engine, func(t *testing.T) {
			got, err := Render(tt.engine, "watch", tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, "'o''brien'") {
				t.Errorf("the names are not quoted as SQL literals:\n%s", got)
			}
			golden := filepath.Join("testdata", tt.engine+"-watch.sql")
			if *update {
				if err := atomicfile.WriteBytes(golden, []byte(got)); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if got != string(want) {
				t.Errorf("rendered SQL differs from %s (rewrite it with -update if the change is intended):\n%s", golden, got)
			}
		})
	}
}

func TestRenderWatchErrors(t *testing.T) {
	base := Params{Start: start, End: end, Files: []string{"/a.json"}}
	tests := []struct {
		name string
		p    Params
		want string
	}{
		{"no start date", func() Params { p := base; p.WatchNames = []string{"ivan"}; return p }(), "earliest deactivation date"},
		{"nothing to watch", func() Params { p := base; p.WatchFrom = start; return p }(), "at least one user ID"},
		{"empty value", func() Params { p := base; p.WatchFrom = start; p.WatchKeyIDs = []string{""}; return p }(), "cannot be used in SQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Render("local", "watch", tt.p); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
