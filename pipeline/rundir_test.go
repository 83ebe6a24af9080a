package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/reports/evidence"
)

var quiet = slog.New(slog.DiscardHandler)

// fakeRun writes a minimal run directory as dormant leaves it: run.json and
// a file, sealed by SHA256SUMS.
func fakeRun(t *testing.T, dir, marker string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec := RunRecord{RunID: newRunID(time.Now()), ToolVersion: "test", StartedAt: time.Now().UTC()}
	if err := writeJSON(filepath.Join(dir, RunFile), rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reports", "findings.csv"), []byte(marker), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := evidence.WriteSums(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
}

func hidden(t *testing.T, parent string) []string {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestStagingRefusesWhatIsNotARun: an --out holding anything but a run
// dormant provably wrote is refused and left exactly as it was; the
// project beside an unrelated run.json was once deleted whole.
func TestStagingRefusesWhatIsNotARun(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(t *testing.T, out string){
		"a project with an unrelated run.json": func(t *testing.T, out string) {
			os.MkdirAll(filepath.Join(out, "src"), 0o755)
			os.WriteFile(filepath.Join(out, "main.py"), []byte("print('hi')\n"), 0o644)
			os.WriteFile(filepath.Join(out, "src", "lib.py"), []byte("x = 1\n"), 0o644)
			os.WriteFile(filepath.Join(out, RunFile), []byte(`{"name":"my pipeline","steps":[]}`), 0o644)
		},
		"a run.json with no SHA256SUMS": func(t *testing.T, out string) {
			fakeRun(t, out, "x")
			os.Remove(filepath.Join(out, SumsFile))
		},
		"a dormant run with a file added": func(t *testing.T, out string) {
			fakeRun(t, out, "x")
			os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine\n"), 0o644)
		},
		"a dormant run whose run.json was replaced": func(t *testing.T, out string) {
			fakeRun(t, out, "x")
			os.WriteFile(filepath.Join(out, RunFile), []byte(`{"run_id":"20261101T000000Z-0123abcd","tool_version":"x","started_at":"2026-11-01T00:00:00Z"}`), 0o644)
		},
		"run.json that is not JSON": func(t *testing.T, out string) {
			os.WriteFile(filepath.Join(out, RunFile), []byte("not json"), 0o644)
		},
		"a symlink to a dormant run": func(t *testing.T, out string) {
			target := filepath.Join(t.TempDir(), "run")
			fakeRun(t, target, "x")
			os.Remove(out)
			os.Symlink(target, out)
		},
		"a file": func(t *testing.T, out string) {
			os.Remove(out)
			os.WriteFile(out, []byte("x"), 0o644)
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			setup(t, out)
			before := snapshot(t, out)
			st, err := newStaging(ctx, out, newRunID(time.Now()), true, quiet)
			if err == nil {
				st.abort()
				t.Fatal("newStaging accepted it")
			}
			if !strings.Contains(err.Error(), out) {
				t.Errorf("error does not name --out: %v", err)
			}
			if after := snapshot(t, out); !slices.Equal(before, after) {
				t.Errorf("--out changed:\nbefore %q\nafter  %q", before, after)
			}
			if h := hidden(t, parent); len(h) > 0 {
				t.Errorf("left beside --out: %q", h)
			}
		})
	}
}

// snapshot lists every path under dir with its content.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		data := ""
		if info.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			data = string(b)
		}
		out = append(out, p+"="+data)
		return nil
	})
	return out
}

// TestCommitKilledBetweenRenames: a run killed after moving the previous
// run aside and before moving itself in leaves --out missing; the next run
// puts the previous run back before anything else, and removes the dead
// run's staging directory.
func TestCommitKilledBetweenRenames(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stale staging directories are told apart by flock")
	}
	ctx := context.Background()
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	fakeRun(t, out, "the previous run")
	want := snapshot(t, out)

	st, err := newStaging(ctx, out, newRunID(time.Now()), true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	fakeRun(t, st.dir, "the new run")
	killed := errors.New("killed")
	commitHook = func(step string) error {
		if step == "moved-aside" {
			return killed
		}
		return nil
	}
	t.Cleanup(func() { commitHook = nil })
	if err := st.commit(); !errors.Is(err, killed) {
		t.Fatalf("commit = %v, want the injected kill", err)
	}
	commitHook = nil
	// What the kill leaves: no --out, the previous run and the new one's
	// staging directory beside it (no abort ran: the process was gone).
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("--out after the kill: %v, want it missing (the case to recover)", err)
	}
	if h := hidden(t, parent); len(h) != 2 {
		t.Fatalf("beside --out after the kill: %q, want the previous run and the staging directory", h)
	}

	st2, err := newStaging(ctx, out, newRunID(time.Now().Add(time.Second)), true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.abort()
	if got := snapshot(t, out); !slices.Equal(got, want) {
		t.Errorf("--out after recovery:\n%q\nwant the previous run\n%q", got, want)
	}
	if h := hidden(t, parent); len(h) != 1 || h[0] != filepath.Base(st2.dir) {
		t.Errorf("beside --out after recovery: %q, want only the new staging directory", h)
	}
}

// TestCommitKilledAfterMovingIn: killed after the new run is in place, the
// previous run is left beside it; the next run removes it.
func TestCommitKilledAfterMovingIn(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stale staging directories are told apart by flock")
	}
	ctx := context.Background()
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	fakeRun(t, out, "the previous run")
	st, err := newStaging(ctx, out, newRunID(time.Now()), true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	fakeRun(t, st.dir, "the new run")
	commitHook = func(step string) error {
		if step == "moved-in" {
			return errors.New("killed")
		}
		return nil
	}
	t.Cleanup(func() { commitHook = nil })
	if err := st.commit(); err == nil {
		t.Fatal("commit ignored the injected kill")
	}
	commitHook = nil
	want := snapshot(t, out)
	st2, err := newStaging(ctx, out, newRunID(time.Now().Add(time.Second)), true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.abort()
	if got := snapshot(t, out); !slices.Equal(got, want) {
		t.Errorf("--out changed by recovery:\n%q\nwant the new run\n%q", got, want)
	}
	if h := hidden(t, parent); len(h) != 1 || h[0] != filepath.Base(st2.dir) {
		t.Errorf("beside --out: %q, want only the new staging directory", h)
	}
	// And an ordinary commit replaces the run and leaves nothing beside it.
	fakeRun(t, st2.dir, "the third run")
	if err := st2.commit(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "reports", "findings.csv")); string(data) != "the third run" {
		t.Errorf("--out holds %q after a commit", data)
	}
	if h := hidden(t, parent); len(h) != 0 {
		t.Errorf("beside --out after a commit: %q", h)
	}
}

// TestStaleStagingRemoved: staging directories of killed runs (kill -9,
// SIGHUP) are removed by the next run; a live run's, and anything not named
// as dormant names them, are left alone.
func TestStaleStagingRemoved(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stale staging directories are told apart by flock")
	}
	ctx := context.Background()
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	dead := filepath.Join(parent, ".out.partial-20261101T000000Z-0123abcd")
	alive := filepath.Join(parent, ".out.partial-20261101T000001Z-4567cdef")
	notOurs := []string{".out.partial-mine", ".out.previous-backup", ".other.partial-20261101T000000Z-0123abcd",
		// Named like a previous run, but holding no run: left, with a warning.
		".out.previous-20261101T000000Z-0123abcd"}
	for _, d := range append([]string{dead, alive}, notOurs...) {
		d = filepath.Join(parent, filepath.Base(d))
		if err := os.MkdirAll(filepath.Join(d, "inputs"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "inputs", "credential-report.csv"), []byte("user\n"), 0o644)
	}
	// A symlink named like a staging directory is nobody's run.
	if err := os.Symlink(filepath.Join(parent, ".out.partial-mine"), filepath.Join(parent, ".out.partial-20261101T000002Z-89abcdef")); err != nil {
		t.Fatal(err)
	}
	// --out exists (empty), so nothing is put back into it.
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := lockDir(alive)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()

	st, err := newStaging(ctx, out, newRunID(time.Now()), true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer st.abort()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the killed run's staging directory is still there: %v", err)
	}
	for _, keep := range append([]string{filepath.Base(alive), ".out.partial-20261101T000002Z-89abcdef"}, notOurs...) {
		if _, err := os.Lstat(filepath.Join(parent, keep)); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}

// TestRunDirRefusesExistingRunWithoutReplace: an --out holding a run is
// refused, naming it and both flags, unless replace is asked for; nothing
// in or beside it is touched. A missing or empty --out needs no flag.
func TestRunDirRefusesExistingRunWithoutReplace(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	fakeRun(t, out, "last quarter")
	before := snapshot(t, out)
	st, err := newStaging(ctx, out, newRunID(time.Now()), false, quiet)
	if err == nil {
		st.abort()
		t.Fatal("newStaging replaced a run without being asked to")
	}
	if !errors.Is(err, ErrRunExists) {
		t.Errorf("error %v, want ErrRunExists", err)
	}
	for _, want := range []string{out, "--replace", "--resume", "holds run "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if after := snapshot(t, out); !slices.Equal(before, after) {
		t.Errorf("--out changed:\nbefore %q\nafter  %q", before, after)
	}
	if h := hidden(t, parent); len(h) > 0 {
		t.Errorf("left beside --out: %q", h)
	}

	st, err = newStaging(ctx, out, newRunID(time.Now()), true, quiet)
	if err != nil {
		t.Fatalf("with replace: %v", err)
	}
	st.abort()

	for name, setup := range map[string]func(string){
		"missing": func(string) {},
		"empty":   func(p string) { os.Mkdir(p, 0o755) },
	} {
		p := filepath.Join(parent, name)
		setup(p)
		st, err := newStaging(ctx, p, newRunID(time.Now()), false, quiet)
		if err != nil {
			t.Errorf("%s --out: %v", name, err)
			continue
		}
		st.abort()
	}
}
