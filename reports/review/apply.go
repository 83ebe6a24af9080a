package review

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Options are what `dormant manifest --from-workbook` is given.
type Options struct {
	Workbook string // the reviewed workbook
	RunDir   string // the run directory the workbook came from
	// Findings is the run's findings table (Parquet), normally
	// <RunDir>/tables/findings.parquet.
	Findings string
	// Out is where the reviewed manifest goes; empty: next to the workbook,
	// named after it (reviewed.xlsx -> reviewed.manifest.json). It may not be
	// inside the run directory, whose files SHA256SUMS seals.
	Out string
	// TrustKey, when set, requires the run's SHA256SUMS.sig to be a valid
	// signature by it.
	TrustKey signature.Verifier
	// SignKey, when set, signs the reviewed manifest (<Out>.sig).
	SignKey signature.Signer
}

// Result is what Apply wrote.
type Result struct {
	Out      string
	Manifest *manifest.Manifest
	Problems []Problem // notes; refusals come back as a *RefusedError
}

// DefaultOut is where Apply writes when Options.Out is empty.
func DefaultOut(workbook string) string {
	ext := filepath.Ext(workbook)
	return strings.TrimSuffix(workbook, ext) + ".manifest.json"
}

// Apply reads the run's signed manifest and findings, applies the reviewed
// workbook (FromWorkbook) and writes the reviewed manifest atomically.
func Apply(ctx context.Context, opts Options) (*Result, error) {
	switch {
	case opts.Workbook == "":
		return nil, errors.New("no reviewed workbook given: pass the .xlsx the reviewer filled in")
	case opts.RunDir == "":
		return nil, errors.New("no run directory given: pass the run's output directory (--out of dormant run)")
	case opts.Findings == "":
		return nil, errors.New("no findings table given")
	}
	out := opts.Out
	if out == "" {
		out = DefaultOut(opts.Workbook)
	}
	if inside, err := within(opts.RunDir, out); err != nil {
		return nil, err
	} else if inside {
		return nil, fmt.Errorf("the reviewed manifest %s would be inside the run directory %s, whose files SHA256SUMS seals (dormant verify would report it): write it elsewhere", out, opts.RunDir)
	}
	if st, err := os.Stat(opts.RunDir); err != nil {
		return nil, fmt.Errorf("reading run directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("run directory %s is not a directory", opts.RunDir)
	}
	var problems []Problem
	sealNote, err := checkSeal(ctx, opts)
	if err != nil {
		return nil, err
	}
	if sealNote != "" {
		problems = append(problems, Problem{Message: sealNote})
	}
	manifestPath := filepath.Join(opts.RunDir, filepath.FromSlash(reports.ManifestPath))
	run, err := manifest.Read(manifestPath)
	if err != nil {
		return nil, err
	}
	if err := run.Verify(); err != nil {
		return nil, fmt.Errorf("checking run manifest %s: %w", manifestPath, err)
	}
	findings, err := tables.ReadParquet[tables.Finding](opts.Findings)
	if err != nil {
		return nil, fmt.Errorf("reading the run's findings: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, wbProblems, err := FromWorkbook(ctx, opts.Workbook, run, findings)
	problems = append(problems, wbProblems...)
	if err != nil {
		return &Result{Problems: problems}, err
	}
	if err := m.WriteFile(out); err != nil {
		return nil, err
	}
	if opts.SignKey != nil {
		if _, err := signature.SignFile(ctx, opts.SignKey, out); err != nil {
			return nil, fmt.Errorf("signing the reviewed manifest: %w", err)
		}
	} else if _, err := os.Stat(signature.Path(out)); err == nil {
		// A signature left from an earlier review would not match this file.
		if err := os.Remove(signature.Path(out)); err != nil {
			return nil, fmt.Errorf("removing the stale signature %s of the previous reviewed manifest: %w", signature.Path(out), err)
		}
	}
	return &Result{Out: out, Manifest: m, Problems: problems}, nil
}

// checkSeal verifies the run directory against its SHA256SUMS (every file
// the review reads is among them) and, given a trust key, SHA256SUMS.sig.
// It returns a note when the run is signed but no key was given to check it.
func checkSeal(ctx context.Context, opts Options) (string, error) {
	mism, err := evidence.VerifySums(ctx, opts.RunDir)
	if err != nil {
		return "", fmt.Errorf("checking run directory %s against its %s: %w", opts.RunDir, evidence.SumsFile, err)
	}
	if len(mism) > 0 {
		var b strings.Builder
		for i, m := range mism {
			if i == maxShown {
				fmt.Fprintf(&b, "; ... and %d more", len(mism)-maxShown)
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(m.String())
		}
		return "", fmt.Errorf("%w: run directory %s does not match its %s (%s): the findings the review is checked against may have been altered; use an unaltered copy of the run",
			ErrRefused, opts.RunDir, evidence.SumsFile, b.String())
	}
	sums := filepath.Join(opts.RunDir, evidence.SumsFile)
	if opts.TrustKey != nil {
		if _, _, err := signature.VerifyFile(ctx, opts.TrustKey, sums); err != nil {
			return "", fmt.Errorf("%w: the run is not signed by the trusted key: %w", ErrRefused, err)
		}
		return "", nil
	}
	if _, err := os.Stat(signature.Path(sums)); err == nil {
		return fmt.Sprintf("the run is signed (%s) but no --trust-key was given, so its signature was not checked", signature.Path(sums)), nil
	}
	return "", nil
}

// within reports whether path is inside dir (after making both absolute).
func within(dir, path string) (bool, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return false, fmt.Errorf("resolving run directory %s: %w", dir, err)
	}
	absPath, err := filepath.Abs(path)
	if err != nil {
		return false, fmt.Errorf("resolving output %s: %w", path, err)
	}
	if d, err := filepath.EvalSymlinks(absDir); err == nil {
		absDir = d
	}
	if p, err := filepath.EvalSymlinks(filepath.Dir(absPath)); err == nil {
		absPath = filepath.Join(p, filepath.Base(absPath))
	}
	rel, err := filepath.Rel(absDir, absPath)
	if err != nil {
		return false, nil
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)), nil
}
