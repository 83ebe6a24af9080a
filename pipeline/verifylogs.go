package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/tables"
)

// `dormant verify OUT --logs DIR|s3://` (issue 14 item 3): the auditor's
// copy of the trail's logs against the bundle. Every file the log files
// table lists is found by its AWSLogs/ key (the table's paths are the run
// machine's), re-hashed and compared; a file in the window's folders that
// the table does not list is named; then the local engine recomputes the
// activity and coverage tables from those logs and they are compared row
// by row with the bundle's.

// VerifyLogsOptions say where the logs are and how to reach them.
type VerifyLogsOptions struct {
	// Logs is the folder holding AWSLogs/ (or a synced bucket), or
	// s3://bucket/[prefix/] to sync the window's day folders first.
	Logs string
	// CacheDir is where an s3:// source is synced (local.DefaultCacheDir
	// when empty).
	CacheDir string
	// Profile, Region and EndpointURL configure AWS access for s3:// the way
	// a run's flags do (LoadAWSConfig).
	Profile, Region, EndpointURL string
	// S3, when set, is used instead of a client built from the settings
	// above (tests).
	S3 local.S3SyncAPI
	// MaxLogFileSize bounds one file's JSON text (<= 0: the engine's default).
	MaxLogFileSize int64
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// maxRowProblems bounds the differing rows named per table; the rest are
// counted, so that a wholly different copy does not print every row.
const maxRowProblems = 20

// VerifyLogs adds to v (a bundle Verify has checked) what the logs at
// opts.Logs show: every listed file present with its size and SHA-256, no
// unlisted file in the window's folders, and the same activity and coverage
// recomputed from them. The error is for logs that cannot be reached at all.
func VerifyLogs(ctx context.Context, v *Verification, opts VerifyLogsOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	var rec RunRecord
	data, err := os.ReadFile(filepath.Join(v.Dir, RunFile))
	if err != nil {
		return fmt.Errorf("reading %s for --logs: %w", RunFile, err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("parsing %s for --logs: %w", filepath.Join(v.Dir, RunFile), err)
	}
	if rec.WindowStart.IsZero() || rec.AsOf.IsZero() {
		return fmt.Errorf("reading %s for --logs: it has no window_start or as_of, so the window the run read is not known", filepath.Join(v.Dir, RunFile))
	}
	q := runQuery(&rec)

	root := opts.Logs
	if strings.HasPrefix(opts.Logs, "s3://") {
		client := opts.S3
		if client == nil {
			cfg, err := LoadAWSConfig(ctx, opts.Profile, opts.Region, opts.EndpointURL)
			if err != nil {
				return fmt.Errorf("reaching S3 for --logs %s: %w", opts.Logs, err)
			}
			client = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = opts.EndpointURL != "" })
		}
		synced, err := local.SyncS3(ctx, client, opts.Logs, opts.CacheDir, q,
			local.SyncOptions{Logger: log, MaxObjectSize: opts.MaxLogFileSize})
		if err != nil {
			return fmt.Errorf("syncing --logs %s: %w", opts.Logs, err)
		}
		root = synced.Root
	}

	// Without the table (unreadable, or an engine that reads no files one
	// by one) there is nothing to compare the files with, and naming every
	// file as unlisted would bury the one problem that matters.
	switch listed, counted, err := readLogFiles(v.Dir, rec.Settings.Engine); {
	case err != nil:
		v.problem("%v", err)
	case !counted:
		v.problem("%s: the bundle has none (its engine, %s, reads no files one by one), so the files the run read cannot be compared with %s",
			LogFilesTable, rec.Settings.Engine, opts.Logs)
	default:
		if err := compareLogFiles(ctx, v, root, opts, q, listed); err != nil {
			return err
		}
	}
	// The watch is re-derived for the users the stored inventory shows as
	// deactivated, as the run derived its targets.
	users, err := tables.ReadParquet[tables.User](filepath.Join(v.Dir, filepath.FromSlash(InventoryTable)))
	if err != nil {
		v.problem("%s: %v (the watch is not recomputed)", InventoryTable, err)
	} else {
		keys, err := readAccessKeys(v.Dir)
		if err != nil {
			v.problem("%v (the watch is recomputed without key IDs)", err)
		}
		q.Watch = watchTargets(users, keys)
	}
	recomputeActivity(ctx, v, root, opts, q, rec.Settings.Engine, log)
	return nil
}

// runQuery is the activity query the run made, from its record: the window
// and every account's logs, as state.query builds it.
func runQuery(rec *RunRecord) activity.Query {
	return activity.Query{Start: rec.WindowStart, End: rec.AsOf}
}

// logsKey is a path's part from its AWSLogs/ folder on: how the run's
// paths and the auditor's copy (or an S3 key) name the same object.
func logsKey(p string) (string, bool) {
	p = filepath.ToSlash(p)
	if strings.HasPrefix(p, "AWSLogs/") {
		return p, true
	}
	i := strings.LastIndex(p, "/AWSLogs/")
	if i < 0 {
		return "", false
	}
	return p[i+1:], true
}

// listedFile is what the bundle says of one AWSLogs key.
type listedFile struct {
	kind   string
	absent bool   // the run found it missing (a digest lists it)
	size   int64  // bytes the run read
	sha256 string // empty: the run did not hash it (taken from its scan cache)
	digest string // the digest that lists it, if any
}

// compareLogFiles re-hashes every file listed and names every file of the
// window's folders that is not listed.
func compareLogFiles(ctx context.Context, v *Verification, root string, opts VerifyLogsOptions, q activity.Query, rows []tables.LogFile) error {
	logs, err := local.DiscoverFiles(ctx, root, q)
	if err != nil {
		return fmt.Errorf("listing the log files in --logs %s: %w", opts.Logs, err)
	}
	digests, err := local.DiscoverDigests(ctx, root, q)
	if err != nil {
		return fmt.Errorf("listing the digest files in --logs %s: %w", opts.Logs, err)
	}
	present := map[string]string{} // key -> path in the auditor's copy
	for _, f := range slices.Concat(logs, digests) {
		if k, ok := logsKey(f.Path); ok {
			present[k] = f.Path
		}
	}

	want := map[string]listedFile{}
	for _, r := range rows {
		k, ok := logsKey(r.Path)
		if !ok {
			v.problem("%s: %s is not under an AWSLogs/ folder, so it cannot be found in %s", LogFilesTable, r.Path, opts.Logs)
			continue
		}
		lf := listedFile{kind: r.Kind, size: r.Size, sha256: r.SHA256, digest: r.Digest}
		switch {
		case r.Verification == tables.VerificationMissing:
			lf.absent = true
		case r.Kind == tables.LogFileKindDigest && r.SHA256 == "" && r.Size == 0:
			// A chain gap noted for a digest the run did not read.
			continue
		}
		// A key listed twice (a digest with a chain issue) is checked by the
		// row that says what the run read.
		if old, seen := want[k]; seen && (old.sha256 != "" || old.size > 0) && !old.absent {
			continue
		}
		want[k] = lf
	}

	// Hash the listed files present, several at a time.
	type hashed struct {
		sum  string
		size int64
		err  error
	}
	var toHash []string
	for k, lf := range want {
		if _, ok := present[k]; ok && !lf.absent {
			toHash = append(toHash, k)
		}
	}
	slices.Sort(toHash)
	sums := make([]hashed, len(toHash))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(toHash))) {
		wg.Go(func() {
			for i := range jobs {
				s, n, err := local.HashLogFile(present[toHash[i]], opts.MaxLogFileSize)
				sums[i] = hashed{s, n, err}
			}
		})
	}
	for i := range toHash {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("hashing the files in --logs %s: %w", opts.Logs, err)
	}

	var nLogs, nDigests, unhashed int
	for i, k := range toHash {
		lf, h := want[k], sums[i]
		if lf.kind == tables.LogFileKindDigest {
			nDigests++
		} else {
			nLogs++
		}
		switch {
		case h.err != nil:
			v.problem("logs: %s cannot be read in %s: %v", k, opts.Logs, h.err)
		case h.size != lf.size:
			v.problem("logs: %s was changed: %d bytes in %s, but the run read %d bytes (SHA-256 %s)", k, h.size, opts.Logs, lf.size, lf.sha256)
		case lf.sha256 == "":
			unhashed++ // the run did not hash it: its size is all there is to compare
		case h.sum != lf.sha256:
			v.problem("logs: %s was changed: its SHA-256 in %s is %s, but the run read %s", k, opts.Logs, h.sum, lf.sha256)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		lf := want[k]
		_, ok := present[k]
		switch {
		case !ok && !lf.absent:
			v.problem("logs: %s is missing from %s: the run read it (%d bytes, SHA-256 %s)", k, opts.Logs, lf.size, lf.sha256)
		case ok && lf.absent:
			v.problem("logs: %s is in %s, but the run found it missing (listed by digest %s): these are not the logs the run read", k, opts.Logs, lf.digest)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(present)) {
		if _, ok := want[k]; !ok {
			v.problem("logs: %s is in the window's folders in %s, but not in the bundle's %s: the run did not read it", k, opts.Logs, LogFilesTable)
		}
	}
	msg := fmt.Sprintf("%d log files and %d digest files the bundle lists re-hashed from %s: size and SHA-256 as the run read them, and no other file in the window's folders", nLogs, nDigests, opts.Logs)
	if unhashed > 0 {
		msg += fmt.Sprintf(" (%d listed without a SHA-256, taken from the run's scan cache or read by a scanner that did not hash: size only)", unhashed)
	}
	v.Checked = append(v.Checked, msg)
	return nil
}

// recomputeActivity runs the local engine over the logs for the run's
// window and compares its activity and coverage with the bundle's tables.
func recomputeActivity(ctx context.Context, v *Verification, root string, opts VerifyLogsOptions, q activity.Query, engine string, log *slog.Logger) {
	eng := local.NewLocal(root, local.WithLogger(log), local.WithMaxLogFileSize(opts.MaxLogFileSize))
	res, err := eng.Run(ctx, q)
	if err != nil {
		v.problem("recomputing activity and coverage from %s: %v", opts.Logs, err)
		return
	}
	act, err := tables.ReadParquet[tables.Activity](filepath.Join(v.Dir, filepath.FromSlash(ActivityTable)))
	if err != nil {
		v.problem("%s: %v", ActivityTable, err)
	} else {
		diffRows(v, ActivityTable, opts.Logs, act, res.Activity, func(a tables.Activity) string {
			return a.AccountID + " " + a.PrincipalID + " " + a.ARN
		})
	}
	cov, err := tables.ReadParquet[tables.Coverage](filepath.Join(v.Dir, filepath.FromSlash(CoverageTable)))
	if err != nil {
		v.problem("%s: %v", CoverageTable, err)
	} else {
		diffRows(v, CoverageTable, opts.Logs, cov, res.Coverage, func(c tables.Coverage) string {
			return c.AccountID + " " + c.Region + " " + c.Hour.UTC().Format(time.RFC3339)
		})
	}
	msg := fmt.Sprintf("activity and coverage recomputed from %s by the local engine over the run's window (%s to %s)",
		opts.Logs, q.Start.UTC().Format(time.RFC3339), q.End.UTC().Format(time.RFC3339))
	// A bundle from before the watch has no table to compare.
	stored, err := readWatch(v.Dir)
	_, statErr := os.Stat(filepath.Join(v.Dir, filepath.FromSlash(WatchTable)))
	switch {
	case err != nil:
		v.problem("%v", err)
	case statErr != nil && len(res.Watch) > 0:
		v.problem("%s: the bundle has none, but the logs show %d events touching deactivated users", WatchTable, len(res.Watch))
	case statErr == nil:
		diffRows(v, WatchTable, opts.Logs, stored, res.Watch, watchKey)
		msg += fmt.Sprintf(", the watch over %d deactivated users", len(q.Watch))
	}
	// The findings hold candidates on the log files table's verification
	// (tables.DigestProblems), so it is re-derived too, not only the hashes.
	if stored, counted, err := readLogFiles(v.Dir, engine); err == nil && counted {
		diffRows(v, LogFilesTable, opts.Logs, verificationRows(stored), verificationRows(res.LogFiles), func(r verificationRow) string { return r.key })
		msg += ", and every log and digest file's verification against the digests"
	}
	v.Checked = append(v.Checked, msg)
}

// watchKey names a watch row in diffRows' messages.
func watchKey(w tables.WatchEvent) string {
	return w.AccountID + " " + w.UserName + " " + w.Kind + " " + w.EventTime.UTC().Format(time.RFC3339) + " " + w.EventID
}

// verificationRow is what the log files table says of one file, with the
// run machine's paths reduced to their AWSLogs/ keys so that two copies of
// the same logs compare equal (the hashes are compareLogFiles' part).
type verificationRow struct {
	key, Verification, Digest, SkipReasons string
	Records, Skipped                       int64
	GapStart, GapEnd                       time.Time
}

func verificationRows(rows []tables.LogFile) []verificationRow {
	out := make([]verificationRow, 0, len(rows))
	for _, r := range rows {
		k, ok := logsKey(r.Path)
		if !ok {
			k = r.Path
		}
		d, ok := logsKey(r.Digest)
		if !ok {
			d = r.Digest
		}
		vr := verificationRow{key: r.Kind + " " + k, Verification: r.Verification, Digest: d,
			SkipReasons: r.SkipReasons, Records: r.Records, Skipped: r.Skipped, GapStart: r.GapStart.UTC(), GapEnd: r.GapEnd.UTC()}
		// A file the run took from its scan cache was not hashed: the
		// recomputation, which hashes every file, says what it is.
		if vr.Verification == tables.VerificationUnhashed {
			vr.Verification = tables.VerificationVerified
		}
		out = append(out, vr)
	}
	return out
}

// diffRows names every row that differs between the stored and the
// recomputed table, by key, up to maxRowProblems.
func diffRows[T any](v *Verification, rel, logs string, stored, recomputed []T, key func(T) string) {
	index := func(rows []T) map[string]T {
		m := make(map[string]T, len(rows))
		for _, r := range rows {
			k := key(r)
			for n := 2; ; n++ { // a repeated key keeps every row
				if _, dup := m[k]; !dup {
					break
				}
				k = fmt.Sprintf("%s #%d", key(r), n)
			}
			m[k] = r
		}
		return m
	}
	a, b := index(stored), index(recomputed)
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var diffs []string
	for _, k := range keys {
		s, inStored := a[k]
		r, inRecomputed := b[k]
		switch {
		case !inRecomputed:
			diffs = append(diffs, fmt.Sprintf("%s: row %s is not recomputed from %s:\n  stored     %+v", rel, k, logs, s))
		case !inStored:
			diffs = append(diffs, fmt.Sprintf("%s: row %s recomputed from %s is not in the bundle:\n  recomputed %+v", rel, k, logs, r))
		case !equalRows(s, r):
			diffs = append(diffs, fmt.Sprintf("%s: row %s differs from the one recomputed from %s:\n  stored     %+v\n  recomputed %+v", rel, k, logs, s, r))
		}
	}
	for i, d := range diffs {
		if i == maxRowProblems {
			v.problem("%s: %d more rows differ from those recomputed from %s", rel, len(diffs)-i, logs)
			break
		}
		v.problem("%s", d)
	}
}
