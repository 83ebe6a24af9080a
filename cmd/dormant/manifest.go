package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports/review"
)

func cmdManifest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dormant manifest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts review.Options
	fs.StringVar(&opts.Workbook, "from-workbook", "", "the run's workbook with the reviewer's decisions (Approve, Reject, Defer) filled in")
	fs.StringVar(&opts.RunDir, "run", "", "the run directory the workbook came from (--out of dormant run)")
	fs.StringVar(&opts.Out, "out", "", "where to write the reviewed manifest, outside the run directory (default: next to the workbook, <name>.manifest.json)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dormant manifest --from-workbook reviewed.xlsx --run OUT [--out FILE]\n\n"+
			"Writes a remediation manifest that keeps only the run's entries the reviewer approved, with\n"+
			"their comments, re-signed. A workbook whose rows no longer match the run is refused.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	if opts.Workbook == "" || opts.RunDir == "" {
		return usageError{errors.New("give --from-workbook and --run")}
	}
	opts.Findings = filepath.Join(opts.RunDir, filepath.FromSlash(pipeline.FindingsTable))

	res, err := review.Apply(ctx, opts)
	if res != nil {
		for _, p := range res.Problems {
			if !p.Refused {
				fmt.Fprintln(stderr, "note:", p)
			}
		}
	}
	if err != nil {
		return err
	}
	r := res.Manifest.ReviewedFrom
	fmt.Fprintf(stdout, "reviewed manifest: %s (%d entries approved; %d rejected, %d deferred, %d undecided dropped; digest %s)\n",
		res.Out, r.Approved, r.Rejected, r.Deferred, r.Undecided, res.Manifest.Digest)
	return nil
}
