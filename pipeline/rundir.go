package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// Paths inside a run directory, relative to its root.
const (
	RunFile        = "run.json"
	InventoryTable = "tables/inventory.parquet"
	PoliciesTable  = "tables/policies.parquet"
	ReferenceTable = "tables/references.parquet"
	ActivityTable  = "tables/activity.parquet"
	CoverageTable  = "tables/coverage.parquet"
	FindingsTable  = "tables/findings.parquet"
	QueriesDir     = "queries"
	InputsDir      = "inputs"
	SumsFile       = "SHA256SUMS"
)

// newRunID is sortable by time and unique across concurrent runs.
func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// staging is a run directory being built next to its final place, so that the
// final rename is atomic (same filesystem) and a failed run leaves nothing.
type staging struct {
	final string
	dir   string
}

func newStaging(out, runID string) (*staging, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("resolving --out %s: %w", out, err)
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating parent of --out %s: %w", out, err)
	}
	if st, err := os.Stat(abs); err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("--out %s exists and is not a directory", out)
		}
		if _, err := os.Stat(filepath.Join(abs, RunFile)); err != nil {
			if entries, _ := os.ReadDir(abs); len(entries) > 0 {
				return nil, fmt.Errorf("--out %s exists, is not empty and holds no %s: refusing to replace a directory dormant did not write; choose another --out", out, RunFile)
			}
		}
	}
	dir := filepath.Join(parent, "."+filepath.Base(abs)+".partial-"+runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating staging directory: %w", err)
	}
	return &staging{final: abs, dir: dir}, nil
}

func (s *staging) path(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// commit moves the finished run into place, replacing an earlier run there.
func (s *staging) commit() error {
	old := ""
	if _, err := os.Stat(s.final); err == nil {
		old = s.dir + ".old"
		if err := os.Rename(s.final, old); err != nil {
			return fmt.Errorf("moving the previous run out of %s: %w", s.final, err)
		}
	}
	if err := os.Rename(s.dir, s.final); err != nil {
		if old != "" {
			_ = os.Rename(old, s.final)
		}
		return fmt.Errorf("moving the run into %s: %w", s.final, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

func (s *staging) abort() { _ = os.RemoveAll(s.dir) }

func writeJSON(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
