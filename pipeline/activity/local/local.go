package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dormant-iam/dormant/internal/ctrecord"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/queries"
	"github.com/dormant-iam/dormant/tables"
)

// Local is the embedded engine: CloudTrail log files on disk, read by the
// Go scanner (goscan.go) or by DuckDB (the SQL of queries/local), and
// optionally cached per day (cache.go).
type Local struct {
	root     string
	threads  int
	memLimit int64
	tempDir  string
	log      *slog.Logger

	scanner  string    // ScannerGo or ScannerDuckDB
	progress io.Writer // terminal for the progress line; nil: log lines
	cacheDir string    // per-day aggregates; empty: no cache
	etag     func(path string) (string, bool)

	maxFileSize int64 // the most JSON text one log file may hold
	// noDigests scans without hashing files or reading digests: only the
	// benchmark of what integrity validation costs sets it.
	noDigests bool
	sigs      *signatureChecker // digest signatures, for a run from S3 (digestsig.go); nil: not checked
}

// DefaultMaxLogFileSize bounds the JSON text of one log file (1 GiB). AWS
// documents no maximum for a log file, but CloudTrail delivers one about
// every five minutes per region and each record is at most a few hundred
// KB, so real files hold a few MB; the bound is generous for them and stops
// a gzip bomb (6 MB inflating to 6 GiB) before it exhausts memory.
const DefaultMaxLogFileSize int64 = 1 << 30

// WithMaxLogFileSize bounds the JSON text of one log file, inflated; a file
// beyond it is refused, naming it. n <= 0 means DefaultMaxLogFileSize.
func WithMaxLogFileSize(n int64) LocalOption {
	return func(l *Local) { l.maxFileSize = n }
}

// LocalOption configures a Local engine.
type LocalOption func(*Local)

// WithThreads sets how many threads the scan uses; n <= 0 means GOMAXPROCS.
func WithThreads(n int) LocalOption {
	return func(l *Local) { l.threads = n }
}

// WithMemoryLimit caps DuckDB's memory, in bytes; beyond it, aggregation
// spills to the temporary folder. n <= 0 means the default: 512 MiB plus, per
// thread, 256 MiB or three times the largest file (uncompressed), whichever
// is more. Either scanner refuses a limit too small for its threads' read
// buffers (the Go scanner holds one file's JSON per thread, and otherwise
// only the principals' aggregates).
func WithMemoryLimit(n int64) LocalOption {
	return func(l *Local) { l.memLimit = n }
}

// WithTempDir sets the folder under which DuckDB's spill folder is made
// (and removed after the query); empty means os.TempDir().
func WithTempDir(dir string) LocalOption {
	return func(l *Local) { l.tempDir = dir }
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(log *slog.Logger) LocalOption {
	return func(l *Local) { l.log = log }
}

// NewLocal returns the local engine over root, a folder holding AWSLogs/...
// (see DiscoverFiles for the layouts read).
func NewLocal(root string, opts ...LocalOption) *Local {
	l := &Local{root: root}
	for _, o := range opts {
		o(l)
	}
	if l.threads <= 0 {
		l.threads = runtime.GOMAXPROCS(0)
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.scanner == "" {
		l.scanner = ScannerGo
	}
	if l.maxFileSize <= 0 {
		l.maxFileSize = DefaultMaxLogFileSize
	}
	return l
}

// Name is "local".
func (l *Local) Name() string { return "local" }

// Plan is what the local engine would do for a query: the files it reads and
// the SQL it runs.
type Plan struct {
	Files        []LogFile
	Bytes        int64  // total size of Files
	Uncompressed int64  // total size of the JSON text in Files
	MaxObject    int64  // the JSON reader's maximum_object_size: room for the largest file
	SQL          string // empty when there is no file to read
}

// Plan finds the files a query reads and renders its SQL, without running it
// (`dormant queries print` shows it).
func (l *Local) Plan(ctx context.Context, q activity.Query) (*Plan, error) {
	files, err := DiscoverFiles(ctx, l.root, q)
	if err != nil {
		return nil, err
	}
	p := &Plan{Files: files}
	if len(files) == 0 {
		return p, nil
	}
	paths := make([]string, len(files))
	var largest int64
	for i, f := range files {
		paths[i] = sqlPath(f.Path)
		p.Bytes += f.Size
		p.Uncompressed += f.Uncompressed
		largest = max(largest, f.Uncompressed)
	}
	p.MaxObject = min(objectSize(largest), l.maxFileSize)
	p.SQL, err = queries.Render("local", "activity", queries.Params{
		Start: q.Start, End: q.End, Files: paths, MaxObjectSize: p.MaxObject,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Run reads the window's log files once and returns the activity and
// coverage tables. With no file to read it returns empty tables and no run:
// the findings stage then sees no coverage and sends users to review.
func (l *Local) Run(ctx context.Context, q activity.Query) (*activity.Result, error) {
	if err := l.checkScanner(); err != nil {
		return nil, err
	}
	if l.scanner == ScannerGo {
		return l.runGo(ctx, q)
	}
	plan, err := l.Plan(ctx, q)
	if err != nil {
		return nil, err
	}
	res := &activity.Result{}
	if len(plan.Files) == 0 {
		first, last := q.ReadDays()
		l.log.Warn("no CloudTrail log files in the window's date folders",
			"root", l.root, "first_day", first.Format(time.DateOnly), "last_day", last.Format(time.DateOnly))
		// Digests still tell what was delivered and is now gone, as for
		// the Go scanner.
		if !l.noDigests {
			if res.LogFiles, res.Digests, err = verifyDigests(ctx, l.root, q, nil, l.sigs); err != nil {
				return nil, err
			}
			l.logDigests(res.Digests)
		}
		return res, nil
	}
	// A file known to be too large (a plain .json file's size, or a gzip
	// trailer's) is refused before DuckDB reads anything.
	for i := range plan.Files {
		if f := &plan.Files[i]; f.Uncompressed > l.maxFileSize {
			return nil, tooLarge(f, l.maxFileSize)
		}
	}
	l.log.Info("scanning CloudTrail log files", "files", len(plan.Files), "bytes", plan.Bytes,
		"json_bytes", plan.Uncompressed, "threads", l.threads)

	started := time.Now()
	// DuckDB cannot hash the files it reads, so a Go pass hashes them and
	// reads the digests while DuckDB scans: both scanners then check the
	// same hashes against the same digests (checkDigests).
	hctx, stopHashing := context.WithCancel(ctx)
	defer stopHashing()
	hashed := make(chan hashedFiles, 1)
	if !l.noDigests {
		go func() { hashed <- l.hashPlan(hctx, q, plan.Files) }()
	}
	if err := l.scan(ctx, plan, res); err != nil {
		return nil, err
	}
	if err := checkFileRows(plan.Files, res); err != nil {
		return nil, err
	}
	if !l.noDigests {
		h := <-hashed
		if h.err != nil {
			return nil, h.err
		}
		for i := range res.LogFiles {
			res.LogFiles[i].SHA256 = h.sums[res.LogFiles[i].Path]
		}
		res.LogFiles, res.Digests = checkDigests(h.digests, q, res.LogFiles)
		l.logDigests(res.Digests)
	}
	elapsed := time.Since(started)
	sum := sha256.Sum256([]byte(plan.SQL))
	res.Runs = []activity.QueryRun{{
		Engine:       l.Name(),
		Name:         "activity",
		QueryID:      "local-" + hex.EncodeToString(sum[:8]),
		SQL:          plan.SQL,
		BytesScanned: plan.Bytes,
		EngineTime:   elapsed,
		Files:        len(plan.Files),
	}}
	if err := l.duckWatch(ctx, q, plan, res); err != nil {
		return nil, err
	}
	activity.SortResult(res)
	l.log.Info("scanned CloudTrail log files", "files", len(plan.Files), "activity_rows", len(res.Activity),
		"coverage_rows", len(res.Coverage), "seconds", elapsed.Seconds())
	return res, nil
}

// hashedFiles is hashPlan's answer: each file's SHA-256 by its sqlPath, and
// the digests of the query's days.
type hashedFiles struct {
	sums    map[string]string
	digests []*digest
	err     error
}

// hashPlan hashes files as the Go scanner does (the SHA-256 of the JSON
// text, decompressed) on l.threads goroutines, and loads the digests for q.
func (l *Local) hashPlan(ctx context.Context, q activity.Query, files []LogFile) hashedFiles {
	out := hashedFiles{sums: make(map[string]string, len(files))}
	var (
		mu   sync.Mutex
		next atomic.Int64
		errs = make([]error, len(files))
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		all, err := loadDigests(ctx, l.root, q, l.sigs)
		mu.Lock()
		out.digests, out.err = all, err
		mu.Unlock()
	})
	for range max(1, min(l.threads, len(files))) {
		wg.Go(func() {
			fr := fileReader{limit: l.maxFileSize}
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				data, err := fr.read(&files[i])
				if err != nil {
					errs[i] = err
					continue
				}
				sum := sha256.Sum256(data)
				mu.Lock()
				out.sums[sqlPath(files[i].Path)] = hex.EncodeToString(sum[:])
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// The first file in path order that failed, as the Go scanner reports it.
	for _, err := range errs {
		if out.err == nil && err != nil {
			out.err = err
		}
	}
	if out.err == nil && ctx.Err() != nil {
		out.err = fmt.Errorf("hashing CloudTrail log files: %w", ctx.Err())
	}
	return out
}

// logDigests logs what the digests say, as both scanners do.
func (l *Local) logDigests(rep *activity.DigestReport) {
	if rep == nil {
		return
	}
	l.log.Info("checked log files against CloudTrail digests", "regions", len(rep.Regions),
		"issues", len(rep.Issues), "note", rep.Note())
	for _, i := range rep.Issues {
		l.log.Warn("CloudTrail digests show a problem", "account", i.AccountID, "region", i.Region, "trail", i.Trail,
			"problem", i.Kind, "from", i.Start, "to", i.End, "path", i.Path, "detail", i.Detail)
	}
}

// DiscoverDigests lists the CloudTrail-Digest files under root for the days
// a query for q reads and the day after (a day's last digest is delivered
// the next day), sorted by path: the digests the local engine checks.
func DiscoverDigests(ctx context.Context, root string, q activity.Query) ([]LogFile, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return discoverDigests(ctx, root, q)
}

// HashLogFile returns the hex SHA-256 of a CloudTrail log or digest file's
// JSON text (decompressed when its name ends in .gz), as CloudTrail's
// digests and the local engine hash it, and its size on disk. maxJSON
// bounds the JSON text (<= 0: DefaultMaxLogFileSize).
func HashLogFile(path string, maxJSON int64) (sum string, size int64, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", 0, fmt.Errorf("hashing CloudTrail file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return "", 0, fmt.Errorf("hashing CloudTrail file %s: not a regular file", path)
	}
	fr := fileReader{limit: maxJSON}
	data, err := fr.read(&LogFile{Path: path, Size: info.Size()})
	if err != nil {
		return "", 0, err
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]), info.Size(), nil
}

// objectSize is the maximum_object_size that fits a file of n bytes of JSON:
// rounded up to a MiB with one to spare, and at least DuckDB's 16 MiB default.
func objectSize(n int64) int64 {
	const mib = 1 << 20
	return max(16*mib, (n/mib+2)*mib)
}

// memoryLimit is the DuckDB memory limit for a plan: the configured one, or
// room for each thread's read buffers (twice the largest file) and the
// parsed records, plus the aggregation. An explicit limit too small for the
// read buffers is refused here, with what to do, rather than by DuckDB.
func (l *Local) memoryLimit(plan *Plan) (int64, error) {
	const mib = 1 << 20
	buffers := int64(l.threads) * 2 * plan.MaxObject
	if l.memLimit <= 0 {
		return 512*mib + int64(l.threads)*max(256*mib, 3*plan.MaxObject), nil
	}
	if l.memLimit < buffers+64*mib {
		return 0, fmt.Errorf("scanning CloudTrail log files: the memory limit (%d MiB) is too small for %d threads "+
			"reading files of up to %d MiB of JSON (each thread holds two files' worth): "+
			"raise the memory limit to at least %d MiB or use fewer threads",
			l.memLimit/mib, l.threads, plan.MaxObject/mib, (buffers+64*mib)/mib)
	}
	return l.memLimit, nil
}

// skipCounts reads a file row's skipped records per reason: counts joined by
// commas, in the order of tables.SkipReasonList.
func skipCounts(s string) ([]int64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != int(ctrecord.NumSkips) {
		return nil, fmt.Errorf("%q holds %d counts, want %d", s, len(parts), ctrecord.NumSkips)
	}
	out := make([]int64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("count %d of %q: %w", i+1, s, err)
		}
		out[i] = n
	}
	return out, nil
}

// checkFileRows applies, to the DuckDB scan's file rows, the Go scanner's
// rule: every file must hold at least one JSON object, and each object a
// Records array (or be a digest's). It fills in each row's account and
// region folders.
func checkFileRows(files []LogFile, res *activity.Result) error {
	byPath := make(map[string]*tables.LogFile, len(res.LogFiles))
	for i := range res.LogFiles {
		byPath[res.LogFiles[i].Path] = &res.LogFiles[i]
	}
	for i := range files {
		f := &files[i]
		p := sqlPath(f.Path)
		row := byPath[p]
		switch {
		case row == nil:
			return &FileError{Path: p, Err: &ctrecord.NotLogError{Msg: "holds no JSON object"}, Fix: fixNotLog}
		case row.Kind == "none":
			return &FileError{Path: p, Err: &ctrecord.NotLogError{Msg: "has no \"Records\" array (or it is null)"}, Fix: fixNotLog}
		}
		row.AccountID, row.Region, row.Size = f.AccountID, f.Region, f.Size
	}
	return nil
}

// sqlPath is the form of a path put in the SQL: absolute, so the SQL stored
// as evidence names the files unambiguously, and slash-separated, which
// DuckDB accepts on every platform and the query's folder pattern expects.
func sqlPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return filepath.ToSlash(p)
}
