package activity

import (
	"math/rand/v2"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// Sets merged from compacted sets (the cache's rows) and sets built one ID
// at a time (a scan) count the same distinct IDs as a map does.
func TestIDSetCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pool := make([]uuid, 300) // small, so that sets share IDs
	for i := range pool {
		pool[i] = uuid{rng.Uint64(), rng.Uint64()}
	}
	pick := func(n int) *idSet {
		var s idSet
		for range n {
			u := pool[rng.IntN(len(pool))]
			s.add([]byte(formatUUID(u)))
		}
		if rng.IntN(4) == 0 {
			s.add([]byte("not-a-uuid-" + string(rune('a'+rng.IntN(3)))))
		}
		return &s
	}
	for trial := range 300 {
		want := map[string]bool{}
		var total idSet
		for range rng.IntN(12) {
			s := pick(rng.IntN(60))
			for _, u := range s.uuids {
				want[formatUUID(u)] = true
			}
			for _, o := range s.others {
				want[o] = true
			}
			if rng.IntN(2) == 0 {
				// As the cache does: a compacted set, encoded and read back.
				enc, others := s.encode()
				dec, err := decodeIDs(enc)
				if err != nil {
					t.Fatal(err)
				}
				dec.others = others
				s = &dec
			}
			if rng.IntN(5) == 0 {
				total.add([]byte(formatUUID(pool[0])))
				want[formatUUID(pool[0])] = true
			}
			total.merge(s)
		}
		if got := total.count(); got != int64(len(want)) {
			t.Fatalf("trial %d: counted %d distinct IDs, want %d", trial, got, len(want))
		}
		// Counting again (compacted) gives the same.
		if got := total.count(); got != int64(len(want)) {
			t.Fatalf("trial %d: recount %d, want %d", trial, got, len(want))
		}
	}
}

func TestDecodeIDsRejects(t *testing.T) {
	for _, bad := range []string{"abc", "!!!!!!!!!!!!!!!!!!!!!!"} {
		if _, err := decodeIDs(bad); err == nil {
			t.Errorf("decodeIDs(%q) accepted", bad)
		}
	}
}

// coverageSpans folds cells into the per-region spans the tests written
// before cells assert.
func coverageSpans(cells []tables.Coverage) []tables.Coverage { return tables.CoverageSpans(cells) }
