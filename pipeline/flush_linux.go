package pipeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// flushToDisk writes the dirty pages of dir's filesystem out and waits: the
// demo calls it between generating its logs and scanning them, so that the
// kernel writing back gigabytes of fresh files does not run during (and
// slow) the stages the run measures. Best effort: an error only means the
// writeback happens later.
func flushToDisk(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
