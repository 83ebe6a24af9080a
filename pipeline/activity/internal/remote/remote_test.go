package remote

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

func TestCSVReader(t *testing.T) {
	tests := []struct {
		name, in string
		want     [][]Cell
		err      string
	}{
		{
			name: "quoted values, NULL and empty string apart",
			in:   "\"a\",\"b\",\"c\"\n\"x\",,\"\"\n",
			want: [][]Cell{{{Text: "a"}, {Text: "b"}, {Text: "c"}}, {{Text: "x"}, {Null: true}, {Text: ""}}},
		},
		{
			name: "quotes doubled, commas and line breaks inside values",
			in:   "\"a\",\"b\"\n\"say \"\"hi\"\", ok\",\"two\nlines\"\r\n",
			want: [][]Cell{{{Text: "a"}, {Text: "b"}}, {{Text: `say "hi", ok`}, {Text: "two\nlines"}}},
		},
		{
			name: "trailing NULL, no final line break",
			in:   "\"a\",\"b\"\n\"x\",",
			want: [][]Cell{{{Text: "a"}, {Text: "b"}}, {{Text: "x"}, {Null: true}}},
		},
		{
			name: "unquoted value",
			in:   "\"a\"\n42\n",
			want: [][]Cell{{{Text: "a"}}, {{Text: "42"}}},
		},
		{name: "unclosed quote", in: "\"a\"\n\"x\n", err: "line 2: a quoted value is not closed"},
		{name: "text after a quoted value", in: "\"a\"\n\"x\"y\n", err: "line 2: text after a quoted value"},
		{name: "quote in an unquoted value", in: "\"a\"\nx\"y\n", err: "line 2: a quote inside an unquoted value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newCSVReader(strings.NewReader(tt.in))
			var got [][]Cell
			var err error
			for {
				var row []Cell
				if row, err = r.next(); err != nil {
					break
				}
				got = append(got, append([]Cell(nil), row...))
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadResultRows(t *testing.T) {
	header := "\"kind\",\"account_id\",\"principal_id\",\"arn\",\"user_name\",\"region\",\"first_event\",\"last_event\",\"events\",\"last_event_name\",\"last_event_source\",\"last_source_ip\",\"last_region\",\"console_logins\",\"failed_console_logins\",\"last_failed_console_login\",\"access_key_ids\",\"hour\"\n"
	tests := []struct {
		name, rows string
		want       *activity.Result
		err        string
	}{
		{
			name: "activity and coverage rows, times in every form the engines give",
			rows: `"activity","111111111111","AIDAX","arn:aws:iam::111111111111:user/a","a",,"2026-10-01T09:00:00.000Z","2026-10-02T09:00:00.000","3","ListBuckets","s3.amazonaws.com","203.0.113.1","us-east-1","1","2","2026-10-02 07:00:00.000 UTC","AKIA1,AKIA2",` + "\n" +
				`"coverage","111111111111",,,,"us-east-1","2026-09-30 11:58:00.000","2026-09-30T11:59:00Z","26",,,,,,,,,"2026-09-30T11:00:00.000Z"` + "\n",
			want: &activity.Result{
				Activity: []tables.Activity{{AccountID: trailtest.AcctA, PrincipalID: "AIDAX", ARN: "arn:aws:iam::111111111111:user/a", UserName: "a",
					FirstEvent: trailtest.TS("2026-10-01T09:00:00Z"), LastEvent: trailtest.TS("2026-10-02T09:00:00Z"), Events: 3,
					LastEventName: "ListBuckets", LastEventSource: "s3.amazonaws.com", LastSourceIP: "203.0.113.1", LastRegion: "us-east-1",
					ConsoleLogins: 1, FailedConsoleLogins: 2, LastFailedConsoleLogin: trailtest.TS("2026-10-02T07:00:00Z"), AccessKeyIDs: []string{"AKIA1", "AKIA2"}}},
				Coverage: []tables.Coverage{{AccountID: trailtest.AcctA, Region: "us-east-1", Hour: trailtest.TS("2026-09-30T11:00:00Z"), FirstEvent: trailtest.TS("2026-09-30T11:58:00Z"), LastEvent: trailtest.TS("2026-09-30T11:59:00Z"), Events: 26}},
			},
		},
		{name: "bad time", rows: `"coverage","111111111111",,,,"us-east-1","yesterday",,"1",,,,,,,,,` + "\n", err: `row 1: column first_event: "yesterday" is not a time`},
		{name: "bad hour", rows: `"coverage","111111111111",,,,"us-east-1",,,"1",,,,,,,,,"noon"` + "\n", err: `row 1: column hour: "noon" is not a time`},
		{name: "bad count", rows: `"coverage","111111111111",,,,"us-east-1",,,"many",,,,,,,,,` + "\n", err: `column events: "many" is not a whole number`},
		{name: "bad kind", rows: `"other",,,,,,,,,,,,,,,,,` + "\n", err: `unknown row kind "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &activity.Result{}
			_, err := ReadCSVResults(strings.NewReader(header+tt.rows), "test.csv", res)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res, tt.want) {
				t.Errorf("got %+v\nwant %+v", res, tt.want)
			}
		})
	}
	if _, err := ReadCSVResults(strings.NewReader("\"kind\",\"account_id\"\n"), "short.csv", &activity.Result{}); err == nil ||
		!strings.Contains(err.Error(), "lack the columns principal_id") {
		t.Errorf("a result without dormant's columns: got %v", err)
	}
}

func TestPollBackoff(t *testing.T) {
	b := NewPollBackoff(100*time.Millisecond, 300*time.Millisecond)
	var got []time.Duration
	for range 5 {
		got = append(got, b.step())
	}
	want := []time.Duration{100 * time.Millisecond, 150 * time.Millisecond, 225 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Errorf("intervals %v, want %v", got, want)
	}
	if d := NewPollBackoff(0, 0); d.next != DefaultPollInterval || d.max != DefaultMaxPollInterval {
		t.Errorf("defaults: %+v", d)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("interrupted")
	cancel(cause)
	if err := NewPollBackoff(time.Hour, time.Hour).Wait(ctx); err != cause {
		t.Errorf("wait on a cancelled context: %v, want its cause", err)
	}
}
