package manifest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/pycheck"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaObject returns the schema object for a Go type: the root, or a $defs entry.
func schemaObject(t *testing.T, schema map[string]any, def string) map[string]any {
	t.Helper()
	if def == "" {
		return schema
	}
	obj, ok := schema["$defs"].(map[string]any)[def].(map[string]any)
	if !ok {
		t.Fatalf("schema has no $defs/%s", def)
	}
	return obj
}

// TestSchemaDescribesTypes holds the published schema and the Go types to
// each other: the same members, required exactly when Go always writes them,
// and no other members allowed.
func TestSchemaDescribesTypes(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	if got := schema["properties"].(map[string]any)["schema_version"].(map[string]any)["const"]; got != SchemaVersion {
		t.Errorf("schema's schema_version const = %v, want %s", got, SchemaVersion)
	}
	for _, tc := range []struct {
		typ reflect.Type
		def string
	}{
		{reflect.TypeFor[Manifest](), ""},
		{reflect.TypeFor[Entry](), "entry"},
		{reflect.TypeFor[Evidence](), "evidence"},
		{reflect.TypeFor[Action](), "action"},
		{reflect.TypeFor[Review](), "review"},
	} {
		obj := schemaObject(t, schema, tc.def)
		if obj["additionalProperties"] != false {
			t.Errorf("%s: schema allows additional properties", tc.typ)
		}
		var goNames, goRequired []string
		for f := range tc.typ.Fields() {
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" {
				t.Fatalf("%s.%s has no json name", tc.typ, f.Name)
			}
			goNames = append(goNames, name)
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
				goRequired = append(goRequired, name)
			}
		}
		var schemaNames []string
		for name := range obj["properties"].(map[string]any) {
			schemaNames = append(schemaNames, name)
		}
		var schemaRequired []string
		for _, r := range obj["required"].([]any) {
			schemaRequired = append(schemaRequired, r.(string))
		}
		sort.Strings(goNames)
		sort.Strings(goRequired)
		sort.Strings(schemaNames)
		sort.Strings(schemaRequired)
		if !slices.Equal(goNames, schemaNames) {
			t.Errorf("%s members: Go %q, schema %q", tc.typ, goNames, schemaNames)
		}
		if !slices.Equal(goRequired, schemaRequired) {
			t.Errorf("%s required: Go always writes %q, schema requires %q", tc.typ, goRequired, schemaRequired)
		}
	}
	// The schema's fixed delete order is the one Build writes.
	var order []string
	allOf := schemaObject(t, schema, "entry")["allOf"].([]any)
	for _, item := range allOf {
		then, _ := item.(map[string]any)["then"].(map[string]any)
		acts, _ := then["properties"].(map[string]any)["actions"].(map[string]any)
		if prefix, ok := acts["prefixItems"].([]any); ok {
			for _, p := range prefix {
				order = append(order, p.(map[string]any)["properties"].(map[string]any)["call"].(map[string]any)["const"].(string))
			}
		}
	}
	if !slices.Equal(order, DeleteOrder) {
		t.Errorf("schema delete order %q, DeleteOrder %q", order, DeleteOrder)
	}
}

func TestGeneratedManifestsMatchSchema(t *testing.T) {
	s, err := compiled()
	if err != nil {
		t.Fatalf("compiling the published schema: %v", err)
	}
	in := testInput()
	empty := in
	empty.Findings = nil
	for name, in := range map[string]Input{"fixture": in, "empty": empty} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(encoded(t, in)))
		if err != nil {
			t.Fatal(err)
		}
		if probs := checkValue(s.root, doc, ""); len(probs) > 0 {
			t.Errorf("%s: generated manifest fails its schema: %v", name, probs)
		}
	}
}

// TestSchemaWithReferenceValidator checks the schema file with an
// independent, complete JSON Schema implementation when one is installed
// (Python's jsonschema), so the schema is valid draft 2020-12 and means what
// the library validator takes it to mean: it accepts a generated manifest
// and rejects edits that break its rules.
func TestSchemaWithReferenceValidator(t *testing.T) {
	py := pycheck.Find(t, "jsonschema", "python3-jsonschema")
	dir := t.TempDir()
	schemaPath := filepath.Join(dir, "schema.json")
	if err := os.WriteFile(schemaPath, Schema(), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := encoded(t, testInput())
	docs := map[string]func(doc map[string]any){
		"valid": func(map[string]any) {},
		"bad-decision": func(doc map[string]any) {
			entryAt(doc, 0)["decision"] = "remove"
		},
		"delete-missing-steps": func(doc map[string]any) {
			entryAt(doc, 3)["decision"] = "delete"
		},
		"key-slot-on-user": func(doc map[string]any) {
			entryAt(doc, 0)["key_slot"] = 1
		},
		"unknown-field": func(doc map[string]any) {
			doc["signed_by"] = "me"
		},
		"bad-timestamp": func(doc map[string]any) {
			doc["as_of"] = "yesterday"
		},
		"key-entry-delete": func(doc map[string]any) {
			entryAt(doc, 2)["decision"] = "delete"
		},
		"valid-reviewed": func(doc map[string]any) {
			doc["reviewed_from"] = map[string]any{
				"workbook": "reviewed.xlsx", "workbook_sha256": strings.Repeat("ab", 32), "run_digest": doc["digest"],
				"approved": 3, "rejected": 1, "deferred": 0, "undecided": 1,
			}
			entryAt(doc, 0)["reviewer_comment"] = "confirmed with the team"
		},
		"reviewed-bad-hash": func(doc map[string]any) {
			doc["reviewed_from"] = map[string]any{
				"workbook": "reviewed.xlsx", "workbook_sha256": "abc", "run_digest": doc["digest"],
				"approved": 3, "rejected": 1, "deferred": 0, "undecided": 1,
			}
		},
		"reviewed-missing-counts": func(doc map[string]any) {
			doc["reviewed_from"] = map[string]any{
				"workbook": "reviewed.xlsx", "workbook_sha256": strings.Repeat("ab", 32), "run_digest": doc["digest"],
			}
		},
	}
	names := make([]string, 0, len(docs))
	for name, edit := range docs {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc)
		data, _ := json.Marshal(doc)
		if err := os.WriteFile(filepath.Join(dir, name+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	const script = `
import datetime, json, re, sys
from jsonschema import Draft202012Validator, FormatChecker
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
fc = FormatChecker()
if "date-time" not in fc.checkers:
    # jsonschema checks date-time only with rfc3339_validator installed,
    # which Debian does not package: check RFC 3339 here instead.
    rfc3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z", re.I)
    @fc.checks("date-time", raises=ValueError)
    def date_time(s):
        if not isinstance(s, str):
            return True
        if not rfc3339.match(s):
            raise ValueError("not RFC 3339: %r" % s)
        datetime.datetime.fromisoformat(s.upper().replace("Z", "+00:00"))
        return True
v = Draft202012Validator(schema, format_checker=fc)
for path in sys.argv[2:]:
    errs = list(v.iter_errors(json.load(open(path))))
    print(path.rsplit("/", 1)[-1][:-5], len(errs))
`
	args := []string{"-c", script, schemaPath}
	for _, n := range names {
		args = append(args, filepath.Join(dir, n+".json"))
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python jsonschema: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, count, _ := strings.Cut(line, " ")
		got[name] = count
	}
	for _, n := range names {
		valid := got[n] == "0"
		if want := strings.HasPrefix(n, "valid"); valid != want {
			t.Errorf("reference validator on %s: %s errors, want valid=%v", n, got[n], want)
		}
		// And this package's reader agrees.
		_, err := Parse(mustRead(t, filepath.Join(dir, n+".json")))
		if (err == nil) != strings.HasPrefix(n, "valid") {
			t.Errorf("Parse(%s) = %v, reference validator valid=%v", n, err, valid)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDocsSchemaIsTheEmbeddedOne: docs/manifest.schema.json, the copy
// published for other tools, is byte for byte the schema the code embeds
// (and writes into every bundle); after a schema change, copy
// reports/manifest/schema/v1.json over it.
func TestDocsSchemaIsTheEmbeddedOne(t *testing.T) {
	docs, err := os.ReadFile(filepath.Join("..", "..", "docs", "manifest.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, Schema()) {
		t.Error("docs/manifest.schema.json differs from reports/manifest/schema/v1.json: copy the latter over the former")
	}
}
