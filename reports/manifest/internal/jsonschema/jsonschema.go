package jsonschema

import (
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
	typeMask    uint8 // the kinds types allows, as bits (see kindBit)
	enum        []Value
	constVal    Value
	hasConst    bool
	pattern     *regexp.Regexp
	patternText string
	minLength   *int
	maxLength   *int
	minimum     *big.Rat
	maximum     *big.Rat
	format      string

	properties map[string]*node
	required   []string
	// fields indexes properties and required names together, so that one
	// lookup per member both finds its subschema and ticks it off as
	// present; nil when there are more required names than bits.
	fields      map[string]field
	fieldList   []namedField // fields as a list, when short
	additional  *node
	items       *node
	prefixItems []*node
	minItems    *int
	maxItems    *int

	allOf          []*node
	ifN, thenN, el *node
}

// namedField is a field and its name.
type namedField struct {
	name string
	field
}

// field is what a node says about one member name.
type field struct {
	node     *node  // properties[name], if any
	required uint64 // bit i set: required[i] is this name
}

// The bits of node.typeMask: one per Kind, and one for "integer", a number
// with no fractional part.
const intBit = 1 << 7

func kindBit(k Kind) uint8 { return 1 << k }

var typeBits = map[string]uint8{
	"object": kindBit(Object), "array": kindBit(Array), "string": kindBit(String), "boolean": kindBit(Bool),
	"null": kindBit(Null), "number": kindBit(Number), "integer": intBit,
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
	if defs, ok := doc.Get("$defs"); ok && doc.Kind == Object && defs.Kind == Object {
		for i := range defs.Members {
			d := &defs.Members[i]
			n, err := compileNode(&d.Value, "/$defs/"+escape(d.Name))
			if err != nil {
				return nil, err
			}
			s.defs[d.Name] = n
		}
	}
	if s.root, err = compileNode(&doc, ""); err != nil {
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

func escape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// stringsOf returns the elements of an array of strings.
func stringsOf(v *Value) ([]string, bool) {
	if v.Kind != Array {
		return nil, false
	}
	out := make([]string, 0, len(v.Items))
	for i := range v.Items {
		if v.Items[i].Kind != String {
			return nil, false
		}
		out = append(out, v.Items[i].Text)
	}
	return out, true
}

func compileNode(v *Value, where string) (*node, error) {
	n := &node{where: where}
	if v.Kind == Bool {
		b := v.Bool
		n.always = &b
		return n, nil
	}
	if v.Kind != Object {
		return nil, fmt.Errorf("schema %s: a schema must be an object or a boolean", where)
	}
	// In name order, so that of several faults the same one is reported
	// whatever the file's member order.
	members := slices.Clone(v.Members)
	slices.SortFunc(members, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	for i := range members {
		k, val := members[i].Name, &members[i].Value
		at := where + "/" + escape(k)
		var err error
		switch k {
		case "$ref":
			if val.Kind != String || (val.Text != "#" && !strings.HasPrefix(val.Text, "#/$defs/")) {
				return nil, fmt.Errorf("schema %s: only local references (#/$defs/...) are supported, got %s", at, raw(val))
			}
			n.ref = val.Text
		case "type":
			switch val.Kind {
			case String:
				n.types = []string{val.Text}
			case Array:
				var ok bool
				if n.types, ok = stringsOf(val); !ok {
					return nil, fmt.Errorf("schema %s: type names must be strings", at)
				}
			default:
				return nil, fmt.Errorf("schema %s: type must be a string or an array", at)
			}
			for _, t := range n.types {
				bit, ok := typeBits[t]
				if !ok {
					return nil, fmt.Errorf("schema %s: unknown type %q", at, t)
				}
				n.typeMask |= bit
			}
		case "enum":
			if val.Kind != Array || len(val.Items) == 0 {
				return nil, fmt.Errorf("schema %s: enum must be a non-empty array", at)
			}
			n.enum = val.Items
		case "const":
			n.constVal, n.hasConst = *val, true
		case "pattern":
			if val.Kind != String {
				return nil, fmt.Errorf("schema %s: pattern must be a string", at)
			}
			if n.pattern, err = regexp.Compile(val.Text); err != nil {
				return nil, fmt.Errorf("schema %s: compiling pattern: %w", at, err)
			}
			n.patternText = val.Text
		case "format":
			if val.Kind != String || val.Text != "date-time" {
				return nil, fmt.Errorf("schema %s: only format date-time is supported, got %s", at, raw(val))
			}
			n.format = val.Text
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
			if val.Kind != Object {
				return nil, fmt.Errorf("schema %s: properties must be an object", at)
			}
			n.properties = map[string]*node{}
			for j := range val.Members {
				p := &val.Members[j]
				if n.properties[p.Name], err = compileNode(&p.Value, at+"/"+escape(p.Name)); err != nil {
					return nil, err
				}
			}
		case "required":
			if val.Kind != Array {
				return nil, fmt.Errorf("schema %s: required must be an array", at)
			}
			var ok bool
			if n.required, ok = stringsOf(val); !ok {
				return nil, fmt.Errorf("schema %s: required names must be strings", at)
			}
		case "additionalProperties":
			n.additional, err = compileNode(val, at)
		case "items":
			n.items, err = compileNode(val, at)
		case "prefixItems":
			if val.Kind != Array {
				return nil, fmt.Errorf("schema %s: prefixItems must be an array", at)
			}
			n.prefixItems, err = compileEach(val.Items, at)
		case "allOf":
			if val.Kind != Array || len(val.Items) == 0 {
				return nil, fmt.Errorf("schema %s: allOf must be a non-empty array", at)
			}
			n.allOf, err = compileEach(val.Items, at)
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
	if (n.properties != nil || n.required != nil) && len(n.required) <= 64 {
		n.fields = make(map[string]field, len(n.properties)+len(n.required))
		for name, c := range n.properties {
			n.fields[name] = field{node: c}
		}
		for i, name := range n.required {
			f := n.fields[name]
			f.required |= 1 << i
			n.fields[name] = f
		}
		if len(n.fields) <= 16 {
			for name, f := range n.fields {
				n.fieldList = append(n.fieldList, namedField{name, f})
			}
		}
	}
	return n, nil
}

// compileEach compiles the subschemas of an array keyword (prefixItems,
// allOf), each at its index under at.
func compileEach(arr []Value, at string) ([]*node, error) {
	var out []*node
	for i := range arr {
		c, err := compileNode(&arr[i], at+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func count(v *Value, at string) (*int, error) {
	if v.Kind != Number {
		return nil, fmt.Errorf("schema %s: expected a non-negative integer", at)
	}
	i, err := strconv.Atoi(v.Text)
	if err != nil || i < 0 {
		return nil, fmt.Errorf("schema %s: expected a non-negative integer, got %s", at, v.Text)
	}
	return &i, nil
}

func number(v *Value, at string) (*big.Rat, error) {
	if v.Kind != Number {
		return nil, fmt.Errorf("schema %s: expected a number", at)
	}
	r, ok := new(big.Rat).SetString(v.Text)
	if !ok {
		return nil, fmt.Errorf("schema %s: expected a number, got %s", at, v.Text)
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
func (s *Schema) Validate(doc Value) []Problem {
	r := &run{}
	s.root.validate(&doc, &path{}, r)
	sortProblems(r.out)
	return r.out
}

// ValidateDef checks doc against the definition $defs/name, reporting
// pointers under at (the pointer doc has inside a larger document). It lets
// a caller validate a long array one element at a time instead of holding
// the whole document as generic values.
func (s *Schema) ValidateDef(name string, doc Value, at string) ([]Problem, error) {
	d, ok := s.defs[name]
	if !ok {
		return nil, fmt.Errorf("schema has no definition %q", name)
	}
	r := &run{}
	d.validate(&doc, &path{name: at}, r)
	sortProblems(r.out)
	return r.out, nil
}

func sortProblems(out []Problem) {
	if len(out) > 1 {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	}
}

// path is where the validator is in the document, as a chain up to the
// root. The JSON Pointer string is only built when a problem is reported:
// a valid document (the common case) never pays for it.
type path struct {
	up      *path // nil at the root, whose name is the pointer prefix as is
	name    string
	index   int
	isIndex bool
}

func (p *path) String() string { return string(p.appendTo(nil)) }

// appendTo writes the pointer; recursive rather than collecting the chain,
// so that the chain (on the validator's stack) never escapes to the heap.
func (p *path) appendTo(b []byte) []byte {
	if p.up == nil {
		return append(b, p.name...)
	}
	b = append(p.up.appendTo(b), '/')
	if p.isIndex {
		return strconv.AppendInt(b, int64(p.index), 10)
	}
	return append(b, escape(p.name)...)
}

// run collects problems. A probe (the "if" of if/then/else) only needs to
// know whether anything failed, so it stops at the first failure and
// formats no messages.
type run struct {
	out    []Problem
	probe  bool
	failed bool
}

// fail records a failure and reports whether to describe it: callers build
// the message only when it is kept.
func (r *run) fail() bool {
	r.failed = true
	return !r.probe
}

func (r *run) add(p *path, format string, args ...any) {
	r.out = append(r.out, Problem{Pointer: p.String(), Message: fmt.Sprintf(format, args...)})
}

func (n *node) validate(v *Value, p *path, r *run) {
	if r.probe && r.failed {
		return
	}
	if n.always != nil {
		if !*n.always && r.fail() {
			r.add(p, "is not allowed here")
		}
		return
	}
	if n.refNode != nil {
		n.refNode.validate(v, p, r)
		if r.probe && r.failed {
			return
		}
	}
	if n.typeMask != 0 && !n.hasType(v) {
		if r.fail() {
			r.add(p, "is %s, want %s", typeName(v), strings.Join(n.types, " or "))
		}
		return // the remaining keywords would only repeat the type error
	}
	if n.hasConst && !equal(v, &n.constVal) && r.fail() {
		r.add(p, "is %s, want %s", show(v), show(&n.constVal))
	}
	if n.enum != nil && !n.inEnum(v) && r.fail() {
		want := make([]string, len(n.enum))
		for i := range n.enum {
			want[i] = show(&n.enum[i])
		}
		r.add(p, "is %s, want one of %s", show(v), strings.Join(want, ", "))
	}
	switch v.Kind {
	case String:
		n.validateString(v, p, r)
	case Number:
		if n.minimum != nil && compare(v.Text, n.minimum) < 0 && r.fail() {
			r.add(p, "is %s, want at least %s", v.Text, n.minimum.RatString())
		}
		if n.maximum != nil && compare(v.Text, n.maximum) > 0 && r.fail() {
			r.add(p, "is %s, want at most %s", v.Text, n.maximum.RatString())
		}
	case Object:
		n.validateObject(v, p, r)
	case Array:
		if n.minItems != nil && len(v.Items) < *n.minItems && r.fail() {
			r.add(p, "has %d items, want at least %d", len(v.Items), *n.minItems)
		}
		if n.maxItems != nil && len(v.Items) > *n.maxItems && r.fail() {
			r.add(p, "has %d items, want at most %d", len(v.Items), *n.maxItems)
		}
		for i := range v.Items {
			if i < len(n.prefixItems) {
				n.prefixItems[i].validateItem(v, i, p, r)
			} else if n.items != nil {
				n.items.validateItem(v, i, p, r)
			}
		}
	}
	for _, c := range n.allOf {
		c.validate(v, p, r)
	}
	if n.ifN != nil {
		probe := run{probe: true}
		n.ifN.validate(v, p, &probe)
		if !probe.failed {
			if n.thenN != nil {
				n.thenN.validate(v, p, r)
			}
		} else if n.el != nil {
			n.el.validate(v, p, r)
		}
	}
}

func (n *node) validateObject(v *Value, p *path, r *run) {
	if n.fields == nil {
		for _, name := range n.required {
			if _, ok := v.Get(name); !ok && r.fail() {
				r.add(&path{up: p, name: name}, "is required but missing")
			}
		}
	}
	// Member order does not matter: problems are sorted by pointer at the
	// end, and each pointer's own problems come from one visit, in keyword
	// order. For the same reason missing members may be reported after the
	// members present.
	var present uint64 // required names seen, as bits
	for i := range v.Members {
		m := &v.Members[i]
		var c *node
		if n.fields != nil {
			f := n.field(m.Name)
			present |= f.required
			c = f.node
		} else {
			c = n.properties[m.Name]
		}
		switch {
		case c != nil:
			c.validateMember(m, p, r)
		case n.additional == nil:
		case n.additional.always != nil && !*n.additional.always:
			if r.fail() {
				r.add(&path{up: p, name: m.Name}, "is not a known field")
			}
		default:
			n.additional.validateMember(m, p, r)
		}
	}
	if n.fields != nil {
		for i, name := range n.required {
			if present&(1<<i) == 0 && r.fail() {
				r.add(&path{up: p, name: name}, "is required but missing")
			}
		}
	}
}

// field looks up a member name: by length first, then by comparing, which
// for the schema's dozen names at most beats hashing the name.
func (n *node) field(name string) field {
	if len(n.fieldList) > 0 {
		for i := range n.fieldList {
			if f := &n.fieldList[i]; len(f.name) == len(name) && f.name == name {
				return f.field
			}
		}
		return field{}
	}
	return n.fields[name]
}

// validateMember and validateItem step into a child. The child's path lives
// in their frame: created inside validate's loops, it would escape to the
// heap (the recursive call's parameter outlives a loop iteration), so they
// must not be inlined either.
//
//go:noinline
func (n *node) validateMember(m *Member, p *path, r *run) {
	child := path{up: p, name: m.Name}
	n.validate(&m.Value, &child, r)
}

//go:noinline
func (n *node) validateItem(arr *Value, i int, p *path, r *run) {
	child := path{up: p, index: i, isIndex: true}
	n.validate(&arr.Items[i], &child, r)
}

func (n *node) validateString(v *Value, p *path, r *run) {
	if n.minLength != nil || n.maxLength != nil {
		runes := utf8.RuneCountInString(v.Text)
		if n.minLength != nil && runes < *n.minLength && r.fail() {
			if *n.minLength == 1 {
				r.add(p, "is empty")
			} else {
				r.add(p, "is %d characters long, want at least %d", runes, *n.minLength)
			}
		}
		if n.maxLength != nil && runes > *n.maxLength && r.fail() {
			r.add(p, "is %d characters long, want at most %d", runes, *n.maxLength)
		}
	}
	if n.pattern != nil && !n.pattern.MatchString(v.Text) && r.fail() {
		r.add(p, "%s does not match %s", show(v), n.patternText)
	}
	if n.format == "date-time" {
		if _, err := time.Parse(time.RFC3339Nano, v.Text); err != nil && r.fail() {
			r.add(p, "%s is not an RFC 3339 date-time", show(v))
		}
	}
}

func (n *node) inEnum(v *Value) bool {
	for i := range n.enum {
		if equal(v, &n.enum[i]) {
			return true
		}
	}
	return false
}

func (n *node) hasType(v *Value) bool {
	if n.typeMask&kindBit(v.Kind) != 0 {
		return true
	}
	return n.typeMask&intBit != 0 && v.Kind == Number && isInteger(v.Text)
}

func isInteger(num string) bool {
	if _, err := strconv.ParseInt(num, 10, 64); err == nil {
		return true
	}
	r, ok := new(big.Rat).SetString(num)
	return ok && r.IsInt()
}

// compare orders a JSON number against a bound, exactly: integers (the
// common case) without big arithmetic.
func compare(num string, bound *big.Rat) int {
	if i, err := strconv.ParseInt(num, 10, 64); err == nil && bound.IsInt() && bound.Num().IsInt64() {
		return cmp.Compare(i, bound.Num().Int64())
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0 // Decode only produces valid numbers
	}
	return r.Cmp(bound)
}

func typeName(v *Value) string {
	switch v.Kind {
	case Object:
		return "an object"
	case Array:
		return "an array"
	case String:
		return "a string"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	}
	return "null"
}

func show(v *Value) string {
	switch v.Kind {
	case Object:
		return "an object"
	case Array:
		return "an array"
	case Null:
		return "null"
	case Number:
		return v.Text
	case Bool:
		return strconv.FormatBool(v.Bool)
	}
	b, err := json.Marshal(v.Text)
	if err != nil {
		return strconv.Quote(v.Text)
	}
	return string(b)
}

// raw is v for a message about the schema: a string unquoted.
func raw(v *Value) string {
	if v.Kind == String {
		return v.Text
	}
	return show(v)
}

// equal is JSON equality: numbers by value, objects by members, arrays in order.
func equal(a, b *Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case Null:
		return true
	case Bool:
		return a.Bool == b.Bool
	case String:
		return a.Text == b.Text
	case Number:
		if a.Text == b.Text {
			return true
		}
		ra, ok1 := new(big.Rat).SetString(a.Text)
		rb, ok2 := new(big.Rat).SetString(b.Text)
		return ok1 && ok2 && ra.Cmp(rb) == 0
	case Object:
		if len(a.Members) != len(b.Members) {
			return false
		}
		for i := range a.Members {
			bv, ok := b.Get(a.Members[i].Name)
			if !ok || !equal(&a.Members[i].Value, bv) {
				return false
			}
		}
		return true
	case Array:
		if len(a.Items) != len(b.Items) {
			return false
		}
		for i := range a.Items {
			if !equal(&a.Items[i], &b.Items[i]) {
				return false
			}
		}
		return true
	}
	return false
}
