package ctrecord

// The byte-level scan the reader's string handling rests on: finding where a
// run of plain string text ends.

import "math/bits"

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// nextSpecial returns the index of the first byte of s at or after i that
// ends plain string text: a quote, a backslash, a control character or a
// non-ASCII byte; len(s) if there is none. It tests eight bytes at a time:
// most of a CloudTrail record's or a manifest's text is plain.
func nextSpecial[T string | []byte](s T, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q := x ^ (lsb * '"')
		b := x ^ (lsb * '\\')
		// A byte is flagged when it is zero (after the XORs), below 0x20,
		// or has its top bit set; the lowest flag is exact (a borrow only
		// sets flags above it).
		m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | (x - lsb*0x20) | x
		if m &= msb; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
	}
	return i
}
