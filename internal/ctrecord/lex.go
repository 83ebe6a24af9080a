package ctrecord

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// text reads a field the rules treat as text: a string's value, null as
// unset, and any other value as its JSON text without insignificant
// whitespace (DuckDB's VARCHAR of a JSON value; it also rewrites numbers in
// its own notation, which no CloudTrail field needs).
func (p *Reader) text() (Field, error) {
	if p.i >= len(p.b) {
		return Field{}, p.syntax("")
	}
	switch p.b[p.i] {
	case '"':
		s, err := p.str()
		return Field{Value: s, Set: true}, err
	case 'n':
		return Field{}, p.literal("null")
	}
	start := p.i
	if err := p.skipValue(0); err != nil {
		return Field{}, err
	}
	return Field{Value: p.minify(p.b[start:p.i]), Set: true}, nil
}

// minify returns JSON text without whitespace outside strings.
func (p *Reader) minify(raw []byte) []byte {
	start := len(p.scratch)
	inStr, esc := false, false
	for _, c := range raw {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		p.scratch = append(p.scratch, c)
	}
	return p.scratch[start:len(p.scratch):len(p.scratch)]
}

func (p *Reader) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\n', '\r', '\t':
			p.i++
		default:
			return
		}
	}
}

func (p *Reader) literal(lit string) error {
	if len(p.b)-p.i < len(lit) {
		if string(p.b[p.i:]) == lit[:len(p.b)-p.i] {
			p.i = len(p.b)
			return p.syntax("")
		}
		return p.syntax("invalid literal")
	}
	if string(p.b[p.i:p.i+len(lit)]) != lit {
		return p.syntax("invalid literal")
	}
	p.i += len(lit)
	return nil
}

// skipValue checks and skips one JSON value.
func (p *Reader) skipValue(depth int) error {
	if p.i >= len(p.b) {
		return p.syntax("")
	}
	switch c := p.b[p.i]; c {
	case '"':
		return p.skipString()
	case '{', '[':
		if depth >= maxDepth {
			return p.syntax(fmt.Sprintf("values nested more than %d deep", maxDepth))
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		p.i++
		for first := true; ; first = false {
			p.ws()
			if p.i >= len(p.b) {
				return p.syntax("")
			}
			if p.b[p.i] == closer {
				p.i++
				return nil
			}
			if !first {
				if p.b[p.i] != ',' {
					return p.syntax("expected , or " + string(closer))
				}
				p.i++
				p.ws()
				if p.i < len(p.b) && p.b[p.i] == closer { // trailing comma
					p.i++
					return nil
				}
			}
			if c == '{' {
				if p.i >= len(p.b) || p.b[p.i] != '"' {
					return p.syntax("expected a string (an object key)")
				}
				if err := p.skipString(); err != nil {
					return err
				}
				p.ws()
				if p.i >= len(p.b) || p.b[p.i] != ':' {
					return p.syntax("expected : after an object key")
				}
				p.i++
				p.ws()
			}
			if err := p.skipValue(depth + 1); err != nil {
				return err
			}
		}
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	default:
		return p.number()
	}
}

// number checks and skips a JSON number.
func (p *Reader) number() error {
	b, i := p.b, p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		p.i = i
		return p.syntax("")
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		p.i = i
		return p.syntax("unexpected character")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			p.i = i
			return p.syntax("invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			p.i = i
			return p.syntax("invalid number")
		}
	}
	p.i = i
	return nil
}

// skipString checks and skips a string.
func (p *Reader) skipString() error {
	_, err := p.string(false)
	return err
}

// str reads a string's value: a slice of the text, or of the scratch
// buffer when it holds escapes.
func (p *Reader) str() ([]byte, error) {
	return p.string(true)
}

func (p *Reader) string(keep bool) ([]byte, error) {
	b := p.b
	start := p.i + 1
	i := nextSpecial(b, start)
	if i < len(b) && b[i] == '"' {
		p.i = i + 1
		return b[start:i:i], nil
	}
	// Slow path: escapes, non-ASCII text or an error.
	var out []byte
	if keep {
		out = append(p.scratch, b[start:i]...)
	}
	base := len(p.scratch)
	for {
		if i >= len(b) {
			p.i = i
			return nil, p.syntax("")
		}
		c := b[i]
		switch {
		case c == '"':
			p.i = i + 1
			if !keep {
				return nil, nil
			}
			p.scratch = out
			return out[base:len(out):len(out)], nil
		case c == '\\':
			if i+1 >= len(b) {
				p.i = len(b)
				return nil, p.syntax("")
			}
			var r rune = -1
			switch b[i+1] {
			case '"', '\\', '/':
				r = rune(b[i+1])
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'u':
				var n int
				var err error
				r, n, err = p.unicodeEscape(b, i)
				if err != nil {
					return nil, err
				}
				if keep {
					out = utf8.AppendRune(out, r)
				}
				i += n
				continue
			default:
				p.i = i
				return nil, p.syntax("invalid escaped character in string")
			}
			if keep {
				out = append(out, byte(r))
			}
			i += 2
		case c < 0x20:
			p.i = i
			return nil, p.syntax("unexpected control character in string")
		case c >= 0x80:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				p.i = i
				return nil, p.syntax("invalid UTF-8 encoding in string")
			}
			if keep {
				out = append(out, b[i:i+n]...)
			}
			i += n
		default:
			j := nextSpecial(b, i+1)
			if keep {
				out = append(out, b[i:j]...)
			}
			i = j
		}
	}
}

// unicodeEscape decodes \uXXXX at b[i:], with its low surrogate if it is a
// high one; n is the bytes consumed.
func (p *Reader) unicodeEscape(b []byte, i int) (r rune, n int, err error) {
	hex4 := func(at int) (rune, bool) {
		if at+4 > len(b) {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[at:at+4]), 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex4(i + 2)
	if !ok {
		p.i = min(i+2, len(b))
		if i+6 > len(b) {
			p.i = len(b)
			return 0, 0, p.syntax("")
		}
		return 0, 0, p.syntax("invalid escaped sequence in string")
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if r >= 0xDC00 {
		p.i = i
		return 0, 0, p.syntax("no high surrogate in string")
	}
	if i+8 > len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
		p.i = i
		return 0, 0, p.syntax("no low surrogate in string")
	}
	lo, ok := hex4(i + 8)
	if !ok || lo < 0xDC00 || lo > 0xDFFF {
		p.i = i
		return 0, 0, p.syntax("no low surrogate in string")
	}
	return utf16.DecodeRune(r, lo), 12, nil
}
