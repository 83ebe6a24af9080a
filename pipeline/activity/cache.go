package activity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
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

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/queries"
	"github.com/dormant-iam/dormant/tables"
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

// cacheRow is one row of a day's Parquet file: a coverage row (Kind
// "coverage") or a principal's aggregate in one bucket (Kind "principal"),
// computed from the files of account folder Folder. Few columns: reading a
// Parquet file costs per column, and a warm run reads one file per day.
type cacheRow struct {
	Folder      string `arrow:"folder_account"`
	Kind        string `arrow:"kind"`
	AccountID   string `arrow:"account_id"`
	Region      string `arrow:"region"`
	PrincipalID string `arrow:"principal_id"`
	ARNKey      string `arrow:"arn_key"`
	Bucket      int64  `arrow:"bucket"`

	// Flags say which of the times below hold a value (flagFirstLast,
	// flagFailed): a zero time is a valid, if unlikely, eventTime.
	Flags int64 `arrow:"flags"`
	// First and Last are, for coverage, the first and last record; for a
	// principal, the first and last use.
	First   time.Time `arrow:"first_event"`
	Last    time.Time `arrow:"last_event"`
	Records int64     `arrow:"records"` // coverage: records read
	// Hour is a coverage row's cell (see tables.Coverage); zero for a
	// principal.
	Hour time.Time `arrow:"hour"`

	// The eventIDs of the distinct counts: AWS's UUIDs as one string each,
	// sorted, each UUID's 16 bytes in base64 (22 characters, no padding or
	// separator: a string per row reads far faster than a list of
	// millions), and any other eventID in OtherIDs, prefixed with the count
	// it belongs to ("use:", "login:", "failed:").
	UseUUIDs    string   `arrow:"use_event_uuids"`
	LoginUUIDs  string   `arrow:"console_login_event_uuids"`
	FailedUUIDs string   `arrow:"failed_login_event_uuids"`
	OtherIDs    []string `arrow:"other_event_ids"`

	LastFailed time.Time `arrow:"last_failed_login"`
	KeyIDs     []string  `arrow:"access_key_ids"`
	// Latest holds the latest use, ARN and user name with the time and
	// eventID that order them, in encodeLatest's compact text form.
	Latest string `arrow:"latest"`

	// A file row (Kind "file") is the log files table's row of one file
	// read, so a cached day still says what its files held and skipped;
	// Records holds the file's records.
	Path        string `arrow:"path"`
	Size        int64  `arrow:"size"`
	FileKind    string `arrow:"file_kind"`
	Skipped     int64  `arrow:"skipped"`
	SkipReasons string `arrow:"skip_reasons"`
	SHA256      string `arrow:"sha256"` // file rows: the JSON text's hash, checked against the digests
}

const (
	flagFirstLast = 1 << iota
	flagFailed
)

// encodeLatest writes a principal's latest values: for each that is set, a
// letter (U: latest use, A: ARN, N: user name), its time in microseconds,
// and its strings (eventID, then the value or the use's name, source, IP
// and region), each as "<length>:<bytes>".
func encodeLatest(u *userAgg) string {
	var b []byte
	field := func(tag byte, st *stamped, vals ...[]byte) {
		b = append(b, tag)
		b = strconv.AppendInt(b, st.t, 10)
		for _, v := range append([][]byte{st.id}, vals...) {
			b = append(strconv.AppendInt(append(b, ' '), int64(len(v)), 10), ':')
			b = append(b, v...)
		}
	}
	if u.latest.has {
		field('U', &u.latest.stamped, u.latest.name, u.latest.source, u.latest.ip, u.latest.region)
	}
	if u.arn.has {
		field('A', &u.arn.stamped, u.arn.v)
	}
	if u.user.has {
		field('N', &u.user.stamped, u.user.v)
	}
	return string(b)
}

// decodeLatest reads what encodeLatest wrote into u.
func decodeLatest(s string, u *userAgg) error {
	bad := func() error { return fmt.Errorf("latest %q is not in the cache's form", s) }
	str := func() ([]byte, bool) {
		if len(s) == 0 || s[0] != ' ' {
			return nil, false
		}
		n, rest, ok := strings.Cut(s[1:], ":")
		l, err := strconv.Atoi(n)
		if !ok || err != nil || l < 0 || l > len(rest) {
			return nil, false
		}
		s = rest[l:]
		return []byte(rest[:l]), true
	}
	for len(s) > 0 {
		tag := s[0]
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			return bad()
		}
		t, err := strconv.ParseInt(s[1:end], 10, 64)
		if err != nil {
			return bad()
		}
		s = s[end:]
		var st *stamped
		var vals []*[]byte
		switch tag {
		case 'U':
			st, vals = &u.latest.stamped, []*[]byte{&u.latest.name, &u.latest.source, &u.latest.ip, &u.latest.region}
		case 'A':
			st, vals = &u.arn.stamped, []*[]byte{&u.arn.v}
		case 'N':
			st, vals = &u.user.stamped, []*[]byte{&u.user.v}
		default:
			return bad()
		}
		id, ok := str()
		if !ok {
			return bad()
		}
		st.has, st.t, st.id = true, t, id
		for _, v := range vals {
			if *v, ok = str(); !ok {
				return bad()
			}
		}
	}
	return nil
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
}

func cacheNote(st cacheStats) string {
	return fmt.Sprintf("-- Incremental: %d of %d day folders (account and day) came from the activity cache,\n"+
		"-- computed by earlier runs from files with the same names, sizes and modification\n"+
		"-- times (or S3 ETags), %d of them through %d rollups of %d days; %d were read (%d of\n"+
		"-- them again because the window's edge falls inside their events' days): %d files,\n"+
		"-- %d bytes.\n",
		st.hits, st.units, st.rolled, st.rollups, blockDays, st.units-st.hits, st.rescans, st.filesRead, st.bytesRead)
}

// cachedScan computes the run's aggregate from the cache and the day
// folders that changed: it reads the manifests, then (several at a time)
// the block rollups and day files the window needs, scans the changed
// folders a day at a time and rewrites those days, and finally builds the
// rollups of blocks that became complete.
func (l *Local) cachedScan(ctx context.Context, q Query, files []LogFile) (*aggregator, scanStats, error) {
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
				st.maxJSON = max(st.maxJSON, d.man.Accounts[u.account].MaxJSON)
			}
		}
		if d.agg != nil {
			final.merge(d.agg)
			d.agg = nil
		}
	}
	l.log.Info("activity cache", "dir", l.cacheDir, "day_folders", len(units), "cached", cs.hits,
		"through_rollups", cs.rolled, "rollups", cs.rollups, "to_read", len(units)-cs.hits, "edge_rescans", cs.rescans,
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
			d.man.Accounts[u.account] = &accountEntry{
				Fingerprint: u.fp, Files: len(u.files), Bytes: u.bytes, JSONBytes: ust.jsonBytes, MaxJSON: ust.maxJSON,
				Buckets: bucketsOf(fresh), Rows: len(fresh),
			}
			rows = append(rows, fresh...)
		}
		if err := l.storeDay(base, d.day, d.man, rows); err != nil {
			return nil, st, err
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

// parquetChecksum detects a day's file that does not match its manifest
// (a crash between the two writes, a partial copy): CRC-32C, which hardware
// computes at memory speed, rather than a cryptographic hash nobody needs
// here.
func parquetChecksum(b []byte) string {
	return fmt.Sprintf("%08x", crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// encodeCacheRows writes rows as a Parquet file without compression: most
// of a day's bytes are eventIDs, random numbers that do not compress, and a
// warm run decodes every day's file.
func encodeCacheRows(w io.Writer, rows []cacheRow) error {
	rec, err := tables.Encode(memory.NewGoAllocator(), rows)
	if err != nil {
		return err
	}
	defer rec.Release()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Uncompressed))
	fw, err := pqarrow.NewFileWriter(rec.Schema(), w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// decodeCacheRows reads a day's Parquet file in one batch sized to it:
// tables.DecodeParquet's batches of 64k rows would allocate, for each of the
// file's columns, buffers far larger than a day's few thousand rows.
func decodeCacheRows(data []byte) ([]cacheRow, error) {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	n := pf.NumRows()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: max(1, n)}, memory.NewGoAllocator())
	if err != nil {
		return nil, err
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	rows := make([]cacheRow, 0, n)
	for rr.Next() {
		batch, err := tables.Decode[cacheRow](rr.RecordBatch())
		if err != nil {
			return nil, err
		}
		rows = append(rows, batch...)
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
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

// bucketsOf lists the buckets of a folder's principal rows.
func bucketsOf(rows []cacheRow) []int64 {
	var out []int64
	for _, r := range rows {
		if r.Kind == "principal" {
			out = append(out, r.Bucket)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// cacheRows lists a bucketed aggregator's rows for the cache, computed
// from the files of account folder folder.
func (a *aggregator) cacheRows(folder string) []cacheRow {
	rows := make([]cacheRow, 0, len(a.cov)+len(a.users)+len(a.files))
	for _, f := range a.files {
		rows = append(rows, cacheRow{Folder: folder, Kind: "file", AccountID: f.AccountID, Region: f.Region, Records: f.Records,
			Path: f.Path, Size: f.Size, FileKind: f.Kind, Skipped: f.Skipped, SkipReasons: f.SkipReasons, SHA256: f.SHA256})
	}
	for _, c := range a.cov {
		r := cacheRow{Folder: folder, Kind: "coverage", AccountID: c.account, Region: c.region, Hour: microTime(c.hour), Records: c.records}
		if c.hasTime {
			r.Flags |= flagFirstLast
			r.First, r.Last = microTime(c.first), microTime(c.last)
		}
		rows = append(rows, r)
	}
	for _, u := range a.users {
		r := cacheRow{
			Folder: folder, Kind: "principal", AccountID: u.account, PrincipalID: u.principalID, ARNKey: u.arnKey,
			Bucket: u.bucket, KeyIDs: slices.Sorted(slices.Values(u.keys)),
		}
		var others []string
		r.UseUUIDs, others = u.use.encode()
		r.OtherIDs = appendPrefixed(r.OtherIDs, "use:", others)
		r.LoginUUIDs, others = u.console.encode()
		r.OtherIDs = appendPrefixed(r.OtherIDs, "login:", others)
		r.FailedUUIDs, others = u.failed.encode()
		r.OtherIDs = appendPrefixed(r.OtherIDs, "failed:", others)
		if u.hasUse {
			r.Flags |= flagFirstLast
			r.First, r.Last = microTime(u.firstUse), microTime(u.lastUse)
		}
		if u.hasFailed {
			r.Flags |= flagFailed
			r.LastFailed = microTime(u.lastFailed)
		}
		r.Latest = encodeLatest(u)
		rows = append(rows, r)
	}
	// A stable order makes the file's bytes depend only on its content.
	slices.SortFunc(rows, func(a, b cacheRow) int {
		return strings.Compare(a.sortKey(), b.sortKey())
	})
	return rows
}

func appendPrefixed(dst []string, prefix string, ids []string) []string {
	for _, id := range ids {
		dst = append(dst, prefix+id)
	}
	return dst
}

func (r *cacheRow) sortKey() string {
	return r.Kind + "\x00" + r.AccountID + "\x00" + r.Region + "\x00" + r.PrincipalID + "\x00" + r.ARNKey +
		"\x00" + strconv.FormatInt(r.Bucket, 16) + "\x00" + strconv.FormatInt(r.Hour.UnixMicro(), 16) + "\x00" + r.Path
}

// userAggOf is the aggregate a principal row holds.
func userAggOf(r *cacheRow) (*userAgg, error) {
	u := &userAgg{
		account: r.AccountID, principalID: r.PrincipalID, arnKey: r.ARNKey, bucket: r.Bucket,
		keys: slices.Clone(r.KeyIDs),
	}
	var err error
	if u.use, err = decodeIDs(r.UseUUIDs); err != nil {
		return nil, err
	}
	if u.console, err = decodeIDs(r.LoginUUIDs); err != nil {
		return nil, err
	}
	if u.failed, err = decodeIDs(r.FailedUUIDs); err != nil {
		return nil, err
	}
	for _, o := range r.OtherIDs {
		kind, id, _ := strings.Cut(o, ":")
		switch kind {
		case "use":
			u.use.others = append(u.use.others, id)
		case "login":
			u.console.others = append(u.console.others, id)
		case "failed":
			u.failed.others = append(u.failed.others, id)
		default:
			return nil, fmt.Errorf("other_event_ids holds %q, which is none of use:, login: or failed:", o)
		}
	}
	if r.Flags&flagFirstLast != 0 {
		u.hasUse, u.firstUse, u.lastUse = true, r.First.UnixMicro(), r.Last.UnixMicro()
	}
	if r.Flags&flagFailed != 0 {
		u.hasFailed, u.lastFailed = true, r.LastFailed.UnixMicro()
	}
	if err := decodeLatest(r.Latest, u); err != nil {
		return nil, err
	}
	return u, nil
}

// mergeRows folds the cached rows of the account folders in folders into a
// (non-bucketed) aggregator: every coverage row, and the principal rows of
// buckets inside w.
func (a *aggregator) mergeRows(rows []cacheRow, w window, folders map[string]bool) error {
	for i := range rows {
		r := &rows[i]
		if !folders[r.Folder] {
			continue
		}
		switch r.Kind {
		case "coverage":
			c := &covAgg{account: r.AccountID, region: r.Region, hour: r.Hour.UnixMicro(), records: r.Records}
			if r.Flags&flagFirstLast != 0 {
				c.hasTime, c.first, c.last = true, r.First.UnixMicro(), r.Last.UnixMicro()
			}
			k := covKey(r.AccountID, r.Region, c.hour)
			if have := a.cov[k]; have != nil {
				have.merge(c)
			} else {
				a.cov[k] = c
			}
		case "file":
			a.files = append(a.files, tables.LogFile{AccountID: r.AccountID, Region: r.Region, Path: r.Path, Size: r.Size,
				Kind: r.FileKind, Records: r.Records, Skipped: r.Skipped, SkipReasons: r.SkipReasons, SHA256: r.SHA256})
		case "principal":
			if w.bucketIn(r.Bucket) != 1 {
				continue
			}
			u, err := userAggOf(r)
			if err != nil {
				return fmt.Errorf("row %d (%s %s%s): %w", i+1, r.AccountID, r.PrincipalID, r.ARNKey, err)
			}
			a.mergeUser(u)
		default:
			return fmt.Errorf("row %d has kind %q, none of coverage, principal or file", i+1, r.Kind)
		}
	}
	return nil
}

// mergeUser folds a principal's aggregate (of any bucket) into a's
// window-wide aggregate of that principal.
func (a *aggregator) mergeUser(u *userAgg) {
	k := u.account + "\x00" + u.principalID + "\x00" + u.arnKey
	if have := a.users[k]; have != nil {
		have.merge(u)
		return
	}
	c := &userAgg{account: u.account, principalID: u.principalID, arnKey: u.arnKey}
	c.merge(u)
	a.users[k] = c
}
