package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// reference decodes data with encoding/json, as the validator's values used
// to be made, and converts the result to a Value.
func reference(data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Value{}, err
	}
	if !json.Valid(data) { // e.g. trailing data, which Decoder.Decode leaves unread
		return Value{}, fmt.Errorf("invalid JSON")
	}
	return fromAny(v), nil
}

func fromAny(v any) Value {
	switch v := v.(type) {
	case bool:
		return Value{Kind: Bool, Bool: v}
	case json.Number:
		return Value{Kind: Number, Text: string(v)}
	case string:
		return Value{Kind: String, Text: v}
	case []any:
		out := Value{Kind: Array, Items: []Value{}}
		for _, e := range v {
			out.Items = append(out.Items, fromAny(e))
		}
		return out
	case map[string]any:
		out := Value{Kind: Object, Members: []Member{}}
		for k, e := range v {
			out.Members = append(out.Members, Member{Name: k, Value: fromAny(e)})
		}
		return out
	}
	return Value{Kind: Null}
}

// same compares exactly: numbers by literal, objects as sets of uniquely
// named members.
func same(a, b *Value) error {
	if a.Kind != b.Kind || a.Bool != b.Bool || a.Text != b.Text {
		return fmt.Errorf("%s %v %q != %s %v %q", typeName(a), a.Bool, a.Text, typeName(b), b.Bool, b.Text)
	}
	if len(a.Items) != len(b.Items) || len(a.Members) != len(b.Members) {
		return fmt.Errorf("%d items, %d members != %d items, %d members", len(a.Items), len(a.Members), len(b.Items), len(b.Members))
	}
	for i := range a.Items {
		if err := same(&a.Items[i], &b.Items[i]); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	names := map[string]bool{}
	for i := range a.Members {
		m := &a.Members[i]
		if names[m.Name] {
			return fmt.Errorf("member %q twice", m.Name)
		}
		names[m.Name] = true
		bv, ok := b.Get(m.Name)
		if !ok {
			return fmt.Errorf("member %q missing", m.Name)
		}
		if err := same(&m.Value, bv); err != nil {
			return fmt.Errorf(".%s: %w", m.Name, err)
		}
	}
	return nil
}

var decodeCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `-12.5e+3`, `1E-2`, `0.0`, `123456789012345678901234567890`, `true`, `false`, `null`,
	" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n",
	`{"kind":"user","reasons":["a","b"],"evidence":{"days_inactive":-1},"actions":[{"parameters":{"Status":"Inactive"}}]}`,
	`"escapes: \" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u2028 \u0000"`,
	`"pair: \ud83d\ude00, lone high: \ud83d, lone low: \ude00, high then letter: \ud83dx, high then escape: \ud83d\n, two highs: \ud83d\ud83d\ude00"`,
	"\"raw UTF-8: é 日本 😀, invalid: \xff \xc3 \xed\xa0\x80 end\"",
	"{\"bad key \xff\":1}",
	`{"a":1,"a":2}`,
	`{"a":{"x":1},"b":2,"a":[3]}`,
	`"long plain string without anything special in it at all, longer than eight bytes"`,
	`"12345678"`, `"1234567\\"`, `"\u00e91234567"`,
	strings.Repeat("[", 100) + strings.Repeat("]", 100),
	largeObject(40, true),
	largeObject(40, false),
}

// largeObject has n members; with dup, each name twice.
func largeObject(n int, dup bool) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"m%d":%d`, i, i)
		if dup {
			fmt.Fprintf(&b, `,"m%d":"again %d"`, i, i)
		}
	}
	b.WriteByte('}')
	return b.String()
}

var invalidCases = []string{
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1}}`, `{} {}`, `1 2`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`,
	`tru`, `nul`, `falsey`, `"unterminated`, `"bad escape \x"`, `"bad \u12"`, `"bad \u12G4"`, `"single quote escape \'"`,
	"\"control \x01 char\"", "\"tab \t raw\"", `["a"`, `{"a":}`, `[1 2]`, `NaN`, `Infinity`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	var reused Decoder
	for _, tc := range decodeCases {
		want, err := reference([]byte(tc))
		if err != nil {
			t.Fatalf("encoding/json rejects valid case %q: %v", tc, err)
		}
		for name, decode := range map[string]func([]byte) (Value, error){
			"Decode": Decode, "Decoder.Decode": reused.Decode, "Decoder.DecodeTransient": reused.DecodeTransient,
		} {
			got, err := decode([]byte(tc))
			if err != nil {
				t.Errorf("%s(%.60q): %v", name, tc, err)
				continue
			}
			if err := same(&got, &want); err != nil {
				t.Errorf("%s(%.60q) differs from encoding/json: %v", name, tc, err)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range invalidCases {
		if json.Valid([]byte(tc)) {
			t.Fatalf("case %q is valid JSON", tc)
		}
		if v, err := Decode([]byte(tc)); err == nil {
			t.Errorf("Decode(%.40q) = %s, want an error", tc, show(&v))
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, tc := range append(decodeCases, invalidCases...) {
		f.Add([]byte(tc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := reference(data)
		got, err := Decode(data)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("Decode(%q) error = %v, encoding/json error = %v", data, err, wantErr)
		}
		if err == nil {
			if err := same(&got, &want); err != nil {
				t.Fatalf("Decode(%q) differs from encoding/json: %v", data, err)
			}
		}
	})
}

func TestDecoderReuse(t *testing.T) {
	// A decoder's slabs are reused: a document decoded after a larger one
	// (and after one that filled a slab) must still be whole.
	var d Decoder
	for _, tc := range []string{largeObject(200, false), `[[1,2],[3,[4,5]],{"a":[6]}]`, largeObject(3, true), `[]`} {
		got, err := d.Decode([]byte(tc))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := reference([]byte(tc))
		if err := same(&got, &want); err != nil {
			t.Errorf("reused decoder on %.40q: %v", tc, err)
		}
	}
}

func TestTransientProblemsOwnTheirText(t *testing.T) {
	// Problems of a document decoded without copying must not point into
	// its buffer, which the caller rewrites for the next document.
	s, err := Compile([]byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"name":"ABCDEF","n":7,"list":[1,"x"],"color":"green","when":"soon","map":{"k/~":1},"extra":true}`)
	fresh, _ := Decode(doc)
	want := s.Validate(fresh)
	var d Decoder
	buf := bytes.Clone(doc)
	v, err := d.DecodeTransient(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Validate(v)
	for i := range buf {
		buf[i] = '#'
	}
	if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("problems after the buffer was overwritten:\n%v\nwant\n%v", got, want)
	}
}
