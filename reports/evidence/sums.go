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
	"log/slog"
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

// listFiles returns the regular files under dir, relative with forward
// slashes and sorted bytewise, leaving out SHA256SUMS itself and temporary
// files.
func listFiles(ctx context.Context, dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		// SHA256SUMS.sig signs SHA256SUMS, so it cannot be listed in it.
		if rel == SumsFile || rel == SumsFile+".sig" || isTemp(d.Name()) {
			return nil
		}
		if !d.Type().IsRegular() {
			// Symlinks and devices are not content of the bundle; say so
			// rather than follow them out of the run directory.
			slog.Warn("skipping a file that is not a regular file", "dir", dir, "path", rel, "type", d.Type().String())
			return nil
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing files under %s: %w", dir, err)
	}
	sort.Strings(out)
	return out, nil
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
// SHA256SUMS itself and temporary files are left out.
func WriteSums(ctx context.Context, dir string) error {
	files, err := listFiles(ctx, dir)
	if err != nil {
		return fmt.Errorf("writing %s: %w", SumsFile, err)
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
	present, err := listFiles(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", dir, err)
	}
	listed := make(map[string]bool, len(sums))
	var out []Mismatch
	for _, s := range sums {
		listed[s.Path] = true
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
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
