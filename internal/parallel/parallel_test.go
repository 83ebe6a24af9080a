package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestEachRunsEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 64} {
		seen := make([]atomic.Int32, 1000)
		if err := Each(len(seen), workers, func(i int) error { seen[i].Add(1); return nil }); err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if n := seen[i].Load(); n != 1 {
				t.Fatalf("workers %d: index %d ran %d times", workers, i, n)
			}
		}
	}
	if err := Each(0, 4, func(int) error { t.Fatal("called"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestEachReportsTheLowestFailure(t *testing.T) {
	for range 50 {
		err := Each(200, 4, func(i int) error {
			if i == 37 || i == 120 {
				return fmt.Errorf("index %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "index 37" {
			t.Fatalf("got %v, want index 37's error", err)
		}
	}
	// After a failure no new index starts.
	var ran atomic.Int32
	boom := errors.New("boom")
	err := Each(10_000, 1, func(i int) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() != 4 {
		t.Fatalf("err %v after %d calls, want boom after 4", err, ran.Load())
	}
}
