package ctrecord

// parseEventTime parses a record's eventTime into microseconds since the
// Unix epoch. CloudTrail writes "2026-10-01T09:00:00Z", which takes a fast
// path; other spellings follow DuckDB's TIMESTAMPTZ text format, so that the
// Go and DuckDB scanners accept the same records:
//
//	[spaces] Y-M-D [(T|space) H:MM:SS[.fraction]] [Z | ±HH[[:]MM[[:]SS]] | [spaces]UTC] [spaces]
//
// with 1-2 digit months, days and hours, 24:00:00 as the next midnight,
// and fractions cut (not rounded) to microseconds.
func parseEventTime(s []byte) (int64, bool) {
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		h, ok4 := digits(s[11:13])
		mi, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && validDate(y, mo, d) && h < 24 && mi < 60 && sec < 60 {
			return ((daysFromCivil(y, mo, d)*24+int64(h))*60+int64(mi))*60_000_000 + int64(sec)*1_000_000, true
		}
	}
	return parseTimeSlow(s)
}

func parseTimeSlow(s []byte) (int64, bool) {
	i := 0
	spaces := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	// num reads between lo and hi digits.
	num := func(lo, hi int) (int, bool) {
		j, n := i, 0
		for j < len(s) && j-i < hi && s[j] >= '0' && s[j] <= '9' {
			n = n*10 + int(s[j]-'0')
			j++
		}
		if j-i < lo {
			return 0, false
		}
		i = j
		return n, true
	}
	lit := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}

	spaces()
	y, ok := num(1, 6)
	if !ok || !lit('-') {
		return 0, false
	}
	mo, ok := num(1, 2)
	if !ok || !lit('-') {
		return 0, false
	}
	d, ok := num(1, 2)
	if !ok || !validDate(y, mo, d) {
		return 0, false
	}
	days := daysFromCivil(y, mo, d)
	spaces()
	if i == len(s) {
		return days * 86_400_000_000, true
	}
	if s[i] == 'T' || s[i-1] == ' ' && s[i] >= '0' && s[i] <= '9' {
		if s[i] == 'T' {
			i++
		}
	} else {
		return 0, false
	}
	h, ok := num(1, 2)
	if !ok || !lit(':') {
		return 0, false
	}
	mi, ok := num(2, 2)
	if !ok || !lit(':') {
		return 0, false
	}
	sec, ok := num(2, 2)
	if !ok || mi > 59 || sec > 59 || h > 24 || h == 24 && (mi != 0 || sec != 0) {
		return 0, false
	}
	var frac int64
	if lit('.') {
		scale := int64(100_000)
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			frac += int64(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	us := (days*86_400+int64(h)*3600+int64(mi)*60+int64(sec))*1_000_000 + frac

	// The zone.
	switch {
	case i == len(s):
	case s[i] == 'Z':
		i++
	case s[i] == '+' || s[i] == '-':
		sign := int64(1)
		if s[i] == '-' {
			sign = -1
		}
		i++
		oh, ok := num(2, 2)
		if !ok {
			return 0, false
		}
		off := int64(oh) * 3600
		lit(':')
		if om, ok := num(2, 2); ok {
			off += int64(om) * 60
			lit(':')
			if os, ok := num(2, 2); ok {
				off += int64(os)
			}
		}
		us -= sign * off * 1_000_000
	default:
		spaces()
		if len(s)-i < 3 || string(s[i:i+3]) != "UTC" {
			return 0, false
		}
		i += 3
	}
	spaces()
	return us, i == len(s)
}

// digits parses a fixed-width run of ASCII digits.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return d <= 29
		}
		return d <= 28
	case 4, 6, 9, 11:
		return d <= 30
	}
	return d <= 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
