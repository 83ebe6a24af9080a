package jsonschema

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/dormant-iam/dormant/internal/jsontext"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The JSON types.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// Value is a decoded JSON value. It is a struct rather than an interface so
// that decoding a manifest entry fills a few reused slabs instead of boxing
// every member: the validator reads one entry at a time, a hundred thousand
// times per manifest.
type Value struct {
	Kind Kind
	Bool bool
	// Text is a string's value, or a number's literal kept exact (as
	// json.Number keeps it).
	Text    string
	Items   []Value  // an array's elements
	Members []Member // an object's members in document order, names unique
}

// Member is one name/value pair of an object.
type Member struct {
	Name  string
	Value Value
}

// Get returns the object member called name.
func (v *Value) Get(name string) (*Value, bool) {
	for i := range v.Members {
		if v.Members[i].Name == name {
			return &v.Members[i].Value, true
		}
	}
	return nil, false
}

// maxDepth bounds nesting as encoding/json does, so hostile input cannot
// recurse without end.
const maxDepth = 10000

// Decoder parses JSON into Values, reusing its memory from one document to
// the next. The zero value is ready to use. It accepts exactly what
// encoding/json accepts and yields the same values as decoding into any with
// UseNumber: strings unescaped and coerced to valid UTF-8 the same way, the
// last of duplicate object members winning.
type Decoder struct {
	src   string
	pos   int
	depth int
	// Slabs the arrays and objects of a document are carved from; reset by
	// each Decode.
	items   []Value
	members []Member
	// Stacks collecting an array's or object's children until it closes,
	// so each gets one contiguous slice of a slab.
	itemStack   []Value
	memberStack []Member
	unescaped   []byte
}

// Decode parses JSON the way Validate expects it: numbers kept exact, and
// nothing but whitespace after the value.
func Decode(data []byte) (Value, error) {
	var d Decoder
	return d.Decode(data)
}

// Decode parses data. The result shares memory with d: it is valid until the
// next call of d.Decode or d.DecodeTransient.
func (d *Decoder) Decode(data []byte) (Value, error) {
	// One string for the whole document: every string without escapes is a
	// substring of it rather than an allocation of its own.
	return d.decode(string(data))
}

// DecodeTransient is Decode without copying data: the result's strings
// point into data, so it is only valid while data is unchanged, and nothing
// taken from it may be kept. Validate honours that (a Problem's strings are
// built afresh), which lets a caller check a long array element by element
// through one reused buffer without allocating a copy of each element.
func (d *Decoder) DecodeTransient(data []byte) (Value, error) {
	if len(data) == 0 {
		return d.decode("")
	}
	return d.decode(unsafe.String(&data[0], len(data)))
}

func (d *Decoder) decode(src string) (Value, error) {
	d.src, d.pos, d.depth = src, 0, 0
	d.items, d.members = d.items[:0], d.members[:0]
	d.itemStack, d.memberStack = d.itemStack[:0], d.memberStack[:0]
	d.skipSpace()
	if d.pos == len(d.src) {
		return Value{}, errors.New("unexpected end of JSON input")
	}
	v, err := d.value()
	if err != nil {
		return Value{}, err
	}
	d.skipSpace()
	if d.pos < len(d.src) {
		return Value{}, fmt.Errorf("unexpected data after the JSON value at offset %d", d.pos)
	}
	return v, nil
}

func (d *Decoder) skipSpace() {
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *Decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{d.pos}, args...)...)
}

// unexpected describes the byte at the current position.
func (d *Decoder) unexpected(context string) error {
	if d.pos >= len(d.src) {
		return errors.New("unexpected end of JSON input")
	}
	return d.errorf("invalid character %q %s", d.src[d.pos], context)
}

func (d *Decoder) value() (Value, error) {
	if d.pos >= len(d.src) {
		return Value{}, errors.New("unexpected end of JSON input")
	}
	switch c := d.src[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str()
		return Value{Kind: String, Text: s}, err
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == 't':
		return Value{Kind: Bool, Bool: true}, d.literal("true")
	case c == 'f':
		return Value{Kind: Bool}, d.literal("false")
	case c == 'n':
		return Value{Kind: Null}, d.literal("null")
	}
	return Value{}, d.unexpected("looking for beginning of value")
}

func (d *Decoder) literal(word string) error {
	if len(d.src)-d.pos >= len(word) && d.src[d.pos:d.pos+len(word)] == word {
		d.pos += len(word)
		return nil
	}
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.src) || d.src[d.pos] != word[i] {
			return d.unexpected("in literal " + word)
		}
		d.pos++
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, the grammar
// encoding/json accepts.
func (d *Decoder) number() (Value, error) {
	start := d.pos
	if d.src[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.src) && d.src[d.pos] == '0':
		d.pos++
	case d.pos < len(d.src) && isDigit(d.src[d.pos]):
		for d.pos < len(d.src) && isDigit(d.src[d.pos]) {
			d.pos++
		}
	default:
		return Value{}, d.unexpected("in numeric literal")
	}
	if d.pos < len(d.src) && d.src[d.pos] == '.' {
		d.pos++
		if d.pos >= len(d.src) || !isDigit(d.src[d.pos]) {
			return Value{}, d.unexpected("after decimal point in numeric literal")
		}
		for d.pos < len(d.src) && isDigit(d.src[d.pos]) {
			d.pos++
		}
	}
	if d.pos < len(d.src) && (d.src[d.pos] == 'e' || d.src[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.src) && (d.src[d.pos] == '+' || d.src[d.pos] == '-') {
			d.pos++
		}
		if d.pos >= len(d.src) || !isDigit(d.src[d.pos]) {
			return Value{}, d.unexpected("in exponent of numeric literal")
		}
		for d.pos < len(d.src) && isDigit(d.src[d.pos]) {
			d.pos++
		}
	}
	return Value{Kind: Number, Text: d.src[start:d.pos]}, nil
}

// str reads a string literal. Without escapes or invalid UTF-8 (the manifest's
// case) it is a substring of the document.
func (d *Decoder) str() (string, error) {
	d.pos++ // the opening quote
	start := d.pos
	i := start
	i = jsontext.NextSpecial(d.src, i) // up to the first byte that needs a look
	for i < len(d.src) {
		c := d.src[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.src[start:i], nil
		case c == '\\' || c < ' ':
			return d.unescape(start, i)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.src[i:])
			if r == utf8.RuneError && size == 1 {
				return d.unescape(start, i)
			}
			i += size
		}
	}
	d.pos = len(d.src)
	return "", errors.New("unexpected end of JSON input in string literal")
}

// unescape finishes a string literal that needs rewriting from i on, with the
// rules of encoding/json: escapes decoded, a lone or broken UTF-16 surrogate
// and every byte of invalid UTF-8 replaced by U+FFFD, control characters
// refused.
func (d *Decoder) unescape(start, i int) (string, error) {
	b := append(d.unescaped[:0], d.src[start:i]...)
	defer func() { d.unescaped = b }()
	for i < len(d.src) {
		c := d.src[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(b), nil
		case c < ' ':
			d.pos = i
			return "", d.unexpected("in string literal")
		case c == '\\':
			if i+1 >= len(d.src) {
				d.pos = len(d.src)
				return "", errors.New("unexpected end of JSON input in string escape")
			}
			switch e := d.src[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(d.src[i:])
				if r < 0 {
					d.pos = i
					return "", d.errorf("invalid \\u escape in string literal")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, hex4(d.src[i:])); dec != utf8.RuneError {
						// A valid pair: consume the second half too.
						i += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				d.pos = i + 1
				return "", d.unexpected("in string escape code")
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.src[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, d.src[i:i+size]...)
			}
			i += size
		}
	}
	d.pos = len(d.src)
	return "", errors.New("unexpected end of JSON input in string literal")
}

// hex4 decodes a \uXXXX escape at the start of s, or returns -1.
func hex4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

func (d *Decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errorf("exceeded max depth %d", maxDepth)
	}
	return nil
}

func (d *Decoder) array() (Value, error) {
	if err := d.enter(); err != nil {
		return Value{}, err
	}
	d.pos++ // [
	mark := len(d.itemStack)
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == ']' {
		d.pos++
		d.depth--
		return Value{Kind: Array, Items: []Value{}}, nil
	}
	for {
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return Value{}, err
		}
		d.itemStack = append(d.itemStack, v)
		d.skipSpace()
		if d.pos < len(d.src) && d.src[d.pos] == ',' {
			d.pos++
			continue
		}
		if d.pos < len(d.src) && d.src[d.pos] == ']' {
			d.pos++
			break
		}
		return Value{}, d.unexpected("after array element")
	}
	items := d.carveItems(d.itemStack[mark:])
	clear(d.itemStack[mark:]) // drop references into the document
	d.itemStack = d.itemStack[:mark]
	d.depth--
	return Value{Kind: Array, Items: items}, nil
}

// smallObject is how many members an object may have before duplicate names
// are found through a map rather than by comparing with each earlier one.
const smallObject = 16

func (d *Decoder) object() (Value, error) {
	if err := d.enter(); err != nil {
		return Value{}, err
	}
	d.pos++ // {
	mark := len(d.memberStack)
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == '}' {
		d.pos++
		d.depth--
		return Value{Kind: Object, Members: []Member{}}, nil
	}
	var index map[string]int // of a large object's members, by name
	var names uint64         // of a small one's, as bits (see below)
	for {
		d.skipSpace()
		if d.pos >= len(d.src) || d.src[d.pos] != '"' {
			return Value{}, d.unexpected("looking for beginning of object key string")
		}
		name, err := d.str()
		if err != nil {
			return Value{}, err
		}
		d.skipSpace()
		if d.pos >= len(d.src) || d.src[d.pos] != ':' {
			return Value{}, d.unexpected("after object key")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return Value{}, err
		}
		// A repeated name replaces the earlier value, as decoding into a
		// map does.
		own := d.memberStack[mark:]
		dup := -1
		if index == nil && len(own) < smallObject {
			// A name whose bit (by length and first byte) is not yet set
			// is new without comparing.
			bit := uint64(1) << ((uint(len(name)) + 7*uint(firstByte(name))) & 63)
			if names&bit != 0 {
				for j := range own {
					if own[j].Name == name {
						dup = j
						break
					}
				}
			}
			names |= bit
		} else {
			if index == nil {
				index = make(map[string]int, 2*len(own))
				for j := range own {
					index[own[j].Name] = j
				}
			}
			if j, ok := index[name]; ok {
				dup = j
			} else {
				index[name] = len(own)
			}
		}
		if dup >= 0 {
			own[dup].Value = v
		} else {
			d.memberStack = append(d.memberStack, Member{Name: name, Value: v})
		}
		d.skipSpace()
		if d.pos < len(d.src) && d.src[d.pos] == ',' {
			d.pos++
			continue
		}
		if d.pos < len(d.src) && d.src[d.pos] == '}' {
			d.pos++
			break
		}
		return Value{}, d.unexpected("after object key:value pair")
	}
	members := d.carveMembers(d.memberStack[mark:])
	clear(d.memberStack[mark:])
	d.memberStack = d.memberStack[:mark]
	d.depth--
	return Value{Kind: Object, Members: members}, nil
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// carveItems copies vs into the item slab and returns the copy. A full slab
// is replaced, not grown, so slices already handed out stay intact.
func (d *Decoder) carveItems(vs []Value) []Value {
	if cap(d.items)-len(d.items) < len(vs) {
		d.items = make([]Value, 0, max(2*cap(d.items), len(vs), 64))
	}
	start := len(d.items)
	d.items = append(d.items, vs...)
	return d.items[start:len(d.items):len(d.items)]
}

func (d *Decoder) carveMembers(ms []Member) []Member {
	if cap(d.members)-len(d.members) < len(ms) {
		d.members = make([]Member, 0, max(2*cap(d.members), len(ms), 64))
	}
	start := len(d.members)
	d.members = append(d.members, ms...)
	return d.members[start:len(d.members):len(d.members)]
}
