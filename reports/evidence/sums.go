package evidence

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/internal/ctxio"
)

// SumsFile is the checksum file's name at the top of the run directory.
const SumsFile = "SHA256SUMS"

// Kinds of Mismatch.
const (
	Changed = "changed" // the file's content differs from its recorded hash
	Missing = "missing" // a recorded file is gone
	Extra   = "extra"   // a file is present that SHA256SUMS does not list
	// NotRegular is a symlink, FIFO, device or socket, listed or not: its
	// content is not in the bundle, so no hash can vouch for it.
	NotRegular = "not-regular"
	// EmptyDir is a directory holding nothing: SHA256SUMS lists files only,
	// so it can only have been added.
	EmptyDir = "empty-dir"
)

// Mismatch is one file that does not match SHA256SUMS.
type Mismatch struct {
	Path string // relative to the run directory, forward slashes
	Kind string // Changed, Missing or Extra
	Want string // recorded hash; empty for Extra
	Got  string // current hash; empty for Missing
}

func (m Mismatch) String() string {
	switch m.Kind {
	case Changed:
		return fmt.Sprintf("%s: changed (recorded sha256 %s, now %s)", m.Path, m.Want, m.Got)
	case Missing:
		return fmt.Sprintf("%s: missing (recorded sha256 %s)", m.Path, m.Want)
	case NotRegular:
		return fmt.Sprintf("%s: not a regular file (%s); a bundle holds regular files only", m.Path, m.Got)
	case EmptyDir:
		return fmt.Sprintf("%s: an empty directory, which %s cannot list; a bundle holds only what it lists", m.Path, SumsFile)
	default:
		return fmt.Sprintf("%s: not listed in %s (sha256 %s)", m.Path, SumsFile, m.Got)
	}
}

// HashFile returns the lowercase hex SHA-256 of the file at path and its size.
func HashFile(path string) (string, int64, error) {
	return hashFile(context.Background(), path)
}

func hashFile(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, ctxio.Reader(ctx, f), make([]byte, 256<<10))
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// isTemp reports whether name is an atomicfile temporary (".<name>.tmp-*"):
// a write in progress or left by a crash, never part of the evidence.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// walk returns the regular files under dir, relative with forward slashes
// and sorted bytewise, leaving out SHA256SUMS and its signature, and apart from them
// everything SHA256SUMS cannot vouch for: non-regular files (symlinks are
// never followed) and empty directories.
func walk(ctx context.Context, dir string) (files []string, odd []Mismatch, err error) {
	// A symlink as the bundle's own path is how the user named it, not
	// content of the bundle: follow that one only.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("listing files under %s: %w", dir, err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			if rel == "." {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, rerr := f.ReadDir(1)
			f.Close()
			if errors.Is(rerr, io.EOF) {
				odd = append(odd, Mismatch{Path: rel, Kind: EmptyDir})
			} else if rerr != nil {
				return rerr
			}
		case rel == SumsFile || rel == SumsFile+".sig":
			// SHA256SUMS.sig (issue 15's signature) signs SHA256SUMS, so it
			// cannot be listed in it; its own check is the signature's.
		case !d.Type().IsRegular():
			odd = append(odd, Mismatch{Path: rel, Kind: NotRegular, Got: d.Type().String()})
		default:
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("listing files under %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, odd, nil
}

// escapeName writes a name the way GNU sha256sum does: a name holding a
// backslash or newline gets them escaped and the line a leading backslash.
// A carriage return is refused: coreutils versions disagree on escaping it.
func escapeName(name string) (string, bool, error) {
	if strings.ContainsRune(name, '\r') {
		return "", false, fmt.Errorf("file name %q contains a carriage return, which sha256sum cannot record portably: rename it", name)
	}
	if !strings.ContainsAny(name, "\\\n") {
		return name, false, nil
	}
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(name), true, nil
}

func unescapeName(name string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '\\' {
			b.WriteByte(name[i])
			continue
		}
		if i+1 == len(name) {
			return "", errors.New("file name ends in a lone backslash")
		}
		i++
		switch name[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		default:
			return "", fmt.Errorf("unknown escape \\%c in file name", name[i])
		}
	}
	return b.String(), nil
}

// WriteSums writes dir/SHA256SUMS atomically: one line per regular file
// under dir, "<sha256 hex>  <relative path>", sorted by path, exactly as
// `sha256sum` prints it, so `cd dir && sha256sum -c SHA256SUMS` checks it.
// A directory holding what VerifySums would reject (a non-regular file, an
// empty directory, a temporary file of a write still in progress) is
// refused, so that every bundle written also verifies.
func WriteSums(ctx context.Context, dir string) error {
	files, odd, err := walk(ctx, dir)
	if err != nil {
		return fmt.Errorf("writing %s: %w", SumsFile, err)
	}
	for _, rel := range files {
		if isTemp(path.Base(rel)) {
			odd = append(odd, Mismatch{Path: rel, Kind: Extra})
		}
	}
	if len(odd) > 0 {
		var names []string
		for _, m := range odd {
			names = append(names, fmt.Sprintf("%s (%s)", m.Path, m.Kind))
		}
		return fmt.Errorf("writing %s in %s: refusing to seal what verify would reject: %s", SumsFile, dir, strings.Join(names, ", "))
	}
	var buf bytes.Buffer
	for _, rel := range files {
		name, escaped, err := escapeName(rel)
		if err != nil {
			return fmt.Errorf("writing %s in %s: %w", SumsFile, dir, err)
		}
		sum, _, err := hashFile(ctx, filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("writing %s: %w", SumsFile, err)
		}
		if escaped {
			buf.WriteByte('\\')
		}
		buf.WriteString(sum)
		buf.WriteString("  ")
		buf.WriteString(name)
		buf.WriteByte('\n')
	}
	return atomicfile.WriteBytes(filepath.Join(dir, SumsFile), buf.Bytes())
}

// Sum is one line of SHA256SUMS.
type Sum struct {
	Path string // relative, forward slashes
	Hash string // lowercase hex
}

// ReadSums parses a SHA256SUMS file in GNU format (text or binary mode
// markers, escaped names). A path that is absolute or climbs out of the
// directory is an error, so a doctored file cannot make verify read
// anything outside the bundle.
func ReadSums(r io.Reader, name string) ([]Sum, error) {
	var out []Sum
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("parsing %s line %d: %s", name, line, fmt.Sprintf(format, args...))
		}
		escaped := strings.HasPrefix(text, `\`)
		if escaped {
			text = text[1:]
		}
		if len(text) < 66 || (text[64:66] != "  " && text[64:66] != " *") {
			return nil, bad(`want "<64 hex digits>  <path>"`)
		}
		hash := text[:64]
		if _, err := hex.DecodeString(hash); err != nil || strings.ToLower(hash) != hash {
			return nil, bad("%q is not a lowercase hex SHA-256", hash)
		}
		p := text[66:]
		if escaped {
			var err error
			if p, err = unescapeName(p); err != nil {
				return nil, bad("%v", err)
			}
		}
		if p == "" || path.IsAbs(p) || filepath.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return nil, bad("path %q must be relative, clean and inside the directory", p)
		}
		if prev, dup := seen[p]; dup {
			return nil, bad("%s is listed again (first on line %d)", p, prev)
		}
		seen[p] = line
		out = append(out, Sum{Path: p, Hash: hash})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}

// VerifySums checks dir against dir/SHA256SUMS and returns every file that
// changed, went missing or was added, sorted by path. The error is for a
// check that could not be done (no or malformed SHA256SUMS, unreadable file),
// not for a mismatch.
func VerifySums(ctx context.Context, dir string) ([]Mismatch, error) {
	sumsPath := filepath.Join(dir, SumsFile)
	f, err := os.Open(sumsPath)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", dir, err)
	}
	sums, err := ReadSums(f, sumsPath)
	f.Close()
	if err != nil {
		return nil, err
	}
	present, odd, err := walk(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", dir, err)
	}
	listed := make(map[string]bool, len(sums))
	listedDirs := map[string]bool{} // parents of listed paths: emptied by a missing file, not added
	var out []Mismatch
	for _, s := range sums {
		listed[s.Path] = true
		for d := path.Dir(s.Path); d != "."; d = path.Dir(d) {
			listedDirs[d] = true
		}
		full := filepath.Join(dir, filepath.FromSlash(s.Path))
		fi, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			out = append(out, Mismatch{Path: s.Path, Kind: Missing, Want: s.Hash})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("verifying %s: %w", dir, err)
		}
		if !fi.Mode().IsRegular() {
			out = append(out, Mismatch{Path: s.Path, Kind: Changed, Want: s.Hash, Got: "not a regular file (" + fi.Mode().Type().String() + ")"})
			continue
		}
		got, _, err := hashFile(ctx, full)
		switch {
		case err != nil:
			return nil, fmt.Errorf("verifying %s: %w", dir, err)
		case got != s.Hash:
			out = append(out, Mismatch{Path: s.Path, Kind: Changed, Want: s.Hash, Got: got})
		}
	}
	for _, p := range present {
		if listed[p] {
			continue
		}
		got, _, err := hashFile(ctx, filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, fmt.Errorf("verifying %s: %w", dir, err)
		}
		out = append(out, Mismatch{Path: p, Kind: Extra, Got: got})
	}
	for _, m := range odd {
		// A listed path that is no longer a regular file is already
		// reported as changed.
		if !listed[m.Path] && !(m.Kind == EmptyDir && listedDirs[m.Path]) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Unlisted reads dir/SHA256SUMS and returns its entries and everything under
// dir it does not list (extra files, non-regular files, empty directories),
// without hashing anything: the cheap half of VerifySums, for telling a
// directory dormant wrote from one that holds someone else's files.
func Unlisted(ctx context.Context, dir string) ([]Sum, []Mismatch, error) {
	sumsPath := filepath.Join(dir, SumsFile)
	f, err := os.Open(sumsPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", sumsPath, err)
	}
	sums, err := ReadSums(f, sumsPath)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	present, odd, err := walk(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	listed := make(map[string]bool, len(sums))
	for _, s := range sums {
		listed[s.Path] = true
	}
	var out []Mismatch
	for _, p := range present {
		if !listed[p] {
			out = append(out, Mismatch{Path: p, Kind: Extra})
		}
	}
	out = append(out, odd...)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return sums, out, nil
}
