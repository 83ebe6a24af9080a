package references

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dormant-iam/dormant/tables"
)

// Kinds of references found in the authorization details, as Reference.Kind
// and Orphan.Kind spell them.
const (
	KindRoleTrust   = "role trust policy"
	KindRoleInline  = "role inline policy"
	KindGroupInline = "group inline policy"
	KindUserInline  = "user inline policy"
	KindManaged     = "managed policy"
)

// policyKinds maps tables.Policy.Kind to the text reports show.
var policyKinds = map[string]string{
	"role_trust":   KindRoleTrust,
	"role_inline":  KindRoleInline,
	"group_inline": KindGroupInline,
	"user_inline":  KindUserInline,
	"managed":      KindManaged,
}

// Policy elements whose values can name a user. Action and NotAction never do.
const (
	elemPrincipal    = "Principal"
	elemNotPrincipal = "NotPrincipal"
	elemResource     = "Resource"
	elemNotResource  = "NotResource"
	elemCondition    = "Condition"
)

// site is one place in a document that holds values.
type site struct {
	element   string // one of the elem* constants
	op, key   string // condition operator and key, for elemCondition
	statement string // "Sid X", or "statement N" (1-based) without a Sid
}

// describe names a policy for error messages and logs.
func describe(p tables.Policy) string {
	kind, ok := policyKinds[p.Kind]
	if !ok {
		kind = "policy of kind " + strconv.Quote(p.Kind)
	}
	switch p.Kind {
	case "role_trust":
		return fmt.Sprintf("%s of %s", kind, p.OwnerARN)
	case "managed":
		return fmt.Sprintf("%s %s version %s", kind, p.OwnerARN, p.VersionID)
	default:
		return fmt.Sprintf("%s %q of %s", kind, p.Name, p.OwnerARN)
	}
}

// qualifier is the part of Location that says which document and statement:
// the inline policy name or the managed policy version, then the statement.
func qualifier(p tables.Policy, statement string) string {
	switch p.Kind {
	case "role_inline", "group_inline", "user_inline":
		return "policy " + p.Name + ", " + statement
	case "managed":
		return p.VersionID + ", " + statement
	default:
		return statement
	}
}

// location renders Reference.Location and Orphan.Location.
func location(s site, qual string) string {
	if s.element == elemCondition {
		return s.element + " " + s.op + " " + s.key + " (" + qual + ")"
	}
	return s.element + " (" + qual + ")"
}

// walkDocument calls visit for every string value in the elements that can
// name a principal. Shapes IAM would not store are errors, so a mangled export
// is noticed instead of silently passing as "no references".
func walkDocument(doc string, visit func(s site, value string)) error {
	trimmed := strings.TrimSpace(doc)
	if trimmed == "" {
		return errors.New("the policy document is empty")
	}
	if trimmed[0] == '%' {
		return errors.New("the policy document is URL-encoded; decode it (as the AWS CLI does) before scanning")
	}
	var parsed any
	if err := json.Unmarshal([]byte(trimmed), &parsed); err != nil {
		return fmt.Errorf("decoding the policy document: %w", err)
	}
	top, ok := parsed.(map[string]any)
	if !ok {
		return errors.New("the policy document is not a JSON object")
	}
	raw, ok := top["Statement"]
	if !ok {
		return errors.New("the policy document has no Statement")
	}
	var stmts []any
	switch v := raw.(type) {
	case map[string]any:
		stmts = []any{v}
	case []any:
		stmts = v
	default:
		return errors.New("the Statement element must be an object or a list of objects")
	}
	for i, raw := range stmts {
		st, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("statement %d: a statement must be a JSON object", i+1)
		}
		if err := walkStatement(i, st, visit); err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	return nil
}

func walkStatement(i int, st map[string]any, visit func(site, string)) error {
	label := "statement " + strconv.Itoa(i+1)
	if sid, ok := st["Sid"].(string); ok && sid != "" {
		label = "Sid " + sid
	}
	for _, name := range []string{elemPrincipal, elemNotPrincipal} {
		raw, ok := st[name]
		if !ok {
			continue
		}
		if err := walkPrincipal(raw, site{element: name, statement: label}, visit); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, name := range []string{elemResource, elemNotResource} {
		raw, ok := st[name]
		if !ok {
			continue
		}
		values, err := stringOrList(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		s := site{element: name, statement: label}
		for _, v := range values {
			visit(s, v)
		}
	}
	if raw, ok := st[elemCondition]; ok && raw != nil {
		if err := walkCondition(raw, label, visit); err != nil {
			return fmt.Errorf("Condition: %w", err)
		}
	}
	return nil
}

// walkPrincipal accepts "*" (or any string) and {"AWS"|"Service"|...: string or list}.
func walkPrincipal(raw any, s site, visit func(site, string)) error {
	switch v := raw.(type) {
	case string:
		visit(s, v)
		return nil
	case map[string]any:
		for _, k := range sortedKeys(v) {
			values, err := stringOrList(v[k])
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			for _, value := range values {
				visit(s, value)
			}
		}
		return nil
	default:
		return errors.New(`must be "*" or an object such as {"AWS": [...]}`)
	}
}

// walkCondition visits every string value of every operator and key. Numbers
// and booleans (NumericLessThan, Bool) cannot name a principal and are skipped.
func walkCondition(raw any, label string, visit func(site, string)) error {
	ops, ok := raw.(map[string]any)
	if !ok {
		return errors.New("must be an object of operators")
	}
	for _, op := range sortedKeys(ops) {
		keys, ok := ops[op].(map[string]any)
		if !ok {
			return fmt.Errorf("%s must be an object of condition keys", op)
		}
		for _, key := range sortedKeys(keys) {
			values, ok := keys[key].([]any)
			if !ok {
				values = []any{keys[key]}
			}
			s := site{element: elemCondition, op: op, key: key, statement: label}
			for _, v := range values {
				switch v := v.(type) {
				case string:
					visit(s, v)
				case float64, bool, nil:
				default:
					return fmt.Errorf("%s %s: values must be strings, numbers or booleans", op, key)
				}
			}
		}
	}
	return nil
}

func stringOrList(raw any) ([]string, error) {
	switch v := raw.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("must be a string or a list of strings")
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, errors.New("must be a string or a list of strings")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
