package trailtest

import (
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/klauspost/compress/gzip"
)

// The CloudTrail fixtures under testdata/ are generated from the definitions
// below; regenerate them with
//
//	go test ./internal/trailtest -run TestFixtures -update
var update = flag.Bool("update", false, "rewrite the CloudTrail fixtures under testdata/")

// TestFixtures checks that testdata/ holds exactly the generated fixtures
// (and rewrites them with -update).
func TestFixtures(t *testing.T) {
	all := append(append(Trail(), CorruptTrail()...), WatchTrail()...)
	if *update {
		for _, top := range []string{"trail", "corrupt", "watch"} {
			if err := os.RemoveAll(filepath.Join(TestdataDir, top)); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range all {
			if err := atomicfile.WriteBytes(filepath.Join(TestdataDir, filepath.FromSlash(f.Path)), f.Bytes()); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want, got []string
	for _, f := range all {
		want = append(want, f.Path)
		stored, err := os.ReadFile(filepath.Join(TestdataDir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%v (regenerate with -update)", err)
			continue
		}
		switch {
		case f.Plain:
			if !bytes.Equal(stored, f.Content()) {
				t.Errorf("%s differs from its definition (regenerate with -update)", f.Path)
			}
		case f.Corrupt:
			zr, err := gzip.NewReader(bytes.NewReader(stored))
			if err != nil {
				t.Errorf("%s: %v", f.Path, err)
				continue
			}
			if _, err := io.ReadAll(zr); err == nil {
				t.Errorf("%s decompresses: it must be cut off (regenerate with -update)", f.Path)
			}
		default:
			zr, err := gzip.NewReader(bytes.NewReader(stored))
			if err != nil {
				t.Errorf("%s: %v", f.Path, err)
				continue
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				t.Errorf("%s: %v", f.Path, err)
			} else if !bytes.Equal(plain, f.Content()) {
				t.Errorf("%s differs from its definition (regenerate with -update)", f.Path)
			}
		}
	}
	for _, top := range []string{"trail", "corrupt", "watch"} {
		filepath.WalkDir(filepath.Join(TestdataDir, top), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(TestdataDir, p)
				got = append(got, filepath.ToSlash(rel))
			}
			return err
		})
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("testdata holds files the definitions do not (regenerate with -update):\n got %q\nwant %q", got, want)
	}
}
