package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/dormant-iam/dormant/internal/ctrecord"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/queries"
	"github.com/dormant-iam/dormant/tables"
)

// Scanners the local engine can read the files with.
const (
	// ScannerGo decompresses and reads the files in Go (the default): one
	// file per goroutine at a time, only the fields the rules use, straight
	// into per-goroutine aggregates merged at the end.
	ScannerGo = "go"
	// ScannerDuckDB runs queries/local/activity.sql.tmpl in an embedded
	// DuckDB: the rules' specification, kept as the reference the Go
	// scanner is tested and benchmarked against.
	ScannerDuckDB = "duckdb"
)

// Scanners lists the scanners this build can run: ScannerGo, and
// ScannerDuckDB when built with -tags duckdb (DuckDBBuilt).
func Scanners() []string {
	if DuckDBBuilt {
		return []string{ScannerGo, ScannerDuckDB}
	}
	return []string{ScannerGo}
}

// WithScanner chooses how the local engine reads the files: ScannerGo
// (the default; "" means it) or ScannerDuckDB. Both return identical
// tables.
func WithScanner(name string) LocalOption {
	return func(l *Local) { l.scanner = name }
}

// WithProgress draws the scan's progress (files and bytes read, rate, time
// left) on w, which the caller passes only when it is a terminal; without
// it, scans longer than a few seconds log their progress every 10 seconds.
func WithProgress(w io.Writer) LocalOption {
	return func(l *Local) { l.progress = w }
}

// goScanNote heads the SQL recorded for a Go scan: the evidence keeps the
// rules as SQL that can be run as it stands.
const goScanNote = `-- Run by dormant's Go scanner (local engine, scanner "go"): it reads the files
-- listed below once and applies the rules of this query to them. The query
-- is kept as the rules' specification and runs as it stands in DuckDB (the
-- local engine's "duckdb" scanner runs it verbatim); dormant's test suite
-- checks that both scanners return identical tables.
`

func (l *Local) checkScanner() error {
	if l.scanner != ScannerGo && l.scanner != ScannerDuckDB {
		return fmt.Errorf("choosing the local engine's scanner: unknown scanner %q; use %q or %q",
			l.scanner, ScannerGo, ScannerDuckDB)
	}
	if l.cacheDir != "" && l.scanner != ScannerGo {
		return fmt.Errorf("using the activity cache %s: the cache needs the %q scanner, not %q",
			l.cacheDir, ScannerGo, l.scanner)
	}
	return ScannerBuilt(l.scanner)
}

// ScannerBuilt returns nil when this build can run the named scanner, and
// otherwise an error saying how to get one that can: the DuckDB scanner is
// linked only with -tags duckdb (it needs cgo and a C compiler).
func ScannerBuilt(name string) error {
	if name == ScannerDuckDB && !DuckDBBuilt {
		return fmt.Errorf("choosing the local engine's scanner: this dormant was built without the %q scanner; "+
			"use the default %q scanner (same tables), or build dormant with DuckDB: "+
			"CGO_ENABLED=1 go install -tags duckdb github.com/dormant-iam/dormant/cmd/dormant@latest (needs gcc)",
			ScannerDuckDB, ScannerGo)
	}
	return nil
}

// scanStats is what a Go scan read.
type scanStats struct {
	filesRead int
	bytesRead int64 // as stored
	jsonBytes int64 // of JSON text
	maxJSON   int64 // the largest file's JSON text (cached days included)
	cache     *cacheStats
}

func (s *scanStats) add(o scanStats) {
	s.filesRead += o.filesRead
	s.bytesRead += o.bytesRead
	s.jsonBytes += o.jsonBytes
	s.maxJSON = max(s.maxJSON, o.maxJSON)
}

// runGo is Run with the Go scanner. Discovery skips the gzip trailers
// (an open per file, which counts with many small files): the scan learns
// the sizes, and the SQL recorded as evidence carries the
// maximum_object_size DuckDB would need for the largest file read.
func (l *Local) runGo(ctx context.Context, q activity.Query) (*activity.Result, error) {
	files, err := discoverFiles(ctx, l.root, q, false)
	if err != nil {
		return nil, err
	}
	res := &activity.Result{}
	if len(files) == 0 {
		first, last := q.ReadDays()
		l.log.Warn("no CloudTrail log files in the window's date folders",
			"root", l.root, "first_day", first.Format(time.DateOnly), "last_day", last.Format(time.DateOnly))
		// Digests still tell what was delivered and is now gone.
		if res.LogFiles, res.Digests, err = verifyDigests(ctx, l.root, q, nil, l.sigs); err != nil {
			return nil, err
		}
		return res, nil
	}
	plan := &Plan{Files: files}
	var known int64 // the largest size known before reading: plain .json files
	for _, f := range files {
		plan.Bytes += f.Size
		plan.Uncompressed += f.Uncompressed
		known = max(known, f.Uncompressed)
	}
	plan.MaxObject = min(objectSize(known), l.maxFileSize)
	if _, err := l.memoryLimit(plan); err != nil {
		return nil, err
	}
	l.log.Info("scanning CloudTrail log files", "files", len(files), "bytes", plan.Bytes,
		"threads", l.threads, "scanner", l.scanner, "cache", l.cacheDir)

	// The SQL kept as evidence lists every file: render it while the scan
	// runs, with the maximum_object_size the files known so far need, and
	// again at the end only if a larger file turned up.
	guess := plan.MaxObject
	var spec string
	rendered := make(chan error, 1)
	go func() {
		var err error
		spec, err = renderLocalSQL(q, files, guess)
		rendered <- err
	}()

	// The digests are read while the scan runs; only the check waits.
	digests := make(chan loadedDigests, 1)
	if !l.noDigests {
		go func() {
			all, err := loadDigests(ctx, l.root, q, l.sigs)
			digests <- loadedDigests{all, err}
		}()
	}

	started := time.Now()
	var (
		st  scanStats
		agg *aggregator
	)
	if l.cacheDir != "" {
		agg, st, err = l.cachedScan(ctx, q, files)
	} else {
		agg, st, err = l.goScan(ctx, q, files)
	}
	if err != nil {
		<-rendered
		if !l.noDigests {
			<-digests
		}
		return nil, err
	}
	agg.result(res)
	res.MatchWatch(q)
	if !l.noDigests {
		loaded := <-digests
		if loaded.err != nil {
			<-rendered
			return nil, loaded.err
		}
		res.LogFiles, res.Digests = checkDigests(loaded.all, q, res.LogFiles)
	}
	l.logDigests(res.Digests)
	if err := <-rendered; err != nil {
		return nil, err
	}
	if need := min(objectSize(max(st.maxJSON, known)), l.maxFileSize); need != guess {
		if spec, err = renderLocalSQL(q, files, need); err != nil {
			return nil, err
		}
	}
	elapsed := time.Since(started)

	query := goScanNote
	if st.cache != nil {
		query += cacheNote(*st.cache)
	}
	query += spec
	sum := sha256.Sum256([]byte(query))
	res.Runs = []activity.QueryRun{{
		Engine:       l.Name(),
		Name:         "activity",
		QueryID:      "local-" + hex.EncodeToString(sum[:8]),
		SQL:          query,
		BytesScanned: st.bytesRead,
		EngineTime:   elapsed,
		Files:        st.filesRead,
	}}
	// The watch rode on the same read of the files: its SQL is recorded as
	// the specification of what was kept, with no bytes of its own.
	if filter, ok := activity.NewWatchFilter(q.Watch); ok {
		watchSQL, err := renderLocalWatchSQL(q, filter, files, min(objectSize(max(st.maxJSON, known)), l.maxFileSize))
		if err != nil {
			return nil, err
		}
		watchSQL = goScanNote + watchSQL
		wsum := sha256.Sum256([]byte(watchSQL))
		res.Runs = append(res.Runs, activity.QueryRun{Engine: l.Name(), Name: "watch",
			QueryID: "local-" + hex.EncodeToString(wsum[:8]), SQL: watchSQL, Files: st.filesRead})
	}
	activity.SortResult(res)
	l.log.Info("scanned CloudTrail log files", "files", st.filesRead, "bytes", st.bytesRead, "json_bytes", st.jsonBytes, "watch_rows", len(res.Watch),
		"activity_rows", len(res.Activity), "coverage_rows", len(res.Coverage), "seconds", elapsed.Seconds(),
		"mb_per_s", fmt.Sprintf("%.0f", float64(st.jsonBytes)/elapsed.Seconds()/1e6))
	return res, nil
}

// renderLocalSQL is the local activity query over files, as Plan renders it.
func renderLocalSQL(q activity.Query, files []LogFile, maxObject int64) (string, error) {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = sqlPath(f.Path)
	}
	return queries.Render("local", "activity", queries.Params{
		Start: q.Start, End: q.End, Files: paths, MaxObjectSize: maxObject,
	})
}

// renderLocalWatchSQL is the local watch query over files.
func renderLocalWatchSQL(q activity.Query, f activity.WatchFilter, files []LogFile, maxObject int64) (string, error) {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = sqlPath(f.Path)
	}
	return queries.Render("local", "watch", f.WatchParams(queries.Params{
		Start: q.Start, End: q.End, Files: paths, MaxObjectSize: maxObject,
	}))
}

// goScan reads every file with the Go scanner.
func (l *Local) goScan(ctx context.Context, q activity.Query, files []LogFile) (*aggregator, scanStats, error) {
	var total int64
	for _, f := range files {
		total += f.Size
	}
	prog := newProgress(l.progress, l.log, len(files), total)
	prog.start()
	defer prog.finish()
	return l.scanFiles(ctx, files, newWindow(q), false, prog)
}

// scanFiles reads files on l.threads goroutines and returns the merged
// aggregate. bucketed is the cache's mode (see aggregator).
func (l *Local) scanFiles(ctx context.Context, files []LogFile, w window, bucketed bool, prog *progress) (*aggregator, scanStats, error) {
	workers := max(1, min(l.threads, len(files)))
	aggs := make([]*aggregator, workers)
	stats := make([]scanStats, workers)
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		errAt  = len(files) // index of the first failed file
		first  error
		wg     sync.WaitGroup
	)
	// sqlPath's working directory, read once rather than once per file.
	cwd, err := os.Getwd()
	if err != nil {
		return nil, scanStats{}, fmt.Errorf("scanning CloudTrail log files: reading the working directory: %w", err)
	}
	for n := range workers {
		agg := newAggregator(w, bucketed)
		aggs[n] = agg
		st := &stats[n]
		wg.Go(func() {
			fr := fileReader{limit: l.maxFileSize, noHash: l.noDigests}
			// The watch reads requestParameters, as the watch query does.
			fr.json.KeepRequest = w.watch != nil
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				f := &files[i]
				var fc fileCount
				size, err := fr.scan(f, func(r *ctrecord.Record) {
					if fc.add(r) {
						agg.add(r, f)
					}
				})
				if err != nil {
					mu.Lock()
					if i < errAt {
						errAt, first = i, err
					}
					mu.Unlock()
					failed.Store(true)
					return
				}
				row := fc.row(f, &fr.json, cwd)
				if !fr.noHash {
					row.SHA256 = hex.EncodeToString(fr.sum[:])
				}
				agg.files = append(agg.files, row)
				st.add(scanStats{filesRead: 1, bytesRead: f.Size, jsonBytes: size, maxJSON: size})
				prog.add(1, f.Size)
			}
		})
	}
	wg.Wait()
	var st scanStats
	for _, s := range stats {
		st.add(s)
	}
	if first != nil {
		return nil, st, first
	}
	if err := ctx.Err(); err != nil {
		return nil, st, fmt.Errorf("scanning CloudTrail log files: %w", err)
	}
	for _, a := range aggs[1:] {
		aggs[0].merge(a)
	}
	return aggs[0], st, nil
}

// fileReader reads one log file at a time, reusing its buffers.
type fileReader struct {
	limit int64 // the most JSON text a file may hold; <= 0: DefaultMaxLogFileSize

	raw  []byte // the file as stored
	br   bytes.Reader
	zr   gzip.Reader
	buf  []byte // its JSON text
	json ctrecord.Reader
	// sum is the SHA-256 of the last file's JSON text, hashed from the
	// buffer the scan reads so that a file is never read twice; noHash
	// turns it off, for the benchmark of what hashing costs.
	sum    [sha256.Size]byte
	noHash bool
}

// maxSizeHint caps the buffer reserved from a gzip trailer's size field,
// which a damaged file could make absurd; larger files still read.
const maxSizeHint = 256 << 20

// scan reads f and calls fn for each of its records; size is the length of
// its JSON text.
func (fr *fileReader) scan(f *LogFile, fn func(*ctrecord.Record)) (size int64, err error) {
	data, err := fr.read(f)
	if err != nil {
		return 0, err
	}
	if err := fr.json.ReadFile(data, fn); err != nil {
		fe := &FileError{Path: sqlPath(f.Path), Err: err, Fix: fixShape}
		switch {
		case errors.As(err, new(*ctrecord.SyntaxError)):
			fe.Fix = fixDamaged
		case errors.As(err, new(*ctrecord.NotLogError)):
			fe.Fix = fixNotLog
		}
		return 0, fe
	}
	if !fr.noHash {
		fr.sum = sha256.Sum256(data)
	}
	return int64(len(data)), nil
}

// read returns f's JSON text, decompressed if its name ends in .gz. The
// file is read whole, in one call for the size discovery saw: with many
// small files, system calls are much of the cost.
func (fr *fileReader) read(f *LogFile) ([]byte, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("reading CloudTrail log file %s: %w", f.Path, err)
	}
	defer fh.Close()
	if cap(fr.raw) < int(f.Size) {
		fr.raw = make([]byte, f.Size)
	}
	raw := fr.raw[:f.Size]
	if n, err := fh.ReadAt(raw, 0); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, damaged(f, fmt.Sprintf("the file shrank while it was read (%d bytes, %d when listed)", n, f.Size), io.ErrUnexpectedEOF)
		}
		return nil, fmt.Errorf("reading CloudTrail log file %s: %w", f.Path, err)
	}
	limit := fr.limit
	if limit <= 0 {
		limit = DefaultMaxLogFileSize
	}
	if !strings.HasSuffix(f.Path, ".gz") {
		if f.Size > limit {
			return nil, tooLarge(f, limit)
		}
		return raw, nil
	}

	hint := f.Uncompressed
	if hint <= 0 || hint > maxSizeHint {
		hint = min(max(4*f.Size, 64<<10), maxSizeHint)
	}
	hint = min(hint, limit)
	if cap(fr.buf) < int(hint)+1 {
		fr.buf = make([]byte, 0, hint+1) // +1: EOF is seen without growing
	}
	buf := fr.buf[:0]
	fr.br.Reset(raw)
	if err := fr.zr.Reset(&fr.br); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, damaged(f, "the content ends early (truncated)", io.ErrUnexpectedEOF)
		}
		return nil, damaged(f, "not a gzip file", err)
	}
	for {
		if len(buf) == cap(buf) {
			// Grow, but never past limit+1 bytes: a file that fills them
			// inflates beyond the limit (a gzip bomb) and is refused.
			if int64(len(buf)) > limit {
				fr.buf = buf[:0]
				return nil, tooLarge(f, limit)
			}
			grown := make([]byte, len(buf), min(max(2*int64(cap(buf)), 64<<10), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := fr.zr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			fr.buf = buf
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, damaged(f, "the content ends early (truncated)", err)
			}
			return nil, damaged(f, "the gzip stream is damaged", err)
		}
	}
	fr.buf = buf
	if int64(len(buf)) > limit {
		return nil, tooLarge(f, limit)
	}
	return buf, nil
}

// tooLarge is a file whose JSON text passes the limit.
func tooLarge(f *LogFile, limit int64) error {
	return &FileError{Path: sqlPath(f.Path),
		Err: fmt.Errorf("its JSON text is larger than %d bytes: %w", limit, ErrLogFileTooLarge), Fix: fixTooLarge}
}

func damaged(f *LogFile, what string, err error) error {
	return &FileError{Path: sqlPath(f.Path), Err: fmt.Errorf("%s: %w", what, err), Fix: fixDamaged}
}

// fileCount is what one file held, for the log files table.
type fileCount struct {
	records int64
	skipped [ctrecord.NumSkips]int64
}

// add counts r and reports whether the aggregator should see it: a record
// without a usable time proves nothing, not even that the trail was
// delivering then; one without userIdentity still does (coverage) but can
// count for no principal.
func (c *fileCount) add(r *ctrecord.Record) bool {
	c.records++
	why := r.Skip()
	if why == ctrecord.NotSkipped {
		return true
	}
	c.skipped[why]++
	return why == ctrecord.SkipNoIdentity
}

// row is f's line in the log files table; p has just read f, and cwd is the
// working directory relative paths are from (the path is sqlPath's).
func (c *fileCount) row(f *LogFile, p *ctrecord.Reader, cwd string) tables.LogFile {
	path := f.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(cwd, path)
	}
	lf := tables.LogFile{AccountID: f.AccountID, Region: f.Region, Path: filepath.ToSlash(filepath.Clean(path)), Size: f.Size,
		Kind: tables.LogFileKindLog, Records: c.records}
	switch {
	case p.Objects > 0 && p.Digests == p.Objects:
		lf.Kind = tables.LogFileKindDigest
		return lf
	case c.records > 0 && c.skipped[ctrecord.SkipInsight] == c.records:
		lf.Kind = tables.LogFileKindInsight
		return lf
	}
	for _, n := range c.skipped {
		lf.Skipped += n
	}
	lf.SkipReasons = tables.FormatSkipReasons(c.skipped[:])
	return lf
}
