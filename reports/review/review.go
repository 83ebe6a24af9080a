package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// decision is a reviewer's choice on one row.
type decision int

const (
	undecided decision = iota
	approve
	reject
	deferred
)

func parseDecision(s string) (decision, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return undecided, true
	case strings.ToLower(reports.ReviewApprove):
		return approve, true
	case strings.ToLower(reports.ReviewReject):
		return reject, true
	case strings.ToLower(reports.ReviewDefer):
		return deferred, true
	}
	return undecided, false
}

// verdict is what the reviewer said about one expected row.
type verdict struct {
	decision decision
	comment  string
	row      int // the reviewed workbook's row
	// downgrade is set when the reviewer changed the Decision column from
	// delete to deactivate: the entry is rebuilt as a deactivation.
	downgrade bool
	// reviewer and date are the row's Reviewer and Review date cells; date
	// is normalized to YYYY-MM-DD.
	reviewer, date string
}

// FromWorkbook reads the reviewer's decisions from a reviewed workbook and
// returns the run's manifest cut down to the approved entries, each with
// the reviewer's comment, re-signed, with ReviewedFrom set. findings are the
// run's findings (tables/findings.parquet) in the order the run wrote them.
//
// A workbook that no longer matches the run is refused: the error is a
// *RefusedError (errors.Is ErrRefused) and the problems name each row. When
// the workbook is accepted, problems holds notes (an approved row the run
// plans nothing for, entries left undecided).
func FromWorkbook(ctx context.Context, workbookPath string, runManifest *manifest.Manifest, findings []tables.Finding) (*manifest.Manifest, []Problem, error) {
	if runManifest == nil {
		return nil, nil, errors.New("reading reviewed workbook: no run manifest given")
	}
	if err := runManifest.Verify(); err != nil {
		return nil, nil, fmt.Errorf("checking the run's manifest before applying a review: %w", err)
	}
	sum, err := hashFile(workbookPath)
	if err != nil {
		return nil, nil, err
	}
	keyRows := reports.UnusedKeyRows(findings)
	partLimit, totalLimit := workbookBounds(len(findings) + len(keyRows))
	if err := checkWorkbookSize(workbookPath, partLimit, totalLimit); err != nil {
		return nil, nil, err
	}
	f, err := excelize.OpenFile(workbookPath, excelize.Options{UnzipSizeLimit: totalLimit})
	if err != nil {
		return nil, nil, fmt.Errorf("opening reviewed workbook %s: %w", workbookPath, err)
	}
	defer f.Close()

	r := &reader{ctx: ctx, f: f}
	if err := r.checkRunID(runManifest.RunID); err != nil {
		return nil, nil, fmt.Errorf("reading reviewed workbook %s: %w", workbookPath, err)
	}
	users, err := r.readSheet(findingsSheet(findings))
	if err != nil {
		return nil, nil, fmt.Errorf("reading reviewed workbook %s: %w", workbookPath, err)
	}
	keys, err := r.readSheet(keysSheet(findings, keyRows))
	if err != nil {
		return nil, nil, fmt.Errorf("reading reviewed workbook %s: %w", workbookPath, err)
	}
	r.sortProblems()
	if refused := r.refused(); len(refused) > 0 {
		return nil, r.problems, &RefusedError{Workbook: workbookPath, Problems: refused}
	}

	m, err := apply(r, runManifest, findings, keyRows, users, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("applying review %s: %w", workbookPath, err)
	}
	r.sortProblems()
	if refused := r.refused(); len(refused) > 0 {
		return nil, r.problems, &RefusedError{Workbook: workbookPath, Problems: refused}
	}
	m.ReviewedFrom.Workbook = filepath.Base(workbookPath)
	m.ReviewedFrom.WorkbookSHA256 = sum
	if err := m.Sign(); err != nil {
		return nil, nil, fmt.Errorf("applying review %s: %w", workbookPath, err)
	}
	if err := m.Verify(); err != nil {
		return nil, nil, fmt.Errorf("applying review %s: the reviewed manifest does not verify: %w", workbookPath, err)
	}
	r.sortProblems()
	return m, r.problems, nil
}

func hashFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading reviewed workbook: %w", err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("hashing reviewed workbook %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
