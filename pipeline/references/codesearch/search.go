package codesearch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// DefaultMaxFileSize is the size bound the command line offers: Terraform
// states and bundled configs run to tens of MiB, data dumps beyond this are
// not where automation keeps a user's name.
const DefaultMaxFileSize = 256 << 20

// Options tunes Search. MaxFileSize is required; the rest may be zero.
type Options struct {
	MaxFileSize int64 // files (objects, blobs) larger than this are skipped and counted
	History     bool  // in git repositories, also every blob reachable from every ref
	Workers     int   // files scanned at once; 0 means GOMAXPROCS
	S3          S3API // required when a root is s3://
	Logger      *slog.Logger

	// Collect picks files to hand to OnCollect after they are scanned (the
	// caller's Terraform states and .tf files, read by package iac): the
	// search has found them, the caller parses them. OnCollect calls are
	// one at a time; an error from it stops the search and is returned.
	Collect   func(Source) bool
	OnCollect func(src Source, open func(context.Context) (io.ReadCloser, error)) error
}

// Skip reasons counted in Stats.Skipped.
const (
	SkipBinary     = "binary"
	SkipTooLarge   = "too-large"
	SkipGitDir     = "git-internals"
	SkipNotRegular = "not-regular"
	SkipUnreadable = "unreadable"
)

// Stats counts what Search read and skipped.
type Stats struct {
	Files   int64            // files, objects and blobs scanned
	Bytes   int64            // bytes scanned
	Hits    int64            // hits emitted
	Skipped map[string]int64 // by Skip* reason
}

// job is one file to scan: its source and how to open it.
type job struct {
	src  Source
	size int64 // -1 when unknown before opening
	open func(context.Context) (io.ReadCloser, int64, error)
}

// Search scans roots for the candidates and calls emit for each hit, one
// call at a time (emit needs no locking). A root is a directory, a file, or
// s3://bucket/prefix; a directory holding .git is also read as a git
// repository when opts.History is set. An error from emit stops the search
// and is returned. Unreadable files are skipped, counted and logged; a root
// that cannot be read at all is an error.
func Search(ctx context.Context, roots []string, cands []Candidate, opts Options, emit func(Hit) error) (Stats, error) {
	st := Stats{Skipped: map[string]int64{}}
	if opts.MaxFileSize <= 0 {
		return st, fmt.Errorf("searching code and configuration: no size bound; set MaxFileSize (the command line's default is %d bytes)", DefaultMaxFileSize)
	}
	if len(roots) == 0 {
		return st, fmt.Errorf("searching code and configuration: no paths; give at least one directory, file or s3://bucket/prefix")
	}
	m, err := compile(cands)
	if err != nil {
		return st, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	var mu sync.Mutex        // guards st and emit
	var collectMu sync.Mutex // serializes OnCollect
	skip := func(src Source, reason string, err error) {
		mu.Lock()
		st.Skipped[reason]++
		mu.Unlock()
		if err != nil {
			log.Warn("skipping a file in the code search", "location", src.String(), "reason", reason, "err", err)
		} else {
			log.Debug("skipping a file in the code search", "location", src.String(), "reason", reason)
		}
	}
	var stopErr error // the first error from emit or OnCollect: no call after it
	locked := func(h Hit) error {
		mu.Lock()
		defer mu.Unlock()
		if stopErr != nil {
			return emitError{stopErr}
		}
		if err := emit(h); err != nil {
			stopErr = err
			return emitError{err}
		}
		st.Hits++
		return nil
	}

	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan job, 4*workers)
	for range workers {
		g.Go(func() error {
			sc := newScanner(m)
			for j := range jobs {
				if err := ctx.Err(); err != nil {
					return err
				}
				if j.size > opts.MaxFileSize {
					skip(j.src, SkipTooLarge, nil)
					continue
				}
				rc, size, err := j.open(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					skip(j.src, SkipUnreadable, err)
					continue
				}
				if size > opts.MaxFileSize {
					rc.Close()
					skip(j.src, SkipTooLarge, nil)
					continue
				}
				n, err := sc.scan(io.LimitReader(rc, opts.MaxFileSize), j.src, locked)
				rc.Close()
				switch {
				case errors.Is(err, errBinary):
					skip(j.src, SkipBinary, nil)
					continue
				case err != nil && errors.Is(err, errEmit):
					return err
				case err != nil:
					if ctx.Err() != nil {
						return ctx.Err()
					}
					skip(j.src, SkipUnreadable, err)
					continue
				}
				mu.Lock()
				st.Files++
				st.Bytes += n
				mu.Unlock()
				if opts.Collect != nil && opts.OnCollect != nil && opts.Collect(j.src) {
					open := func(ctx context.Context) (io.ReadCloser, error) {
						rc, _, err := j.open(ctx)
						return rc, err
					}
					collectMu.Lock()
					mu.Lock()
					err := stopErr
					mu.Unlock()
					if err == nil {
						if err = opts.OnCollect(j.src, open); err != nil {
							mu.Lock()
							if stopErr == nil {
								stopErr = err
							}
							err = stopErr
							mu.Unlock()
						}
					}
					collectMu.Unlock()
					if err != nil {
						return emitError{err}
					}
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(jobs)
		send := func(j job) error {
			select {
			case jobs <- j:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		for _, root := range roots {
			var err error
			if strings.HasPrefix(root, "s3://") {
				err = listS3(ctx, opts.S3, root, send)
			} else {
				err = walkRoot(ctx, root, opts.History, send, skip)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	err = g.Wait()
	var ee emitError
	if errors.As(err, &ee) {
		err = ee.err
	}
	return st, err
}

// errEmit marks an error that came from the caller's emit.
var errEmit = errors.New("emit")

type emitError struct{ err error }

func (e emitError) Error() string        { return e.err.Error() }
func (e emitError) Is(target error) bool { return target == errEmit }
func (e emitError) Unwrap() error        { return e.err }

// walkRoot sends the regular files under root (or root itself), then, with
// history, the blobs of every git repository found under root.
func walkRoot(ctx context.Context, root string, history bool, send func(job) error, skip func(Source, string, error)) error {
	info, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("searching %s: %w; give an existing directory, file or s3://bucket/prefix", root, err)
	}
	if !info.IsDir() {
		return send(fileJob(root, info.Size()))
	}
	var repos []string // with history: every repository under root, root's own included
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			skip(Source{Kind: "file", Path: path}, SkipUnreadable, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() == ".git" && path != root {
			if history {
				repos = append(repos, filepath.Dir(path))
			}
			skip(Source{Kind: "file", Path: path}, SkipGitDir, nil)
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			skip(Source{Kind: "file", Path: path}, SkipNotRegular, nil)
			return nil
		}
		return send(fileJob(path, -1))
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("searching %s: %w", root, err)
	}
	for _, repo := range repos {
		if err := sendHistory(ctx, repo, send); err != nil {
			return err
		}
	}
	return nil
}

func fileJob(path string, size int64) job {
	return job{
		src:  Source{Kind: "file", Path: path},
		size: size,
		open: func(context.Context) (io.ReadCloser, int64, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, 0, err
			}
			info, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, 0, err
			}
			if !info.Mode().IsRegular() {
				f.Close()
				return nil, 0, fmt.Errorf("%s is not a regular file", path)
			}
			return f, info.Size(), nil
		},
	}
}
