package activity

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 14, both local scanners check digests: on the demo's digest-bearing
// logs with one log file edited after delivery, the DuckDB scanner returns
// the same log files table (hashes, digests, verification outcomes, gap
// hours) and the same digest report as the Go scanner, the edited file a
// mismatch in both.
func TestDuckDBScannerChecksDigestsLikeGoScanner(t *testing.T) {
	ctx := context.Background()
	opts := demo.Options{Accounts: 2, Users: 20, Events: 3000, Seed: 5,
		AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), WindowDays: 14, DeleteAfterDays: 365}
	out, err := demo.Generate(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	q := Query{Start: opts.AsOf.AddDate(0, 0, -opts.WindowDays), End: opts.AsOf}
	files, err := DiscoverFiles(ctx, out.CloudTrail, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the demo wrote no log file in the window")
	}
	edited := files[len(files)/2].Path
	editGzip(t, edited, func(text []byte) []byte {
		return bytes.Replace(text, []byte(`"eventName":"`), []byte(`"eventName":"X`), 1)
	})

	goRes := runScanner(t, out.CloudTrail, ScannerGo, q)
	duckRes := runScanner(t, out.CloudTrail, ScannerDuckDB, q)
	if duckRes.Digests == nil {
		t.Fatal("the DuckDB scanner read no digest")
	}
	mismatch := 0
	for _, f := range duckRes.LogFiles {
		if f.Verification == tables.VerificationMismatch {
			mismatch++
			if f.Path != sqlPath(edited) {
				t.Errorf("DuckDB scanner: mismatch on %s, want only %s", f.Path, edited)
			}
		}
	}
	if mismatch != 1 {
		t.Errorf("DuckDB scanner: %d mismatched files, want 1 (the edited %s)", mismatch, edited)
	}
	if !reflect.DeepEqual(duckRes.LogFiles, goRes.LogFiles) {
		n := max(len(duckRes.LogFiles), len(goRes.LogFiles))
		for i := range n {
			var d, g tables.LogFile
			if i < len(duckRes.LogFiles) {
				d = duckRes.LogFiles[i]
			}
			if i < len(goRes.LogFiles) {
				g = goRes.LogFiles[i]
			}
			if d != g {
				t.Fatalf("log files row %d differs (of %d duckdb, %d go):\nduckdb %+v\n    go %+v", i, len(duckRes.LogFiles), len(goRes.LogFiles), d, g)
			}
		}
	}
	if !reflect.DeepEqual(duckRes.Digests, goRes.Digests) {
		t.Errorf("digest reports differ:\nduckdb %+v\n    go %+v", duckRes.Digests, goRes.Digests)
	}
}

// editGzip rewrites a .json.gz file's text with edit.
func editGzip(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if _, err := text.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	changed := edit(text.Bytes())
	if bytes.Equal(changed, text.Bytes()) {
		t.Fatalf("the edit changed nothing in %s", filepath.Base(path))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(changed)
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
