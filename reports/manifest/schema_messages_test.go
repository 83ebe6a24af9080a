package manifest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const messagesSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["name", "n", "list"],
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"},
    "n": {"type": "integer", "minimum": -1, "maximum": 2},
    "when": {"$ref": "#/$defs/ts"},
    "color": {"enum": ["red", "blue"]},
    "fixed": {"const": "v1"},
    "list": {"type": "array", "minItems": 1, "maxItems": 3, "prefixItems": [{"const": 1}], "items": {"type": "integer"}},
    "map": {"type": "object", "additionalProperties": {"type": "string"}},
    "kind": {"type": "string"},
    "slot": {"type": "integer"}
  },
  "allOf": [{
    "if": {"properties": {"kind": {"const": "key"}}, "required": ["kind"]},
    "then": {"required": ["slot"]},
    "else": {"properties": {"slot": false}}
  }],
  "$defs": {"ts": {"type": "string", "format": "date-time"}}
}`

// TestSchemaMessages: each broken rule is named by its JSON Pointer and
// worded as the manifest's other problems are, in pointer order.
func TestSchemaMessages(t *testing.T) {
	const id = "https://example.invalid/messages.json"
	c, err := newCompiler([]byte(messagesSchema), id)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want []string // each a substring of one problem, in pointer order; empty: valid
	}{
		{"valid", `{"name":"abc","n":2,"list":[1,5],"when":"2026-11-01T00:00:00Z","color":"red","fixed":"v1","map":{"a":"b"}}`, nil},
		{"valid key with slot", `{"name":"a","n":0,"list":[1],"kind":"key","slot":1}`, nil},
		{"integer written as 2.0", `{"name":"a","n":2.0,"list":[1]}`, nil},
		{"missing required", `{"name":"a","list":[1]}`, []string{"/n: is required but missing"}},
		{"unknown field", `{"name":"a","n":1,"list":[1],"extra":true}`, []string{"/extra: is not a known field"}},
		{"wrong type", `{"name":5,"n":1,"list":[1]}`, []string{"/name: is a number, want string"}},
		{"null is not a string", `{"name":null,"n":1,"list":[1]}`, []string{"/name: is null, want string"}},
		{"empty string", `{"name":"","n":1,"list":[1]}`, []string{"is empty", "does not match"}},
		{"too long", `{"name":"abcdef","n":1,"list":[1]}`, []string{"at most 5"}},
		{"pattern", `{"name":"ABC","n":1,"list":[1]}`, []string{`"ABC" does not match ^[a-z]+$`}},
		{"below minimum", `{"name":"a","n":-2,"list":[1]}`, []string{"/n: is -2, want at least -1"}},
		{"above maximum", `{"name":"a","n":3,"list":[1]}`, []string{"/n: is 3, want at most 2"}},
		{"fraction is not an integer", `{"name":"a","n":1.5,"list":[1]}`, []string{"/n: is a number, want integer"}},
		{"enum", `{"name":"a","n":1,"list":[1],"color":"green"}`, []string{`/color: is "green", want one of "red", "blue"`}},
		{"const", `{"name":"a","n":1,"list":[1],"fixed":"v2"}`, []string{`/fixed: is "v2", want "v1"`}},
		{"date-time", `{"name":"a","n":1,"list":[1],"when":"2026-11-01"}`, []string{"/when: \"2026-11-01\" is not an RFC 3339 date-time"}},
		{"prefix item", `{"name":"a","n":1,"list":[2]}`, []string{"/list/0: is 2, want 1"}},
		{"items after prefix", `{"name":"a","n":1,"list":[1,"x"]}`, []string{"/list/1: is a string, want integer"}},
		{"too few items", `{"name":"a","n":1,"list":[]}`, []string{"/list: has 0 items, want at least 1"}},
		{"too many items", `{"name":"a","n":1,"list":[1,2,3,4]}`, []string{"/list: has 4 items, want at most 3"}},
		{"additionalProperties schema", `{"name":"a","n":1,"list":[1],"map":{"a":1}}`, []string{"/map/a: is a number, want string"}},
		{"if then", `{"name":"a","n":1,"list":[1],"kind":"key"}`, []string{"/slot: is required but missing"}},
		{"if else false schema", `{"name":"a","n":1,"list":[1],"kind":"user","slot":1}`, []string{"/slot: is not allowed here"}},
		{"root type", `[1]`, []string{"is an array, want object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tt.doc)))
			if err != nil {
				t.Fatal(err)
			}
			probs := checkValue(s, doc, "")
			if len(probs) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d %q", len(probs), probs, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(probs[i].String(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i], w)
				}
			}
		})
	}
}
