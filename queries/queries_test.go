package queries

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var (
	start = time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	end   = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// The rendered local query, compared with testdata/local-activity.sql
// (rewrite it with -update after changing the template).
func TestRenderLocalGolden(t *testing.T) {
	got, err := Render("local", "activity", Params{
		Start: start, End: end,
		Files: []string{
			"/logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/08/02/111111111111_CloudTrail_us-east-1_20260802T0005Z_Mu0KsOhtH1ar15ZZ.json.gz",
			"/logs/AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/08/03/222222222222_CloudTrail_eu-west-1_20260803T0010Z_Hk2LrT8sVn4QpZ1x.json.gz",
		},
		MaxObjectSize: 32 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "local-activity.sql")
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
}

func TestRenderLiterals(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want []string // substrings of the SQL
	}{
		{
			name: "single quotes doubled, nothing else touched",
			p:    Params{Start: start, End: end, Files: []string{`/logs/it's "here"/a\b.json.gz`}},
			want: []string{`'/logs/it''s "here"/a\b.json.gz'`},
		},
		{
			name: "times in UTC, to the microsecond",
			p: Params{
				Start: time.Date(2026, 8, 3, 2, 0, 0, 123456789, time.FixedZone("CEST", 2*3600)),
				End:   time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Files: []string{"/a.json.gz"},
			},
			want: []string{"TIMESTAMPTZ '2026-08-03 00:00:00.123456+00'", "TIMESTAMPTZ '2026-11-01 00:00:00+00'"},
		},
		{
			name: "files in order, comma-separated",
			p:    Params{Start: start, End: end, Files: []string{"/b.json.gz", "/a.json"}},
			want: []string{"'/b.json.gz',\n            '/a.json'\n        ]"},
		},
		{
			name: "DuckDB's default object size when none is given",
			p:    Params{Start: start, End: end, Files: []string{"/a.json.gz"}},
			want: []string{"maximum_object_size = 16777216,"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render("local", "activity", tt.p)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("SQL lacks %q", w)
				}
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name, engine, query string
		p                   Params
		want                string
	}{
		{"unknown engine", "spark", "activity", Params{Start: start, End: end}, "available: "},
		{"unknown query", "local", "coverage", Params{Start: start, End: end, Files: []string{"/a.json"}}, "no such query"},
		{"no files", "local", "activity", Params{Start: start, End: end}, "at least one CloudTrail log file"},
		{"empty path", "local", "activity", Params{Start: start, End: end, Files: []string{""}}, "cannot be used"},
		{"NUL in path", "local", "activity", Params{Start: start, End: end, Files: []string{"/a\x00b"}}, "NUL"},
		{"no window", "local", "activity", Params{Files: []string{"/a.json"}}, "start and an end"},
		{"window backwards", "local", "activity", Params{Start: end, End: start, Files: []string{"/a.json"}}, "before it starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.engine, tt.query, tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := Engines(); !slices.Contains(got, "local") || !slices.IsSorted(got) {
		t.Errorf("Engines() = %q, want a sorted list with local", got)
	}
	if got := Names("local"); !slices.Contains(got, "activity") || !slices.IsSorted(got) {
		t.Errorf("Names(local) = %q, want a sorted list with activity", got)
	}
	if got := Names("spark"); got != nil {
		t.Errorf("Names(spark) = %q, want none", got)
	}
}
