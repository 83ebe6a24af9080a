package manifest

import (
	"runtime"

	"github.com/dormant-iam/dormant/internal/parallel"
)

// blockSize is how many entries one task encodes: large enough that
// handing out tasks costs nothing next to the work, small enough that a
// window of them is a megabyte or so.
const blockSize = 256

// inBlocks runs produce over the entries [0, n) in blocks, a window of
// blocks at a time across the cores, and hands each block's result to
// consume in entry order, so the output never depends on the core count
// and at most a window's results exist at once. Results are reused from
// window to window, so a result's buffers and decoder serve as the block's
// scratch. A failing produce records its error in the result, for consume
// to report after whatever the block wrote before it.
func inBlocks[R any](n int, produce func(lo, hi int, r *R), consume func(r *R) error) error {
	workers := runtime.GOMAXPROCS(0)
	window := 2 * workers
	results := make([]R, min(window, (n+blockSize-1)/blockSize))
	for first := 0; first < n; first += window * blockSize {
		blocks := min(window, (n-first+blockSize-1)/blockSize)
		_ = parallel.Each(blocks, workers, func(b int) error {
			lo := first + b*blockSize
			produce(lo, min(lo+blockSize, n), &results[b])
			return nil
		})
		for b := range blocks {
			if err := consume(&results[b]); err != nil {
				return err
			}
		}
	}
	return nil
}
