package activity

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
)

// cachedRun runs the Go scanner with the cache at dir and returns the
// result and the files it read.
func cachedRun(t testing.TB, root, dir string, q Query, opts ...LocalOption) (*Result, int) {
	t.Helper()
	res := runScanner(t, root, ScannerGo, q, append([]LocalOption{WithCache(dir)}, opts...)...)
	if len(res.Runs) != 1 {
		t.Fatalf("%d runs", len(res.Runs))
	}
	return res, res.Runs[0].Files
}

// Cold and warm, the cache gives the tables of a full scan, for windows
// whose edges fall on midnights (read nothing when warm) and inside days
// (read again only the days whose events the edge cuts through).
func TestCacheMatchesFullScan(t *testing.T) {
	trails := []struct {
		name    string
		root    string
		windows []struct {
			name string
			q    Query
		}
	}{
		{"fixtures", filepath.Join("testdata", "trail"), fixtureWindows},
		{"edge cases", edgeTrail(t), edgeWindows},
	}
	for _, tr := range trails {
		for _, w := range tr.windows {
			t.Run(tr.name+"/"+w.name, func(t *testing.T) {
				full := runScanner(t, tr.root, ScannerGo, w.q)
				dir := t.TempDir()
				cold, coldFiles := cachedRun(t, tr.root, dir, w.q)
				agreeTables(t, "cold cache vs full scan", cold, full)
				if coldFiles != full.Runs[0].Files {
					t.Errorf("cold cache read %d files, the full scan %d", coldFiles, full.Runs[0].Files)
				}
				warm, warmFiles := cachedRun(t, tr.root, dir, w.q)
				agreeTables(t, "warm cache vs full scan", warm, full)
				aligned := w.q.Start.Equal(day(w.q.Start)) && w.q.End.Equal(day(w.q.End))
				switch {
				case aligned && warmFiles != 0:
					t.Errorf("warm cache read %d files for a window from midnight to midnight, want 0", warmFiles)
				case warmFiles > coldFiles:
					t.Errorf("warm cache read %d files, more than the cold one's %d", warmFiles, coldFiles)
				case tr.name == "fixtures" && w.name == "fixture window" && warmFiles != 3:
					// The window ends at noon on 10/03: the days holding
					// events of 10/03 (folders 10/03 and 10/04) are read
					// again, nothing else.
					t.Errorf("warm cache read %d files, want the 3 of folders 10/03 and 10/04", warmFiles)
				}
				if !strings.Contains(warm.Runs[0].SQL, "-- Incremental: ") || !strings.Contains(warm.Runs[0].SQL, goScanNote) {
					t.Errorf("the evidence does not say the cache was used:\n%.800s", warm.Runs[0].SQL)
				}
			})
		}
	}
}

// moveDays moves the day folders of day out of root into hold (or back),
// as if that day's logs had not arrived yet, and counts the log files moved.
func moveDays(t testing.TB, from, to, day string) int {
	t.Helper()
	moved := 0
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || !strings.HasSuffix(filepath.ToSlash(p), "/"+day) {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.Contains(filepath.ToSlash(p), "/CloudTrail/") && strings.HasSuffix(e.Name(), ".json.gz") {
				moved++ // a log file, not a digest
			}
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(to, rel)), 0o755); err != nil {
			return err
		}
		if err := os.Rename(p, filepath.Join(to, rel)); err != nil {
			return err
		}
		return fs.SkipDir
	})
	if err != nil {
		t.Fatal(err)
	}
	return moved
}

// A run after one more day of logs reads only that day's files, and gives
// the tables of a full scan.
func TestCacheIncremental(t *testing.T) {
	asOf := ts("2026-10-02T00:00:00Z") // the demo's last day folder is 2026/10/01
	base := t.TempDir()
	out, err := demo.Generate(context.Background(), filepath.Join(base, "demo"), demoOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	root, hold, cache := out.CloudTrail, filepath.Join(base, "hold"), filepath.Join(base, "cache")
	newFiles := moveDays(t, root, hold, "2026/10/01")
	if newFiles == 0 {
		t.Fatal("the demo wrote no logs on its last day")
	}

	before := Query{Start: asOf.AddDate(0, 0, -91), End: asOf.AddDate(0, 0, -1)}
	first, _ := cachedRun(t, root, cache, before)
	agreeTables(t, "first run vs full scan", first, runScanner(t, root, ScannerGo, before))

	moveDays(t, hold, root, "2026/10/01")
	after := Query{Start: asOf.AddDate(0, 0, -90), End: asOf}
	second, read := cachedRun(t, root, cache, after)
	agreeTables(t, "next day vs full scan", second, runScanner(t, root, ScannerGo, after))
	agreeTables(t, "next day vs DuckDB", second, runScanner(t, root, ScannerDuckDB, after))
	if read != newFiles {
		t.Errorf("the next day's run read %d files, want the %d new ones", read, newFiles)
	}
}

// copyTrail copies the fixture trail to a temporary folder.
func copyTrail(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "trail")
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "trail"))); err != nil {
		t.Fatal(err)
	}
	return root
}

// A day's aggregate is computed again when its files change, and only then.
func TestCacheInvalidation(t *testing.T) {
	q := Query{Start: ts("2026-10-01T00:00:00Z"), End: ts("2026-10-03T00:00:00Z")}
	ue1 := filepath.Join("AWSLogs", acctA, "CloudTrail", "us-east-1")
	day1 := filepath.Join(ue1, "2026", "10", "01")
	file1 := filepath.Join(day1, "111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz")
	tests := []struct {
		name   string
		change func(t *testing.T, root, cache string)
		etags  bool
		read   int // files read by the run after the change
	}{
		{"nothing changed", func(*testing.T, string, string) {}, false, 0},
		{"a file touched", func(t *testing.T, root, _ string) {
			touch(t, filepath.Join(root, file1))
		}, false, 3},
		{"a file touched, same ETag", func(t *testing.T, root, _ string) {
			touch(t, filepath.Join(root, file1))
		}, true, 0},
		{"a file added", func(t *testing.T, root, _ string) {
			writeTrailFile(t, root, acctA, "us-east-1", "2026/10/02", "111111111111_CloudTrail_us-east-1_20261002T2355Z_Added00000000000.json.gz",
				[]string{`{"eventID":"added","eventTime":"2026-10-02T23:50:00Z","userIdentity":{"type":"IAMUser","principalId":"AIDAADDED","accountId":"111111111111"}}`})
		}, false, 3},
		{"a file removed", func(t *testing.T, root, _ string) {
			if err := os.Remove(filepath.Join(root, file1)); err != nil {
				t.Fatal(err)
			}
		}, false, 2},
		{"a Parquet file damaged", func(t *testing.T, _, cache string) {
			p := filepath.Join(cache, cacheSubdir, acctA, "2026", "10", "01.parquet")
			if err := os.WriteFile(p, []byte("PAR1 not really"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, 3},
		{"a manifest damaged", func(t *testing.T, _, cache string) {
			p := filepath.Join(cache, cacheSubdir, acctA, "2026", "10", "01.json")
			if err := os.WriteFile(p, []byte("{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, cache := copyTrail(t), t.TempDir()
			var opts []LocalOption
			if tt.etags {
				opts = append(opts, WithETags(func(path string) (string, bool) {
					return "etag-of-" + filepath.Base(path), true
				}))
			}
			cachedRun(t, root, cache, q, opts...)
			tt.change(t, root, cache)
			var logs bytes.Buffer
			opts = append(opts, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			res, read := cachedRun(t, root, cache, q, opts...)
			agreeTables(t, "after the change", res, runScanner(t, root, ScannerDuckDB, q))
			if read != tt.read {
				t.Errorf("read %d files after the change, want %d; log:\n%s", read, tt.read, logs.String())
			}
			if strings.Contains(tt.name, "damaged") && !strings.Contains(logs.String(), "read again") {
				t.Errorf("damage not logged:\n%s", logs.String())
			}
		})
	}
}

func touch(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	later := info.ModTime().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func TestCacheRefused(t *testing.T) {
	root := filepath.Join("testdata", "trail")
	q := Query{Start: fixtureStart, End: fixtureEnd}
	_, err := NewLocal(root, WithCache(t.TempDir()), WithScanner(ScannerDuckDB), WithLogger(quiet())).Run(context.Background(), q)
	if err == nil || !strings.Contains(err.Error(), `the cache needs the "go" scanner`) {
		t.Errorf("DuckDB with a cache: got %v", err)
	}
	blocked := filepath.Join(t.TempDir(), "file")
	writeFile(t, blocked, "not a folder")
	_, err = NewLocal(root, WithCache(blocked), WithLogger(quiet())).Run(context.Background(), q)
	if err == nil || !strings.Contains(err.Error(), "creating the activity cache") {
		t.Errorf("cache on a file: got %v", err)
	}
}
