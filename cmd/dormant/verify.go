package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dormant-iam/dormant/pipeline"
)

// errVerifyFailed: the bundle was read but something differs (exit 1).
var errVerifyFailed = errors.New("the bundle does not verify")

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dormant verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dormant verify OUT\n\nChecks every file of a run directory against SHA256SUMS, recomputes the inventory\nfrom the stored inputs and the findings from the stored tables, regenerates the\nreports, and names whatever differs. Exit 0 only if everything matches.")
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("give the run directory: dormant verify OUT")}
	}
	v, err := pipeline.Verify(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	for _, c := range v.Checked {
		fmt.Fprintf(stdout, "checked: %s\n", c)
	}
	if v.OK() {
		fmt.Fprintf(stdout, "verified: %s matches its SHA256SUMS, and its findings and reports follow from its inputs\n", v.Dir)
		return nil
	}
	for _, p := range v.Problems {
		fmt.Fprintf(stdout, "DIFFERS: %s\n", p)
	}
	return fmt.Errorf("%w: %d problems", errVerifyFailed, len(v.Problems))
}
