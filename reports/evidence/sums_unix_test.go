//go:build unix

package evidence

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestVerifySumsUnlisted: anything in the bundle that SHA256SUMS does not
// vouch for fails verification, named by path: an auditor cannot tell a
// harmless leftover from a planted file.
func TestVerifySumsUnlisted(t *testing.T) {
	tests := []struct {
		name, path, kind string
		writeRefuses     bool // WriteSums refuses it too; an extra regular file it simply lists
		add              func(t *testing.T, p string) error
	}{
		{"extra file", "reports/notes.txt", Extra, false, func(t *testing.T, p string) error { return os.WriteFile(p, []byte("x"), 0o644) }},
		{"hidden temporary file", "reports/.x.tmp-1", Extra, true, func(t *testing.T, p string) error { return os.WriteFile(p, []byte("half"), 0o644) }},
		{"symlink to a listed file", "reports/link.csv", NotRegular, true, func(t *testing.T, p string) error { return os.Symlink("findings.csv", p) }},
		{"symlink to a directory", "tables/up", NotRegular, true, func(t *testing.T, p string) error { return os.Symlink("..", p) }},
		{"dangling symlink", "dangling", NotRegular, true, func(t *testing.T, p string) error { return os.Symlink("/nonexistent", p) }},
		{"FIFO", "reports/pipe", NotRegular, true, func(t *testing.T, p string) error { return syscall.Mkfifo(p, 0o644) }},
		{"empty directory", "tables/empty", EmptyDir, true, func(t *testing.T, p string) error { return os.Mkdir(p, 0o755) }},
		{"nested empty directories", "a/b", EmptyDir, true, func(t *testing.T, p string) error { return os.MkdirAll(p, 0o755) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := bundle(t)
			if err := WriteSums(ctx, dir); err != nil {
				t.Fatal(err)
			}
			if err := tt.add(t, filepath.Join(dir, filepath.FromSlash(tt.path))); err != nil {
				t.Fatal(err)
			}
			mism, err := VerifySums(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(mism) != 1 || mism[0].Path != tt.path || mism[0].Kind != tt.kind || !strings.Contains(mism[0].String(), tt.path) {
				t.Fatalf("mismatches = %+v, want one %s at %s", mism, tt.kind, tt.path)
			}
			// A bundle with it cannot be written either: it would not verify.
			if err := WriteSums(ctx, dir); tt.writeRefuses && (err == nil || !strings.Contains(err.Error(), tt.path)) {
				t.Errorf("WriteSums with %s = %v, want an error naming it", tt.path, err)
			}
		})
	}
}

// TestVerifySumsThroughSymlinkedRoot: the bundle's own path may be a
// symlink (how the user reached it); only links inside it are refused.
func TestVerifySumsThroughSymlinkedRoot(t *testing.T) {
	ctx := context.Background()
	dir := bundle(t)
	if err := WriteSums(ctx, dir); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "run")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	mism, err := VerifySums(ctx, link)
	if err != nil || len(mism) != 0 {
		t.Errorf("VerifySums through a symlinked root = %v, %v; want no mismatch", mism, err)
	}
}

// TestSignatureBesideSums: SHA256SUMS.sig, the detached signature of
// SHA256SUMS, is neither listed nor reported as unlisted; the same name
// anywhere else is an ordinary extra file.
func TestSignatureBesideSums(t *testing.T) {
	ctx := context.Background()
	dir := bundle(t)
	if err := WriteSums(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SumsFile+".sig"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if mism, err := VerifySums(ctx, dir); err != nil || len(mism) != 0 {
		t.Errorf("VerifySums with SHA256SUMS.sig = %v, %v", mism, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reports", SumsFile+".sig"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if mism, err := VerifySums(ctx, dir); err != nil || len(mism) != 1 || mism[0].Path != "reports/SHA256SUMS.sig" {
		t.Errorf("VerifySums with a nested SHA256SUMS.sig = %v, %v; want it extra", mism, err)
	}
}
