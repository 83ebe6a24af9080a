package ctrecord

import (
	"math/rand/v2"
	"testing"
)

// slow is nextSpecial one byte at a time.
func slow(s []byte, i int) int {
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
	}
	return i
}

func TestNextSpecialMatchesByteByByte(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte("abcXYZ019 ~!{}:,\"\\\x00\x01\x1f\x7f\x80\xc3\xa9\xff")
	for range 20_000 {
		s := make([]byte, r.IntN(40))
		for j := range s {
			if r.IntN(4) == 0 {
				s[j] = alphabet[r.IntN(len(alphabet))]
			} else {
				s[j] = 'a' + byte(r.IntN(26))
			}
		}
		i := 0
		if len(s) > 0 {
			i = r.IntN(len(s) + 1)
		}
		want := slow(s, i)
		if got := nextSpecial(s, i); got != want {
			t.Fatalf("nextSpecial(%q, %d) = %d, want %d", s, i, got, want)
		}
		if got := nextSpecial(string(s), i); got != want {
			t.Fatalf("nextSpecial(string %q, %d) = %d, want %d", s, i, got, want)
		}
	}
}
