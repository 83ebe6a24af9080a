package ctrecord

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseEventTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC3339Nano; empty: rejected
	}{
		{"2026-10-01T09:00:00Z", "2026-10-01T09:00:00Z"},
		{"2028-02-29T23:59:59Z", "2028-02-29T23:59:59Z"},
		{"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
		{"2026-10-01T09:00:00.5Z", "2026-10-01T09:00:00.5Z"},
		{"2026-10-01T09:00:00.1234567Z", "2026-10-01T09:00:00.123456Z"},
		{"2026-10-01T09:00:00.Z", "2026-10-01T09:00:00Z"},
		{"2026-10-01T09:00:00+02:00", "2026-10-01T07:00:00Z"},
		{"2026-10-01T09:00:00-0130", "2026-10-01T10:30:00Z"},
		{"2026-10-01T09:00:00+02:00:30", "2026-10-01T06:59:30Z"},
		{"2026-10-01T09:00:00-00", "2026-10-01T09:00:00Z"},
		{"2026-10-01 09:00:00", "2026-10-01T09:00:00Z"},
		{"2026-10-01T09:00:00", "2026-10-01T09:00:00Z"},
		{"2026-10-01T09:00:00 UTC", "2026-10-01T09:00:00Z"},
		{"  2026-10-01T09:00:00Z  ", "2026-10-01T09:00:00Z"},
		{"2026-10-01T9:00:00Z", "2026-10-01T09:00:00Z"},
		{"2026-1-1T09:00:00Z", "2026-01-01T09:00:00Z"},
		{"02026-10-01T09:00:00Z", "2026-10-01T09:00:00Z"},
		{"2026-10-01", "2026-10-01T00:00:00Z"},
		{"2026-10-01T24:00:00Z", "2026-10-02T00:00:00Z"},
		{"", ""},
		{"yesterday", ""},
		{"2026-10-01t09:00:00z", ""},
		{"2026-10-01T09:00Z", ""},
		{"+2026-10-01T09:00:00Z", ""},
		{"2026-10-01T23:59:60Z", ""},
		{"2026-02-29T09:00:00Z", ""},
		{"2026-13-01T09:00:00Z", ""},
		{"2026-10-01T24:00:01Z", ""},
		{"2026-10-01T09:00:00ZZ", ""},
		{"2026-10-01T09:00:00+2", ""},
		{"20261001T090000Z", ""},
		{"2026-10-01T09:60:00Z", ""},
	}
	for _, tt := range tests {
		us, ok := parseEventTime([]byte(tt.in))
		got := ""
		if ok {
			got = time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
		}
		if got != tt.want {
			t.Errorf("parseEventTime(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The fast path agrees with the time package on CloudTrail's format.
func TestParseEventTimeFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		want := time.Unix(rng.Int64N(8_000_000_000)-2_000_000_000, 0).UTC()
		us, ok := parseEventTime([]byte(want.Format("2006-01-02T15:04:05Z")))
		if !ok || !time.UnixMicro(us).Equal(want) {
			t.Fatalf("%s: got %v %v", want.Format(time.RFC3339), time.UnixMicro(us).UTC(), ok)
		}
	}
}

// Strings decode as encoding/json decodes them.
func TestJSONStrings(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and backslash \ and slash /`, "tab\tnewline\ncr\r", "\u0000\u001f", "é ü 漢字 😀",
		"<script>&amp;", strings.Repeat("x", 1000) + "é" + strings.Repeat("y", 7), "\u2028\u2029",
	} {
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		p := Reader{b: raw}
		got, err := p.str()
		if err != nil || string(got) != s || p.i != len(raw) {
			t.Errorf("str(%s) = %q, %v (at %d of %d)", raw, got, err, p.i, len(raw))
		}
	}
	// Escapes encoding/json does not write.
	for raw, want := range map[string]string{
		`"\/\b\f"`:             "/\b\f",
		`"\u00e9\ud83d\ude00"`: "é😀",
		`"a\u0022b"`:           `a"b`,
	} {
		p := Reader{b: []byte(raw)}
		if got, err := p.str(); err != nil || string(got) != want {
			t.Errorf("str(%s) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

func TestJSONReaderErrors(t *testing.T) {
	tests := []struct {
		in        string
		syntax    bool // else a shape error
		truncated bool
	}{
		{`{"Records":[{"eventID":"x"}`, true, true},
		{`{"Records":[{"eventID":"x`, true, true},
		{`{"Records":[{"eventID":"x\`, true, true},
		{`{"Records":[{"eventID":"x\u00`, true, true},
		{`{"Records":[{"requestParameters":{"a":[1,2`, true, true},
		{`{"Records":[{"eventID":nul`, true, true},
		{`{"Records":[{"eventID":-`, true, true},
		{`{"Records":[{"eventID":"x"}]`, true, true},
		{`{"Records":[{"eventID" "x"}]}`, true, false},
		{`{"Records":[{"eventID":"x" "y":1}]}`, true, false},
		{`{"Records":[{"x":01}]}`, true, false},
		{`{"Records":[{"x":1.}]}`, true, false},
		{`{"Records":[{"x":1e}]}`, true, false},
		{`{"Records":[{"x":[1 2]}]}`, true, false},
		{`{"Records":[{"x":{"a":1]}}]}`, true, false},
		{`{"Records":[{"x":{1:2}}]}`, true, false},
		{`{"Records":[{,}]}`, true, false},
		{`{"Records":[{"x":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}]}`, true, false},
		{`{"Records":[{"x":"\uDC00"}]}`, true, false},
		{`{"Records":[{"x":"\u12G4"}]}`, true, false},
		{`[]`, false, false},
		{`"text"`, false, false},
		{`{"Records":"x"}`, false, false},
		{`{"Records":[true]}`, false, false},
		{`{"Records":[{"userIdentity":1}]}`, false, false},
		{`{"Records":[{"eventID":"a","eventID":"b"}]}`, false, false},
	}
	for _, tt := range tests {
		var p Reader
		err := p.ReadFile([]byte(tt.in), func(*Record) {})
		var syn *SyntaxError
		var shp *shapeError
		switch {
		case err == nil:
			t.Errorf("%s: no error", tt.in)
		case tt.syntax && !errors.As(err, &syn):
			t.Errorf("%s: got %v, want a syntax error", tt.in, err)
		case !tt.syntax && !errors.As(err, &shp):
			t.Errorf("%s: got %v, want a shape error", tt.in, err)
		case errors.Is(err, io.ErrUnexpectedEOF) != tt.truncated:
			t.Errorf("%s: got %v, truncated should be %v", tt.in, err, tt.truncated)
		}
	}
}

// The reader picks the rules' fields out of a record, whatever surrounds
// them.
func TestJSONReaderFields(t *testing.T) {
	in := `{"x":{"Records":[1]},"Records":[{"eventID":"id\"1","eventTime":"2026-10-01T09:00:00Z","eventSource":"s","eventName":null,` +
		`"awsRegion":"r","sourceIPAddress":{ "a" : [ 1 , 2 ] },"errorCode":"c","errorMessage":"m","recipientAccountId":"111111111111",` +
		`"responseElements":{"ConsoleLogin":"Success"},"requestParameters":{"userIdentity":{"type":"Root"}},` +
		`"userIdentity":{"type":"FederatedUser","principalId":"p","arn":"a","accountId":"1","accessKeyId":"ASIA","userName":"u",` +
		`"sessionContext":{"attributes":{},"sessionIssuer":{"type":"IAMUser","principalId":"AIDAX","arn":"ia","accountId":"2","userName":"iu","accessKeyId":"no"}}}}]}`
	var got []Record
	var p Reader
	if err := p.ReadFile([]byte(in), func(r *Record) {
		c := *r
		c.EventID.Value = []byte(string(r.EventID.Value)) // the scratch buffer is reused
		c.SourceIP.Value = []byte(string(r.SourceIP.Value))
		got = append(got, c)
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d records", len(got))
	}
	r := got[0]
	check := func(name string, f Field, want string, set bool) {
		t.Helper()
		if f.Set != set || string(f.Value) != want {
			t.Errorf("%s = %q (set %v), want %q (set %v)", name, f.Value, f.Set, want, set)
		}
	}
	check("eventID", r.EventID, `id"1`, true)
	check("eventSource", r.EventSource, "s", true)
	check("eventName", r.EventName, "", false)
	check("sourceIPAddress", r.SourceIP, `{"a":[1,2]}`, true)
	check("recipientAccountId", r.Recipient, "111111111111", true)
	check("userIdentity.type", r.User.Type, "FederatedUser", true)
	check("userIdentity.accessKeyId", r.User.AccessKeyID, "ASIA", true)
	if r.User.Issuer == nil {
		t.Fatal("no session issuer")
	}
	check("sessionIssuer.principalId", r.User.Issuer.PrincipalID, "AIDAX", true)
	check("sessionIssuer.accessKeyId", r.User.Issuer.AccessKeyID, "", false)
	if !r.HasTime || time.UnixMicro(r.Time).UTC() != trailtest.TS("2026-10-01T09:00:00Z") {
		t.Errorf("eventTime = %v", time.UnixMicro(r.Time).UTC())
	}
	if v, ok := LoginOutcome(r.Response); !ok || string(v) != "Success" {
		t.Errorf("console login = %q %v", v, ok)
	}
}

// The reader never panics, and accepts every valid JSON text (it may still
// find it is not CloudTrail's shape); encoding/json lets invalid UTF-8 and
// lone surrogates through, which the reader, like DuckDB, refuses.
func FuzzJSONReader(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"eventID":"a","eventTime":"2026-10-01T09:00:00Z","userIdentity":{"type":"IAMUser","principalId":"AIDAX"}}]}`,
		`{"Records":[null,{"responseElements":"{\"ConsoleLogin\":\"Failure\"}","eventName":"ConsoleLogin"}]}`,
		`{"Records":[{"x":[1,-2.5e+3,true,false,null,{"a":"\u00e9\ud83d\ude00"}]}]}`,
		`[]`, `null`, ``, `{"Records":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var p Reader
		err := p.ReadFile(in, func(r *Record) { LoginOutcome(r.Response) })
		var syn *SyntaxError
		if errors.As(err, &syn) && json.Valid(in) && utf8.Valid(in) && validDepth(in) && !strings.Contains(syn.msg, "surrogate") {
			t.Errorf("%q: valid JSON refused: %v", in, err)
		}
	})
}

// validDepth reports whether in nests no deeper than the reader allows.
func validDepth(in []byte) bool {
	depth, inStr, esc := 0, false, false
	for _, c := range in {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			if depth++; depth > maxDepth {
				return false
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return true
}

// A bad eventTime marks its record, which is then skipped and counted; it
// no longer fails the file.
func TestJSONReaderBadEventTime(t *testing.T) {
	for _, in := range []string{
		`{"Records":[{"eventTime":"x"}]}`,
		`{"Records":[{"eventTime":[]}]}`,
		`{"Records":[{"eventTime":5}]}`,
		`{"Records":[{"eventTime":{"a":"2026-10-01T09:00:00Z"}}]}`,
		`{"Records":[{"eventTime":"2026-13-01T09:00:00Z"}]}`,
	} {
		var p Reader
		var bad, n int
		if err := p.ReadFile([]byte(in), func(r *Record) {
			n++
			if r.BadTime && !r.HasTime && r.Skip() == SkipBadTime {
				bad++
			}
		}); err != nil {
			t.Errorf("%s: %v", in, err)
		}
		if n != 1 || bad != 1 {
			t.Errorf("%s: %d records, %d with a malformed eventTime; want 1 and 1", in, n, bad)
		}
	}
}

// Files that are not a log file's shape are refused as such; a digest
// file's object is recognised.
func TestJSONReaderNotLog(t *testing.T) {
	for _, in := range []string{``, " \n", `null`, `{"Records":null}`, `{"foo":[]}`, `{}`,
		`{"Records":[]} {"foo":[]}`, `{"Records":[]} null`} {
		var p Reader
		err := p.ReadFile([]byte(in), func(*Record) {})
		if !errors.As(err, new(*NotLogError)) {
			t.Errorf("%q: got %v, want a notLogError", in, err)
		}
	}
	var p Reader
	if err := p.ReadFile([]byte(`{"awsAccountId":"111111111111","digestStartTime":"2026-10-01T08:15:00Z","logFiles":[]}`), func(*Record) {}); err != nil {
		t.Fatal(err)
	}
	if p.Objects != 1 || p.Digests != 1 {
		t.Errorf("digest file: %d objects, %d digests; want 1 and 1", p.Objects, p.Digests)
	}
}

// requestParameters is read only when the watch asks for it: then it is
// kept as JSON text, and a second one in a record fails the file, as it
// fails DuckDB's watch query; otherwise it is skipped, duplicates and all,
// as the activity query does.
func TestJSONReaderRequestParameters(t *testing.T) {
	in := []byte(`{"Records":[{"eventID":"a","requestParameters":{"userName":"ivan","status":"Active"}},{"eventID":"b","requestParameters":null}]}`)
	var p Reader
	p.KeepRequest = true
	var got []string
	if err := p.ReadFile(in, func(r *Record) {
		name, _ := Member(r.Request, "userName")
		status, _ := Member(r.Request, "status")
		got = append(got, string(r.EventID.Value)+"="+string(name)+"/"+string(status)+"/"+fmt.Sprint(r.Request == nil))
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a=ivan/Active/false", "b=//true"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	dup := []byte(`{"Records":[{"eventID":"a","requestParameters":{},"requestParameters":{}}]}`)
	if err := p.ReadFile(dup, func(*Record) {}); err == nil || !strings.Contains(err.Error(), `"requestParameters" twice`) {
		t.Errorf("a duplicate requestParameters, read: got %v, want it refused", err)
	}
	var q Reader
	if err := q.ReadFile(dup, func(r *Record) {
		if r.Request != nil {
			t.Errorf("requestParameters kept without KeepRequest")
		}
	}); err != nil {
		t.Errorf("a duplicate requestParameters, not read: %v", err)
	}
}
