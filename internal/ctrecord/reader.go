package ctrecord

import (
	"fmt"
	"io"
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

// Field is a string field of a record: absent and JSON null both leave
// set false (SQL NULL).
type Field struct {
	Value []byte
	Set   bool
}

func (f Field) Is(s string) bool { return f.Set && string(f.Value) == s }
func (f Field) NonEmpty() bool   { return f.Set && len(f.Value) > 0 }

// Identity is a record's userIdentity (or sessionIssuer) as the rules read it.
type Identity struct {
	Present                                                  bool
	HasContext                                               bool // sessionContext is an object
	Type, PrincipalID, ARN, AccountID, AccessKeyID, UserName Field
	Issuer                                                   *Identity // sessionContext.sessionIssuer; nil when absent
}

// Record is one CloudTrail record's fields that the activity rules read.
type Record struct {
	Null bool // the array element was JSON null: a record with no fields

	EventID, EventSource, EventName, AWSRegion, SourceIP Field
	ErrorCode, ErrorMessage, Recipient, EventType        Field

	HasTime bool
	BadTime bool  // eventTime is there but is not a time: the record is skipped
	Time    int64 // eventTime, microseconds since the Unix epoch (UTC)

	// response is responseElements' JSON text, nil when absent or null.
	Response []byte
	// Request is requestParameters' JSON text, nil when absent or null
	// (the watch reads the target user's name from it).
	Request []byte

	User   Identity
	Issuer Identity // storage for user.issuer
}

func (r *Record) reset() {
	*r = Record{}
}

// SyntaxError is JSON the reader cannot parse: the file is damaged.
type SyntaxError struct {
	offset    int64
	msg       string
	truncated bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("not valid JSON at byte %d: %s", e.offset, e.msg)
}

// Unwrap makes a file that ends early match io.ErrUnexpectedEOF, as a cut
// gzip stream does.
func (e *SyntaxError) Unwrap() error {
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

// Reader reads the records of one file's JSON text.
type Reader struct {
	b       []byte
	i       int
	scratch []byte // unescaped strings of the current record
	nrec    int    // records read so far in the current Records array

	Objects int // top-level objects read in the file
	Digests int // of which digest objects (no Records, a digestStartTime)

	// KeepRequest reads requestParameters into Record.Request (the watch
	// needs it); otherwise it is skipped like any field the rules do not
	// read. As with DuckDB's typed columns, a field that is read may not
	// appear twice in a record, so a duplicate requestParameters fails
	// only a scan that reads it.
	KeepRequest bool
}

// NotLogError is a top-level object that is neither a CloudTrail log file's
// ({"Records":[...]}) nor a digest file's.
type NotLogError struct {
	Object int // 1-based top-level object
	Msg    string
}

func (e *NotLogError) Error() string {
	if e.Object > 1 {
		return fmt.Sprintf("top-level object %d %s", e.Object, e.Msg)
	}
	return e.Msg
}

func (p *Reader) syntax(msg string) error {
	if p.i >= len(p.b) {
		return &SyntaxError{offset: int64(len(p.b)), msg: "the content ends early (truncated)", truncated: true}
	}
	return &SyntaxError{offset: int64(p.i), msg: msg}
}

func (p *Reader) shape(msg string) error {
	return &shapeError{offset: int64(p.i), record: p.nrec, msg: msg}
}

// ReadFile calls fn for every record of every top-level object in b. The
// record and the byte slices in it are valid only during the call.
//
// Each top-level object must hold a Records array, or be a digest file's
// (a digestStartTime and no Records); a file with no object at all, a
// top-level null, or an object whose Records is missing or null is not a
// CloudTrail log file (notLogError): reading it as empty could hide logs.
func (p *Reader) ReadFile(b []byte, fn func(*Record)) error {
	p.b, p.i, p.nrec = b, 0, 0
	p.Objects, p.Digests = 0, 0
	var rec Record
	for {
		p.ws()
		if p.i >= len(p.b) {
			if p.Objects == 0 {
				return &NotLogError{Msg: "holds no JSON object"}
			}
			return nil
		}
		switch p.b[p.i] {
		case '{':
			p.Objects++
			if err := p.readTop(&rec, fn); err != nil {
				return err
			}
		case 'n':
			if err := p.literal("null"); err != nil {
				return err
			}
			p.Objects++
			return &NotLogError{Object: p.Objects, Msg: "is null, not an object with a Records array"}
		default:
			if err := p.skipValue(0); err != nil {
				return err
			}
			return &shapeError{offset: 0, msg: `the file is not a JSON object ({"Records":[...]})`}
		}
	}
}

// readTop reads one top-level object, looking for its Records array.
func (p *Reader) readTop(rec *Record, fn func(*Record)) error {
	p.i++ // {
	seen, array, digest := false, false, false
	end := func() error {
		switch {
		case array:
			return nil
		case digest:
			p.Digests++
			return nil
		case seen:
			return &NotLogError{Object: p.Objects, Msg: "has \"Records\": null, not an array of records"}
		}
		return &NotLogError{Object: p.Objects, Msg: "has no \"Records\" array"}
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
			digest = digest || v.Set
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
func (p *Reader) key() ([]byte, error) {
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

func (p *Reader) readRecords(rec *Record, fn func(*Record)) error {
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
			rec.Null = true
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
	fRequest
)

func (p *Reader) readRecord(rec *Record) error {
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
		var dst *Field
		switch string(key) {
		case "eventID":
			bit, dst = fEventID, &rec.EventID
		case "eventSource":
			bit, dst = fEventSource, &rec.EventSource
		case "eventName":
			bit, dst = fEventName, &rec.EventName
		case "awsRegion":
			bit, dst = fAwsRegion, &rec.AWSRegion
		case "sourceIPAddress":
			bit, dst = fSourceIP, &rec.SourceIP
		case "errorCode":
			bit, dst = fErrorCode, &rec.ErrorCode
		case "errorMessage":
			bit, dst = fErrorMessage, &rec.ErrorMessage
		case "recipientAccountId":
			bit, dst = fRecipient, &rec.Recipient
		case "eventType":
			bit, dst = fEventType, &rec.EventType
		case "eventTime":
			bit = fEventTime
		case "responseElements":
			bit = fResponse
		case "requestParameters":
			if !p.KeepRequest {
				if err := p.skipValue(0); err != nil {
					return err
				}
				continue
			}
			bit = fRequest
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
				rec.Response = raw
			}
		case bit == fRequest:
			start := p.i
			if err := p.skipValue(0); err != nil {
				return err
			}
			if raw := p.b[start:p.i]; string(raw) != "null" {
				rec.Request = raw
			}
		default:
			if err := p.identity(&rec.User, &rec.Issuer, "userIdentity"); err != nil {
				return err
			}
		}
	}
}

// identity reads userIdentity (issuer != nil) or sessionIssuer into id.
func (p *Reader) identity(id, issuer *Identity, name string) error {
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
	id.Present = true
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
		var dst *Field
		switch string(key) {
		case "type":
			bit, dst = 1, &id.Type
		case "principalId":
			bit, dst = 2, &id.PrincipalID
		case "arn":
			bit, dst = 4, &id.ARN
		case "accountId":
			bit, dst = 8, &id.AccountID
		case "userName":
			bit, dst = 16, &id.UserName
		case "accessKeyId":
			if issuer == nil { // sessionIssuer has no key
				break
			}
			bit, dst = 32, &id.AccessKeyID
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
func (p *Reader) sessionContext(id, issuer *Identity) error {
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
	id.HasContext = true
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
			id.Issuer = issuer
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
func (p *Reader) eventTime(rec *Record) error {
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
		rec.BadTime = true
		return nil
	}
	s, err := p.str()
	if err != nil {
		return err
	}
	us, ok := parseEventTime(s)
	if !ok {
		rec.BadTime = true
		return nil
	}
	rec.Time, rec.HasTime = us, true
	return nil
}
