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
	var trustKey, profile, region, endpointURL, manifestPath string
	fs.StringVar(&trustKey, "trust-key", "", "also require SHA256SUMS.sig (and --manifest's .sig) to be a valid signature by this key; "+trustKeyHelp)
	fs.StringVar(&manifestPath, "manifest", "", "also check this reviewed manifest's detached signature (<manifest>.sig) and digests; needs --trust-key")
	fs.StringVar(&profile, "profile", "", "AWS shared config profile (for a kms: trust key)")
	fs.StringVar(&region, "region", "", "AWS region (for a kms: trust key)")
	fs.StringVar(&endpointURL, "endpoint-url", "", "override the KMS endpoint (for a kms: trust key)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dormant verify [--trust-key KEY [--manifest FILE]] OUT\n\nChecks every file of a run directory against SHA256SUMS, recomputes the inventory\nfrom the stored inputs and the findings from the stored tables, regenerates the\nreports, and names whatever differs. With --trust-key, SHA256SUMS must carry a valid\nsignature by that key (SHA256SUMS.sig). Exit 0 only if everything matches.\n\nFlags:")
		fs.PrintDefaults()
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
	if manifestPath != "" && trustKey == "" {
		return usageError{errors.New("--manifest checks a signature: give --trust-key too")}
	}
	trust, err := awsKeyAccess{profile, region, endpointURL}.verifier(ctx, trustKey)
	if err != nil {
		return err
	}
	v, err := pipeline.Verify(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if trust != nil {
		checkSignatures(ctx, v, trust, manifestPath)
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
