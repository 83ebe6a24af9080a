package manifest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dormant-iam/dormant/internal/jsontext"
)

// appendEntry appends e as compact JSON, byte for byte what encoding/json
// writes with HTML escaping off: the canonical form the digest covers, which
// the schema check reads and Encode indents. Encoding a manifest entry by hand
// is several times cheaper than by reflection, and Build does it for every
// entry of plans with hundreds of thousands; TestAppendEntryMatchesJSON holds
// the two to each other. A time encoding/json refuses (a year outside
// 0-9999) is handed to encoding/json, so the error is its own.
func appendEntry(dst []byte, e *Entry) ([]byte, error) {
	start := len(dst)
	dst, ok := appendEntryFast(dst, e)
	if ok {
		return dst, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return dst[:start], err
	}
	return append(dst[:start], bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// appendEntryFast is appendEntry, reporting false on a time it cannot encode.
// Members are in struct order, optional ones omitted as their omitempty or
// omitzero tag says.
func appendEntryFast(b []byte, e *Entry) ([]byte, bool) {
	ok := true
	b = append(b, `{"kind":`...)
	b = appendString(b, e.Kind)
	b = append(b, `,"account_id":`...)
	b = appendString(b, e.AccountID)
	b = append(b, `,"user_name":`...)
	b = appendString(b, e.UserName)
	b = append(b, `,"user_id":`...)
	b = appendString(b, e.UserID)
	b = append(b, `,"arn":`...)
	b = appendString(b, e.ARN)
	b = append(b, `,"decision":`...)
	b = appendString(b, e.Decision)
	b = append(b, `,"reasons":`...)
	if e.Reasons == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range e.Reasons {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, r)
		}
		b = append(b, ']')
	}
	ev := &e.Evidence
	b = append(b, `,"evidence":{`...)
	// Evidence's first members are all optional: comma before all but the first written.
	comma := false
	for _, t := range [...]struct {
		key string
		t   *time.Time
	}{
		{`"create_date":`, ev.CreateDate},
		{`"password_last_used":`, ev.PasswordLastUsed},
		{`"key1_last_used":`, ev.Key1LastUsed},
		{`"key2_last_used":`, ev.Key2LastUsed},
		{`"cloudtrail_last_event":`, ev.CloudTrailLastEvent},
		{`"last_activity":`, ev.LastActivity},
	} {
		if t.t == nil {
			continue
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = append(b, t.key...)
		b, ok = appendTime(b, *t.t, ok)
	}
	if ev.LastActivitySource != "" {
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = append(b, `"last_activity_source":`...)
		b = appendString(b, ev.LastActivitySource)
	}
	if comma {
		b = append(b, ',')
	}
	b = append(b, `"days_inactive":`...)
	b = strconv.AppendInt(b, int64(ev.DaysInactive), 10)
	b = append(b, `,"status":`...)
	b = appendString(b, ev.Status)
	b = append(b, '}')
	if e.KeySlot != 0 {
		b = append(b, `,"key_slot":`...)
		b = strconv.AppendInt(b, int64(e.KeySlot), 10)
	}
	if !e.KeyLastRotated.IsZero() {
		b = append(b, `,"key_last_rotated":`...)
		b, ok = appendTime(b, e.KeyLastRotated, ok)
	}
	b = append(b, `,"actions":`...)
	if e.Actions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range e.Actions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAction(b, &e.Actions[i])
		}
		b = append(b, ']')
	}
	if e.ReviewerComment != "" {
		b = append(b, `,"reviewer_comment":`...)
		b = appendString(b, e.ReviewerComment)
	}
	if e.Reviewer != "" {
		b = append(b, `,"reviewer":`...)
		b = appendString(b, e.Reviewer)
	}
	if e.ReviewDate != "" {
		b = append(b, `,"review_date":`...)
		b = appendString(b, e.ReviewDate)
	}
	return append(b, '}'), ok
}

func appendAction(b []byte, a *Action) []byte {
	b = append(b, `{"call":`...)
	b = appendString(b, a.Call)
	b = append(b, `,"target":`...)
	b = appendString(b, a.Target)
	if len(a.Parameters) > 0 {
		b = append(b, `,"parameters":{`...)
		// encoding/json writes a map's members sorted by key. A plan's
		// parameters are one known key, found without iterating the map.
		var keys []string
		if len(a.Parameters) == 1 {
			for _, k := range [...]string{"Status", TagDeleteAfter} {
				if _, ok := a.Parameters[k]; ok {
					keys = []string{k}
				}
			}
		}
		if keys == nil {
			keys = make([]string, 0, len(a.Parameters))
			for k := range a.Parameters {
				keys = append(keys, k)
			}
			slices.Sort(keys)
		}
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, a.Parameters[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"why":`...)
	b = appendString(b, a.Why)
	return append(b, '}')
}

// appendTime writes t quoted as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros dropped). ok turns false, and stays so, when t
// is one MarshalJSON refuses.
func appendTime(b []byte, t time.Time, ok bool) ([]byte, bool) {
	b = append(b, '"')
	// AppendText returns nil, not b, when it refuses t: keep b, so that
	// appendEntry can cut back to where the entry began.
	out, err := t.AppendText(b)
	if err != nil {
		return append(b, '"'), false
	}
	return append(out, '"'), ok
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping off: '"', '\\' and control characters escaped (\b \f \n \r
// \t by name), invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped, the rest
// as is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := jsontext.NextSpecial(s, 0)
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendIndent appends compact JSON src indented as json.Indent(dst, src,
// prefix, indent) would: a newline, prefix and one indent per level before
// each element and closing bracket, a space after each colon, empty objects
// and arrays kept as {} and []. src must be compact and valid, as
// appendEntry writes it; that lets this skip json.Indent's general scanner.
func appendIndent(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	open := false // just after '{' or '[': the newline waits for a member
	for i := 0; i < len(src); i++ {
		c := src[i]
		if open && c != '}' && c != ']' {
			open = false
			depth++
			dst = appendNewline(dst, prefix, indent, depth)
		}
		switch c {
		case '"':
			end := stringEnd(src, i)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			open = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = appendNewline(dst, prefix, indent, depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if open {
				open = false
			} else {
				depth--
				dst = appendNewline(dst, prefix, indent, depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the string literal starting at
// src[i], a '"'.
func stringEnd(src []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return len(src)
		}
		j += k
		// The quote is escaped if an odd number of backslashes precede it.
		n := 0
		for j-1-n > i && src[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

func appendNewline(dst []byte, prefix, indent string, depth int) []byte {
	dst = append(dst, '\n')
	dst = append(dst, prefix...)
	for range depth {
		dst = append(dst, indent...)
	}
	return dst
}
