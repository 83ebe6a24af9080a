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
