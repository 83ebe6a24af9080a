// Package atomicfile writes files so that a reader sees either the old content
// or the whole new content, never a half-written file: write to a temporary
// file in the same directory, fsync, then rename over the target.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Write creates (or replaces) path with what fill writes. If fill returns an
// error, the target is left untouched and the temporary file removed.
func Write(path string, fill func(w io.Writer) error) error {
	return write(path, fill, true)
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteUnsynced is Write without the fsync: readers still see the old
// content or the whole new content (temporary file, then rename), but after a
// machine crash the file may be missing or empty. For bulk outputs that are
// regenerated on demand, such as the demo's thousands of CloudTrail files,
// where an fsync per file would cost more than writing them.
func WriteUnsynced(path string, fill func(w io.Writer) error) error {
	return write(path, fill, false)
}

// bufs recycles write buffers: WriteUnsynced is used for many small files in
// a row.
var bufs = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 256<<10) }}

func write(path string, fill func(w io.Writer) error, fsync bool) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufs.Get().(*bufio.Writer)
	bw.Reset(f)
	defer func() {
		bw.Reset(nil)
		bufs.Put(bw)
	}()
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if fsync {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("syncing %s: %w", path, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("setting mode of %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %s into place: %w", path, err)
	}
	return nil
}
