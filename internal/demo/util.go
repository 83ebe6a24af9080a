package demo

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// mix is splitmix64's finalizer: it spreads bits so that seeds derived from
// small integers (account index, period, region) give unrelated streams.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// seedOf folds parts into one 64-bit seed.
func seedOf(parts ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc909)
	for _, p := range parts {
		h = mix(h ^ mix(p))
	}
	return h
}

// newRNG returns a deterministic generator for the given seed parts. Every
// independent piece of output gets its own stream so that the result does not
// depend on the order in which workers run.
func newRNG(parts ...uint64) *rand.Rand {
	s := seedOf(parts...)
	return rand.New(rand.NewPCG(s, mix(s^0x5851f42d4c957f2d)))
}

// between returns a uniform integer in [lo, hi]; lo when hi <= lo.
func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

// chance reports true with probability pct/100.
func chance(r *rand.Rand, pct int) bool { return r.IntN(100) < pct }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Unique-ID alphabet: IAM unique IDs and access key IDs use upper-case
// letters and the digits 2-7.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func appendID(b []byte, r *rand.Rand, prefix string, n int) []byte {
	b = append(b, prefix...)
	for n > 0 {
		x := r.Uint64()
		for i := 0; i < 12 && n > 0; i++ {
			b = append(b, idAlphabet[x&31])
			x >>= 5
			n--
		}
	}
	return b
}

func newID(r *rand.Rand, prefix string, n int) string {
	return string(appendID(make([]byte, 0, len(prefix)+n), r, prefix, n))
}

const hexDigits = "0123456789abcdef"

// appendUUID writes a random (version 4) UUID.
func appendUUID(b []byte, r *rand.Rand) []byte {
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^(0xf<<12) | 0x4<<12
	lo = lo&^(0x3<<62) | 0x2<<62
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(hi >> (56 - 8*i))
		raw[8+i] = byte(lo >> (56 - 8*i))
	}
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

func appendHex(b []byte, r *rand.Rand, n int) []byte {
	for n > 0 {
		x := r.Uint64()
		for i := 0; i < 16 && n > 0; i++ {
			b = append(b, hexDigits[x&15])
			x >>= 4
			n--
		}
	}
	return b
}

func randHex(r *rand.Rand, n int) string { return string(appendHex(nil, r, n)) }

// civil converts days since 1970-01-01 to a date (Howard Hinnant's algorithm).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func append2(b []byte, v int64) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

// appendDate writes YYYY-MM-DD for a unix time in seconds (UTC).
func appendDate(b []byte, sec int64) []byte {
	days := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		days--
	}
	y, m, d := civil(days)
	b = append2(b, y/100)
	b = append2(b, y%100)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// appendTimeZ writes CloudTrail's eventTime form, 2006-01-02T15:04:05Z.
func appendTimeZ(b []byte, sec int64) []byte {
	b = appendDate(b, sec)
	s := sec % 86400
	if s < 0 {
		s += 86400
	}
	b = append(b, 'T')
	b = append2(b, s/3600)
	b = append(b, ':')
	b = append2(b, s/60%60)
	b = append(b, ':')
	b = append2(b, s%60)
	return append(b, 'Z')
}

var monthAbbr = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendExpiration writes the form STS responses use for a credential's
// expiration in CloudTrail, "Jan 2, 2006, 3:04:05 PM" (UTC), without going
// through time.Format for every record.
func appendExpiration(b []byte, sec int64) []byte {
	days := sec / 86400
	s := sec % 86400
	if s < 0 {
		s += 86400
		days--
	}
	y, m, d := civil(days)
	b = append(b, monthAbbr[m-1]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, d, 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, y, 10)
	b = append(b, ", "...)
	h := s / 3600
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	b = strconv.AppendInt(b, h12, 10)
	b = append(b, ':')
	b = append2(b, s/60%60)
	b = append(b, ':')
	b = append2(b, s%60)
	if h < 12 {
		return append(b, " AM"...)
	}
	return append(b, " PM"...)
}

// Time layouts of the inputs.
const (
	layoutReport = "2006-01-02T15:04:05+00:00" // credential report dates
	layoutCLI    = "2006-01-02T15:04:05Z"      // CLI JSON dates
)

func fmtReport(t time.Time) string { return t.UTC().Format(layoutReport) }
func fmtCLI(t time.Time) string    { return t.UTC().Format(layoutCLI) }

// appendJSONString writes s as a JSON string. Generated values are plain
// ASCII, but names may carry any IAM-legal character, so escape properly.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' {
		i++
	}
	if i == len(s) {
		// Nothing to escape, the usual case: one copy.
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendKV writes "k":"v".
func appendKV(b []byte, k, v string) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":`...)
	return appendJSONString(b, v)
}

func appendKInt(b []byte, k string, v int64) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":`...)
	return strconv.AppendInt(b, v, 10)
}

// rfc3986Escape percent-encodes every byte but the unreserved characters, as
// IAM does for policy documents in its API responses; both url.QueryUnescape
// and url.PathUnescape decode the result.
func rfc3986Escape(s string) string {
	b := make([]byte, 0, len(s)*2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
	}
	return string(b)
}

func days(n int64) time.Duration { return time.Duration(n) * 24 * time.Hour }
