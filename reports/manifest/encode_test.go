package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// oddStrings are texts whose JSON encoding needs care: escapes, HTML
// characters (not escaped in the manifest), invalid UTF-8, the separators
// encoding/json always escapes, and long plain runs around them.
var oddStrings = []string{
	"",
	"plain",
	"exactly8",
	"seven77",
	"<b> & \"quoted\" \\ back\\slash",
	"tab\tnewline\ncr\rbs\bff\fnul\x00us\x1f",
	"bad utf8 \xff\xfe and a cut rune \xe2\x82",
	"line\u2028paragraph\u2029",
	"emoji 😀 é ß 日本語 and DEL \u007f",
	strings.Repeat("long plain text ", 20) + "\"" + strings.Repeat("x", 9) + "\\",
	"ends with a backslash \\",
	"\\\"",
}

// jsonEntry is what encoding/json writes for e: the reference appendEntry
// must match.
func jsonEntry(t *testing.T, e *Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func ptr(t time.Time) *time.Time { return &t }

// oddEntries are entries exercising every member and every way one can be
// written or omitted.
func oddEntries(t *testing.T) []Entry {
	m := mustBuild(t)
	entries := append([]Entry(nil), m.Entries...)
	zone := time.FixedZone("", -(3*3600 + 30*60))
	for i, s := range oddStrings {
		e := m.Entries[i%len(m.Entries)]
		e.UserName, e.Reasons = s, []string{s, "second " + s}
		e.ReviewerComment, e.Reviewer, e.ReviewDate = s, s+" reviewer", s
		e.Evidence.LastActivitySource = s
		e.Evidence.Status = s
		e.Evidence.CreateDate = ptr(time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone))
		e.Evidence.LastActivity = ptr(time.Time{}) // a pointer to the zero time is written
		e.Evidence.DaysInactive = -1 - i
		e.KeySlot = i - 3
		e.KeyLastRotated = time.Date(2023, 6, 1, 0, 0, 0, 1000*i, time.UTC)
		e.Actions = append([]Action(nil), e.Actions...)
		e.Actions[0].Why = s
		e.Actions[0].Parameters = map[string]string{s: s, "b": "2", "a": "1", "Status": "Inactive"}
		entries = append(entries, e)
	}
	bare := Entry{} // nil slices, every optional member absent
	withEmpties := Entry{Reasons: []string{}, Actions: []Action{{Parameters: map[string]string{}}}}
	oneUnknownKey := Entry{Actions: []Action{{Parameters: map[string]string{"Other": "x"}}}}
	return append(entries, bare, withEmpties, oneUnknownKey, filledByReflection(t))
}

// filledByReflection sets every field of an Entry, so a field added to the
// struct and not to appendEntry fails TestAppendEntryMatchesJSON.
func filledByReflection(t *testing.T) Entry {
	t.Helper()
	var e Entry
	var fill func(v reflect.Value, depth int)
	fill = func(v reflect.Value, depth int) {
		switch v.Kind() {
		case reflect.String:
			v.SetString("s" + v.Type().Name() + strings.Repeat("x", depth))
		case reflect.Int, reflect.Int64:
			v.SetInt(int64(7 + depth))
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), depth+1)
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for i := range 2 {
				fill(v.Index(i), depth+1)
			}
		case reflect.Map:
			v.Set(reflect.MakeMap(v.Type()))
			v.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				v.Set(reflect.ValueOf(time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)))
				return
			}
			for i := range v.NumField() {
				fill(v.Field(i), depth+1)
			}
		default:
			t.Fatalf("filledByReflection: no rule for %s (%s)", v.Type(), v.Kind())
		}
	}
	fill(reflect.ValueOf(&e).Elem(), 0)
	return e
}

func TestAppendEntryMatchesJSON(t *testing.T) {
	for i, e := range oddEntries(t) {
		want := jsonEntry(t, &e)
		got, err := appendEntry([]byte("prefix"), &e)
		if err != nil {
			t.Fatalf("entry %d: appendEntry: %v", i, err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("entry %d: appendEntry differs from encoding/json:\n got %s\nwant prefix%s", i, got, want)
		}
		// Indenting the compact form is what Encode does per entry.
		var wantIndent bytes.Buffer
		if err := json.Indent(&wantIndent, want, "    ", "  "); err != nil {
			t.Fatal(err)
		}
		if got := appendIndent(nil, want, "    ", "  "); !bytes.Equal(got, wantIndent.Bytes()) {
			t.Errorf("entry %d: appendIndent differs from json.Indent:\n got %s\nwant %s", i, got, wantIndent.Bytes())
		}
	}
}

func TestAppendEntryUnencodableTime(t *testing.T) {
	// A time encoding/json refuses gives encoding/json's own error.
	e := mustBuild(t).Entries[0]
	e.KeyLastRotated = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, want := json.Marshal(&e)
	if want == nil {
		t.Fatal("encoding/json accepted year 10000")
	}
	if _, err := appendEntry(nil, &e); err == nil || err.Error() != want.Error() {
		t.Errorf("appendEntry error = %v, want %v", err, want)
	}
	// After other entries in the buffer: what was there is kept (time's
	// AppendText drops its buffer when it refuses a time).
	before := []byte(`[{"kind":"user"},`)
	if got, err := appendEntry(bytes.Clone(before), &e); err == nil || !bytes.Equal(got, before) {
		t.Errorf("appendEntry after other entries = %q, %v; want %q and an error", got, err, before)
	}
	e.KeyLastRotated = time.Time{}
	e.Evidence.CreateDate = ptr(time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)))
	_, want = json.Marshal(&e)
	if _, err := appendEntry(nil, &e); want == nil || err == nil || err.Error() != want.Error() {
		t.Errorf("appendEntry error = %v, want %v", err, want)
	}
}

func TestEncodeOddStringsMatchesWholeDocument(t *testing.T) {
	m := mustBuild(t)
	m.Entries = oddEntries(t)
	checkEncodeMatchesWholeDocument(t, m)
	canonical, err := m.CanonicalEntries()
	if err != nil {
		t.Fatal(err)
	}
	var whole bytes.Buffer
	enc := json.NewEncoder(&whole)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Entries); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(canonical, bytes.TrimSuffix(whole.Bytes(), []byte("\n"))) {
		t.Errorf("CanonicalEntries differs from encoding/json:\n%s\n---\n%s", canonical, whole.Bytes())
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want.Bytes())
		}
		// The string as a member value, indented.
		compact := append(append([]byte(`{"a":[`), appendString(nil, s)...), `,{}],"b":[]}`...)
		var indented bytes.Buffer
		if err := json.Indent(&indented, compact, "  ", "\t"); err != nil {
			t.Fatal(err)
		}
		if got := appendIndent(nil, compact, "  ", "\t"); !bytes.Equal(got, indented.Bytes()) {
			t.Errorf("appendIndent(%s) = %s, want %s", compact, got, indented.Bytes())
		}
	})
}
