package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/reports/evidence"
)

// Paths inside a run directory, relative to its root.
const (
	RunFile        = "run.json"
	InventoryTable = "tables/inventory.parquet"
	PoliciesTable  = "tables/policies.parquet"
	ReferenceTable = "tables/references.parquet"
	// AccessKeysTable lists access keys by ID ([]tables.AccessKey): live,
	// ListAccessKeys; from files, the --access-keys exports.
	AccessKeysTable = "tables/accesskeys.parquet"
	ActivityTable   = "tables/activity.parquet"
	CoverageTable   = "tables/coverage.parquet"
	FindingsTable   = "tables/findings.parquet"
	QueriesDir      = "queries"
	InputsDir       = "inputs"
	SumsFile        = "SHA256SUMS"
)

// newRunID is sortable by time and unique across concurrent runs.
func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// staging is a run directory being built next to its final place, so that the
// final rename is atomic (same filesystem) and a failed run leaves nothing.
// Its name is ".<out>.partial-<run id>"; while the run lives it holds a lock
// on it, so that a later run can tell a stale one (kill -9, a crash) from a
// concurrent run's and remove only the first.
type staging struct {
	final string
	dir   string
	runID string
	lock  io.Closer // the lock on dir; released by commit or abort
}

// Sibling names beside --out: a run being built, and the previous run while
// commit swaps the new one in. legacyOldSuffix is what versions before this
// one called the previous run during a commit.
const (
	partialInfix    = ".partial-"
	previousInfix   = ".previous-"
	legacyOldSuffix = ".old"
)

// runIDPattern matches newRunID's output and nothing a person would name a
// directory, so that only dormant's own siblings of --out are ever touched.
const runIDPattern = `[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}`

// errLocksUnsupported is lockDir's answer where the platform has no flock.
var errLocksUnsupported = errors.New("directory locks are not supported on this platform")

// commitHook, when set by a test, runs at each named step of commit; an
// error stops commit there as if the process had been killed, leaving the
// directories as they are.
var commitHook func(step string) error

// ErrRunExists is returned when --out already holds a run and the caller
// asked neither to replace it (Config.Replace) nor to resume it
// (Config.Resume): last quarter's evidence is never replaced by accident.
var ErrRunExists = errors.New("--out already holds a run")

// newStaging prepares a run into out. replace allows out to hold an
// earlier run, which commit then replaces; without it such an out is
// refused with ErrRunExists before anything is written.
func newStaging(ctx context.Context, out, runID string, replace bool, log *slog.Logger) (*staging, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("resolving --out %s: %w", out, err)
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return nil, fmt.Errorf("creating parent of --out %s: %w", out, err)
	}
	if err := recoverOut(ctx, abs, log); err != nil {
		return nil, err
	}
	if err := checkOut(ctx, out, replace); err != nil {
		return nil, err
	}
	dir := filepath.Join(parent, "."+filepath.Base(abs)+partialInfix+runID)
	if err := os.Mkdir(dir, 0o777); err != nil {
		return nil, fmt.Errorf("creating staging directory: %w", err)
	}
	lock, err := lockDir(dir)
	if errors.Is(err, errLocksUnsupported) {
		log.Debug("no directory locks on this platform: a later run will not remove this staging directory if this one is killed", "dir", dir)
	} else if err != nil {
		_ = os.Remove(dir)
		return nil, fmt.Errorf("locking staging directory %s: %w", dir, err)
	}
	return &staging{final: abs, dir: dir, runID: runID, lock: lock}, nil
}

// checkOut refuses an out that holds anything but a run dormant wrote
// (checkReplaceable) and, unless replace, one that holds a run at all,
// naming the run and the flags that allow it. It changes nothing.
func checkOut(ctx context.Context, out string, replace bool) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("resolving --out %s: %w", out, err)
	}
	if err := checkReplaceable(ctx, abs); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if replace {
		return nil
	}
	entries, err := os.ReadDir(abs)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading --out %s: %w", out, err)
	}
	// checkReplaceable proved run.json is a run record.
	what := "a run"
	if data, err := os.ReadFile(filepath.Join(abs, RunFile)); err == nil {
		var rec RunRecord
		if json.Unmarshal(data, &rec) == nil {
			what = fmt.Sprintf("run %s of %s", rec.RunID, rec.StartedAt.UTC().Format(time.RFC3339))
		}
	}
	return fmt.Errorf("%w: %s holds %s; pass --replace to replace it (kept until the new run is complete), --resume to reuse its unchanged stages, or choose another --out",
		ErrRunExists, out, what)
}

// siblings are dormant's own hidden directories beside --out.
type siblings struct {
	partials  map[string]string // run id -> path
	previous  map[string]string // run id -> path, legacy ".partial-<id>.old" included
	sortedIDs []string          // of previous, oldest first
}

func listSiblings(final string) (*siblings, error) {
	parent, base := filepath.Dir(final), filepath.Base(final)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, fmt.Errorf("listing %s for earlier runs' leftovers: %w", parent, err)
	}
	q := regexp.QuoteMeta("." + base)
	partialRE := regexp.MustCompile(`^` + q + regexp.QuoteMeta(partialInfix) + `(` + runIDPattern + `)$`)
	previousRE := regexp.MustCompile(`^` + q + `(?:` + regexp.QuoteMeta(previousInfix) + `(` + runIDPattern + `)|` +
		regexp.QuoteMeta(partialInfix) + `(` + runIDPattern + `)` + regexp.QuoteMeta(legacyOldSuffix) + `)$`)
	s := &siblings{partials: map[string]string{}, previous: map[string]string{}}
	for _, e := range entries {
		// Only real directories: a symlink of that name is nobody's run.
		if !e.IsDir() {
			continue
		}
		p := filepath.Join(parent, e.Name())
		if m := partialRE.FindStringSubmatch(e.Name()); m != nil {
			s.partials[m[1]] = p
		} else if m := previousRE.FindStringSubmatch(e.Name()); m != nil {
			id := m[1] + m[2]
			s.previous[id] = p
			s.sortedIDs = append(s.sortedIDs, id)
		}
	}
	slices.Sort(s.sortedIDs)
	return s, nil
}

// recoverOut undoes what a run killed during an earlier commit or build left
// beside --out: a previous run moved aside while --out is missing is put
// back (the newest, if several), one left over after its replacement is
// removed if it is provably a run (checkReplaceable), and staging directories no live run holds are removed. A staging
// directory or previous run of a run still alive is left alone.
func recoverOut(ctx context.Context, final string, log *slog.Logger) error {
	sib, err := listSiblings(final)
	if err != nil {
		return err
	}
	_, statErr := os.Lstat(final)
	missing := errors.Is(statErr, fs.ErrNotExist)
	if statErr != nil && !missing {
		return fmt.Errorf("reading --out %s: %w", final, statErr)
	}
	for i := len(sib.sortedIDs) - 1; i >= 0; i-- {
		id := sib.sortedIDs[i]
		prev := sib.previous[id]
		if p, ok := sib.partials[id]; ok && !stale(p) {
			// That run is alive and in the middle of its commit.
			return fmt.Errorf("--out %s: another dormant run (%s) is replacing it right now; wait for it to finish", final, id)
		}
		if missing {
			if err := os.Rename(prev, final); err != nil {
				return fmt.Errorf("putting the previous run %s back into --out %s (a run was killed while replacing it): %w; move it back by hand", prev, final, err)
			}
			log.Warn("put the previous run back: a run was killed while replacing it", "out", final, "from", prev)
			missing = false
			continue
		}
		if err := checkReplaceable(ctx, prev); err != nil {
			log.Warn("left beside --out: named like a previous run, but not provably one", "path", prev, "reason", err)
			continue
		}
		if err := os.RemoveAll(prev); err != nil {
			return fmt.Errorf("removing %s, a previous run already replaced: %w", prev, err)
		}
		log.Info("removed a previous run left beside --out by a run killed after replacing it", "path", prev)
	}
	for id, p := range sib.partials {
		if !stale(p) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing %s, the staging directory of a run that was killed: %w", p, err)
		}
		log.Info("removed the staging directory of a run that was killed", "path", p, "run_id", id)
	}
	return nil
}

// stale reports whether no live process holds the staging directory's lock.
// Where locks are not supported it says false: keep rather than guess.
func stale(dir string) bool {
	l, err := lockDir(dir)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// checkReplaceable refuses an --out that is neither missing, empty, nor
// provably a run dormant wrote: its run.json parses as a RunRecord with a
// run ID of ours, its SHA256SUMS lists run.json with run.json's hash, and
// every file under it is listed there. Anything else may be someone's work
// and is never replaced.
func checkReplaceable(ctx context.Context, final string) error {
	st, err := os.Lstat(final)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading it: %w", err)
	}
	if st.Mode().Type() == fs.ModeSymlink {
		return fmt.Errorf("is a symlink: give the directory it points to, since replacing the run replaces the link")
	}
	if !st.IsDir() {
		return fmt.Errorf("exists and is not a directory; choose another --out")
	}
	entries, err := os.ReadDir(final)
	if err != nil {
		return fmt.Errorf("reading it: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	notOurs := func(why string, args ...any) error {
		return fmt.Errorf("is not empty and is not a run dormant wrote (%s): refusing to replace it; nothing in it was touched; choose another --out, or empty it", fmt.Sprintf(why, args...))
	}
	data, err := os.ReadFile(filepath.Join(final, RunFile))
	if err != nil {
		return notOurs("reading %s: %v", RunFile, err)
	}
	var rec RunRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return notOurs("%s does not parse as dormant's run record: %v", RunFile, err)
	}
	if !regexp.MustCompile(`^`+runIDPattern+`$`).MatchString(rec.RunID) || rec.StartedAt.IsZero() || rec.ToolVersion == "" {
		return notOurs("%s lacks dormant's run_id, tool_version or started_at", RunFile)
	}
	sums, unlisted, err := evidence.Unlisted(ctx, final)
	if err != nil {
		return notOurs("%v", err)
	}
	if len(unlisted) > 0 {
		var names []string
		for _, m := range unlisted {
			names = append(names, m.Path)
		}
		return notOurs("%s does not list %s", SumsFile, strings.Join(names, ", "))
	}
	want := ""
	for _, s := range sums {
		if s.Path == RunFile {
			want = s.Hash
		}
	}
	got, _, err := evidence.HashFile(filepath.Join(final, RunFile))
	if err != nil {
		return notOurs("%v", err)
	}
	if got != want {
		return notOurs("%s does not match its line in %s", RunFile, SumsFile)
	}
	return nil
}

func (s *staging) path(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// commit moves the finished run into place. An earlier run there is first
// moved aside to ".<out>.previous-<run id>" and removed only once the new
// one is in place: a kill between the two renames leaves it there, and the
// next run's recoverOut puts it back, so the previous run is never lost.
func (s *staging) commit() error {
	defer s.unlock()
	prev := ""
	if _, err := os.Lstat(s.final); err == nil {
		prev = filepath.Join(filepath.Dir(s.final), "."+filepath.Base(s.final)+previousInfix+s.runID)
		if err := os.Rename(s.final, prev); err != nil {
			return fmt.Errorf("moving the previous run in %s aside: %w", s.final, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading --out %s: %w", s.final, err)
	}
	if commitHook != nil {
		if err := commitHook("moved-aside"); err != nil {
			return err
		}
	}
	if err := os.Rename(s.dir, s.final); err != nil {
		if prev != "" {
			if rerr := os.Rename(prev, s.final); rerr != nil {
				return fmt.Errorf("moving the run into %s: %w; the previous run is in %s: putting it back also failed: %v", s.final, err, prev, rerr)
			}
		}
		return fmt.Errorf("moving the run into %s: %w", s.final, err)
	}
	if commitHook != nil {
		if err := commitHook("moved-in"); err != nil {
			return err
		}
	}
	if prev != "" {
		if err := os.RemoveAll(prev); err != nil {
			return fmt.Errorf("removing the previous run %s after replacing it (the new run is in place; remove it by hand): %w", prev, err)
		}
	}
	return nil
}

func (s *staging) unlock() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

func (s *staging) abort() {
	s.unlock()
	_ = os.RemoveAll(s.dir)
}

func writeJSON(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
