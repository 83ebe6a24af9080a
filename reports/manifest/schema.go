package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaID is schema/v1.json's $id, under which the compiler files it.
const schemaID = "https://github.com/dormant-iam/dormant/blob/main/reports/manifest/schema/v1.json"

// schemas are the published schema compiled twice: the whole document, and
// $defs/entry so that entries can be checked one at a time.
type schemas struct {
	root, entry *jsonschema.Schema
}

var compiled = sync.OnceValues(func() (*schemas, error) {
	c, err := newCompiler(schemaV1, schemaID)
	if err != nil {
		return nil, err
	}
	root, err := c.Compile(schemaID)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", schemaID, err)
	}
	entry, err := c.Compile(schemaID + "#/$defs/entry")
	if err != nil {
		return nil, fmt.Errorf("compiling %s $defs/entry: %w", schemaID, err)
	}
	return &schemas{root: root, entry: entry}, nil
})

// newCompiler is a draft 2020-12 compiler holding schema at id, with
// "format" asserted: the schema's date-time is a rule, not a remark.
func newCompiler(schema []byte, id string) (*jsonschema.Compiler, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("parsing the schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		return nil, fmt.Errorf("adding the schema %s: %w", id, err)
	}
	return c, nil
}

// problem is one broken rule: where (a JSON Pointer) and what.
type problem struct {
	Pointer, Message string
}

func (p problem) String() string {
	if p.Pointer == "" {
		return p.Message
	}
	return p.Pointer + ": " + p.Message
}

// checkValue validates v (as jsonschema.UnmarshalJSON reads it) against s
// and lists each broken rule, its pointer under base, in pointer order.
func checkValue(s *jsonschema.Schema, v any, base string) []problem {
	err := s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []problem{{Pointer: base, Message: err.Error()}}
	}
	var out []problem
	leaves(ve, base, &out)
	slices.SortStableFunc(out, func(a, b problem) int { return strings.Compare(a.Pointer, b.Pointer) })
	return out
}

// leaves collects the errors that have no causes: the broken rules
// themselves, rather than the allOf or $ref that led to them.
func leaves(e *jsonschema.ValidationError, base string, out *[]problem) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			leaves(c, base, out)
		}
		return
	}
	ptr := base + pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			*out = append(*out, problem{ptr + pointer([]string{name}), "is required but missing"})
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			*out = append(*out, problem{ptr + pointer([]string{name}), "is not a known field"})
		}
	default:
		*out = append(*out, problem{ptr, describeKind(e.ErrorKind)})
	}
}

func pointer(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

var printer = message.NewPrinter(language.English)

// describeKind words a broken rule as "is <what was found>, want <what the
// schema asks>", the form the manifest's other problems take.
func describeKind(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		return fmt.Sprintf("is %s, want %s", typeName(k.Got), strings.Join(k.Want, " or "))
	case *kind.Const:
		return fmt.Sprintf("is %s, want %s", show(k.Got), show(k.Want))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = show(w)
		}
		return fmt.Sprintf("is %s, want one of %s", show(k.Got), strings.Join(want, ", "))
	case *kind.MinItems:
		return fmt.Sprintf("has %d items, want at least %d", k.Got, k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("has %d items, want at most %d", k.Got, k.Want)
	case *kind.MinLength:
		if k.Got == 0 {
			return "is empty"
		}
		return fmt.Sprintf("is %d characters long, want at least %d", k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("is %d characters long, want at most %d", k.Got, k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("%s does not match %s", show(k.Got), k.Want)
	case *kind.Format:
		if k.Want == "date-time" {
			return fmt.Sprintf("%s is not an RFC 3339 date-time", show(k.Got))
		}
	case *kind.Minimum:
		return fmt.Sprintf("is %s, want at least %s", k.Got.RatString(), k.Want.RatString())
	case *kind.Maximum:
		return fmt.Sprintf("is %s, want at most %s", k.Got.RatString(), k.Want.RatString())
	case *kind.FalseSchema:
		return "is not allowed here"
	}
	return k.LocalizedString(printer)
}

// typeName is a JSON type as the library names it, with its article.
func typeName(t string) string {
	switch t {
	case "null":
		return "null"
	case "integer", "number":
		return "a number"
	case "object", "array":
		return "an " + t
	}
	return "a " + t
}

// show is a JSON value as a message quotes it: strings in JSON quotes,
// numbers and booleans as written, containers by their type.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if enc.Encode(v) != nil {
			return strconv.Quote(v)
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	return fmt.Sprint(v)
}
