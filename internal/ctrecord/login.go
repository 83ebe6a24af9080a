package ctrecord

// LoginOutcome is the SQL's console_login: responseElements' ConsoleLogin
// member, whether responseElements is an object or that object as a JSON
// string; ok is false for NULL.
func LoginOutcome(resp []byte) (v []byte, ok bool) {
	return Member(resp, "ConsoleLogin")
}

// Member is the SQL's ->> '$.<name>' on a JSON field kept as text
// (responseElements, requestParameters): the member of the object, or of
// the object held as a JSON string; ok is false for NULL.
func Member(resp []byte, name string) (v []byte, ok bool) {
	if len(resp) == 0 {
		return nil, false
	}
	var p Reader
	p.b = resp
	switch resp[0] {
	case '{':
		return p.member(name)
	case '"':
		s, err := p.str()
		if err != nil {
			return nil, false
		}
		// json_valid: the whole string must be one JSON value.
		var q Reader
		q.b = s
		q.ws()
		if err := q.skipValue(0); err != nil {
			return nil, false
		}
		q.ws()
		if q.i != len(s) {
			return nil, false
		}
		q.i = 0
		q.ws()
		if q.i >= len(s) || s[q.i] != '{' {
			return nil, false
		}
		return q.member(name)
	}
	return nil, false
}

// member returns the value of the object at p.i's first member named name,
// as ->> does: a string's value, other values as their JSON text.
func (p *Reader) member(name string) ([]byte, bool) {
	p.i++ // {
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] == '}' {
			return nil, false
		}
		if !first {
			p.i++ // ,
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] == '}' {
				return nil, false
			}
		}
		k, err := p.key()
		if err != nil {
			return nil, false
		}
		if string(k) == name {
			f, err := p.text()
			if err != nil || !f.Set {
				return nil, false
			}
			return f.Value, true
		}
		if err := p.skipValue(0); err != nil {
			return nil, false
		}
	}
}
