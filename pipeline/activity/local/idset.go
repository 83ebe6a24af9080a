package local

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
)

// idSet holds eventIDs for distinct counts: AWS's eventIDs are lowercase
// UUIDs, kept as 128-bit numbers; anything else as its text. It is a list,
// sorted and deduplicated when counted: appending is cheaper than a map on
// the scan's hot path, and takes 16 bytes per ID.
type idSet struct {
	uuids  []uuid
	others []string
	// runs, when not nil, are the starts of sorted runs of distinct UUIDs
	// that make up uuids (each merged from a compacted set, as the cache's
	// rows are): compact then merges them instead of sorting. nil once a
	// UUID was added on its own.
	runs []int
}

// uuid is a UUID as a number, high half first, so that numeric order is
// the order of the UUIDs' text.
type uuid struct{ hi, lo uint64 }

func (a uuid) cmp(b uuid) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a uuid) less(b uuid) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (s *idSet) add(id []byte) {
	if u, ok := parseUUID(id); ok {
		s.uuids = append(s.uuids, u)
		s.runs = nil
		return
	}
	s.others = append(s.others, string(id))
}

func (s *idSet) merge(o *idSet) {
	sorted := (s.runs != nil || len(s.uuids) == 0) && (o.runs != nil || len(o.uuids) == 0)
	if sorted {
		for _, r := range o.runs {
			s.runs = append(s.runs, len(s.uuids)+r)
		}
		if s.runs == nil {
			s.runs = []int{}
		}
	} else {
		s.runs = nil
		// Unordered: append the shorter list to the longer one, which
		// spares copying (and briefly holding twice) the longer.
		if len(o.uuids) > len(s.uuids) {
			s.uuids, o.uuids = o.uuids, s.uuids
		}
	}
	s.uuids = append(s.uuids, o.uuids...)
	s.others = append(s.others, o.others...)
	o.uuids, o.others = nil, nil // merged: o is not used again
}

// compact sorts and deduplicates the set in place.
func (s *idSet) compact() {
	if s.runs != nil && len(s.runs) > 1 {
		s.uuids = mergeRuns(s.uuids, s.runs)
	} else if s.runs == nil {
		slices.SortFunc(s.uuids, uuid.cmp)
		s.uuids = slices.Compact(s.uuids)
	}
	s.runs = []int{}
	if len(s.uuids) > 0 {
		s.runs = append(s.runs, 0)
	}
	slices.Sort(s.others)
	s.others = slices.Compact(s.others)
}

// mergeRuns merges the sorted runs of distinct UUIDs starting at runs in a,
// two by two until one is left, dropping the UUIDs two runs share.
func mergeRuns(a []uuid, runs []int) []uuid {
	buf := make([]uuid, 0, len(a))
	for len(runs) > 1 {
		buf = buf[:0]
		next := make([]int, 0, (len(runs)+1)/2)
		for i := 0; i < len(runs); i += 2 {
			next = append(next, len(buf))
			lo, mid, hi := runs[i], len(a), len(a)
			if i+1 < len(runs) {
				mid = runs[i+1]
			}
			if i+2 < len(runs) {
				hi = runs[i+2]
			}
			x, y := a[lo:mid], a[mid:hi]
			for len(x) > 0 && len(y) > 0 {
				switch {
				case x[0].less(y[0]):
					buf, x = append(buf, x[0]), x[1:]
				case y[0].less(x[0]):
					buf, y = append(buf, y[0]), y[1:]
				default:
					buf, x, y = append(buf, x[0]), x[1:], y[1:]
				}
			}
			buf = append(append(buf, x...), y...)
		}
		a, buf, runs = buf, a, next
	}
	return a
}

// count is the number of distinct IDs; it compacts the set.
func (s *idSet) count() int64 {
	s.compact()
	return int64(len(s.uuids) + len(s.others))
}

// encode writes the set for the cache (compacted): its UUIDs as one
// string of 22-character base64 numbers (fixed width, no separator), its
// other IDs as a list.
func (s *idSet) encode() (uuids string, others []string) {
	s.compact()
	b := make([]byte, 0, uuidB64Len*len(s.uuids))
	var raw [16]byte
	for _, u := range s.uuids {
		binary.BigEndian.PutUint64(raw[:8], u.hi)
		binary.BigEndian.PutUint64(raw[8:], u.lo)
		b = base64.RawStdEncoding.AppendEncode(b, raw[:])
	}
	if len(s.others) > 0 {
		others = slices.Clone(s.others)
	}
	return string(b), others
}

// uuidB64Len is the length of a UUID in base64 without padding.
const uuidB64Len = 22

// decodeIDs reads the UUIDs encode wrote: one sorted run, unless the
// string was not written so.
func decodeIDs(uuids string) (idSet, error) {
	var s idSet
	if len(uuids)%uuidB64Len != 0 {
		return s, fmt.Errorf("a list of event UUIDs is %d characters long, not a multiple of %d", len(uuids), uuidB64Len)
	}
	s.uuids = make([]uuid, 0, len(uuids)/uuidB64Len)
	var raw [16]byte
	sorted := true
	for i := 0; i < len(uuids); i += uuidB64Len {
		if _, err := base64.RawStdEncoding.Decode(raw[:], []byte(uuids[i:i+uuidB64Len])); err != nil {
			return s, fmt.Errorf("decoding event UUIDs: %w", err)
		}
		u := uuid{binary.BigEndian.Uint64(raw[:8]), binary.BigEndian.Uint64(raw[8:])}
		if n := len(s.uuids); n > 0 && !s.uuids[n-1].less(u) {
			sorted = false
		}
		s.uuids = append(s.uuids, u)
	}
	if sorted {
		s.runs = []int{0}
	}
	return s, nil
}

const hexDigits = "0123456789abcdef"

// unhexTable maps a lowercase hex digit to its value, anything else to 0xff.
var unhexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range hexDigits {
		t[c] = byte(i)
	}
	return t
}()

// hex16 parses 16 lowercase hex digits; ok is false if any is not one.
func hex16[T string | []byte](b T) (v uint64, ok bool) {
	var bad byte
	for i := range 16 {
		d := unhexTable[b[i]]
		bad |= d
		v = v<<4 | uint64(d&15)
	}
	return v, bad&0xf0 == 0
}

// parseUUID parses a lowercase canonical UUID (8-4-4-4-12 hex digits); an
// uppercase one stays text, since eventIDs compare as text.
func parseUUID[T string | []byte](b T) (u uuid, ok bool) {
	if len(b) != 36 || b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
		return u, false
	}
	var buf [32]byte
	copy(buf[0:8], b[0:8])
	copy(buf[8:12], b[9:13])
	copy(buf[12:16], b[14:18])
	copy(buf[16:20], b[19:23])
	copy(buf[20:32], b[24:36])
	hi, ok1 := hex16(buf[:16])
	lo, ok2 := hex16(buf[16:])
	return uuid{hi, lo}, ok1 && ok2
}

func formatUUID(u uuid) string { return string(appendUUID(nil, u)) }

func appendUUID(b []byte, u uuid) []byte {
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		v := u.hi
		if i >= 16 {
			v = u.lo
		}
		b = append(b, hexDigits[(v>>(60-4*(i%16)))&15])
	}
	return b
}
