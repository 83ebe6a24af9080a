package local

import (
	"math/rand/v2"
	"testing"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
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

func TestUUIDs(t *testing.T) {
	const s = "0c1b7e52-0d0a-4f3e-9a51-1a2b3c4d5e01"
	u, ok := parseUUID([]byte(s))
	if !ok || formatUUID(u) != s {
		t.Errorf("round trip of %s: %s %v", s, formatUUID(u), ok)
	}
	for _, bad := range []string{"0C1B7E52-0D0A-4F3E-9A51-1A2B3C4D5E01", "0c1b7e52-0d0a-4f3e-9a51-1a2b3c4d5e0", "0c1b7e520d0a4f3e9a511a2b3c4d5e01xxxx", "0c1b7e52-0d0a-4f3e-9a51-1a2b3c4d5e0g"} {
		if _, ok := parseUUID([]byte(bad)); ok {
			t.Errorf("parseUUID(%q) accepted", bad)
		}
	}
}

func TestBuckets(t *testing.T) {
	day := trailtest.TS("2026-10-01T00:00:00Z").UnixMicro()
	for _, tt := range []struct {
		t    int64
		want int64
	}{
		{day, 2 * (day / microsPerDay)},
		{day + 1, 2*(day/microsPerDay) + 1},
		{day - 1, 2*(day/microsPerDay) - 1},
		{-1, -1},
		{0, 0},
	} {
		b := bucketOf(tt.t)
		lo, hi := bucketSpan(b)
		if b != tt.want || tt.t < lo || tt.t > hi {
			t.Errorf("bucketOf(%d) = %d [%d, %d], want %d", tt.t, b, lo, hi, tt.want)
		}
	}
	w := newWindow(activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-03T00:00:00Z")})
	b0 := bucketOf(day)
	for b, want := range map[int64]int{b0 - 1: -1, b0: 1, b0 + 1: 1, b0 + 3: 1, b0 + 4: 1, b0 + 5: -1} {
		if got := w.bucketIn(b); got != want {
			t.Errorf("bucketIn(%d) = %d, want %d", b-b0, got, want)
		}
	}
	w = newWindow(activity.Query{Start: trailtest.TS("2026-10-01T06:00:00Z"), End: trailtest.TS("2026-10-02T00:00:00Z")})
	for b, want := range map[int64]int{b0: -1, b0 + 1: 0, b0 + 2: 1, b0 + 3: -1} {
		if got := w.bucketIn(b); got != want {
			t.Errorf("bucketIn(%d) = %d, want %d", b-b0, got, want)
		}
	}
}
