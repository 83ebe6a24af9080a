// Package parallel runs independent, indexed pieces of work across cores.
package parallel

import (
	"sync"
	"sync/atomic"
)

// Each runs fn(i) for every i in [0, n) on up to workers goroutines (at
// least one), handing out indexes in increasing order. Once a call fails no
// further index starts. It returns the error of the lowest failing index:
// every lower index was handed out before it, so this is the error a
// sequential loop would have stopped at.
func Each(n, workers int, fn func(i int) error) error {
	if n <= 0 {
		return nil
	}
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if errs[i] = fn(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
