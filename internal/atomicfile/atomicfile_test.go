package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeOrNothing(t *testing.T) {
	for name, write := range map[string]func(string, func(io.Writer) error) error{"Write": Write, "WriteUnsynced": WriteUnsynced} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "sub", "report.csv")
			if err := write(p, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			err := write(p, func(w io.Writer) error {
				io.WriteString(w, "half a new rep")
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("the fill's error must come back: %v", err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != "old" {
				t.Fatalf("a failed write changed the file: %q", got)
			}
			entries, _ := os.ReadDir(filepath.Dir(p))
			if len(entries) != 1 {
				t.Fatalf("temporary files left behind: %v", entries)
			}
			if err := WriteBytes(p, []byte("new")); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(p); string(got) != "new" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestPendingCommitsOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	if err := WriteBytes(a, []byte("old a")); err != nil {
		t.Fatal(err)
	}
	pa, err := Create(a)
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Abort()
	pb, err := Create(b)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Abort()
	if err := pa.Fill(func(w io.Writer) error { _, err := io.WriteString(w, "new a"); return err }); err != nil {
		t.Fatal(err)
	}
	// Filled but not committed: the old content is still what readers see.
	if got, _ := os.ReadFile(a); string(got) != "old a" {
		t.Fatalf("a filled, uncommitted file replaced the old one: %q", got)
	}
	if err := pb.Commit(); err == nil {
		t.Fatal("committing an unfilled file succeeded")
	}
	pb.Abort()
	if err := pa.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := pa.Commit(); err == nil {
		t.Fatal("a second commit succeeded")
	}
	pa.Abort() // no-op after commit
	if got, _ := os.ReadFile(a); string(got) != "new a" {
		t.Fatalf("after commit a holds %q", got)
	}
	if _, err := os.Stat(b); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an aborted file exists: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}
