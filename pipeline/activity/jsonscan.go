package activity

import (
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dormant-iam/dormant/internal/jsontext"
)

// The Go scanner reads a CloudTrail file's JSON with this hand-written
// reader: it walks the text once, keeps only the fields the activity rules
// use (as slices of the file's bytes, unescaped only when they hold escapes)
// and checks the rest as it skips it, without building maps or values.
//
// It accepts what DuckDB's read_json accepts, so that both engines agree on
// which files are readable: RFC 8259 JSON plus trailing commas in arrays and
// objects, and a file holding several top-level objects one after another.
// Strings must be valid UTF-8 without raw control characters. Its shape
// checks follow the DuckDB engine's typed columns: Records must be an array
// (or null) of objects (or nulls); userIdentity, sessionContext and
// sessionIssuer must be objects (or null); eventTime must be a time (or
// null); a field the rules read may not appear twice in one object.
//
// Files that are not CloudTrail's at all may fare differently: a file whose
// top level is an array is refused here (DuckDB reads its elements as
// records), and an empty top-level object gives no records here (DuckDB
// refuses it).

// jsonField is a string field of a record: absent and JSON null both leave
// set false (SQL NULL).
type jsonField struct {
	v   []byte
	set bool
}

func (f jsonField) is(s string) bool { return f.set && string(f.v) == s }
func (f jsonField) nonEmpty() bool   { return f.set && len(f.v) > 0 }

// identity is a record's userIdentity (or sessionIssuer) as the rules read it.
type identity struct {
	present                                                 bool
	hasContext                                              bool // sessionContext is an object
	typ, principalID, arn, accountID, accessKeyID, userName jsonField
	issuer                                                  *identity // sessionContext.sessionIssuer; nil when absent
}

// record is one CloudTrail record's fields that the activity rules read.
type record struct {
	null bool // the array element was JSON null: a record with no fields

	eventID, eventSource, eventName, awsRegion, sourceIP jsonField
	errorCode, errorMessage, recipient, eventType        jsonField

	hasTime bool
	badTime bool  // eventTime is there but is not a time: the record is skipped
	time    int64 // eventTime, microseconds since the Unix epoch (UTC)

	// response is responseElements' JSON text, nil when absent or null.
	response []byte

	user   identity
	issuer identity // storage for user.issuer
}

func (r *record) reset() {
	*r = record{}
}

// syntaxError is JSON the reader cannot parse: the file is damaged.
type syntaxError struct {
	offset    int64
	msg       string
	truncated bool
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("not valid JSON at byte %d: %s", e.offset, e.msg)
}

// Unwrap makes a file that ends early match io.ErrUnexpectedEOF, as a cut
// gzip stream does.
func (e *syntaxError) Unwrap() error {
	if e.truncated {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// shapeError is valid JSON that does not hold CloudTrail records.
type shapeError struct {
	offset int64
	record int // 1-based record number in the Records array; 0 when outside
	msg    string
}

func (e *shapeError) Error() string {
	if e.record > 0 {
		return fmt.Sprintf("record %d (byte %d): %s", e.record, e.offset, e.msg)
	}
	return fmt.Sprintf("byte %d: %s", e.offset, e.msg)
}

// maxDepth bounds the nesting of skipped values, so a hostile file cannot
// exhaust the stack.
const maxDepth = 512

// jsonReader reads the records of one file's JSON text.
type jsonReader struct {
	b       []byte
	i       int
	scratch []byte // unescaped strings of the current record
	nrec    int    // records read so far in the current Records array

	objects int // top-level objects read in the file
	digests int // of which digest objects (no Records, a digestStartTime)
}

// notLogError is a top-level object that is neither a CloudTrail log file's
// ({"Records":[...]}) nor a digest file's.
type notLogError struct {
	object int // 1-based top-level object
	msg    string
}

func (e *notLogError) Error() string {
	if e.object > 1 {
		return fmt.Sprintf("top-level object %d %s", e.object, e.msg)
	}
	return e.msg
}

func (p *jsonReader) syntax(msg string) error {
	if p.i >= len(p.b) {
		return &syntaxError{offset: int64(len(p.b)), msg: "the content ends early (truncated)", truncated: true}
	}
	return &syntaxError{offset: int64(p.i), msg: msg}
}

func (p *jsonReader) shape(msg string) error {
	return &shapeError{offset: int64(p.i), record: p.nrec, msg: msg}
}

// readFile calls fn for every record of every top-level object in b. The
// record and the byte slices in it are valid only during the call.
//
// Each top-level object must hold a Records array, or be a digest file's
// (a digestStartTime and no Records); a file with no object at all, a
// top-level null, or an object whose Records is missing or null is not a
// CloudTrail log file (notLogError): reading it as empty could hide logs.
func (p *jsonReader) readFile(b []byte, fn func(*record)) error {
	p.b, p.i, p.nrec = b, 0, 0
	p.objects, p.digests = 0, 0
	var rec record
	for {
		p.ws()
		if p.i >= len(p.b) {
			if p.objects == 0 {
				return &notLogError{msg: "holds no JSON object"}
			}
			return nil
		}
		switch p.b[p.i] {
		case '{':
			p.objects++
			if err := p.readTop(&rec, fn); err != nil {
				return err
			}
		case 'n':
			if err := p.literal("null"); err != nil {
				return err
			}
			p.objects++
			return &notLogError{object: p.objects, msg: "is null, not an object with a Records array"}
		default:
			if err := p.skipValue(0); err != nil {
				return err
			}
			return &shapeError{offset: 0, msg: `the file is not a JSON object ({"Records":[...]})`}
		}
	}
}

// readTop reads one top-level object, looking for its Records array.
func (p *jsonReader) readTop(rec *record, fn func(*record)) error {
	p.i++ // {
	seen, array, digest := false, false, false
	end := func() error {
		switch {
		case array:
			return nil
		case digest:
			p.digests++
			return nil
		case seen:
			return &notLogError{object: p.objects, msg: "has \"Records\": null, not an array of records"}
		}
		return &notLogError{object: p.objects, msg: "has no \"Records\" array"}
	}
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.b) {
			return p.syntax("")
		}
		if p.b[p.i] == '}' {
			p.i++
			return end()
		}
		if !first {
			if p.b[p.i] != ',' {
				return p.syntax("expected , or } after an object member")
			}
			p.i++
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == '}' { // trailing comma
				p.i++
				return end()
			}
		}
		key, err := p.key()
		if err != nil {
			return err
		}
		switch string(key) {
		case "Records":
		case "digestStartTime":
			// A digest file's mark, read as text as DuckDB's VARCHAR column does.
			v, err := p.text()
			if err != nil {
				return err
			}
			digest = digest || v.set
			continue
		default:
			if err := p.skipValue(0); err != nil {
				return err
			}
			continue
		}
		if seen {
			return p.shape(`the object has the key "Records" twice`)
		}
		seen = true
		if p.i < len(p.b) && p.b[p.i] == '[' {
			array = true
		}
		if err := p.readRecords(rec, fn); err != nil {
			return err
		}
	}
}

// key reads an object key and the colon after it.
func (p *jsonReader) key() ([]byte, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, p.syntax("expected a string (an object key)")
	}
	k, err := p.str()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != ':' {
		return nil, p.syntax("expected : after an object key")
	}
	p.i++
	p.ws()
	return k, nil
}

func (p *jsonReader) readRecords(rec *record, fn func(*record)) error {
	if p.i >= len(p.b) {
		return p.syntax("")
	}
	switch p.b[p.i] {
	case '[':
	case 'n':
		return p.literal("null")
	default:
		return p.shape("Records is not an array")
	}
	p.i++
	p.nrec = 0
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.b) {
			return p.syntax("")
		}
		if p.b[p.i] == ']' {
			p.i++
			p.nrec = 0
			return nil
		}
		if !first {
			if p.b[p.i] != ',' {
				return p.syntax("expected , or ] after an array element")
			}
			p.i++
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				p.nrec = 0
				return nil
			}
			if p.i >= len(p.b) {
				return p.syntax("")
			}
		}
		p.nrec++
		rec.reset()
		p.scratch = p.scratch[:0]
		switch p.b[p.i] {
		case '{':
			if err := p.readRecord(rec); err != nil {
				return err
			}
		case 'n':
			if err := p.literal("null"); err != nil {
				return err
			}
			rec.null = true
		default:
			return p.shape("the record is not a JSON object")
		}
		fn(rec)
	}
}

// Bits of the record fields, for duplicate-key checks.
const (
	fEventID = 1 << iota
	fEventTime
	fEventSource
	fEventName
	fAwsRegion
	fSourceIP
	fErrorCode
	fErrorMessage
	fRecipient
	fResponse
	fUserIdentity
	fEventType
)

func (p *jsonReader) readRecord(rec *record) error {
	p.i++ // {
	var seen uint32
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.b) {
			return p.syntax("")
		}
		if p.b[p.i] == '}' {
			p.i++
			return nil
		}
		if !first {
			if p.b[p.i] != ',' {
				return p.syntax("expected , or } after an object member")
			}
			p.i++
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				return nil
			}
		}
		key, err := p.key()
		if err != nil {
			return err
		}
		var bit uint32
		var dst *jsonField
		switch string(key) {
		case "eventID":
			bit, dst = fEventID, &rec.eventID
		case "eventSource":
			bit, dst = fEventSource, &rec.eventSource
		case "eventName":
			bit, dst = fEventName, &rec.eventName
		case "awsRegion":
			bit, dst = fAwsRegion, &rec.awsRegion
		case "sourceIPAddress":
			bit, dst = fSourceIP, &rec.sourceIP
		case "errorCode":
			bit, dst = fErrorCode, &rec.errorCode
		case "errorMessage":
			bit, dst = fErrorMessage, &rec.errorMessage
		case "recipientAccountId":
			bit, dst = fRecipient, &rec.recipient
		case "eventType":
			bit, dst = fEventType, &rec.eventType
		case "eventTime":
			bit = fEventTime
		case "responseElements":
			bit = fResponse
		case "userIdentity":
			bit = fUserIdentity
		default:
			if err := p.skipValue(0); err != nil {
				return err
			}
			continue
		}
		if seen&bit != 0 {
			return p.shape(fmt.Sprintf("the record has the key %q twice", key))
		}
		seen |= bit
		switch {
		case dst != nil:
			if *dst, err = p.text(); err != nil {
				return err
			}
		case bit == fEventTime:
			if err := p.eventTime(rec); err != nil {
				return err
			}
		case bit == fResponse:
			start := p.i
			if err := p.skipValue(0); err != nil {
				return err
			}
			if raw := p.b[start:p.i]; string(raw) != "null" {
				rec.response = raw
			}
		default:
			if err := p.identity(&rec.user, &rec.issuer, "userIdentity"); err != nil {
				return err
			}
		}
	}
}

// identity reads userIdentity (issuer != nil) or sessionIssuer into id.
func (p *jsonReader) identity(id, issuer *identity, name string) error {
	if p.i >= len(p.b) {
		return p.syntax("")
	}
	switch p.b[p.i] {
	case '{':
	case 'n':
		return p.literal("null")
	default:
		return p.shape(name + " is not a JSON object")
	}
	id.present = true
	p.i++
	var seen uint32
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.b) {
			return p.syntax("")
		}
		if p.b[p.i] == '}' {
			p.i++
			return nil
		}
		if !first {
			if p.b[p.i] != ',' {
				return p.syntax("expected , or } after an object member")
			}
			p.i++
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				return nil
			}
		}
		key, err := p.key()
		if err != nil {
			return err
		}
		var bit uint32
		var dst *jsonField
		switch string(key) {
		case "type":
			bit, dst = 1, &id.typ
		case "principalId":
			bit, dst = 2, &id.principalID
		case "arn":
			bit, dst = 4, &id.arn
		case "accountId":
			bit, dst = 8, &id.accountID
		case "userName":
			bit, dst = 16, &id.userName
		case "accessKeyId":
			if issuer == nil { // sessionIssuer has no key
				break
			}
			bit, dst = 32, &id.accessKeyID
		case "sessionContext":
			if issuer == nil {
				break
			}
			bit = 64
		}
		if bit == 0 {
			if err := p.skipValue(0); err != nil {
				return err
			}
			continue
		}
		if seen&bit != 0 {
			return p.shape(fmt.Sprintf("%s has the key %q twice", name, key))
		}
		seen |= bit
		if dst != nil {
			if *dst, err = p.text(); err != nil {
				return err
			}
			continue
		}
		if err := p.sessionContext(id, issuer); err != nil {
			return err
		}
	}
}

// sessionContext reads userIdentity.sessionContext, keeping its sessionIssuer.
func (p *jsonReader) sessionContext(id, issuer *identity) error {
	if p.i >= len(p.b) {
		return p.syntax("")
	}
	switch p.b[p.i] {
	case '{':
	case 'n':
		return p.literal("null")
	default:
		return p.shape("userIdentity.sessionContext is not a JSON object")
	}
	id.hasContext = true
	p.i++
	seen := false
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.b) {
			return p.syntax("")
		}
		if p.b[p.i] == '}' {
			p.i++
			return nil
		}
		if !first {
			if p.b[p.i] != ',' {
				return p.syntax("expected , or } after an object member")
			}
			p.i++
			p.ws()
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				return nil
			}
		}
		key, err := p.key()
		if err != nil {
			return err
		}
		if string(key) != "sessionIssuer" {
			if err := p.skipValue(0); err != nil {
				return err
			}
			continue
		}
		if seen {
			return p.shape(`userIdentity.sessionContext has the key "sessionIssuer" twice`)
		}
		seen = true
		if p.i < len(p.b) && p.b[p.i] == '{' {
			id.issuer = issuer
		}
		if err := p.identity(issuer, nil, "userIdentity.sessionContext.sessionIssuer"); err != nil {
			return err
		}
	}
}

// eventTime reads eventTime: a time as a string, or null. Any other value,
// or a string that is not a time, marks the record badTime: it is skipped
// and counted, as DuckDB's TRY_CAST of the VARCHAR column does, rather than
// failing the run for one record.
func (p *jsonReader) eventTime(rec *record) error {
	if p.i >= len(p.b) {
		return p.syntax("")
	}
	if p.b[p.i] == 'n' {
		return p.literal("null")
	}
	if p.b[p.i] != '"' {
		if err := p.skipValue(0); err != nil {
			return err
		}
		rec.badTime = true
		return nil
	}
	s, err := p.str()
	if err != nil {
		return err
	}
	us, ok := parseEventTime(s)
	if !ok {
		rec.badTime = true
		return nil
	}
	rec.time, rec.hasTime = us, true
	return nil
}

// text reads a field the rules treat as text: a string's value, null as
// unset, and any other value as its JSON text without insignificant
// whitespace (DuckDB's VARCHAR of a JSON value; it also rewrites numbers in
// its own notation, which no CloudTrail field needs).
func (p *jsonReader) text() (jsonField, error) {
	if p.i >= len(p.b) {
		return jsonField{}, p.syntax("")
	}
	switch p.b[p.i] {
	case '"':
		s, err := p.str()
		return jsonField{v: s, set: true}, err
	case 'n':
		return jsonField{}, p.literal("null")
	}
	start := p.i
	if err := p.skipValue(0); err != nil {
		return jsonField{}, err
	}
	return jsonField{v: p.minify(p.b[start:p.i]), set: true}, nil
}

// minify returns JSON text without whitespace outside strings.
func (p *jsonReader) minify(raw []byte) []byte {
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

func (p *jsonReader) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\n', '\r', '\t':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonReader) literal(lit string) error {
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
func (p *jsonReader) skipValue(depth int) error {
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
func (p *jsonReader) number() error {
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
func (p *jsonReader) skipString() error {
	_, err := p.string(false)
	return err
}

// str reads a string's value: a slice of the text, or of the scratch
// buffer when it holds escapes.
func (p *jsonReader) str() ([]byte, error) {
	return p.string(true)
}

func (p *jsonReader) string(keep bool) ([]byte, error) {
	b := p.b
	start := p.i + 1
	i := jsontext.NextSpecial(b, start)
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
			j := jsontext.NextSpecial(b, i+1)
			if keep {
				out = append(out, b[i:j]...)
			}
			i = j
		}
	}
}

// unicodeEscape decodes \uXXXX at b[i:], with its low surrogate if it is a
// high one; n is the bytes consumed.
func (p *jsonReader) unicodeEscape(b []byte, i int) (r rune, n int, err error) {
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
