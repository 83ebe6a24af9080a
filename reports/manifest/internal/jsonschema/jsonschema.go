package jsonschema

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Problem is one way a document fails the schema.
type Problem struct {
	// Pointer is the JSON Pointer (RFC 6901) of the offending value, "" for the root.
	Pointer string
	Message string
}

func (p Problem) String() string {
	if p.Pointer == "" {
		return p.Message
	}
	return p.Pointer + ": " + p.Message
}

// Schema is a compiled schema.
type Schema struct {
	root *node
	defs map[string]*node
}

type node struct {
	where string // pointer inside the schema, for compile errors

	always *bool // boolean schema

	ref     string
	refNode *node

	types       []string
	enum        []any
	constVal    any
	hasConst    bool
	pattern     *regexp.Regexp
	patternText string
	minLength   *int
	maxLength   *int
	minimum     *big.Rat
	maximum     *big.Rat
	format      string

	properties  map[string]*node
	required    []string
	additional  *node
	items       *node
	prefixItems []*node
	minItems    *int
	maxItems    *int

	allOf          []*node
	ifN, thenN, el *node
}

// annotations are keywords that carry no validation rule.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true,
	"title": true, "description": true, "default": true, "examples": true,
}

// Compile parses a schema. It fails on any keyword it does not implement, on a
// $ref it cannot resolve and on a pattern Go cannot compile.
func Compile(data []byte) (*Schema, error) {
	doc, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("parsing schema: %w", err)
	}
	s := &Schema{defs: map[string]*node{}}
	if obj, ok := doc.(map[string]any); ok {
		if defs, ok := obj["$defs"].(map[string]any); ok {
			for name, d := range defs {
				n, err := compileNode(d, "/$defs/"+escape(name))
				if err != nil {
					return nil, err
				}
				s.defs[name] = n
			}
		}
	}
	if s.root, err = compileNode(doc, ""); err != nil {
		return nil, err
	}
	if err := s.resolve(s.root, map[*node]bool{}); err != nil {
		return nil, err
	}
	for _, d := range s.defs {
		if err := s.resolve(d, map[*node]bool{}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Decode parses JSON the way Validate expects it: numbers kept exact as
// json.Number, and nothing after the value.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("unexpected data after the JSON value at offset %d", dec.InputOffset())
	}
	return v, nil
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func compileNode(v any, where string) (*node, error) {
	n := &node{where: where}
	if b, ok := v.(bool); ok {
		n.always = &b
		return n, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %s: a schema must be an object or a boolean", where)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := obj[k]
		at := where + "/" + escape(k)
		var err error
		switch k {
		case "$ref":
			s, ok := val.(string)
			if !ok || (s != "#" && !strings.HasPrefix(s, "#/$defs/")) {
				return nil, fmt.Errorf("schema %s: only local references (#/$defs/...) are supported, got %v", at, val)
			}
			n.ref = s
		case "type":
			switch t := val.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, e := range t {
					s, ok := e.(string)
					if !ok {
						return nil, fmt.Errorf("schema %s: type names must be strings", at)
					}
					n.types = append(n.types, s)
				}
			default:
				return nil, fmt.Errorf("schema %s: type must be a string or an array", at)
			}
			for _, t := range n.types {
				if !slices.Contains([]string{"object", "array", "string", "integer", "number", "boolean", "null"}, t) {
					return nil, fmt.Errorf("schema %s: unknown type %q", at, t)
				}
			}
		case "enum":
			arr, ok := val.([]any)
			if !ok || len(arr) == 0 {
				return nil, fmt.Errorf("schema %s: enum must be a non-empty array", at)
			}
			n.enum = arr
		case "const":
			n.constVal, n.hasConst = val, true
		case "pattern":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("schema %s: pattern must be a string", at)
			}
			if n.pattern, err = regexp.Compile(s); err != nil {
				return nil, fmt.Errorf("schema %s: compiling pattern: %w", at, err)
			}
			n.patternText = s
		case "format":
			s, ok := val.(string)
			if !ok || s != "date-time" {
				return nil, fmt.Errorf("schema %s: only format date-time is supported, got %v", at, val)
			}
			n.format = s
		case "minLength":
			n.minLength, err = count(val, at)
		case "maxLength":
			n.maxLength, err = count(val, at)
		case "minItems":
			n.minItems, err = count(val, at)
		case "maxItems":
			n.maxItems, err = count(val, at)
		case "minimum":
			n.minimum, err = number(val, at)
		case "maximum":
			n.maximum, err = number(val, at)
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: properties must be an object", at)
			}
			n.properties = map[string]*node{}
			for name, p := range props {
				if n.properties[name], err = compileNode(p, at+"/"+escape(name)); err != nil {
					return nil, err
				}
			}
		case "required":
			arr, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: required must be an array", at)
			}
			for _, e := range arr {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("schema %s: required names must be strings", at)
				}
				n.required = append(n.required, s)
			}
		case "additionalProperties":
			n.additional, err = compileNode(val, at)
		case "items":
			n.items, err = compileNode(val, at)
		case "prefixItems":
			arr, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: prefixItems must be an array", at)
			}
			n.prefixItems, err = compileEach(arr, at)
		case "allOf":
			arr, ok := val.([]any)
			if !ok || len(arr) == 0 {
				return nil, fmt.Errorf("schema %s: allOf must be a non-empty array", at)
			}
			n.allOf, err = compileEach(arr, at)
		case "if":
			n.ifN, err = compileNode(val, at)
		case "then":
			n.thenN, err = compileNode(val, at)
		case "else":
			n.el, err = compileNode(val, at)
		default:
			if !annotations[k] {
				return nil, fmt.Errorf("schema %s: keyword %q is not supported by this validator", at, k)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

// compileEach compiles the subschemas of an array keyword (prefixItems,
// allOf), each at its index under at.
func compileEach(arr []any, at string) ([]*node, error) {
	var out []*node
	for i, e := range arr {
		c, err := compileNode(e, at+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func count(v any, at string) (*int, error) {
	num, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("schema %s: expected a non-negative integer", at)
	}
	i, err := strconv.Atoi(num.String())
	if err != nil || i < 0 {
		return nil, fmt.Errorf("schema %s: expected a non-negative integer, got %s", at, num)
	}
	return &i, nil
}

func number(v any, at string) (*big.Rat, error) {
	num, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("schema %s: expected a number", at)
	}
	r, ok := new(big.Rat).SetString(num.String())
	if !ok {
		return nil, fmt.Errorf("schema %s: expected a number, got %s", at, num)
	}
	return r, nil
}

func (s *Schema) resolve(n *node, seen map[*node]bool) error {
	if n == nil || seen[n] {
		return nil
	}
	seen[n] = true
	if n.ref != "" {
		if n.ref == "#" {
			n.refNode = s.root
		} else {
			name := strings.TrimPrefix(n.ref, "#/$defs/")
			d, ok := s.defs[name]
			if !ok {
				return fmt.Errorf("schema %s: $ref %s names no definition", n.where, n.ref)
			}
			n.refNode = d
		}
	}
	children := []*node{n.additional, n.items, n.ifN, n.thenN, n.el}
	children = append(children, n.prefixItems...)
	children = append(children, n.allOf...)
	for _, c := range n.properties {
		children = append(children, c)
	}
	for _, c := range children {
		if err := s.resolve(c, seen); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a document decoded by Decode and returns every problem,
// ordered by pointer.
func (s *Schema) Validate(doc any) []Problem {
	r := &run{}
	s.root.validate(doc, "", r)
	sort.SliceStable(r.out, func(i, j int) bool { return r.out[i].Pointer < r.out[j].Pointer })
	return r.out
}

// ValidateDef checks doc against the definition $defs/name, reporting
// pointers under at (the pointer doc has inside a larger document). It lets
// a caller validate a long array one element at a time instead of holding
// the whole document as generic values.
func (s *Schema) ValidateDef(name string, doc any, at string) ([]Problem, error) {
	d, ok := s.defs[name]
	if !ok {
		return nil, fmt.Errorf("schema has no definition %q", name)
	}
	r := &run{}
	d.validate(doc, at, r)
	sort.SliceStable(r.out, func(i, j int) bool { return r.out[i].Pointer < r.out[j].Pointer })
	return r.out, nil
}

// run collects problems. A probe (the "if" of if/then/else) only needs to
// know whether anything failed, so it stops at the first failure and
// formats no messages.
type run struct {
	out    []Problem
	probe  bool
	failed bool
}

func (r *run) add(ptr, format string, args ...any) {
	r.failed = true
	if !r.probe {
		r.out = append(r.out, Problem{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
	}
}

func (n *node) validate(v any, ptr string, r *run) {
	if r.probe && r.failed {
		return
	}
	if n.always != nil {
		if !*n.always {
			r.add(ptr, "is not allowed here")
		}
		return
	}
	if n.refNode != nil {
		n.refNode.validate(v, ptr, r)
	}
	if len(n.types) > 0 && !slices.ContainsFunc(n.types, func(t string) bool { return hasType(v, t) }) {
		r.add(ptr, "is %s, want %s", typeName(v), strings.Join(n.types, " or "))
		return // the remaining keywords would only repeat the type error
	}
	if n.hasConst && !equal(v, n.constVal) {
		r.add(ptr, "is %s, want %s", show(v), show(n.constVal))
	}
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(e any) bool { return equal(v, e) }) {
		want := make([]string, len(n.enum))
		for i, e := range n.enum {
			want[i] = show(e)
		}
		r.add(ptr, "is %s, want one of %s", show(v), strings.Join(want, ", "))
	}
	switch v := v.(type) {
	case string:
		runes := utf8.RuneCountInString(v)
		if n.minLength != nil && runes < *n.minLength {
			if *n.minLength == 1 {
				r.add(ptr, "is empty")
			} else {
				r.add(ptr, "is %d characters long, want at least %d", runes, *n.minLength)
			}
		}
		if n.maxLength != nil && runes > *n.maxLength {
			r.add(ptr, "is %d characters long, want at most %d", runes, *n.maxLength)
		}
		if n.pattern != nil && !n.pattern.MatchString(v) {
			r.add(ptr, "%s does not match %s", show(v), n.patternText)
		}
		if n.format == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				r.add(ptr, "%s is not an RFC 3339 date-time", show(v))
			}
		}
	case json.Number:
		if n.minimum != nil && compare(v, n.minimum) < 0 {
			r.add(ptr, "is %s, want at least %s", v, n.minimum.RatString())
		}
		if n.maximum != nil && compare(v, n.maximum) > 0 {
			r.add(ptr, "is %s, want at most %s", v, n.maximum.RatString())
		}
	case map[string]any:
		for _, name := range n.required {
			if _, ok := v[name]; !ok {
				r.add(ptr+"/"+escape(name), "is required but missing")
			}
		}
		// Map order is fine: problems are sorted by pointer at the end, and
		// each pointer's own problems come from one visit, in keyword order.
		for name, val := range v {
			if p, ok := n.properties[name]; ok {
				p.validate(val, ptr+"/"+escape(name), r)
			} else if n.additional != nil {
				if n.additional.always != nil && !*n.additional.always {
					r.add(ptr+"/"+escape(name), "is not a known field")
				} else {
					n.additional.validate(val, ptr+"/"+escape(name), r)
				}
			}
		}
	case []any:
		if n.minItems != nil && len(v) < *n.minItems {
			r.add(ptr, "has %d items, want at least %d", len(v), *n.minItems)
		}
		if n.maxItems != nil && len(v) > *n.maxItems {
			r.add(ptr, "has %d items, want at most %d", len(v), *n.maxItems)
		}
		for i, e := range v {
			if i < len(n.prefixItems) {
				n.prefixItems[i].validate(e, ptr+"/"+strconv.Itoa(i), r)
			} else if n.items != nil {
				n.items.validate(e, ptr+"/"+strconv.Itoa(i), r)
			}
		}
	}
	for _, c := range n.allOf {
		c.validate(v, ptr, r)
	}
	if n.ifN != nil {
		probe := run{probe: true}
		n.ifN.validate(v, ptr, &probe)
		if !probe.failed {
			if n.thenN != nil {
				n.thenN.validate(v, ptr, r)
			}
		} else if n.el != nil {
			n.el.validate(v, ptr, r)
		}
	}
}

// compare orders a JSON number against a bound, exactly: integers (the
// common case) without big arithmetic.
func compare(v json.Number, bound *big.Rat) int {
	if i, err := strconv.ParseInt(v.String(), 10, 64); err == nil && bound.IsInt() && bound.Num().IsInt64() {
		return cmp.Compare(i, bound.Num().Int64())
	}
	r, ok := new(big.Rat).SetString(v.String())
	if !ok {
		return 0 // Decode only produces valid numbers
	}
	return r.Cmp(bound)
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		num, ok := v.(json.Number)
		if !ok {
			return false
		}
		if _, err := strconv.ParseInt(num.String(), 10, 64); err == nil {
			return true
		}
		r, ok := new(big.Rat).SetString(num.String())
		return ok && r.IsInt()
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func show(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case nil:
		return "null"
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// equal is JSON equality: numbers by value, objects by members, arrays in order.
func equal(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		ra, ok1 := new(big.Rat).SetString(a.String())
		rb, ok2 := new(big.Rat).SetString(bn.String())
		return ok1 && ok2 && ra.Cmp(rb) == 0
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !equal(av, bv) {
				return false
			}
		}
		return true
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return false
		}
		for i := range a {
			if !equal(a[i], ba[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}
