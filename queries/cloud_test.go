package queries

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// The rendered athena and lake queries, compared with testdata/ (rewrite
// them with -update after changing a template).
func TestRenderCloudGolden(t *testing.T) {
	tests := []struct {
		engine, golden string
		p              Params
	}{
		{"athena", "athena-activity.sql", Params{
			Start: start, End: end, Database: "default", Table: "cloudtrail_logs",
			Filters:  []string{`"timestamp" BETWEEN '2026/08/02' AND '2026/11/02'`},
			Accounts: []string{"111111111111", "222222222222"},
		}},
		{"lake", "lake-activity.sql", Params{
			Start: start, End: end, EventDataStore: "EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE",
			ReadFrom: start.AddDate(0, 0, -1), ReadUntil: end.AddDate(0, 0, 2),
			Accounts: []string{"111111111111"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.engine, func(t *testing.T) {
			got, err := Render(tt.engine, "activity", tt.p)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.golden)
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

func TestRenderCloudLiterals(t *testing.T) {
	odd := time.Date(2026, 8, 3, 0, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name, engine string
		p            Params
		want, not    []string
	}{
		{
			name:   "athena: start rounded up and end cut to the millisecond",
			engine: "athena",
			p:      Params{Start: odd, End: odd.Add(time.Hour), Database: "db", Table: "t"},
			want: []string{
				"BETWEEN from_iso8601_timestamp('2026-08-03T00:00:00.124Z') AND from_iso8601_timestamp('2026-08-03T01:00:00.123Z')",
			},
		},
		{
			name:   "athena: identifiers quoted, filters ANDed in order",
			engine: "athena",
			p: Params{Start: start, End: end, Database: `my"db`, Table: "Trail Logs",
				Filters: []string{"a = 1", "b = 2"}},
			want: []string{`FROM "my""db"."Trail Logs"`, "WHERE true\n      AND a = 1\n      AND b = 2\n"},
			not:  []string{`"$path", '([0-9]{12})/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1) IN`},
		},
		{
			name:   "athena: accounts by the file's account folder",
			engine: "athena",
			p:      Params{Start: start, End: end, Database: "db", Table: "t", Accounts: []string{"111111111111", "222222222222"}},
			want:   []string{`"$path", '([0-9]{12})/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1) IN ('111111111111', '222222222222')`},
		},
		{
			name:   "lake: the data store unquoted in FROM, the read span, timestamps",
			engine: "lake",
			p: Params{Start: odd, End: odd.Add(time.Hour), EventDataStore: "abc-123",
				ReadFrom: time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC), ReadUntil: time.Date(2026, 8, 5, 0, 0, 0, 0, time.UTC)},
			want: []string{
				"FROM abc-123\n",
				"WHERE eventtime >= TIMESTAMP '2026-08-02 00:00:00.000' AND eventtime < TIMESTAMP '2026-08-05 00:00:00.000'\n",
				"BETWEEN TIMESTAMP '2026-08-03 00:00:00.124' AND TIMESTAMP '2026-08-03 01:00:00.123'",
			},
			not: []string{"recipientaccountid IN"},
		},
		{
			name:   "lake: accounts by recipient account",
			engine: "lake",
			p: Params{Start: start, End: end, EventDataStore: "abc", Accounts: []string{"111111111111"},
				ReadFrom: start, ReadUntil: end},
			want: []string{"AND recipientaccountid IN ('111111111111')"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.engine, "activity", tt.p)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("SQL lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("SQL has %q", n)
				}
			}
		})
	}
}

// Lake refuses statements over 10000 characters; the query must leave room
// for a list of accounts: 150 of them.
func TestRenderLakeLength(t *testing.T) {
	var accounts []string
	for i := range 150 {
		accounts = append(accounts, strings.Repeat(string(rune('0'+i%10)), 12))
	}
	got, err := Render("lake", "activity", Params{Start: start, End: end, EventDataStore: "EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE",
		ReadFrom: start, ReadUntil: end, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 10000 {
		t.Errorf("the lake query with 150 accounts is %d characters; Lake takes at most 10000", len(got))
	}
}

func TestRenderCloudErrors(t *testing.T) {
	lake := func(p Params) Params {
		p.Start, p.End = start, end
		if p.ReadFrom.IsZero() {
			p.ReadFrom, p.ReadUntil = start, end
		}
		return p
	}
	tests := []struct {
		name, engine string
		p            Params
		want         string
	}{
		{"athena without table", "athena", Params{Start: start, End: end, Database: "db"}, "--athena-table"},
		{"athena without database", "athena", Params{Start: start, End: end, Table: "t"}, "--athena-database"},
		{"athena empty filter", "athena", Params{Start: start, End: end, Database: "db", Table: "t", Filters: []string{" "}}, "filter 1"},
		{"athena bad account", "athena", Params{Start: start, End: end, Database: "db", Table: "t", Accounts: []string{"1234"}}, `"1234"`},
		{"lake without data store", "lake", lake(Params{}), "event data store ID"},
		{"lake data store that is SQL", "lake", lake(Params{EventDataStore: "x; DROP"}), "event data store ID"},
		{"lake data store ARN", "lake", lake(Params{EventDataStore: "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/x"}), "event data store ID"},
		{"lake without read span", "lake", Params{Start: start, End: end, EventDataStore: "x"}, "span of event times"},
		{"lake bad account", "lake", lake(Params{EventDataStore: "x", Accounts: []string{"12345678901x"}}), `"12345678901x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.engine, "activity", tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
