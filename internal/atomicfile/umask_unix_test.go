//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestModesFollowUmask: files and the directories made for them get the
// user's umask (0666 and 0777 less the umask), neither a forced 0644 that
// opens them to the world under umask 077 nor CreateTemp's 0600 that shuts
// out a group under umask 002. Not parallel: the umask is the process's.
func TestModesFollowUmask(t *testing.T) {
	for _, tt := range []struct {
		umask         int
		file, dirMode fs.FileMode
	}{
		{0o077, 0o600, 0o700},
		{0o027, 0o640, 0o750},
		{0o002, 0o664, 0o775},
	} {
		old := syscall.Umask(tt.umask)
		dir := t.TempDir()
		p := filepath.Join(dir, "made", "report.csv")
		err := WriteBytes(p, []byte("x"))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != tt.file {
			t.Errorf("umask %03o: file mode %03o, want %03o", tt.umask, got, tt.file)
		}
		st, err = os.Stat(filepath.Dir(p))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != tt.dirMode {
			t.Errorf("umask %03o: directory mode %03o, want %03o", tt.umask, got, tt.dirMode)
		}
	}
}
