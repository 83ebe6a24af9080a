package activity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/queries"
	"github.com/dormant-iam/dormant/tables"
)

// The incremental cache keeps, for every (account, day folder) the engine
// has read, the aggregate of that folder's records: coverage per account and
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
	cacheFormat  = 1
	rulesVersion = 1
	cacheSubdir  = "activity-v1"
)

// cacheManifest sits beside a day's Parquet file and says what it holds.
type cacheManifest struct {
	Format      int     `json:"format"`
	Account     string  `json:"account"`
	Day         string  `json:"day"`
	Fingerprint string  `json:"fingerprint"` // of the rules and the day's files
	Files       int     `json:"files"`
	Bytes       int64   `json:"bytes"`
	JSONBytes   int64   `json:"json_bytes"`     // of the files' JSON text
	MaxJSON     int64   `json:"max_json_bytes"` // the largest file's JSON text
	Buckets     []int64 `json:"buckets"`        // event-time buckets with principal rows
	Parquet     string  `json:"parquet_sha256"` // of the Parquet file beside it
	Rows        int     `json:"rows"`
}

// cacheRow is one row of a day's Parquet file: a coverage row (Kind
// "coverage") or a principal's aggregate in one bucket (Kind "principal").
type cacheRow struct {
	Kind        string `arrow:"kind"`
	AccountID   string `arrow:"account_id"`
	PrincipalID string `arrow:"principal_id"`
	ARNKey      string `arrow:"arn_key"`
	Bucket      int64  `arrow:"bucket"`
	Region      string `arrow:"region"`

	HasTime     bool      `arrow:"has_time"`
	FirstRecord time.Time `arrow:"first_record"`
	LastRecord  time.Time `arrow:"last_record"`
	Records     int64     `arrow:"records"`

	HasUse     bool      `arrow:"has_use"`
	FirstUse   time.Time `arrow:"first_use"`
	LastUse    time.Time `arrow:"last_use"`
	UseIDs     []string  `arrow:"use_event_ids"`
	ConsoleIDs []string  `arrow:"console_login_event_ids"`
	FailedIDs  []string  `arrow:"failed_login_event_ids"`
	HasFailed  bool      `arrow:"has_failed"`
	LastFailed time.Time `arrow:"last_failed_login"`
	KeyIDs     []string  `arrow:"access_key_ids"`

	HasLatest    bool      `arrow:"has_latest"`
	LatestTime   time.Time `arrow:"latest_time"`
	LatestID     string    `arrow:"latest_event_id"`
	LatestName   string    `arrow:"latest_event_name"`
	LatestSource string    `arrow:"latest_event_source"`
	LatestIP     string    `arrow:"latest_source_ip"`
	LatestRegion string    `arrow:"latest_region"`

	HasARN  bool      `arrow:"has_arn"`
	ARNTime time.Time `arrow:"arn_time"`
	ARNID   string    `arrow:"arn_event_id"`
	ARN     string    `arrow:"arn"`

	HasUser  bool      `arrow:"has_user_name"`
	UserTime time.Time `arrow:"user_name_time"`
	UserID   string    `arrow:"user_name_event_id"`
	UserName string    `arrow:"user_name"`
}

// cacheUnit is one (account, day folder) and its files.
type cacheUnit struct {
	account string
	day     time.Time
	files   []LogFile
	bytes   int64
	fp      string
	rows    []cacheRow // the cached aggregate, on a hit
	hit     bool
}

// cacheStats says what a cached run did, for the log and the evidence.
type cacheStats struct {
	units, hits, rescans int
	filesRead            int
	bytesRead            int64
}

func cacheNote(st cacheStats) string {
	return fmt.Sprintf("-- Incremental: %d of %d day folders (account and day) came from the activity cache,\n"+
		"-- computed by earlier runs from files with the same names, sizes and modification\n"+
		"-- times (or S3 ETags); %d were read (%d of them again because the window's edge\n"+
		"-- falls inside their events' days): %d files, %d bytes.\n",
		st.hits, st.units, st.units-st.hits, st.rescans, st.filesRead, st.bytesRead)
}

// cachedScan computes res from the cache and the day folders that changed.
func (l *Local) cachedScan(ctx context.Context, q Query, files []LogFile, res *Result) (scanStats, error) {
	var cs cacheStats
	st := scanStats{cache: &cs}
	base := filepath.Join(l.cacheDir, cacheSubdir)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return st, fmt.Errorf("creating the activity cache %s: %w; choose another --cache folder", l.cacheDir, err)
	}
	rules, err := rulesFingerprint()
	if err != nil {
		return st, err
	}
	w := newWindow(q)
	units := l.cacheUnits(files, rules)
	cs.units = len(units)

	// Hits first: a hit holding events in a bucket the window cuts through
	// is scanned again.
	var toScan []*cacheUnit
	for _, u := range units {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("reading the activity cache: %w", err)
		}
		man, rows, ok := l.loadUnit(base, u)
		if ok && !slices.ContainsFunc(man.Buckets, func(b int64) bool { return w.bucketIn(b) == 0 }) {
			u.rows, u.hit = rows, true
			cs.hits++
			st.maxJSON = max(st.maxJSON, man.MaxJSON)
			continue
		}
		if ok {
			cs.rescans++
		}
		toScan = append(toScan, u)
		cs.filesRead += len(u.files)
		cs.bytesRead += u.bytes
	}
	l.log.Info("activity cache", "dir", l.cacheDir, "day_folders", len(units), "cached", cs.hits,
		"to_read", len(toScan), "edge_rescans", cs.rescans, "files", cs.filesRead, "bytes", cs.bytesRead)

	final := newAggregator(w, false)
	for _, u := range units {
		if u.hit {
			final.mergeRows(u.rows, w)
			u.rows = nil
		}
	}
	prog := newProgress(l.progress, l.log, cs.filesRead, cs.bytesRead)
	prog.start()
	defer prog.finish()
	for _, u := range toScan {
		agg, ust, err := l.scanFiles(ctx, u.files, w, true, prog)
		st.add(ust)
		if err != nil {
			return st, err
		}
		rows := agg.cacheRows()
		if err := l.storeUnit(base, u, rows, ust); err != nil {
			return st, err
		}
		final.mergeRows(rows, w)
		for _, e := range agg.edge.users {
			final.mergeUser(e)
		}
	}
	final.result(res)
	return st, nil
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
	for _, u := range units {
		slices.SortFunc(u.files, func(a, b LogFile) int { return strings.Compare(a.Path, b.Path) })
		h := sha256.New()
		h.Write(rules)
		for _, f := range u.files {
			rel, err := filepath.Rel(l.root, f.Path)
			if err != nil {
				rel = f.Path
			}
			fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), f.Size)
			if etag, ok := l.fileETag(f.Path); ok {
				fmt.Fprintf(h, "etag:%s\n", etag)
			} else {
				fmt.Fprintf(h, "mtime:%d\n", f.ModTime.UnixNano())
			}
		}
		u.fp = hex.EncodeToString(h.Sum(nil))
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

func (l *Local) unitPaths(base string, u *cacheUnit) (parquet, manifest string) {
	stem := filepath.Join(base, u.account, u.day.Format("2006"), u.day.Format("01"), u.day.Format("02"))
	return stem + ".parquet", stem + ".json"
}

// loadUnit reads a unit's cached aggregate if it is current: the manifest
// matches the unit's fingerprint and the Parquet file its hash. Anything
// else (missing, stale, damaged) is a miss, logged when unexpected.
func (l *Local) loadUnit(base string, u *cacheUnit) (cacheManifest, []cacheRow, bool) {
	pq, mf := l.unitPaths(base, u)
	var man cacheManifest
	raw, err := os.ReadFile(mf)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.log.Warn("activity cache: reading a manifest; the day is read again", "path", mf, "err", err)
		}
		return man, nil, false
	}
	if err := json.Unmarshal(raw, &man); err != nil || man.Format != cacheFormat {
		l.log.Warn("activity cache: a manifest is damaged or of another format; the day is read again", "path", mf, "err", err)
		return man, nil, false
	}
	if man.Fingerprint != u.fp {
		return man, nil, false // the day's files changed, or the rules did
	}
	data, err := os.ReadFile(pq)
	if err == nil {
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != man.Parquet {
			err = errors.New("its hash does not match the manifest")
		}
	}
	var rows []cacheRow
	if err == nil {
		rows, err = tables.DecodeParquet[cacheRow](bytes.NewReader(data))
	}
	if err != nil {
		l.log.Warn("activity cache: a day's aggregate is unreadable; the day is read again", "path", pq, "err", err)
		return man, nil, false
	}
	return man, rows, true
}

// storeUnit writes a unit's aggregate: the Parquet file, then the manifest
// that makes it current.
func (l *Local) storeUnit(base string, u *cacheUnit, rows []cacheRow, st scanStats) error {
	pq, mf := l.unitPaths(base, u)
	var buf bytes.Buffer
	if err := tables.EncodeParquet(&buf, rows); err != nil {
		return fmt.Errorf("encoding the activity cache's aggregate of %s %s: %w", u.account, u.day.Format(time.DateOnly), err)
	}
	sum := sha256.Sum256(buf.Bytes())
	man := cacheManifest{
		Format: cacheFormat, Account: u.account, Day: u.day.Format(time.DateOnly), Fingerprint: u.fp,
		Files: len(u.files), Bytes: u.bytes, JSONBytes: st.jsonBytes, MaxJSON: st.maxJSON,
		Parquet: hex.EncodeToString(sum[:]), Rows: len(rows),
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		if r.Kind == "principal" && !seen[r.Bucket] {
			seen[r.Bucket] = true
			man.Buckets = append(man.Buckets, r.Bucket)
		}
	}
	slices.Sort(man.Buckets)
	js, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the activity cache's manifest: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(pq), 0o755); err != nil {
		return fmt.Errorf("writing the activity cache %s: %w; check the folder or run without --cache", l.cacheDir, err)
	}
	if err := atomicfile.WriteBytes(pq, buf.Bytes()); err != nil {
		return fmt.Errorf("writing the activity cache %s: %w; check the folder or run without --cache", l.cacheDir, err)
	}
	if err := atomicfile.WriteBytes(mf, append(js, '\n')); err != nil {
		return fmt.Errorf("writing the activity cache %s: %w; check the folder or run without --cache", l.cacheDir, err)
	}
	return nil
}

// cacheRows lists a bucketed aggregator's rows for the cache.
func (a *aggregator) cacheRows() []cacheRow {
	rows := make([]cacheRow, 0, len(a.cov)+len(a.users))
	for _, c := range a.cov {
		r := cacheRow{Kind: "coverage", AccountID: c.account, Region: c.region, Records: c.records, HasTime: c.hasTime}
		if c.hasTime {
			r.FirstRecord, r.LastRecord = microTime(c.first), microTime(c.last)
		}
		rows = append(rows, r)
	}
	for _, u := range a.users {
		r := cacheRow{
			Kind: "principal", AccountID: u.account, PrincipalID: u.principalID, ARNKey: u.arnKey, Bucket: u.bucket,
			HasUse: u.hasUse, UseIDs: u.use.strings(), ConsoleIDs: u.console.strings(), FailedIDs: u.failed.strings(),
			HasFailed: u.hasFailed, KeyIDs: slices.Sorted(slices.Values(u.keys)),
			HasLatest: u.latest.has, HasARN: u.arn.has, HasUser: u.user.has,
		}
		if u.hasUse {
			r.FirstUse, r.LastUse = microTime(u.firstUse), microTime(u.lastUse)
		}
		if u.hasFailed {
			r.LastFailed = microTime(u.lastFailed)
		}
		if u.latest.has {
			r.LatestTime, r.LatestID = microTime(u.latest.t), string(u.latest.id)
			r.LatestName, r.LatestSource = string(u.latest.name), string(u.latest.source)
			r.LatestIP, r.LatestRegion = string(u.latest.ip), string(u.latest.region)
		}
		if u.arn.has {
			r.ARNTime, r.ARNID, r.ARN = microTime(u.arn.t), string(u.arn.id), string(u.arn.v)
		}
		if u.user.has {
			r.UserTime, r.UserID, r.UserName = microTime(u.user.t), string(u.user.id), string(u.user.v)
		}
		rows = append(rows, r)
	}
	// A stable order makes the file's bytes depend only on its content.
	slices.SortFunc(rows, func(a, b cacheRow) int {
		return strings.Compare(a.sortKey(), b.sortKey())
	})
	return rows
}

func (r *cacheRow) sortKey() string {
	return r.Kind + "\x00" + r.AccountID + "\x00" + r.Region + "\x00" + r.PrincipalID + "\x00" + r.ARNKey +
		"\x00" + strconv.FormatInt(r.Bucket, 16)
}

// userAggOf is the aggregate a principal row holds.
func userAggOf(r *cacheRow) *userAgg {
	u := &userAgg{
		account: r.AccountID, principalID: r.PrincipalID, arnKey: r.ARNKey, bucket: r.Bucket,
		hasUse: r.HasUse, use: idSetOf(r.UseIDs), console: idSetOf(r.ConsoleIDs), failed: idSetOf(r.FailedIDs),
		hasFailed: r.HasFailed, keys: slices.Clone(r.KeyIDs),
	}
	if r.HasUse {
		u.firstUse, u.lastUse = r.FirstUse.UnixMicro(), r.LastUse.UnixMicro()
	}
	if r.HasFailed {
		u.lastFailed = r.LastFailed.UnixMicro()
	}
	if r.HasLatest {
		u.latest.set(r.LatestTime.UnixMicro(), []byte(r.LatestID))
		u.latest.name, u.latest.source = []byte(r.LatestName), []byte(r.LatestSource)
		u.latest.ip, u.latest.region = []byte(r.LatestIP), []byte(r.LatestRegion)
	}
	if r.HasARN {
		u.arn.set(r.ARNTime.UnixMicro(), []byte(r.ARNID))
		u.arn.v = []byte(r.ARN)
	}
	if r.HasUser {
		u.user.set(r.UserTime.UnixMicro(), []byte(r.UserID))
		u.user.v = []byte(r.UserName)
	}
	return u
}

// mergeRows folds a unit's cached rows into a (non-bucketed) aggregator:
// every coverage row, and the principal rows of buckets inside w.
func (a *aggregator) mergeRows(rows []cacheRow, w window) {
	for i := range rows {
		r := &rows[i]
		switch r.Kind {
		case "coverage":
			c := &covAgg{account: r.AccountID, region: r.Region, records: r.Records, hasTime: r.HasTime}
			if r.HasTime {
				c.first, c.last = r.FirstRecord.UnixMicro(), r.LastRecord.UnixMicro()
			}
			k := r.AccountID + "\x00" + r.Region
			if have := a.cov[k]; have != nil {
				have.merge(c)
			} else {
				a.cov[k] = c
			}
		case "principal":
			if w.bucketIn(r.Bucket) == 1 {
				a.mergeUser(userAggOf(r))
			}
		}
	}
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
