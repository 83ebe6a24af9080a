package manifest

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

// jsonEntry is what encoding/json writes for e alone.
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
// struct is encoded by TestEntryEncodingMatchesJSON.
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

// TestEntryEncodingMatchesJSON: each entry's canonical form, which the
// digest covers, is what encoding/json writes for it alone.
func TestEntryEncodingMatchesJSON(t *testing.T) {
	for i, e := range oddEntries(t) {
		want := jsonEntry(t, &e)
		m := &Manifest{Entries: []Entry{e}}
		got, err := m.CanonicalEntries()
		if err != nil {
			t.Fatalf("entry %d: CanonicalEntries: %v", i, err)
		}
		if !bytes.Equal(got, []byte("["+string(want)+"]")) {
			t.Errorf("entry %d: canonical form differs from encoding/json:\n got %s\nwant [%s]", i, got, want)
		}
	}
}

func TestEntryUnencodableTime(t *testing.T) {
	// A time encoding/json refuses gives encoding/json's own error, naming the entry.
	for _, edit := range []func(e *Entry){
		func(e *Entry) { e.KeyLastRotated = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		func(e *Entry) {
			e.Evidence.CreateDate = ptr(time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)))
		},
	} {
		m := mustBuild(t)
		edit(&m.Entries[1])
		_, want := json.Marshal(&m.Entries[1])
		if want == nil {
			t.Fatal("encoding/json accepted the time")
		}
		if _, err := m.ComputeDigest(); err == nil || !strings.Contains(err.Error(), "entry 1") || !strings.Contains(err.Error(), want.Error()) {
			t.Errorf("ComputeDigest error = %v, want one naming entry 1 with %v", err, want)
		}
		if err := m.Encode(io.Discard); err == nil || !strings.Contains(err.Error(), "entry 1") || !strings.Contains(err.Error(), want.Error()) {
			t.Errorf("Encode error = %v, want one naming entry 1 with %v", err, want)
		}
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

// FuzzEncodeStrings: any text in an entry encodes, entry by entry, to the
// bytes of the whole document, and reads back as it was when it is UTF-8.
func FuzzEncodeStrings(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := mustBuild(t)
		m.Entries[0].Reasons = []string{s}
		m.Entries[1].ReviewerComment = s
		checkEncodeMatchesWholeDocument(t, m)
		var buf bytes.Buffer
		if err := m.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		var back Manifest
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(s) && back.Entries[1].ReviewerComment != s {
			t.Errorf("reviewer comment %q read back as %q", s, back.Entries[1].ReviewerComment)
		}
	})
}
