// Package atomicfile writes files so that a reader sees either the old content
// or the whole new content, never a half-written file: write to a temporary
// file in the same directory, fsync, then rename over the target.
package atomicfile

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

func write(path string, fill func(w io.Writer) error, fsync bool) error {
	p, err := create(path, fsync)
	if err != nil {
		return err
	}
	if err := p.Fill(fill); err != nil {
		p.Abort()
		return err
	}
	return p.Commit()
}

// Pending is a file written but not yet in place: Create it, Fill it, then
// Commit (rename into place) or Abort (remove). It lets a caller write
// several files and put them in place only when every one of them
// succeeded, so readers never see a mix of old and new.
type Pending struct {
	path, tmp string
	f         *os.File
	fsync     bool
	done      bool
}

// Create starts path's replacement in a temporary file beside it.
func Create(path string) (*Pending, error) { return create(path, true) }

func create(path string, fsync bool) (*Pending, error) {
	dir := filepath.Dir(path)
	// 0777 and 0666 less the user's umask: the user decides who may read
	// the evidence, as with any file they create.
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("creating directory %s: %w", dir, err)
	}
	f, err := createTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	return &Pending{path: path, tmp: f.Name(), f: f, fsync: fsync}, nil
}

// createTemp is os.CreateTemp with mode 0666 before the umask instead of
// CreateTemp's fixed 0600, which would shut out the user's group.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("creating a temporary file in %s: 100 random names were all taken", dir)
}

// Path is where the file goes on Commit.
func (p *Pending) Path() string { return p.path }

// Fill writes the content through a buffer and, for Create, syncs it. On
// error the caller still calls Abort.
func (p *Pending) Fill(fill func(w io.Writer) error) error {
	if p.f == nil {
		return fmt.Errorf("writing %s: already filled", p.path)
	}
	bw := bufs.Get().(*bufio.Writer)
	bw.Reset(p.f)
	defer func() {
		bw.Reset(nil)
		bufs.Put(bw)
	}()
	if err := fill(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	if p.fsync {
		if err := p.f.Sync(); err != nil {
			return fmt.Errorf("syncing %s: %w", p.path, err)
		}
	}
	f := p.f
	p.f = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", p.path, err)
	}
	return nil
}

// Commit renames the filled file into place.
func (p *Pending) Commit() error {
	if p.done {
		return fmt.Errorf("renaming %s into place: already committed or aborted", p.path)
	}
	if p.f != nil {
		return fmt.Errorf("renaming %s into place: not filled", p.path)
	}
	p.done = true
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return fmt.Errorf("renaming %s into place: %w", p.path, err)
	}
	return nil
}

// Abort removes the temporary file and leaves path as it was. It is a no-op
// after Commit or a previous Abort, so it can be deferred.
func (p *Pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
	os.Remove(p.tmp)
}
