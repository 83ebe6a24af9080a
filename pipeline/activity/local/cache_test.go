package local

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// cachedRun runs the Go scanner with the cache at dir and returns the
// result and the files it read.
func cachedRun(t testing.TB, root, dir string, q activity.Query, opts ...LocalOption) (*activity.Result, int) {
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
			q    activity.Query
		}
	}{
		{"fixtures", filepath.Join(trailtest.TestdataDir, "trail"), fixtureWindows},
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
	asOf := trailtest.TS("2026-10-02T00:00:00Z") // the demo's last day folder is 2026/10/01
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

	before := activity.Query{Start: asOf.AddDate(0, 0, -91), End: asOf.AddDate(0, 0, -1)}
	first, _ := cachedRun(t, root, cache, before)
	agreeTables(t, "first run vs full scan", first, runScanner(t, root, ScannerGo, before))

	moveDays(t, hold, root, "2026/10/01")
	after := activity.Query{Start: asOf.AddDate(0, 0, -90), End: asOf}
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
	if err := os.CopyFS(root, os.DirFS(filepath.Join(trailtest.TestdataDir, "trail"))); err != nil {
		t.Fatal(err)
	}
	return root
}

// A day's aggregate is computed again when its files change, and only then.
func TestCacheInvalidation(t *testing.T) {
	q := activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-03T00:00:00Z")}
	ue1 := filepath.Join("AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1")
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
		{"another account's file touched", func(t *testing.T, root, _ string) {
			touch(t, filepath.Join(root, "AWSLogs", trailtest.OrgID, trailtest.AcctB, "CloudTrail", "eu-west-1", "2026", "10", "02",
				"222222222222_CloudTrail_eu-west-1_20261002T0815Z_Uj7Ik8Ol9Pz0Xa1S.json.gz"))
		}, false, 1},
		{"a file touched, same ETag", func(t *testing.T, root, _ string) {
			touch(t, filepath.Join(root, file1))
		}, true, 0},
		{"a file added", func(t *testing.T, root, _ string) {
			writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/02", "111111111111_CloudTrail_us-east-1_20261002T2355Z_Added00000000000.json.gz",
				[]string{`{"eventID":"added","eventTime":"2026-10-02T23:50:00Z","userIdentity":{"type":"IAMUser","principalId":"AIDAADDED","accountId":"111111111111"}}`})
		}, false, 3},
		{"a file removed", func(t *testing.T, root, _ string) {
			if err := os.Remove(filepath.Join(root, file1)); err != nil {
				t.Fatal(err)
			}
		}, false, 2},
		{"a Parquet file damaged", func(t *testing.T, _, cache string) {
			p := filepath.Join(cache, cacheSubdir, "2026", "10", "01.parquet")
			if err := os.WriteFile(p, []byte("PAR1 not really"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, 3},
		{"a manifest damaged", func(t *testing.T, _, cache string) {
			p := filepath.Join(cache, cacheSubdir, "2026", "10", "01.json")
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
	root := filepath.Join(trailtest.TestdataDir, "trail")
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	_, err := NewLocal(root, WithCache(t.TempDir()), WithScanner(ScannerDuckDB), WithLogger(trailtest.Quiet())).Run(context.Background(), q)
	if err == nil || !strings.Contains(err.Error(), `the cache needs the "go" scanner`) {
		t.Errorf("DuckDB with a cache: got %v", err)
	}
	blocked := filepath.Join(t.TempDir(), "file")
	writeFile(t, blocked, "not a folder")
	_, err = NewLocal(root, WithCache(blocked), WithLogger(trailtest.Quiet())).Run(context.Background(), q)
	if err == nil || !strings.Contains(err.Error(), "creating the activity cache") {
		t.Errorf("cache on a file: got %v", err)
	}
}

// A run over some accounts refreshes their folders and keeps the others'
// aggregates in the days it rewrites.
func TestCacheAccountsFilter(t *testing.T) {
	root, cache := copyTrail(t), t.TempDir()
	all := activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-03T00:00:00Z")}
	onlyB := all
	onlyB.Accounts = []string{trailtest.AcctB}
	cachedRun(t, root, cache, all)
	touch(t, filepath.Join(root, "AWSLogs", trailtest.OrgID, trailtest.AcctB, "CloudTrail", "eu-west-1", "2026", "10", "02",
		"222222222222_CloudTrail_eu-west-1_20261002T0815Z_Uj7Ik8Ol9Pz0Xa1S.json.gz"))
	res, read := cachedRun(t, root, cache, onlyB)
	agreeTables(t, "account B", res, runScanner(t, root, ScannerDuckDB, onlyB))
	if read != 1 {
		t.Errorf("the run over account B read %d files, want its changed one", read)
	}
	res, read = cachedRun(t, root, cache, all)
	agreeTables(t, "every account", res, runScanner(t, root, ScannerDuckDB, all))
	if read != 0 {
		t.Errorf("the run over every account read %d files, want 0: account A's aggregates were lost", read)
	}
}

func TestLatestEncoding(t *testing.T) {
	u := &userAgg{}
	u.latest.offer(-5, []byte("id 1:2"), []byte("Get:Thing "), []byte(""), []byte("2001:db8::1"), []byte("é"))
	u.user.offer(1_800_000_000_000_000, []byte(""), []byte("12:ab"))
	enc := encodeLatest(u)
	var got userAgg
	if err := decodeLatest(enc, &got); err != nil {
		t.Fatal(err)
	}
	if encodeLatest(&got) != enc || got.arn.has || string(got.latest.ip) != "2001:db8::1" || string(got.user.v) != "12:ab" {
		t.Errorf("round trip of %q gave %q", enc, encodeLatest(&got))
	}
	for _, bad := range []string{"X1 0:", "U1 5:ab", "U1", "Uz 0:", "U1 0:"} {
		if err := decodeLatest(bad, &userAgg{}); err == nil {
			t.Errorf("decodeLatest(%q) accepted", bad)
		}
	}
}

// rollupTrail writes a month of logs for two accounts: each day, a user's
// calls (one near midnight, delivered the next day), a duplicate delivery
// crossing folders, and a role session.
func rollupTrail(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	start := trailtest.TS("2026-09-01T00:00:00Z")
	for i := range 30 {
		day := start.AddDate(0, 0, i)
		for _, acct := range []string{trailtest.AcctA, "333333333333"} {
			user := func(n int, at time.Time) string {
				return fmt.Sprintf(`{"eventID":"%08d-0000-4000-8000-%012d","eventTime":"%s","eventName":"Call%d","eventSource":"s3.amazonaws.com",`+
					`"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.%d","recipientAccountId":"%s",`+
					`"userIdentity":{"type":"IAMUser","principalId":"AIDAROLLUP%s%d","arn":"arn:aws:iam::%s:user/u%d","accountId":"%s","accessKeyId":"AKIAROLLUP%d","userName":"u%d"}}`,
					i, n, at.Format(time.RFC3339), n, n, acct, acct, n%3, acct, n%3, acct, n%3, n%3)
			}
			recs := []string{
				user(1, day.Add(9*time.Hour)),
				user(2, day.Add(13*time.Hour+time.Duration(i)*time.Minute)),
				`{"eventID":"r` + fmt.Sprint(i) + `","eventTime":"` + day.Add(10*time.Hour).Format(time.RFC3339) + `","awsRegion":"us-east-1",` +
					`"userIdentity":{"type":"AssumedRole","principalId":"AROAX:s","accountId":"` + acct + `"}}`,
			}
			if i > 0 {
				prev := day.AddDate(0, 0, -1)
				recs = append(recs, user(3, prev.Add(23*time.Hour+59*time.Minute)), // late delivery
					user(1, prev.Add(9*time.Hour))) // delivered twice, a day apart
			}
			writeTrailFile(t, root, acct, "us-east-1", day.Format("2006/01/02"),
				fmt.Sprintf("%s_CloudTrail_us-east-1_%sT0005Z_Rollup%010d.json.gz", acct, day.Format("20060102"), i), recs)
		}
	}
	return root
}

func rollupsIn(t testing.TB, res *activity.Result) string {
	t.Helper()
	sql := res.Runs[0].SQL
	i := strings.Index(sql, "rollups of")
	if i < 0 {
		t.Fatalf("no rollup count in the evidence:\n%.600s", sql)
	}
	return sql[strings.LastIndex(sql[:i-1], " ")+1 : i-1]
}

// Rollups of 8-day blocks stand in for their days once built, give the
// tables of a full scan, and are rebuilt when a day changes or a rollup
// is damaged.
func TestCacheRollups(t *testing.T) {
	root, cache := rollupTrail(t), t.TempDir()
	q := activity.Query{Start: trailtest.TS("2026-09-03T00:00:00Z"), End: trailtest.TS("2026-09-28T00:00:00Z")}
	check := func(what string, q activity.Query, wantRead int) *activity.Result {
		t.Helper()
		res, read := cachedRun(t, root, cache, q)
		agreeTables(t, what, res, runScanner(t, root, ScannerDuckDB, q))
		if wantRead >= 0 && read != wantRead {
			t.Errorf("%s: read %d files, want %d", what, read, wantRead)
		}
		return res
	}
	check("cold", q, -1)
	blocks, err := filepath.Glob(filepath.Join(cache, cacheSubdir, "blocks", "*.parquet"))
	if err != nil || len(blocks) < 2 {
		t.Fatalf("the cold run built %d rollups (%v), want at least 2", len(blocks), err)
	}
	warm := check("warm", q, 0)
	used := rollupsIn(t, warm)
	if used == "0" {
		t.Fatalf("the warm run used no rollup:\n%.600s", warm.Runs[0].SQL)
	}

	// A day inside a used block changes: its folder is read again and the
	// block rebuilt.
	day := blockStart(trailtest.TS("2026-09-12T00:00:00Z")).AddDate(0, 0, 3)
	touch(t, filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", filepath.FromSlash(day.Format("2006/01/02")),
		fmt.Sprintf("%s_CloudTrail_us-east-1_%sT0005Z_Rollup%010d.json.gz", trailtest.AcctA, day.Format("20060102"), day.Day()-1)))
	changed := check("a day changed", q, 1)
	if rollupsIn(t, changed) == used {
		t.Errorf("the block holding the changed day was still used (%s rollups)", used)
	}
	if again := check("after the rebuild", q, 0); rollupsIn(t, again) != used {
		t.Errorf("after the rebuild %s rollups were used, want %s", rollupsIn(t, again), used)
	}

	// A damaged rollup: its days are read from their own files.
	if err := os.WriteFile(blocks[0], []byte("PAR1 damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("a rollup damaged", q, 0)
	if repaired := check("after the repair", q, 0); rollupsIn(t, repaired) != used {
		t.Errorf("after the repair %s rollups were used, want %s", rollupsIn(t, repaired), used)
	}

	// Windows whose edges cut a block, or that read some accounts only.
	check("edges inside days", activity.Query{Start: trailtest.TS("2026-09-03T09:30:00Z"), End: trailtest.TS("2026-09-27T13:10:00Z")}, -1)
	check("one account", activity.Query{Start: q.Start, End: q.End, Accounts: []string{trailtest.AcctA}}, 0)
	check("a wider window", activity.Query{Start: trailtest.TS("2026-08-01T00:00:00Z"), End: trailtest.TS("2026-10-31T00:00:00Z")}, -1)
}

// day is t's UTC midnight, as the engine's day folders are.
func day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
