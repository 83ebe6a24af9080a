package activity

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
//	go test ./pipeline/activity -run TestFixtures -update
var update = flag.Bool("update", false, "rewrite the CloudTrail fixtures under testdata/")

// TestFixtures checks that testdata/ holds exactly the generated fixtures
// (and rewrites them with -update).
func TestFixtures(t *testing.T) {
	all := append(trail(), corruptTrail()...)
	if *update {
		for _, top := range []string{"trail", "corrupt"} {
			if err := os.RemoveAll(filepath.Join(testdataDir, top)); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range all {
			if err := atomicfile.WriteBytes(filepath.Join(testdataDir, filepath.FromSlash(f.path)), f.bytes()); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want, got []string
	for _, f := range all {
		want = append(want, f.path)
		stored, err := os.ReadFile(filepath.Join(testdataDir, filepath.FromSlash(f.path)))
		if err != nil {
			t.Errorf("%v (regenerate with -update)", err)
			continue
		}
		switch {
		case f.plain:
			if !bytes.Equal(stored, f.content()) {
				t.Errorf("%s differs from its definition (regenerate with -update)", f.path)
			}
		case f.corrupt:
			zr, err := gzip.NewReader(bytes.NewReader(stored))
			if err != nil {
				t.Errorf("%s: %v", f.path, err)
				continue
			}
			if _, err := io.ReadAll(zr); err == nil {
				t.Errorf("%s decompresses: it must be cut off (regenerate with -update)", f.path)
			}
		default:
			zr, err := gzip.NewReader(bytes.NewReader(stored))
			if err != nil {
				t.Errorf("%s: %v", f.path, err)
				continue
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				t.Errorf("%s: %v", f.path, err)
			} else if !bytes.Equal(plain, f.content()) {
				t.Errorf("%s differs from its definition (regenerate with -update)", f.path)
			}
		}
	}
	for _, top := range []string{"trail", "corrupt"} {
		filepath.WalkDir(filepath.Join(testdataDir, top), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(testdataDir, p)
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
