package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/queries"
)

// The incremental cache keeps, for every (account, day folder) the engine
// has read, the aggregate of its records: coverage per account and
// region, and per principal and event-time bucket the same running
// aggregate a scan keeps (first and last use, eventIDs for the distinct
// counts, latest use, failed sign-ins, AKIA keys, latest ARN and name). A
// run reuses a day's aggregate when the day's files have the same names,
// sizes and modification times (or S3 ETags, see WithETags) as when it was
// computed, and scans only the days that changed.
//
// Aggregates do not depend on the window: event times are bucketed per UTC
// day, with each midnight instant in a bucket of its own, and a run merges
// the buckets inside its window. A window whose start and end are midnights
// (the usual as-of) is a union of whole buckets, so the merged tables are
// identical to a full scan's. When an edge falls inside a day, the buckets it
// cuts through need each event's time: the days whose aggregates hold events
// in them are scanned again (and their aggregates refreshed), and only their
// events inside the window count. The eventIDs kept per bucket let the merge
// count an event delivered twice, in two day folders, once.
//
// On disk, one Parquet file per day holds the aggregates of every account's
// folder for that day, and a JSON manifest beside it the fingerprint of each
// account's files: a run then opens one file per day whatever the number of
// accounts, and a change in one account's folder recomputes only that
// account's aggregate (the day's file is rewritten with the others' rows).
// Files are replaced atomically but not synced: after a crash, a cache file
// whose checksum does not match its manifest is recomputed. Rollups of
// 8-day blocks (rollup.go) spare a warm run most of the per-file cost.
//
//	DIR/activity-v1/YYYY/MM/DD.parquet, .json    a day's aggregates, and its manifest
//	DIR/activity-v1/blocks/YYYY-MM-DD.parquet, .json    a block's rollup (its first day)

// WithCache keeps per-day aggregates under dir (created if needed) and reads
// only the day folders whose files changed since they were computed. The
// tables are identical to a run without the cache. It needs the Go scanner.
func WithCache(dir string) LocalOption {
	return func(l *Local) { l.cacheDir = dir }
}

// WithETags gives the cache each log file's S3 ETag (e.g. from the index an
// S3 sync keeps), used in place of its modification time to tell whether a
// file changed: a re-download of the same object then keeps its day's
// aggregate. etag returns false for a file it does not know.
func WithETags(etag func(path string) (string, bool)) LocalOption {
	return func(l *Local) { l.etag = etag }
}

// cacheFormat is the layout of the cached rows; rulesVersion changes when
// the Go rules change without their SQL changing (the SQL's own text is part
// of every fingerprint). Either change makes every cached day stale.
const (
	cacheFormat  = 4 // 2: coverage by hour; 3: file rows (the log files table); 4: their SHA-256, for the digests
	rulesVersion = 2 // 2: records skipped and counted per file (issue 13)
	cacheSubdir  = "activity-v1"
)

// dayManifest sits beside a day's Parquet file and says what it holds.
type dayManifest struct {
	Format   int                      `json:"format"`
	Day      string                   `json:"day"`
	Parquet  string                   `json:"parquet_crc32c"` // of the Parquet file beside it: a torn write shows
	Rows     int                      `json:"rows"`
	Accounts map[string]*accountEntry `json:"accounts"` // by account folder
}

// accountEntry is one account folder's aggregate in a day's file.
type accountEntry struct {
	Fingerprint string  `json:"fingerprint"` // of the rules and the folder's files
	Files       int     `json:"files"`
	Bytes       int64   `json:"bytes"`
	JSONBytes   int64   `json:"json_bytes"`     // of the files' JSON text
	MaxJSON     int64   `json:"max_json_bytes"` // the largest file's JSON text
	Buckets     []int64 `json:"buckets"`        // event-time buckets with principal rows
	Rows        int     `json:"rows"`
}

// cacheUnit is one (account, day folder) and its files.
type cacheUnit struct {
	account string
	day     time.Time
	files   []LogFile
	bytes   int64
	fp      string
}

// cacheDay is one day folder's units, and what the cache holds for them.
type cacheDay struct {
	day   time.Time
	units []*cacheUnit
	man   *dayManifest
	scan  []*cacheUnit // units to read
	// rolled: a current block rollup holds the day; its file is not read.
	rolled bool
	// keep: the day's rows are needed after reading (to rewrite the day, or
	// to build its block's rollup).
	keep bool
	rows []cacheRow  // the day's rows, when kept
	agg  *aggregator // the current units' aggregates, inside the window
	// watch is the day's watch candidates for the run's filter (watchcache.go);
	// nil when the run watches nobody.
	watch *dayWatch
}

// readCacheDay reads a day's Parquet file, if the run needs it, and merges
// the rows of its current units. An unreadable file makes every unit of
// the day one to read again.
func (l *Local) readCacheDay(base string, d *cacheDay, w window) {
	if d.rolled {
		return
	}
	cached := map[string]bool{}
	for _, u := range d.units {
		if !slices.Contains(d.scan, u) {
			cached[u.account] = true
		}
	}
	// The day's file is read when it holds a current aggregate, or rows of
	// accounts this run does not read, which its rewrite must keep.
	need := len(cached) > 0
	for acct := range d.man.Accounts {
		if !slices.ContainsFunc(d.units, func(u *cacheUnit) bool { return u.account == acct }) {
			need = need || len(d.scan) > 0
		}
	}
	if !need {
		return
	}
	pq, _ := dayPaths(base, d.day)
	rows, err := l.loadRows(pq, d.man.Parquet)
	if err == nil {
		d.agg = newAggregator(w, false)
		err = d.agg.mergeRows(rows, w, cached)
	}
	if err != nil {
		l.log.Warn("activity cache: a day's aggregates are unreadable; the day is read again",
			"day", d.day.Format(time.DateOnly), "err", err)
		d.man = &dayManifest{Accounts: map[string]*accountEntry{}}
		d.scan, d.agg = d.units, nil
		return
	}
	if d.keep || len(d.scan) > 0 {
		d.rows = rows
	}
}

// cacheStats says what a cached run did, for the log and the evidence.
type cacheStats struct {
	units, hits, rescans int
	filesRead            int
	bytesRead            int64
	rollups, built       int // block rollups read, and built
	rolled               int // day folders read through rollups
	watchReads           int // day folders read again for their watch candidates
}

func cacheNote(st cacheStats) string {
	return fmt.Sprintf("-- Incremental: %d of %d day folders (account and day) came from the activity cache,\n"+
		"-- computed by earlier runs from files with the same names, sizes and modification\n"+
		"-- times (or S3 ETags), %d of them through %d rollups of %d days; %d were read (%d of\n"+
		"-- them again because the window's edge falls inside their events' days, %d because\n"+
		"-- the cache held no watch candidates for these watch targets): %d files, %d bytes.\n",
		st.hits, st.units, st.rolled, st.rollups, blockDays, st.units-st.hits, max(0, st.rescans-st.watchReads), st.watchReads,
		st.filesRead, st.bytesRead)
}

// cachedScan computes the run's aggregate from the cache and the day
// folders that changed: it reads the manifests, then (several at a time)
// the block rollups and day files the window needs, scans the changed
// folders a day at a time and rewrites those days, and finally builds the
// rollups of blocks that became complete.
func (l *Local) cachedScan(ctx context.Context, q activity.Query, files []LogFile) (*aggregator, scanStats, error) {
	var cs cacheStats
	st := scanStats{cache: &cs}
	base := filepath.Join(l.cacheDir, cacheSubdir)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, st, fmt.Errorf("creating the activity cache %s: %w; choose another --cache folder", l.cacheDir, err)
	}
	rules, err := rulesFingerprint()
	if err != nil {
		return nil, st, err
	}
	w := newWindow(q)
	units := l.cacheUnits(files, rules)
	cs.units = len(units)
	var days []*cacheDay
	for _, u := range units {
		if len(days) == 0 || !days[len(days)-1].day.Equal(u.day) {
			days = append(days, &cacheDay{day: u.day})
		}
		d := days[len(days)-1]
		d.units = append(d.units, u)
	}

	// Which folders are current: the fingerprint matches, and no bucket of
	// the aggregate is cut by the window's edges.
	for _, d := range days {
		if err := ctx.Err(); err != nil {
			return nil, st, fmt.Errorf("reading the activity cache: %w", err)
		}
		d.man = l.loadManifest(base, d.day)
		for _, u := range d.units {
			e := d.man.Accounts[u.account]
			if e == nil || e.Fingerprint != u.fp || slices.ContainsFunc(e.Buckets, func(b int64) bool { return w.bucketIn(b) == 0 }) {
				d.scan = append(d.scan, u)
			}
		}
	}
	// A folder whose watch candidates this filter lacks is read again.
	var watchDir string
	if w.watch != nil {
		if watchDir, err = watchCacheDir(base, w.watch); err != nil {
			return nil, st, err
		}
		for _, d := range days {
			d.watch = l.loadDayWatch(watchDir, d.day)
			for _, u := range d.units {
				if e := d.watch.Accounts[u.account]; (e == nil || e.Fingerprint != u.fp) && !slices.Contains(d.scan, u) {
					d.scan = append(d.scan, u)
					cs.watchReads++
				}
			}
		}
	}
	first, last := q.ReadDays()
	blocks := l.planBlocks(base, days, first, last, w)

	// Read the rollups and the days they do not cover, several at a time.
	type task struct {
		d *cacheDay
		b *cacheBlock
	}
	var tasks []task
	for _, b := range blocks {
		if b.use {
			tasks = append(tasks, task{b: b})
		}
	}
	for _, d := range days {
		tasks = append(tasks, task{d: d})
	}
	// Each reader folds what it read into its own aggregates at once, so
	// memory holds one aggregate per reader, not one per block and day (at
	// 100,000 users that was 600 MB of per-day copies of the same
	// principals). Merging is order-independent, as the full scan's
	// per-thread aggregates already rely on.
	var next atomic.Int64
	var wg sync.WaitGroup
	readers := make([]*aggregator, max(1, min(l.threads, len(tasks))))
	for r := range readers {
		mine := newAggregator(w, false)
		readers[r] = mine
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				if t := tasks[i]; t.b != nil {
					l.readBlock(base, t.b, w)
					if t.b.agg != nil {
						mine.merge(t.b.agg)
						t.b.agg, t.b.merged = nil, true
					}
				} else {
					l.readCacheDay(base, t.d, w)
					if t.d.agg != nil {
						mine.merge(t.d.agg)
						t.d.agg = nil
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, st, fmt.Errorf("reading the activity cache: %w", err)
	}
	final := readers[0]
	for _, r := range readers[1:] {
		final.merge(r)
	}
	for _, b := range blocks {
		if b.merged {
			cs.rollups++
		} else if b.use {
			// Unreadable (readBlock logged it): its days are read now.
			for _, d := range b.days {
				d.rolled = false
				l.readCacheDay(base, d, w)
			}
		}
	}
	for _, d := range days {
		for _, u := range d.units {
			if slices.Contains(d.scan, u) {
				cs.filesRead += len(u.files)
				cs.bytesRead += u.bytes
				if e := d.man.Accounts[u.account]; e != nil && e.Fingerprint == u.fp {
					cs.rescans++
				}
			} else {
				cs.hits++
				if d.rolled {
					cs.rolled++
				}
				if d.watch != nil {
					if e := d.watch.Accounts[u.account]; e != nil { // always: a unit without it was read
						final.watch = append(final.watch, e.Events...)
					}
				}
				st.maxJSON = max(st.maxJSON, d.man.Accounts[u.account].MaxJSON)
			}
		}
		if d.agg != nil {
			final.merge(d.agg)
			d.agg = nil
		}
	}
	l.log.Info("activity cache", "dir", l.cacheDir, "day_folders", len(units), "cached", cs.hits,
		"through_rollups", cs.rolled, "rollups", cs.rollups, "to_read", len(units)-cs.hits, "edge_rescans", max(0, cs.rescans-cs.watchReads),
		"watch_reads", cs.watchReads,
		"files", cs.filesRead, "bytes", cs.bytesRead)

	prog := newProgress(l.progress, l.log, cs.filesRead, cs.bytesRead)
	prog.start()
	defer prog.finish()
	for _, d := range days {
		if len(d.scan) == 0 {
			continue
		}
		// Keep the rows of the folders not read again, add the new ones.
		scanned := map[string]bool{}
		for _, u := range d.scan {
			scanned[u.account] = true
		}
		var rows []cacheRow
		for _, r := range d.rows {
			if !scanned[r.Folder] {
				rows = append(rows, r)
			}
		}
		for _, u := range d.scan {
			agg, ust, err := l.scanFiles(ctx, u.files, w, true, prog)
			st.add(ust)
			if err != nil {
				return nil, st, err
			}
			fresh := agg.cacheRows(u.account)
			if err := final.mergeRows(fresh, w, map[string]bool{u.account: true}); err != nil {
				return nil, st, fmt.Errorf("merging the aggregates of %s %s: %w", u.account, u.day.Format(time.DateOnly), err)
			}
			for _, e := range agg.edge.users {
				final.mergeUser(e)
			}
			if d.watch != nil {
				final.watch = append(final.watch, agg.watch...)
				d.watch.Accounts[u.account] = &watchEntry{Fingerprint: u.fp, Events: agg.watch}
			}
			d.man.Accounts[u.account] = &accountEntry{
				Fingerprint: u.fp, Files: len(u.files), Bytes: u.bytes, JSONBytes: ust.jsonBytes, MaxJSON: ust.maxJSON,
				Buckets: bucketsOf(fresh), Rows: len(fresh),
			}
			rows = append(rows, fresh...)
		}
		if err := l.storeDay(base, d.day, d.man, rows); err != nil {
			return nil, st, err
		}
		if d.watch != nil {
			if err := l.storeDayWatch(watchDir, d.day, d.watch); err != nil {
				return nil, st, err
			}
		}
		d.rows = nil
		if d.keep {
			d.rows = rows
		}
	}
	for _, b := range blocks {
		if b.build {
			if err := l.buildBlock(base, b); err != nil {
				return nil, st, err
			}
			cs.built++
		}
	}
	return final, st, nil
}

// cacheUnits groups files by account and day folder, and fingerprints each
// group: the rules, then every file's path below the root, size, and ETag or
// modification time.
func (l *Local) cacheUnits(files []LogFile, rules []byte) []*cacheUnit {
	byKey := map[string]*cacheUnit{}
	var units []*cacheUnit
	for _, f := range files {
		k := f.AccountID + "/" + f.Day.Format(time.DateOnly)
		u := byKey[k]
		if u == nil {
			u = &cacheUnit{account: f.AccountID, day: f.Day}
			byKey[k] = u
			units = append(units, u)
		}
		u.files = append(u.files, f)
		u.bytes += f.Size
	}
	var buf []byte
	for _, u := range units {
		slices.SortFunc(u.files, func(a, b LogFile) int { return strings.Compare(a.Path, b.Path) })
		buf = append(buf[:0], rules...)
		for _, f := range u.files {
			// Discovery joins every path to the root: what follows it
			// names the file wherever the folder is mounted.
			buf = append(buf, filepath.ToSlash(strings.TrimPrefix(f.Path, l.root))...)
			buf = strconv.AppendInt(append(buf, 0), f.Size, 10)
			if etag, ok := l.fileETag(f.Path); ok {
				buf = append(append(buf, "\x00etag:"...), etag...)
			} else {
				buf = strconv.AppendInt(append(buf, "\x00mtime:"...), f.ModTime.UnixNano(), 10)
			}
			buf = append(buf, '\n')
		}
		sum := sha256.Sum256(buf)
		u.fp = hex.EncodeToString(sum[:])
	}
	slices.SortFunc(units, func(a, b *cacheUnit) int {
		if c := a.day.Compare(b.day); c != 0 {
			return c
		}
		return strings.Compare(a.account, b.account)
	})
	return units
}

func (l *Local) fileETag(path string) (string, bool) {
	if l.etag == nil {
		return "", false
	}
	return l.etag(path)
}

// rulesFingerprint identifies the rules: the activity SQL's text (rendered
// for a fixed window and file) and the Go rules' version.
func rulesFingerprint() ([]byte, error) {
	fixed := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	sql, err := queries.Render("local", "activity", queries.Params{Start: fixed, End: fixed, Files: []string{"/f.json.gz"}})
	if err != nil {
		return nil, fmt.Errorf("rendering the activity query for the cache's fingerprint: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "format %d rules %d\n", cacheFormat, rulesVersion)
	h.Write([]byte(sql))
	return h.Sum(nil), nil
}

// dayPaths are the Parquet file and manifest of a day.
func dayPaths(base string, day time.Time) (parquet, manifest string) {
	stem := filepath.Join(base, day.Format("2006"), day.Format("01"), day.Format("02"))
	return stem + ".parquet", stem + ".json"
}

// loadManifest reads a day's manifest; a missing or unreadable one is an
// empty manifest (everything is read again), logged when unexpected.
func (l *Local) loadManifest(base string, day time.Time) *dayManifest {
	_, mf := dayPaths(base, day)
	empty := &dayManifest{Accounts: map[string]*accountEntry{}}
	raw, err := os.ReadFile(mf)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.log.Warn("activity cache: reading a manifest; the day is read again", "path", mf, "err", err)
		}
		return empty
	}
	var man dayManifest
	if err := json.Unmarshal(raw, &man); err != nil || man.Format != cacheFormat || man.Accounts == nil {
		l.log.Warn("activity cache: a manifest is damaged or of another format; the day is read again", "path", mf, "err", err)
		return empty
	}
	return &man
}

// loadRows reads a cache Parquet file, checked against the checksum its
// manifest holds.
func (l *Local) loadRows(path, checksum string) ([]cacheRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if parquetChecksum(data) != checksum {
		return nil, fmt.Errorf("%s does not match its manifest's checksum", path)
	}
	rows, err := decodeCacheRows(data)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return rows, nil
}

// storeDay writes a day's rows, then the manifest that makes them current.
func (l *Local) storeDay(base string, day time.Time, man *dayManifest, rows []cacheRow) error {
	pq, mf := dayPaths(base, day)
	return l.writeCachePair(pq, mf, rows, func(checksum string, n int) any {
		man.Format, man.Day, man.Parquet, man.Rows = cacheFormat, day.Format(time.DateOnly), checksum, n
		return man
	})
}

// writeCachePair writes rows as a Parquet file, then the manifest that
// manifest returns for its checksum and row count, which makes it current.
func (l *Local) writeCachePair(pq, mf string, rows []cacheRow, manifest func(checksum string, rows int) any) error {
	var buf bytes.Buffer
	if err := encodeCacheRows(&buf, rows); err != nil {
		return fmt.Errorf("encoding the activity cache's %s: %w", filepath.Base(pq), err)
	}
	js, err := json.MarshalIndent(manifest(parquetChecksum(buf.Bytes()), len(rows)), "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the activity cache's manifest: %w", err)
	}
	write := func(path string, data []byte) error {
		if err := atomicfile.WriteUnsynced(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return fmt.Errorf("writing the activity cache %s: %w; check the folder or run without --cache", l.cacheDir, err)
		}
		return nil
	}
	if err := write(pq, buf.Bytes()); err != nil {
		return err
	}
	return write(mf, append(js, '\n'))
}
