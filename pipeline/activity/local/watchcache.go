package local

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/queries"
)

// The watch and the cache. A day's aggregates do not depend on who is
// watched, but its watch candidates do, so they are kept apart: for each
// watch filter (the targets' IDs, keys, names and earliest deactivation,
// hashed with the watch rules), one JSON file per day holds each account
// folder's candidates, tagged with the fingerprint of the folder's files.
// We key by the filter rather than cache every day's raw events: the
// candidates are a handful of records, where every IAM user's events would
// be most of the trail. A folder whose candidates are missing for this
// filter (new targets, or a cache written before the watch) is read again,
// with its aggregates, so the watch table is the same whether a day comes
// from the cache or from a fresh scan. A quarter's targets change once a
// quarter: the first run after the change reads every day, later runs
// reuse the days as before.
//
//	DIR/activity-v1/watch/<filter hash>/YYYY/MM/DD.json

// watchCacheFormat changes when the candidates' rules change without the
// watch SQL's text changing.
const watchCacheFormat = 1

// dayWatch is one day's candidates for one filter.
type dayWatch struct {
	Format   int                    `json:"format"`
	Day      string                 `json:"day"`
	Accounts map[string]*watchEntry `json:"accounts"` // by account folder
}

type watchEntry struct {
	Fingerprint string                    `json:"fingerprint"` // the folder's (cacheUnit.fp)
	Events      []activity.WatchCandidate `json:"events"`
}

// watchCacheDir is the folder of a filter's days: its hash over the watch
// rules (the SQL rendered for a fixed window and file) and the filter.
func watchCacheDir(base string, s *watchSpec) (string, error) {
	fixed := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	sql, err := queries.Render("local", "watch", queries.Params{Start: fixed, End: fixed, Files: []string{"/f.json.gz"},
		WatchFrom: fixed, WatchUserIDs: []string{"AIDA"}})
	if err != nil {
		return "", fmt.Errorf("rendering the watch query for the cache's fingerprint: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "watch format %d\n%s\n", watchCacheFormat, sql)
	if err := json.NewEncoder(h).Encode(s.filter); err != nil {
		return "", fmt.Errorf("hashing the watch filter for the cache: %w", err)
	}
	return filepath.Join(base, "watch", hex.EncodeToString(h.Sum(nil))[:32]), nil
}

func dayWatchPath(dir string, day time.Time) string {
	return filepath.Join(dir, day.Format("2006"), day.Format("01"), day.Format("02")+".json")
}

// loadDayWatch reads a day's candidates; a missing or unreadable file is an
// empty one (its folders are read again), logged when unexpected.
func (l *Local) loadDayWatch(dir string, day time.Time) *dayWatch {
	empty := &dayWatch{Accounts: map[string]*watchEntry{}}
	path := dayWatchPath(dir, day)
	raw, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.log.Warn("activity cache: reading a day's watch candidates; the day is read again", "path", path, "err", err)
		}
		return empty
	}
	var dw dayWatch
	if err := json.Unmarshal(raw, &dw); err != nil || dw.Format != watchCacheFormat || dw.Accounts == nil {
		l.log.Warn("activity cache: a day's watch candidates are damaged or of another format; the day is read again", "path", path, "err", err)
		return empty
	}
	return &dw
}

// storeDayWatch writes a day's candidates.
func (l *Local) storeDayWatch(dir string, day time.Time, dw *dayWatch) error {
	dw.Format, dw.Day = watchCacheFormat, day.Format(time.DateOnly)
	js, err := json.MarshalIndent(dw, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the activity cache's watch candidates: %w", err)
	}
	path := dayWatchPath(dir, day)
	if err := atomicfile.WriteUnsynced(path, func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err }); err != nil {
		return fmt.Errorf("writing the activity cache %s: %w; check the folder or run without --cache", l.cacheDir, err)
	}
	return nil
}
